# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A multipart/form-data (RFC 1867) request body that reads its files from disk while it is sent.

requests' ``files=`` builds the whole body in memory, so uploading firmware would cost its size in RAM.
A MultipartBody is passed as ``data=`` instead: requests sends it block by block through read(), with
a Content-Length computed up front from the file sizes.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import os
import uuid

BLOCK_SIZE = 64 * 1024


def _quote(value):
    """Quote a name or file name for a Content-Disposition header."""
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"').replace('\r', ' ').replace('\n', ' ')


class _FilePart:
    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)


class MultipartBody:
    """A readable, rewindable multipart body.

    fields: simple values, name -> str. files: name -> (file name sent, path on disk, content type).
    Only rewinding (seek(0)) is supported: that is what requests needs to resend the body after a
    Digest authentication challenge.
    """

    def __init__(self, fields=None, files=None):
        self.boundary = uuid.uuid4().hex
        self._segments = []
        for name, value in (fields or {}).items():
            self._add_header(name, None, None)
            self._segments.append(str(value).encode('utf-8') + b'\r\n')
        for name, (filename, path, content_type) in (files or {}).items():
            self._add_header(name, filename, content_type)
            self._segments.append(_FilePart(path))
            self._segments.append(b'\r\n')
        self._segments.append(('--%s--\r\n' % self.boundary).encode('ascii'))
        self._length = sum(s.size if isinstance(s, _FilePart) else len(s) for s in self._segments)
        self._blocks = None
        self._pending = b''
        self._position = 0
        self.seek(0)

    def _add_header(self, name, filename, content_type):
        disposition = 'form-data; name=%s' % _quote(name)
        lines = ['--%s' % self.boundary]
        if filename is None:
            lines.append('Content-Disposition: %s' % disposition)
        else:
            lines.append('Content-Disposition: %s; filename=%s' % (disposition, _quote(filename)))
            lines.append('Content-Type: %s' % (content_type or 'application/octet-stream'))
        self._segments.append(('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8'))

    @property
    def content_type(self):
        return 'multipart/form-data; boundary=%s' % self.boundary

    def __len__(self):
        return self._length

    def _generate_blocks(self):
        for segment in self._segments:
            if not isinstance(segment, _FilePart):
                yield segment
                continue
            with open(segment.path, 'rb') as stream:
                block = stream.read(BLOCK_SIZE)
                while block:
                    yield block
                    block = stream.read(BLOCK_SIZE)

    def read(self, size=-1):
        wanted = self._length if size is None or size < 0 else size
        out = []
        while wanted > 0:
            if not self._pending:
                self._pending = next(self._blocks, b'')
                if not self._pending:
                    break
            piece, self._pending = self._pending[:wanted], self._pending[wanted:]
            out.append(piece)
            wanted -= len(piece)
            self._position += len(piece)
        return b''.join(out)

    def __iter__(self):
        block = self.read(BLOCK_SIZE)
        while block:
            yield block
            block = self.read(BLOCK_SIZE)

    def tell(self):
        return self._position

    def seek(self, offset, whence=os.SEEK_SET):
        if offset != 0 or whence != os.SEEK_SET:
            raise OSError('MultipartBody can only be rewound to its start')
        self.close()
        self._blocks = self._generate_blocks()
        self._pending = b''
        self._position = 0
        return 0

    def close(self):
        """Close the file being read, if any (the generator's with-block ends)."""
        if self._blocks is not None:
            self._blocks.close()
