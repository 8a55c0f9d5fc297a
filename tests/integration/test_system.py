"""helios_system against emulated intercoms (restart_time is 2 s by default)."""

from __future__ import annotations

import pytest

from helios_fleet import FAMILIES, UNKNOWN_OUTCOME


def test_restart_waits_until_the_device_is_back(device, ansible):
    uptime_before = device.state()['upTime']
    run = ansible(device, 'system', state='restarted')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True
    assert result['uptime_after'] <= 1 < result['elapsed'] and result['uptime_before'] >= uptime_before
    assert device.state()['restarting'] is False


def test_a_restart_whose_reply_is_lost_is_confirmed_by_the_wait_not_asked_again(device, ansible):
    device.faults(drop_reply=1, path='/api/system/restart')
    run = ansible(device, 'system', state='restarted')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['uptime_after'] <= 1
    assert device.state()['restarting'] is False


def test_a_restart_request_lost_before_the_device_had_it_is_not_sent_again_and_the_wait_says_why(device, ansible):
    # drop: the connection closes before the device acts, which the client cannot tell from a lost reply.
    uptime_before = device.state()['upTime']
    device.faults(drop=1, path='/api/system/restart')
    run = ansible(device, 'system', state='restarted', wait_timeout=2)
    assert run.rc != 0
    message = run.result(device.name)['msg']
    assert message.startswith('the device did not come back from its restart within 2 s: the device never stopped '
                              'answering; the reply to the request was lost, so the device may never have had it '
                              '(system/restart: the connection to https://')
    assert device.state()['upTime'] >= uptime_before + 2  # not restarted, and not asked again
    assert run.result(device.name)['changed'] is False  # it never went down: nothing says it restarted


def test_without_wait_a_lost_restart_reply_fails_as_unknown(device, ansible):
    device.faults(drop_reply=1, path='/api/system/restart')
    run = ansible(device, 'system', state='restarted', wait=False)
    assert run.rc != 0
    assert run.result(device.name)['msg'].endswith(UNKNOWN_OUTCOME)


def test_factory_reset_restores_the_defaults_and_waits_until_the_device_is_back(device, ansible):
    renamed = {'WebServer': {'DeviceName': 'Renamed door'}}
    assert ansible(device, 'config', settings=renamed).result(device.name)['changed'] is True
    run = ansible(device, 'system', state='factory_reset')
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True and run.result(device.name)['uptime_after'] <= 1
    # The factory configuration again: applying the rename changes the device once more.
    again = ansible(device, 'config', check=True, settings=renamed)
    assert again.rc == 0 and again.result(device.name)['changed'] is True, again.stdout


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_does_not_restart(device, ansible):
    run = ansible(device, 'system', check=True, state='factory_reset')
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert 'uptime_after' not in run.result(device.name)
    state = device.state()
    assert state['restarting'] is False and state['upTime'] >= run.result(device.name)['uptime_before']


def test_a_device_that_does_not_come_back_fails_with_wait_timeout(device, ansible):
    device.faults(restart_extra=60)
    run = ansible(device, 'system', state='restarted', wait_timeout=3)
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith(
        'the device did not come back from its restart within 3 s: the device went down; last error: system/status: cannot connect')
    assert run.result(device.name)['changed'] is True  # it went down: it restarted, and has not come back yet
