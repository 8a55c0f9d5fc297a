"""helios_camera_snapshot against emulated intercoms."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from helios_fleet import FAMILIES


def test_writes_the_jpeg_at_the_requested_resolution(device, ansible, tmp_path):
    dest = tmp_path / 'door.jpg'
    run = ansible(device, 'camera_snapshot', diff=True, dest=str(dest), width=320, height=240, source='external')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    data = dest.read_bytes()
    assert result['changed'] is True and result['checksum'] == hashlib.sha256(data).hexdigest()
    assert result['size'] == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ('JPEG', (320, 240))
    assert '-    "checksum": null,\n+    "checksum": "%s",' % result['checksum'] in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ['door.jpg', 'run0']


def test_a_new_picture_replaces_the_file(device, ansible, tmp_path):
    # The emulator draws a frame counter into every snapshot, so a second snapshot always differs.
    dest = tmp_path / 'door.jpg'
    first = ansible(device, 'camera_snapshot', dest=str(dest))
    second = ansible(device, 'camera_snapshot', dest=str(dest))
    assert second.rc == 0 and second.result(device.name)['changed'] is True
    assert second.result(device.name)['checksum'] != first.result(device.name)['checksum']
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == second.result(device.name)['checksum']


def test_the_same_picture_again_is_no_change(device, ansible, tmp_path):
    device.freeze_camera()
    dest = tmp_path / 'door.jpg'
    first = ansible(device, 'camera_snapshot', dest=str(dest))
    assert first.rc == 0 and first.result(device.name)['changed'] is True
    written = dest.stat().st_mtime_ns
    second = ansible(device, 'camera_snapshot', dest=str(dest))
    assert second.rc == 0 and second.result(device.name)['changed'] is False
    assert second.result(device.name)['checksum'] == first.result(device.name)['checksum']
    assert dest.stat().st_mtime_ns == written


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_writes_nothing(device, ansible, tmp_path):
    dest = tmp_path / 'door.jpg'
    run = ansible(device, 'camera_snapshot', check=True, dest=str(dest))
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert not dest.exists()


def test_unsupported_resolution_source_and_directory_are_refused(devices, ansible, tmp_path):
    size, source, directory = devices(3)
    hosts = {size.name: size.hostvars(dest=str(tmp_path / 'a.jpg'), width=100, height=100),
             source.name: source.hostvars(dest=str(tmp_path / 'b.jpg'), source='doorbell'),
             directory.name: directory.hostvars(dest=str(tmp_path))}
    run = ansible(hosts, 'camera_snapshot')
    assert run.rc != 0
    assert run.result(size.name)['msg'] == ('width and height 100x100 are not a resolution the camera supports; '
                                            'supported: 160x120, 176x144, 320x240, 352x272, 352x288, 640x480')
    assert run.result(source.name)['msg'] == 'source "doorbell" is not a video source of this device; sources: internal, external'
    assert run.result(directory.name)['msg'] == 'dest: %s is a directory; give the path of the file to write' % tmp_path
    assert not (tmp_path / 'a.jpg').exists() and not (tmp_path / 'b.jpg').exists()
