# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options every module shares, and the client they describe.

Documented once in the doc fragment twon.helios._connection; keep the two in step.
Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import ipaddress
import os
import re

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.twon.helios.plugins.module_utils._client import (
    HAS_REQUESTS,
    HeliosClient,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._options import check_values

ENV_PREFIX = 'HELIOS_'

# RFC 1123 host name: dot-separated labels of letters, digits and hyphens, 1-63 characters each, neither starting nor
# ending with a hyphen; at most 253 characters, plus an optional trailing dot.
_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
_HOST_NAME = re.compile(r'%s(?:\.%s)*' % (_LABEL, _LABEL))
# Longest host value a message shows whole.
_SHOWN_HOST_LENGTH = 100
_HOST_ALLOWED = ('a DNS name, an IPv4 or an IPv6 address, without scheme, port, path, query or user (the port goes '
                 'in the port option)')
_HOST_SOURCES = ('the host option, else the helios_host host variable, else the HELIOS_HOST environment variable, '
                 'else the inventory host\'s ansible_host or inventory_hostname')


def _with_env_fallback(options):
    """Give every option the fallback HELIOS_<OPTION> (AWX/AAP credentials inject environment variables)."""
    return {name: dict(spec, fallback=(env_fallback, [ENV_PREFIX + name.upper()])) for name, spec in options.items()}


# range: checked by _options.check_values (Ansible never sees the key); ca_path is checked in check_connection_params,
# since it is ignored without validate_certs.
CONNECTION_OPTIONS = _with_env_fallback(dict(
    host=dict(type='str'),
    port=dict(type='int', range=dict(min=1, max=65535)),
    protocol=dict(type='str', default='https', choices=['https', 'http']),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    auth_method=dict(type='str', default='digest', choices=['digest', 'basic', 'none', 'auto']),
    allow_basic_over_http=dict(type='bool', default=False),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=10.0, range=dict(above=0, max=3600, unit='seconds')),
    retries=dict(type='int', default=3, range=dict(min=0, max=10)),
))

CONNECTION_REQUIRED_IF = [
    ('auth_method', 'digest', ('username', 'password')),
    ('auth_method', 'basic', ('username', 'password')),
]


def _shown_host(value):
    """value for a message: quoted, control characters escaped, any user part (it may hold a password) hidden."""
    user, at, rest = value.rpartition('@')
    shown = '***@' + rest if at else value
    if len(shown) > _SHOWN_HOST_LENGTH:
        return repr(shown[:_SHOWN_HOST_LENGTH]) + '...'
    return repr(shown)


def url_host(value):
    """host as the host part of a URL (an IPv6 address in brackets); HeliosParameterError unless it is a DNS name,
    an IPv4 address or an IPv6 address, with or without brackets, and nothing else.

    The host is put into every request's URL: anything more (a scheme, a port, a path, a query, a fragment, a user)
    would change where the requests go, so it is refused before any request.
    """
    # No spaces, control or non-ASCII characters, and no IPv6 zone index (ipaddress takes anything after a %).
    if isinstance(value, str) and value.isascii() and value.isprintable() and not set(value) & set(' %'):
        bracketed = value.startswith('[') and value.endswith(']')
        try:
            address = ipaddress.ip_address(value[1:-1] if bracketed else value)
        except ValueError:
            address = None
        if address is not None and address.version == 6:
            return '[%s]' % (value[1:-1] if bracketed else value)
        if address is not None and not bracketed:
            return value
        # A name whose last label is all digits is no host name (RFC 1123 2.1, RFC 3696 2): resolvers read 10.1 or
        # 2130706433 as IPv4 addresses.
        name = value[:-1] if value.endswith('.') else value
        if len(name) <= 253 and _HOST_NAME.fullmatch(name) and not name.rpartition('.')[2].isdigit():
            return value
    raise HeliosParameterError('host must be %s; got %s. host is taken from %s' % (
        _HOST_ALLOWED, _shown_host(str(value)), _HOST_SOURCES))


def adopted_auth_scheme(challenge, protocol, allow_basic_over_http, function):
    """auth_method auto: the scheme (digest or basic) named in the device's first WWW-Authenticate challenge, None for
    a scheme the collection does not speak; HeliosParameterError for Basic over http unless allow_basic_over_http (the
    password would go in clear text, so it is not sent). The one policy of the modules' client and the event source."""
    scheme = challenge.split(None, 1)[0].lower() if challenge.strip() else ''
    if scheme == 'basic' and protocol == 'http' and not allow_basic_over_http:
        raise HeliosParameterError(
            '%s: the service asks for Basic authentication, which over protocol http would send the password in '
            'clear text, so it was not sent; set protocol to https, or allow_basic_over_http to true to send it '
            'anyway' % function)
    return scheme if scheme in ('digest', 'basic') else None


def check_connection_params(params):
    """HeliosError if validated connection parameters cannot work."""
    if not HAS_REQUESTS:
        raise HeliosError(missing_required_lib('requests'))
    check_connection_values(params)


def check_connection_values(params, options=None):
    """HeliosParameterError if validated connection parameters cannot work, whatever the HTTP client.

    options: the connection option specs the parameters were validated with (default: all of CONNECTION_OPTIONS);
    the Event-Driven Ansible source, whose HTTP client is aiohttp, checks its subset with this.
    """
    if not params['host']:
        # A playbook task always has one (the action plugin defaults it to the inventory host's address).
        raise HeliosParameterError('host is required: set the host option or the HELIOS_HOST environment variable')
    url_host(params['host'])  # before the generic checks: its message says what a host may be
    check_values(CONNECTION_OPTIONS if options is None else options, params)
    ca_path = params.get('ca_path')
    if params['validate_certs'] and params['protocol'] == 'https' and ca_path is not None:
        # requests would fail every request with "Could not find a suitable TLS CA certificate bundle"
        if not os.path.exists(ca_path):
            raise HeliosParameterError('ca_path: %s does not exist; set it to the PEM file of the CA that signed the '
                                       "device's certificate (or set validate_certs to false)" % ca_path)
        if not os.access(ca_path, os.R_OK):
            raise HeliosParameterError('ca_path: %s cannot be read (permission denied); make it readable for the '
                                       'user that runs the task' % ca_path)


def connection_of(params):
    """What identifies a device session: HeliosClient's arguments other than timeout, retries and relay."""
    return dict((name, params[name]) for name in (
        'host', 'port', 'protocol', 'username', 'password', 'auth_method', 'allow_basic_over_http', 'validate_certs',
        'ca_path'))


def client_from_params(params, relay=None):
    """A HeliosClient for validated module parameters; HeliosError if the options cannot work.

    relay: see HeliosClient (the action plugin passes the session server's link).
    """
    check_connection_params(params)
    return HeliosClient(timeout=params['timeout'], retries=params['retries'], relay=relay, **connection_of(params))
