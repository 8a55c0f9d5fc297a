"""Ad-hoc commands (`ansible intercoms -m twon.helios.<module>`): the same in-process path as in a playbook."""

from __future__ import annotations

import pytest


def adhoc_hosts(fleet):
    # Ad-hoc commands have no play to set module_defaults in: the tests' lack of certificate validation is a host var.
    return {d.name: d.hostvars(helios_validate_certs=False) for d in fleet}


@pytest.mark.parametrize('in_process', ['true', 'false'])
def test_adhoc_switch_changes_then_is_idempotent_and_check_mode_touches_nothing(devices, ansible, in_process):
    fleet = devices(2)
    hosts = adhoc_hosts(fleet)
    env = {'HELIOS_ACTION_IN_PROCESS': in_process}
    switch_on = ('twon.helios.helios_switch', 'switch=2 state=active')

    first = ansible(hosts, None, adhoc=switch_on, env=env)
    assert first.rc == 0, first.stdout
    assert all(first.result(d.name)['changed'] and d.switch_active(2) for d in fleet)
    assert '%s | CHANGED' % fleet[0].name in first.stdout

    again = ansible(hosts, None, adhoc=switch_on, env=env)
    assert again.rc == 0 and not any(again.result(d.name)['changed'] for d in fleet), again.stdout

    check = ansible(hosts, None, adhoc=('twon.helios.helios_switch', 'switch=2 state=inactive'), check=True, diff=True, env=env)
    assert check.rc == 0, check.stdout
    assert all(check.result(d.name)['changed'] for d in fleet)
    assert all(d.switch_active(2) for d in fleet)  # read back through the API: still on
    assert '-    "active": true,' in check.stdout and '+    "active": false,' in check.stdout


def test_adhoc_info_query_and_a_bad_switch(devices, ansible):
    fleet = devices(2)
    hosts = adhoc_hosts(fleet)
    info = ansible(hosts, None, adhoc=('twon.helios.helios_info', 'gather_subset=system query=system.serialNumber'))
    assert info.rc == 0, info.stdout
    serials = {info.result(d.name)['query_result'] for d in fleet}
    assert len(serials) == 2 and all(serials)

    bad = ansible(hosts, None, adhoc=('twon.helios.helios_switch', 'switch=9 state=active'))
    assert bad.rc != 0
    assert all(bad.result(d.name)['msg'] == 'switch 9 does not exist on this device; enabled switches: 1, 2' for d in fleet)
