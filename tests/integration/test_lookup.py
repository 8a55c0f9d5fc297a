"""The lookup twon.helios.helios_info: the module's information in a template, with the modules' connection options."""

from __future__ import annotations

from helios_fleet import ADMIN


def test_lookup_reads_with_the_inventory_and_the_environment(device, ansible):
    # as the getting-started guide has it: the account in the environment, the rest in host variables
    hostvars = device.hostvars(helios_ca_path=device.fleet.ca_path)
    del hostvars['helios_username'], hostvars['helios_password']
    run = ansible({device.name: hostvars}, 'lookup_info', terms=['system'],
                  env={'HELIOS_USERNAME': ADMIN['username'], 'HELIOS_PASSWORD': ADMIN['password']})
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['msg']['system']['serialNumber'] == device.serial_number
    assert ADMIN['password'] not in run.stdout
    queried = ansible({device.name: device.hostvars(helios_ca_path=device.fleet.ca_path)}, 'lookup_info', terms=['switches'],
                      info_query='switches[0].switch')
    assert queried.rc == 0 and queried.result(device.name)['msg'] == 1, queried.stdout


def test_lookup_takes_the_address_from_helios_host_in_the_environment(device, ansible):
    hostvars = device.hostvars(helios_ca_path=device.fleet.ca_path)
    del hostvars['ansible_host']
    run = ansible({'lobby': hostvars}, 'lookup_info', env={'HELIOS_HOST': device.address}, terms=['system'])
    assert run.rc == 0, run.stdout
    assert run.result('lobby')['msg']['system']['serialNumber'] == device.serial_number


def test_lookup_fails_naming_the_option(device, ansible):
    run = ansible({device.name: device.hostvars(helios_ca_path=device.fleet.ca_path, helios_port=70000)}, 'lookup_info')
    assert run.rc != 0
    assert 'twon.helios.helios_info: port must be between 1 and 65535, got 70000' in run.stdout, run.stdout
