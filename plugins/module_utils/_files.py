# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local files: checksums, atomic writes, GIF headers.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile

GIF_SIGNATURES = (b'GIF87a', b'GIF89a')


def sha256_of_file(path):
    """Hex SHA-256 of a file, or None if it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, 'rb') as stream:
            for block in iter(lambda: stream.read(64 * 1024), b''):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def write_atomically(path, data, mode=None):
    """Replace path with data so readers see the old file or the new one, never a partial one.

    mode: the file's permissions (e.g. 0o600 for a file with secrets), set before it appears under path."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, 'wb') as stream:
            stream.write(data)
        # mkstemp creates 0600; a new file should get the usual mode, an existing one keeps its own.
        if mode is None:
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def gif_size(path):
    """(width, height) from a GIF's logical screen descriptor; ValueError if the file is not a GIF."""
    with open(path, 'rb') as stream:
        header = stream.read(10)
    if len(header) < 10 or header[:6] not in GIF_SIGNATURES:
        raise ValueError('not a GIF image (a GIF starts with GIF87a or GIF89a, this file with %r)' % header[:6])
    return struct.unpack('<HH', header[6:10])
