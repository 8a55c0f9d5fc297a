"""helios_io against emulated intercoms."""

from __future__ import annotations

import pytest

from helios_fleet import FAMILIES


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_active_changes_once_then_is_idempotent(device, ansible):
    first = ansible(device, 'io', output='relay1', state='active')
    assert first.rc == 0, first.stdout
    assert first.result(device.name)['changed'] is True
    assert first.result(device.name)['output'] == {'port': 'relay1', 'type': 'output', 'state': 1}
    assert device.port_state('relay1') == 1

    second = ansible(device, 'io', output='relay1', state='active')
    assert second.rc == 0 and second.result(device.name)['changed'] is False
    assert device.port_state('relay1') == 1


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_inactive_with_diff(device, ansible):
    ansible(device, 'io', output='relay2', state='active')
    run = ansible(device, 'io', diff=True, output='relay2', state='inactive')
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert '"output": "relay2",\n-    "state": 1\n+    "state": 0' in run.stdout
    assert device.port_state('relay2') == 0


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_leaves_the_output_alone(device, ansible):
    run = ansible(device, 'io', check=True, output='relay1', state='active')
    assert run.rc == 0
    assert run.result(device.name)['changed'] is True and run.result(device.name)['output']['state'] == 1
    assert device.port_state('relay1') == 0


def test_inputs_and_unknown_ports_are_refused(devices, ansible):
    an_input, unknown = devices(2)
    hosts = {an_input.name: an_input.hostvars(output='input1'), unknown.name: unknown.hostvars(output='relay9')}
    run = ansible(hosts, 'io', state='active')
    assert run.rc != 0
    assert run.result(an_input.name)['msg'] == 'output "input1" is an input port and cannot be set; outputs: relay1, relay2'
    assert run.result(unknown.name)['msg'] == 'output "relay9" does not exist on this device; outputs: relay1, relay2'
    assert an_input.port_state('input1') == 0
