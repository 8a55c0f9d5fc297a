"""The streamed multipart body: correct RFC 1867 bytes, rewindable, and bounded memory."""

from __future__ import annotations

import email.parser
import email.policy
import tracemalloc

import pytest

from ansible_collections.twon.helios.plugins.module_utils._multipart import BLOCK_SIZE, MultipartBody


def _parse(body, data):
    """Parse the body with the standard library's MIME parser, as a server would."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b'Content-Type: ' + body.content_type.encode() + b'\r\n\r\n' + data)
    return {part.get_param('name', header='content-disposition'): part for part in message.iter_parts()}


def test_fields_and_files_round_trip(tmp_path):
    image = tmp_path / 'logo.gif'
    image.write_bytes(b'GIF89a' + bytes(range(256)) * 10)
    body = MultipartBody(fields={'display': 'internal'}, files={'blob-image': ('logo "new".gif', str(image), 'image/gif')})
    data = body.read()
    assert len(data) == len(body)
    parts = _parse(body, data)
    assert parts['display'].get_content() == 'internal'
    blob = parts['blob-image']
    assert blob.get_content_type() == 'image/gif'
    assert blob.get_filename() == 'logo "new".gif'
    assert blob.get_payload(decode=True) == image.read_bytes()


def test_read_in_blocks_equals_read_all_and_rewinds(tmp_path):
    blob = tmp_path / 'fw.bin'
    blob.write_bytes(bytes(range(256)) * 1000)
    body = MultipartBody(files={'blob-fw': ('fw.bin', str(blob), None)})
    whole = body.read()
    assert body.tell() == len(whole) and body.read(10) == b''
    assert body.seek(0) == 0 and body.tell() == 0
    assert b''.join(iter(body)) == whole
    with pytest.raises(OSError):
        body.seek(5)
    body.close()


def test_memory_does_not_grow_with_the_file(tmp_path):
    size = 32 * 1024 * 1024
    blob = tmp_path / 'big.bin'
    with open(blob, 'wb') as stream:
        stream.truncate(size)
    body = MultipartBody(files={'blob-fw': ('big.bin', str(blob), None)})
    tracemalloc.start()
    try:
        sent = 0
        block = body.read(BLOCK_SIZE)
        while block:
            sent += len(block)
            block = body.read(BLOCK_SIZE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent == len(body) > size
    assert peak < 1024 * 1024, 'reading a %d byte body peaked at %d bytes of memory' % (size, peak)
