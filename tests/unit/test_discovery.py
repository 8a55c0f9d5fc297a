"""Discovery's pure pieces (plugin_utils/_discovery.py): which addresses a source names, waves, host names.

What is probed and what becomes of each answer is tested against emulated fleets in tests/integration/test_inventory.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.plugin_utils import _discovery


def only(targets):
    return [address for address, _explicit in targets]


@pytest.mark.parametrize('ranges, expected', [
    (['192.0.2.0/30'], ['192.0.2.1', '192.0.2.2']),  # without network and broadcast addresses
    (['192.0.2.8/31'], ['192.0.2.8', '192.0.2.9']),
    (['192.0.2.7/32'], ['192.0.2.7']),
    (['192.0.2.7'], ['192.0.2.7']),
    (['192.0.2.254-192.0.3.1'], ['192.0.2.254', '192.0.2.255', '192.0.3.0', '192.0.3.1']),
    ([' 192.0.2.1 - 192.0.2.2 '], ['192.0.2.1', '192.0.2.2']),
    (['192.0.2.5/30'], ['192.0.2.5', '192.0.2.6']),  # host bits set: the network it is in
    (['2001:db8::/126'], ['2001:db8::1', '2001:db8::2', '2001:db8::3']),
    (['2001:db8::fffe-2001:db8::1:1'], ['2001:db8::fffe', '2001:db8::ffff', '2001:db8::1:0', '2001:db8::1:1']),
    (['192.0.2.1-192.0.2.2', '192.0.2.2-192.0.2.3'], ['192.0.2.1', '192.0.2.2', '192.0.2.3']),  # each once
])
def test_ranges(ranges, expected):
    targets = _discovery.addresses([], ranges)
    assert only(targets) == expected
    assert not any(explicit for _address, explicit in targets)


def test_hosts_come_first_and_are_explicit():
    targets = _discovery.addresses(['door.example.com', '[2001:db8::1]', '192.0.2.1'], ['192.0.2.1-192.0.2.2'])
    assert targets == [('door.example.com', True), ('2001:db8::1', True), ('192.0.2.1', True), ('192.0.2.2', False)]


@pytest.mark.parametrize('ranges, reason', [
    (['192.0.2.9-192.0.2.1'], 'its end comes before its start'),
    (['192.0.2.1-2001:db8::1'], 'its ends are not of one IP version'),
    (['192.0.2.0/33'], "'192.0.2.0/33' is not an address range"),
    (['door.example.com'], "'door.example.com' is not an address range"),
    (['192.0.2.1-'], "'192.0.2.1-' is not an address range"),
])
def test_bad_ranges_name_the_option(ranges, reason):
    with pytest.raises(HeliosParameterError) as raised:
        _discovery.addresses([], ranges)
    message = str(raised.value)
    assert message.startswith('ranges: ') and reason in message
    assert 'CIDR network' in message


@pytest.mark.parametrize('host', ['https://door', 'door:443', 'admin:pw@door', 'door/x', '', 'fe80::1%eth0'])
def test_bad_hosts_name_the_option(host):
    with pytest.raises(HeliosParameterError, match=r'^hosts: .* is not a host: each item must be a DNS name') as raised:
        _discovery.addresses([host], [])
    assert 'pw' not in str(raised.value)


def test_an_endless_scan_is_refused_before_it_starts():
    with pytest.raises(HeliosParameterError, match=r"^ranges: '2001:db8::/64' makes more than 65536 addresses"):
        _discovery.addresses([], ['2001:db8::/64'])
    assert len(_discovery.addresses([], ['10.0.0.0/16'])) == 65534


def test_waves_are_stable_and_spread():
    serials = ['54-2711-%04d' % index for index in range(1, 1001)]
    waves = [_discovery.wave(serial, 4) for serial in serials]
    assert waves == [_discovery.wave(serial, 4) for serial in serials]
    assert set(waves) == {1, 2, 3, 4}
    assert all(200 <= waves.count(wave) <= 300 for wave in (1, 2, 3, 4))
    # a device's wave does not depend on the others: known values keep it so across releases
    assert _discovery.wave('54-2711-0001', 4) == _discovery.wave('54-2711-0001', 4)
    assert _discovery.wave('x', 1) == 1


@pytest.mark.parametrize('name, expected', [
    ('2N Helios IP Verso', '2n-helios-ip-verso'),
    ('Lobby / Door #1', 'lobby-door-1'),
    ('  door_1.site-a ', 'door_1.site-a'),
    ('Vchod č. 2', 'vchod-c-2'),
    ('Entrance 1', 'entrance-1'),
    ('***', ''),
    (None, ''),
])
def test_sanitised(name, expected):
    assert _discovery.sanitised(name) == expected


def device(address, serial, name):
    return dict(address=address, port=443, protocol='https',
                info=dict(variant='2N Helios IP Verso', serialNumber=serial, hwVersion='535v1', swVersion='2.11.0.22.1',
                          buildType='', deviceName=name))


def test_shared_names_all_get_the_serial_number():
    devices = [device('192.0.2.1', '54-2711-0001', 'Verso'), device('192.0.2.2', '54-2711-0002', 'Lobby'),
               device('192.0.2.3', '54-2711-0003', 'Verso'), device('192.0.2.4', '54-2711-0004', '')]
    names = _discovery.host_names(devices, lambda d: d['info']['deviceName'])
    assert names == ['verso-54-2711-0001', 'lobby', 'verso-54-2711-0003', '192.0.2.4']
    # whatever order the devices answered in
    assert _discovery.host_names(devices[::-1], lambda d: d['info']['deviceName']) == names[::-1]


def test_host_variables():
    found = device('192.0.2.1', '54-2711-0001', 'Lobby')
    assert _discovery.host_variables(found) == dict(
        ansible_host='192.0.2.1', helios_port=443, helios_protocol='https', helios_model='2N Helios IP Verso',
        helios_serial_number='54-2711-0001', helios_hw_version='535v1', helios_sw_version='2.11.0.22.1',
        helios_build_type='', helios_device_name='Lobby')
    found['info']['macAddr'] = '7C-1E-B3-00-00-01'
    variables = _discovery.host_variables(found, waves=3)
    assert variables['helios_mac_address'] == '7C-1E-B3-00-00-01'
    assert variables['helios_wave'] == _discovery.wave('54-2711-0001', 3)


def test_connection_options_are_checked_as_the_modules_check_them():
    base = dict(port=None, protocol='https', username='admin', password='secret', auth_method='digest',
                allow_basic_over_http=False, validate_certs=True, ca_path=None, timeout=5.0, retries=0)
    assert _discovery.connection_params(base)['username'] == 'admin'
    with pytest.raises(HeliosParameterError, match='auth_method is digest but all of the following are missing: '
                                                   'password'):
        _discovery.connection_params(dict(base, password=None))
    with pytest.raises(HeliosParameterError, match=r'^port must be between 1 and 65535, got 70000$'):
        _discovery.connection_params(dict(base, port=70000))
    with pytest.raises(HeliosParameterError, match=r'^timeout must be more than 0'):
        _discovery.connection_params(dict(base, timeout=0))
