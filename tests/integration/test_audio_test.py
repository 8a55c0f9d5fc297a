"""helios_audio_test against emulated intercoms: current firmware starts the test each run; 2.11 lacks the function."""

from __future__ import annotations

import time

from helios_fleet import UNKNOWN_OUTCOME


def _last_event(device):
    return device.state()['log']['last_id']


def _wait_for_event_after(device, last, timeout=10):
    deadline = time.monotonic() + timeout
    while _last_event(device) == last and time.monotonic() < deadline:
        time.sleep(0.1)
    return _last_event(device)


def test_each_run_starts_the_test_and_reports_changed(fleets, ansible):
    device = fleets['current'].take()[0]
    for _run in range(2):  # an event, not a state: the second run starts it again
        last = _last_event(device)
        run = ansible(device, 'audio_test')
        assert run.rc == 0, run.stdout
        assert run.result(device.name)['changed'] is True and run.result(device.name)['sent'] is True
        # the device's AudioLoopTest event tells the test ran
        assert _wait_for_event_after(device, last) > last


def test_check_mode_does_not_start_the_test(fleets, ansible):
    device = fleets['current'].take()[0]
    last = _last_event(device)
    run = ansible(device, 'audio_test', check=True)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True and run.result(device.name)['sent'] is False
    time.sleep(1.5)  # an audio test's event arrives a second after it was started
    assert _last_event(device) == last


def test_a_lost_reply_is_not_sent_again(fleets, ansible):
    device = fleets['current'].take()[0]
    device.faults(drop_reply=1, path='/api/audio/test')
    run = ansible(device, 'audio_test')
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith('audio/test: the connection to https://')
    assert run.result(device.name)['msg'].endswith(UNKNOWN_OUTCOME)


def test_2_11_firmware_fails_naming_the_function_and_version(device, ansible):
    run = ansible(device, 'audio_test')
    assert run.rc != 0 and 'Traceback' not in run.stdout
    result = run.result(device.name)
    assert result['msg'] == ('helios_audio_test needs firmware with /api/audio/test (current firmware); this device '
                             'runs 2.11.0.22.1')
    assert result['changed'] is False
