"""The playbook twon.helios.door_alarm (run by the example rulebook) acts only on the intercom the event came from."""

from __future__ import annotations

import pytest
import requests
from helios_fleet import ADMIN, HTTPS_PORT
from requests.auth import HTTPDigestAuth


def _event(device, **device_fields):
    fields = dict(name=device.name, host=device.address)
    fields.update(device_fields)
    return {'event': {'helios': {'kind': 'event', 'type': 'UnauthorizedDoorOpen', 'id': 7, 'device': fields}}}


def _hosts(*devices):
    return {d.name: d.hostvars(helios_ca_path=d.fleet.ca_path, helios_alarm_switch=2) for d in devices}


def _unlock(*devices):
    """Switch 2 (bistable) on: the door held unlocked, so the test sees whether the playbook made it safe."""
    for device in devices:
        reply = requests.get('https://%s:%d/api/switch/ctrl' % (device.address, HTTPS_PORT),
                             params=dict(switch=2, action='on'), verify=device.fleet.ca_path, timeout=10,
                             auth=HTTPDigestAuth(ADMIN['username'], ADMIN['password']))
        assert reply.json()['success'], reply.text


def test_the_intercom_that_raised_the_event_is_made_safe_and_no_other(devices, ansible, tmp_path):
    door, bystander = devices(2)
    _unlock(door, bystander)
    run = ansible(_hosts(door, bystander), None, playbook='twon.helios.door_alarm', ansible_eda=_event(door),
                  helios_alarm_snapshot_dir=str(tmp_path / 'snapshots'), helios_alarm_snapshot_width=320,
                  helios_alarm_snapshot_height=240)
    assert run.rc == 0, run.stdout
    assert door.switch_active(2) is False
    assert bystander.switch_active(2) is True
    assert [p.name for p in (tmp_path / 'snapshots').iterdir()] == ['%s-UnauthorizedDoorOpen-7.jpg' % door.name]


@pytest.mark.parametrize('mismatch', ['address', 'pattern'])
def test_an_event_that_does_not_name_exactly_the_inventory_host_at_its_address_acts_nowhere(mismatch, devices, ansible,
                                                                                            tmp_path):
    door, bystander = devices(2)
    _unlock(door, bystander)
    if mismatch == 'address':
        # the rulebook's inventory puts the event's name at another address than the one the source watched
        event = _event(door, host=bystander.address)
    else:
        # a name that is a host pattern would match several intercoms
        event = _event(door, name='%s,%s' % (door.name, bystander.name))
    run = ansible(_hosts(door, bystander), None, playbook='twon.helios.door_alarm', ansible_eda=event,
                  helios_alarm_snapshot_dir=str(tmp_path / 'snapshots'))
    assert run.rc != 0, run.stdout
    assert 'nothing was done' in run.stdout
    assert door.switch_active(2) is True and bystander.switch_active(2) is True
    assert not (tmp_path / 'snapshots').exists()
