"""The host is a host: a DNS name or an IP address, refused before any request when it is anything more."""

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
