"""helios_display_image against emulated intercoms."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from helios_fleet import FAMILIES


@pytest.fixture
def images(tmp_path):
    """GIFs for the 320x240 display, one of the wrong size, and a PNG."""
    paths = {}
    for name, size, colour, fmt in [('red.gif', (320, 240), 'red', 'GIF'), ('blue.gif', (320, 240), 'blue', 'GIF'),
                                    ('large.gif', (640, 480), 'green', 'GIF'), ('red.png', (320, 240), 'red', 'PNG')]:
        paths[name] = tmp_path / name
        Image.new('RGB', size, colour).save(paths[name], fmt)
    return paths


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shown(device):
    return device.state()['displayImages'].get('internal')


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_present_uploads_once_then_is_idempotent(device, ansible, images, tmp_path):
    markers = str(tmp_path / 'markers')
    first = ansible(device, 'display_image', diff=True, src=str(images['red.gif']), marker_dir=markers)
    assert first.rc == 0, first.stdout
    result = first.result(device.name)
    assert result['changed'] is True and result['checksum'] == _sha256(images['red.gif'])
    assert _shown(device) == _sha256(images['red.gif'])
    assert '-    "image": "unknown"\n+    "image": "sha256:%s"' % _sha256(images['red.gif']) in first.stdout

    second = ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers)
    assert second.rc == 0 and second.result(device.name)['changed'] is False

    other = ansible(device, 'display_image', src=str(images['blue.gif']), marker_dir=markers)
    assert other.rc == 0 and other.result(device.name)['changed'] is True
    assert _shown(device) == _sha256(images['blue.gif'])


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_uploads_nothing(device, ansible, images, tmp_path):
    run = ansible(device, 'display_image', check=True, src=str(images['red.gif']), marker_dir=str(tmp_path / 'm'))
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert _shown(device) is None
    assert not (tmp_path / 'm').exists()


def test_absent_removes_the_image_once(device, ansible, images, tmp_path):
    markers = str(tmp_path / 'markers')
    ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers)
    removed = ansible(device, 'display_image', state='absent', marker_dir=markers)
    assert removed.rc == 0 and removed.result(device.name)['changed'] is True
    assert _shown(device) is None
    again = ansible(device, 'display_image', state='absent', marker_dir=markers)
    assert again.rc == 0 and again.result(device.name)['changed'] is False


def test_force_uploads_even_when_the_marker_matches(device, ansible, images, tmp_path):
    markers = str(tmp_path / 'markers')
    ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers)
    run = ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers, force=True)
    assert run.rc == 0 and run.result(device.name)['changed'] is True


def test_restart_since_the_upload_makes_the_marker_stale(device, ansible, images, tmp_path):
    markers = str(tmp_path / 'markers')
    ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers)
    assert ansible(device, 'system', state='restarted').rc == 0
    run = ansible(device, 'display_image', src=str(images['red.gif']), marker_dir=markers)
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert _shown(device) == _sha256(images['red.gif'])


def test_non_gif_wrong_size_and_unknown_display_are_refused_before_upload(devices, ansible, images, tmp_path):
    png, large, unknown = devices(3)
    hosts = {png.name: png.hostvars(src=str(images['red.png'])),
             large.name: large.hostvars(src=str(images['large.gif'])),
             unknown.name: unknown.hostvars(src=str(images['red.gif']), display='external')}
    run = ansible(hosts, 'display_image', marker_dir=str(tmp_path / 'markers'))
    assert run.rc != 0
    assert run.result(png.name)['msg'] == (
        "src %s is not a GIF image (a GIF starts with GIF87a or GIF89a, this file with b'\\x89PNG\\r\\n')" % images['red.png'])
    assert run.result(large.name)['msg'] == 'src %s is a 640x480 GIF, display "internal" needs 320x240' % images['large.gif']
    assert run.result(unknown.name)['msg'] == 'display "external" does not exist on this device; displays: internal'
    assert all(_shown(d) is None for d in (png, large, unknown))
