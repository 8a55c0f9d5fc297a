"""GIF headers, checksums and atomic writes."""

from __future__ import annotations

import hashlib
import os
import struct

import pytest

from ansible_collections.twon.helios.plugins.module_utils._files import gif_size, sha256_of_file, write_atomically


@pytest.mark.parametrize('signature', [b'GIF87a', b'GIF89a'])
def test_gif_size_reads_the_logical_screen(tmp_path, signature):
    path = tmp_path / 'a.gif'
    path.write_bytes(signature + struct.pack('<HH', 320, 240) + b'\x00' * 20)
    assert gif_size(str(path)) == (320, 240)


@pytest.mark.parametrize('content', [b'\x89PNG\r\n\x1a\n' + b'\x00' * 20, b'GIF8', b''])
def test_gif_size_refuses_other_files(tmp_path, content):
    path = tmp_path / 'not.gif'
    path.write_bytes(content)
    with pytest.raises(ValueError, match='not a GIF image'):
        gif_size(str(path))


def test_sha256_of_file(tmp_path):
    path = tmp_path / 'x'
    path.write_bytes(b'hello')
    assert sha256_of_file(str(path)) == hashlib.sha256(b'hello').hexdigest()
    assert sha256_of_file(str(tmp_path / 'missing')) is None


def test_write_atomically_keeps_mode_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / 'snap.jpg'
    write_atomically(str(path), b'one')
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_bytes() == b'one'
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    write_atomically(str(path), b'two')
    assert path.read_bytes() == b'two'
    assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ['snap.jpg']


def test_write_atomically_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(str(tmp_path / 'missing' / 'snap.jpg'), b'x')
