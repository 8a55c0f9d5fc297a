"""helios_firmware against emulated intercoms: upload, version checks, apply, restart, faults."""

from __future__ import annotations

import subprocess
import time

import pytest

from helios_fleet import BIN, CURRENT_VERSION, FAMILIES

RUNNING = '2.11.0.22.1'  # the emulator's default firmware
NEWER, OLDER = '2.12.0.1.1', '2.10.0.5.1'
CURRENT_NEWER = '2.51.0.1.1'
# fleet kind -> (the version its devices run, a newer one, the image of that)
VERSIONS = {'default': (RUNNING, NEWER, 'newer'), 'current': (CURRENT_VERSION, CURRENT_NEWER, 'current_newer')}


@pytest.fixture(scope='session')
def images(tmp_path_factory):
    """Firmware images the emulator accepts, plus a corrupt one and one for another device variant."""
    directory = tmp_path_factory.mktemp('firmware')
    made = {}
    for name, version, variant in (('newer', NEWER, None), ('older', OLDER, None), ('current', RUNNING, None),
                                   ('foreign', NEWER, '2N Helios IP Force'), ('current_newer', CURRENT_NEWER, None),
                                   ('current_firmware', CURRENT_VERSION, None)):
        made[name] = str(directory / ('%s.fw' % name))
        command = [str(BIN / 'helios-emulator'), 'firmware', '--version', version, '--output', made[name]]
        subprocess.run(command + (['--variant', variant] if variant else []), check=True)
    corrupt = bytearray(open(made['newer'], 'rb').read())
    corrupt[-100] ^= 0xFF
    made['corrupt'] = str(directory / 'corrupt.fw')
    open(made['corrupt'], 'wb').write(bytes(corrupt))
    return made


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_upgrade_applies_waits_and_verifies_then_is_idempotent(device, ansible, images):
    running, newer, image = VERSIONS[device.fleet.kind]
    run = ansible(device, 'firmware', src=images[image], version=newer)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True
    assert (result['previous_version'], result['version'], result['downgrade']) == (running, newer, False)
    assert set(result['timings']) == {'upload', 'restart', 'total'} and result['timings']['restart'] >= 1.5
    state = device.state()
    assert state['swVersion'] == newer and state['upTime'] < 10
    again = ansible(device, 'firmware', src=images[image], version=newer)
    assert again.rc == 0 and again.result(device.name)['changed'] is False
    assert 'already runs %s; nothing uploaded' % newer in again.result(device.name)['msg']


def test_an_upgrade_to_current_firmware_brings_its_functions(device, ansible, images):
    before = ansible(device, 'info', gather_subset=['system'])
    assert 'audio/test' in before.result(device.name)['unavailable']
    run = ansible(device, 'firmware', src=images['current_firmware'], version=CURRENT_VERSION)
    assert run.rc == 0 and run.result(device.name)['changed'] is True, run.stdout
    after = ansible(device, 'info', gather_subset=['system'])
    assert after.rc == 0 and after.result(device.name)['unavailable'] == {}, after.stdout
    assert after.result(device.name)['info']['system']['macAddr']


def test_a_lost_reply_to_apply_is_not_applied_again_and_the_wait_confirms_the_upgrade(device, ansible, images):
    # The device applies the image and restarts, but its reply is lost; a second apply would find nothing to apply.
    device.faults(drop_reply=1, path='/api/firmware/apply')
    run = ansible(device, 'firmware', src=images['newer'], version=NEWER)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True and device.state()['swVersion'] == NEWER


def test_without_wait_the_task_returns_once_the_image_is_applied(device, ansible, images):
    run = ansible(device, 'firmware', src=images['newer'], version=NEWER, wait=False)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['version'] == NEWER and 'restart' not in result['timings']
    # The device restarts into the new version by itself; the task did not wait for it.
    deadline = time.monotonic() + 30
    while True:
        try:
            if device.state()['swVersion'] == NEWER:
                break
        except OSError:
            pass  # down while it restarts
        assert time.monotonic() < deadline, 'the device did not come back with %s' % NEWER
        time.sleep(0.2)


def test_without_version_the_uploaded_image_tells_and_the_running_one_is_not_applied(device, ansible, images):
    run = ansible(device, 'firmware', src=images['current'])
    assert run.rc == 0 and run.result(device.name)['changed'] is False
    assert run.result(device.name)['msg'] == 'the device already runs %s; image uploaded but not applied' % RUNNING
    state = device.state()
    assert state['swVersion'] == RUNNING and state['pendingFirmware'] == RUNNING and not state['restarting']


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_uploads_nothing(device, ansible, images):
    running, newer, image = VERSIONS[device.fleet.kind]
    run = ansible(device, 'firmware', check=True, diff=True, src=images[image], version=newer)
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert '-    "swVersion": "%s"' % running in run.stdout and '+    "swVersion": "%s"' % newer in run.stdout
    state = device.state()
    assert state['swVersion'] == running and state['pendingFirmware'] is None


@pytest.mark.parametrize('image', ['corrupt', 'foreign'])
def test_corrupt_or_foreign_image_is_refused_and_nothing_applied(device, ansible, images, image):
    run = ansible(device, 'firmware', src=images[image])
    assert run.rc != 0
    result = run.result(device.name)
    assert result['msg'] == 'firmware: invalid parameter value (code 12, param "blob-fw")'
    assert result['error']['code'] == 12
    state = device.state()
    assert state['swVersion'] == RUNNING and state['pendingFirmware'] is None


def test_downgrade_is_refused_before_apply_unless_allowed(device, ansible, images):
    refused = ansible(device, 'firmware', src=images['older'], version=OLDER)
    assert refused.rc != 0
    assert 'is older than the running %s; set allow_downgrade' % RUNNING in refused.result(device.name)['msg']
    assert device.state()['swVersion'] == RUNNING
    allowed = ansible(device, 'firmware', src=images['older'], version=OLDER, allow_downgrade=True)
    assert allowed.rc == 0 and allowed.result(device.name)['downgrade'] is True
    assert device.state()['swVersion'] == OLDER


def test_stated_version_must_match_the_image(device, ansible, images):
    run = ansible(device, 'firmware', src=images['newer'], version='2.13.0.0.0')
    assert run.rc != 0
    assert 'carries version %s, not the expected 2.13.0.0.0; nothing applied' % NEWER in run.result(device.name)['msg']
    assert device.state()['swVersion'] == RUNNING


def test_a_device_that_never_comes_back_fails_clearly_and_the_others_finish(devices, ansible, images):
    stuck, fine = devices(2)
    stuck.faults(restart_extra=1000)
    run = ansible([stuck, fine], 'firmware', src=images['newer'], version=NEWER, wait_timeout=6)
    assert run.rc != 0
    message = run.result(stuck.name)['msg']
    assert message.startswith('the device did not come back from its restart within 6 s: the device went down')
    # the image was applied: the device changed even though the task failed waiting for it
    assert run.result(stuck.name)['changed'] is True and run.results(stuck.name)[-1]['status'] == 'failed'
    assert run.result(fine.name)['changed'] is True and fine.state()['swVersion'] == NEWER


def test_missing_image_is_a_clear_parameter_error(device, ansible):
    run = ansible(device, 'firmware', src='/nonexistent/helios.fw')
    assert run.rc != 0 and run.result(device.name)['msg'] == (
        'src: /nonexistent/helios.fw does not exist; give the path of an existing file')
