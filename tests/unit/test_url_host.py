"""The host option: a DNS name, an IPv4 or an IPv6 address, and nothing else; the URL built from it.

What is refused, and that it is refused before any request, is tested against the emulator in
tests/integration/test_host.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.twon.helios.plugins.module_utils._client import HeliosClient
from ansible_collections.twon.helios.plugins.module_utils._connection import client_from_params, url_host
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError

PARAMS = dict(port=None, protocol='https', username=None, password=None, auth_method='none',
              allow_basic_over_http=False, validate_certs=True, ca_path=None, timeout=10.0, retries=3)
LONGEST_LABEL = 'a' * 63
# 253 characters: four labels of 63 and a dot between each, less 3
LONGEST_NAME = '.'.join([LONGEST_LABEL] * 3 + ['b' * 61])


@pytest.mark.parametrize('host, url', [
    ('door1', 'https://door1:443'),
    ('door1.example.com', 'https://door1.example.com:443'),
    ('Door-1.Example.COM', 'https://Door-1.Example.COM:443'),
    ('door1.example.com.', 'https://door1.example.com.:443'),  # fully qualified, with the root's dot
    ('1door.example', 'https://1door.example:443'),  # RFC 1123 lets a label start with a digit
    ('%s.example' % LONGEST_LABEL, 'https://%s.example:443' % LONGEST_LABEL),
    (LONGEST_NAME, 'https://%s:443' % LONGEST_NAME),
    (LONGEST_NAME + '.', 'https://%s.:443' % LONGEST_NAME),
    ('localhost', 'https://localhost:443'),
    ('192.0.2.10', 'https://192.0.2.10:443'),
    ('127.0.0.1', 'https://127.0.0.1:443'),
    ('::1', 'https://[::1]:443'),
    ('[::1]', 'https://[::1]:443'),
    ('2001:db8::10', 'https://[2001:db8::10]:443'),
    ('[2001:db8::10]', 'https://[2001:db8::10]:443'),
    ('fe80::1:2:3:4', 'https://[fe80::1:2:3:4]:443'),
    ('::ffff:192.0.2.10', 'https://[::ffff:192.0.2.10]:443'),
    ('[2001:DB8:0:0:0:0:0:10]', 'https://[2001:DB8:0:0:0:0:0:10]:443'),
])
def test_names_and_addresses_are_accepted_and_make_the_url(host, url):
    assert len(LONGEST_NAME) == 253
    with client_from_params(dict(PARAMS, host=host)) as client:
        assert client.base_url == url
    http_url = url.replace('https', 'http').replace(':443', ':8443')
    assert HeliosClient(host, port=8443, protocol='http').base_url == http_url


def test_an_ipv6_address_is_bracketed_exactly_once():
    assert url_host('::1') == url_host('[::1]') == '[::1]'
    assert HeliosClient('[2001:db8::1]', port=28443).base_url == 'https://[2001:db8::1]:28443'


@pytest.mark.parametrize('host', [
    'door.example/api/switch/ctrl?switch=2&action=on#',
    'https://door.example',
    '192.0.2.10:443',
    '[::1]:443',
    'admin@192.0.2.10',
    'a..b',
    '-door.example',
    'door-.example',
    'door_1.example',
    LONGEST_LABEL + 'a.example',  # a label of 64
    LONGEST_NAME + 'b',  # 254 characters
    LONGEST_NAME + '..',
    '.',
    '10.1',  # resolvers read a name with an all-digit last label as an IPv4 address
    '2130706433',
    '192.0.2.256',
    '[192.0.2.10]',
    '[::1',
    '[[::1]]',
    'fe80::1%eth0',
    'fe80::1%25eth0',
    'dör.example',
    'door.example\n',
    'door\x00.example',
])
def test_a_client_refuses_anything_else(host):
    # client_from_params checks the parameters first; a client made directly (the action plugin's warm-up) checks
    # its host too.
    with pytest.raises(HeliosParameterError, match='^host must be a DNS name'):
        client_from_params(dict(PARAMS, host=host))
    with pytest.raises(HeliosParameterError, match='^host must be a DNS name'):
        HeliosClient(host)


def test_the_message_shows_the_value_safely_and_hides_a_user_part():
    with pytest.raises(HeliosParameterError) as refused:
        url_host('door\x00\x1b[2J.example')
    assert str(refused.value) == (
        "host must be a DNS name, an IPv4 or an IPv6 address, without scheme, port, path, query or user (the port "
        "goes in the port option); got 'door\\x00\\x1b[2J.example'. host is taken from the host option, else the "
        "helios_host host variable, else the HELIOS_HOST environment variable, else the inventory host's "
        "ansible_host or inventory_hostname")
    with pytest.raises(HeliosParameterError, match="got '\\*\\*\\*@192.0.2.10'") as refused:
        url_host('https://admin:s3cret@192.0.2.10')
    assert 's3cret' not in str(refused.value)
    with pytest.raises(HeliosParameterError, match=r"got 'aaaa[a.]{96}'\.\.\.\.") as refused:
        url_host('a' * 1000 + '/x')
