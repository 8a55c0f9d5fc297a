"""helios_switch against emulated intercoms."""

from __future__ import annotations

import pytest

from helios_fleet import FAMILIES, HTTPS_PORT, UNKNOWN_OUTCOME


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_active_changes_once_then_is_idempotent(device, ansible):
    first = ansible(device, 'switch', switch=2, state='active')
    assert first.rc == 0, first.stdout
    result = first.result(device.name)
    assert result['changed'] is True
    # current firmware also tells whether the switch is locked
    extra = {'locked': False} if device.fleet.kind == 'current' else {}
    assert result['switch'] == dict({'switch': 2, 'enabled': True, 'mode': 'bistable', 'type': 'normal', 'active': True},
                                    **extra)
    assert device.switch_active(2) is True

    second = ansible(device, 'switch', switch=2, state='active')
    assert second.rc == 0 and second.result(device.name)['changed'] is False
    assert device.switch_active(2) is True


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_inactive_and_diff(device, ansible):
    ansible(device, 'switch', switch=2, state='active')
    run = ansible(device, 'switch', diff=True, switch=2, state='inactive')
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert '-    "active": true,\n+    "active": false,' in run.stdout
    assert device.switch_active(2) is False


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_predicts_and_leaves_the_device_alone(device, ansible):
    run = ansible(device, 'switch', check=True, diff=True, switch=2, state='active')
    assert run.rc == 0
    result = run.result(device.name)
    assert result['changed'] is True and result['switch']['active'] is True
    assert '+    "active": true,' in run.stdout
    assert device.switch_active(2) is False


def test_triggered_always_acts_and_changes_the_switch_over(device, ansible):
    # switch 2 is bistable: a trigger changes it over and it stays (switch 1 would fall back after 5 s)
    for expected in (True, False):
        run = ansible(device, 'switch', switch=2, state='triggered')
        assert run.rc == 0 and run.result(device.name)['changed'] is True
        assert run.result(device.name)['switch']['active'] is expected
        assert device.switch_active(2) is expected


def test_a_trigger_whose_reply_is_lost_is_not_sent_again(device, ansible):
    # The device changes the switch over, then its reply is lost; a second trigger would change it back.
    device.faults(drop_reply=1, path='/api/switch/ctrl')
    run = ansible(device, 'switch', switch=2, state='triggered')
    assert run.rc != 0
    assert run.result(device.name)['msg'] == (
        'switch/ctrl: the connection to https://%s:%d closed before the reply: Remote end closed connection without '
        'response; %s' % (device.address, HTTPS_PORT, UNKNOWN_OUTCOME))
    assert device.switch_active(2) is True  # changed over once
    # active and inactive are not triggers: a lost reply is retried, and a second switch/ctrl changes nothing more
    device.faults(drop_reply=1, path='/api/switch/ctrl')
    run = ansible(device, 'switch', switch=2, state='inactive')
    assert run.rc == 0 and run.result(device.name)['changed'] is True, run.stdout
    assert device.switch_active(2) is False


def test_unknown_and_disabled_switches_are_refused_before_any_control(devices, ansible):
    unknown, disabled = devices(2)
    hosts = {unknown.name: unknown.hostvars(switch=9), disabled.name: disabled.hostvars(switch=3)}
    run = ansible(hosts, 'switch', state='active')
    assert run.rc != 0
    assert run.result(unknown.name)['msg'] == 'switch 9 does not exist on this device; enabled switches: 1, 2'
    assert run.result(disabled.name)['msg'] == 'switch 3 is disabled in the device configuration; enabled switches: 1, 2'
    assert [s['active'] for s in disabled.state()['switches']] == [False] * 4


def test_bad_state_names_the_allowed_values(device, ansible):
    run = ansible(device, 'switch', switch=1, state='open')
    assert run.rc != 0
    assert 'value of state must be one of: active, inactive, triggered, got: open' in run.result(device.name)['msg']


def test_an_active_monostable_switch_is_left_alone(device, ansible):
    # a long switchOnDuration keeps the switch active for the whole test, however slow the machine
    configured = ansible(device, 'config', settings={'Switches': {'Switch': [{'At': 0, 'SwitchOnDuration': 600}]}})
    assert configured.rc == 0, configured.stdout
    first = ansible(device, 'switch', switch=1, state='active')
    assert first.rc == 0 and first.result(device.name)['changed'] is True
    assert first.result(device.name)['switch']['mode'] == 'monostable'
    second = ansible(device, 'switch', switch=1, state='active')
    assert second.rc == 0 and second.result(device.name)['changed'] is False
    assert device.switch_active(1) is True
