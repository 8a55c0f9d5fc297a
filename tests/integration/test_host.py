"""The host is a host: a DNS name or an IP address, refused before any request when it is anything more; and a
reply that is not what the HTTP API documents fails the task, never an empty success."""

from __future__ import annotations

import pytest
from helios_fleet import HTTPS_PORT

IN_PROCESS = {'true': 'in-process', 'false': 'module'}
# What a read-only helios_info did with this host: the URL's path, query and fragment came from it, so it asked
# the device to switch switch 2 on, and reported ok with system: {}.
ATTACK = '%s:' + str(HTTPS_PORT) + '/api/switch/ctrl?switch=2&action=on#'
REFUSED = ("host must be a DNS name, an IPv4 or an IPv6 address, without scheme, port, path, query or user (the port "
           "goes in the port option); got %s. host is taken from the host option, else the helios_host host variable, "
           "else the HELIOS_HOST environment variable, else the inventory host's ansible_host or inventory_hostname")


def api_requests(device):
    return device.state()['traffic']['requests']


def assert_refused_before_any_request(run, device, shown, requests_before):
    assert run.rc != 0, run.stdout
    result = run.result(device.name)
    assert result['msg'] == REFUSED % shown
    assert 'system' not in result.get('info', {})
    assert api_requests(device) == requests_before
    assert device.switch_active(2) is False


@pytest.mark.parametrize('in_process', IN_PROCESS, ids=IN_PROCESS.get)
def test_a_host_with_a_url_path_in_the_task_option_switches_nothing(device, ansible, in_process):
    before = api_requests(device)
    host = ATTACK % device.address
    run = ansible(device, 'info_at', env={'HELIOS_ACTION_IN_PROCESS': in_process}, info_host=host)
    assert_refused_before_any_request(run, device, repr(host), before)


@pytest.mark.parametrize('variable', ['ansible_host', 'helios_host'])
def test_a_host_with_a_url_path_in_the_inventory_switches_nothing(device, ansible, variable):
    before = api_requests(device)
    host = ATTACK % device.address
    run = ansible({device.name: device.hostvars(**{variable: host})}, 'info', gather_subset=['system'])
    assert_refused_before_any_request(run, device, repr(host), before)


def test_a_host_with_a_url_path_in_helios_host_of_the_environment_switches_nothing(device, ansible):
    before = api_requests(device)
    host = ATTACK % device.address
    run = ansible(device, 'info', env={'HELIOS_HOST': host}, gather_subset=['system'])
    assert_refused_before_any_request(run, device, repr(host), before)


# name -> (host, as the message shows it); ADDRESS is the device's address
BAD_HOSTS = {
    'scheme': ('https://ADDRESS', "'https://ADDRESS'"),
    'path': ('ADDRESS/x', "'ADDRESS/x'"),
    'query': ('ADDRESS?switch=2&action=on', "'ADDRESS?switch=2&action=on'"),
    'fragment': ('ADDRESS#top', "'ADDRESS#top'"),
    'user': ('admin:2n@ADDRESS', "'***@ADDRESS'"),  # a password in it is not shown
    'port': ('ADDRESS:%d' % HTTPS_PORT, "'ADDRESS:%d'" % HTTPS_PORT),
    'space': ('ADDRESS ', "'ADDRESS '"),
    'empty label': ('door..example', "'door..example'"),
    'unclosed IPv6': ('[::1', "'[::1'"),
    'IPv6 with port': ('[::1]:%d' % HTTPS_PORT, "'[::1]:%d'" % HTTPS_PORT),
    'null byte': ('ADDRESS\x00', "'ADDRESS\\x00'"),
    'newline': ('ADDRESS\nHost: evil', "'ADDRESS\\nHost: evil'"),
}


@pytest.mark.parametrize('name', BAD_HOSTS)
def test_anything_but_a_name_or_an_address_is_refused_before_any_request(device, ansible, name):
    host, shown = (text.replace('ADDRESS', device.address) for text in BAD_HOSTS[name])
    before = api_requests(device)
    run = ansible(device, 'info_at', info_host=host)
    assert_refused_before_any_request(run, device, shown, before)


# helios_info's functions -> the first field the manual documents for its result
INFO_FUNCTIONS = {
    'system/info': 'variant',
    'system/status': 'systemTime',
    'switch/caps': 'switches[].switch',
    'switch/status': 'switches[].switch',
    'io/caps': 'ports[].port',
    'io/status': 'ports[].port',
    'phone/status': 'accounts[].account',
    'call/status': 'sessions[].session',
    'camera/caps': 'jpegResolution[].width',
    'display/caps': 'displays[].display',
}


def lacks(function, field):
    return "%s: the device's reply lacks result.%s: not the reply the HTTP API documents" % (function, field)


def test_info_fails_on_a_reply_without_the_documented_result(devices, ansible):
    # each device answers one function with a bare success
    faulty = dict(zip(INFO_FUNCTIONS, devices(len(INFO_FUNCTIONS)), strict=True))
    for function, device in faulty.items():
        device.faults(reply={'success': True}, path='/api/' + function)
    run = ansible(list(faulty.values()), 'info')
    assert run.rc != 0
    for function, device in faulty.items():
        result = run.result(device.name)
        assert result['msg'] == lacks(function, INFO_FUNCTIONS[function]), result


def test_info_fails_on_a_reply_with_part_of_the_result(device, ansible):
    device.faults(reply={'success': True, 'result': {'variant': '2N IP Verso', 'swVersion': '2.11.0.0.1'}},
                  path='/api/system/info')
    run = ansible(device, 'info', gather_subset=['system'])
    assert run.result(device.name)['msg'] == lacks('system/info', 'serialNumber')


@pytest.mark.parametrize('reply, message', [
    ({'success': True}, lacks('switch/status', 'switches[].switch')),
    ({'success': True, 'result': {'switches': [{'switch': 2}]}}, lacks('switch/status', 'switches[].active')),
    ({'success': True, 'result': {'switches': []}},
     "switch/status: the device's reply holds 0 items in result.switches for switch=2, not one: "
     "not the reply the HTTP API documents"),
], ids=['no result', 'no active', 'no switch'])
def test_switch_fails_on_a_status_reply_without_the_documented_result(device, ansible, reply, message):
    device.faults(reply=reply, path='/api/switch/status')
    run = ansible(device, 'switch', switch=2, state='active')
    assert run.rc != 0
    assert run.result(device.name)['msg'] == message
    assert device.switch_active(2) is False


def test_io_fails_on_a_status_reply_without_the_documented_result(device, ansible):
    device.faults(reply={'success': True}, path='/api/io/status')
    run = ansible(device, 'io', output='relay1', state='active')
    assert run.rc != 0
    assert run.result(device.name)['msg'] == lacks('io/status', 'ports[].port')
    assert device.port_state('relay1') == 0
