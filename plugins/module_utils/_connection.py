# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options every module shares, and the client they describe.

Documented once in the doc fragment twon.helios._connection; keep the two in step.
Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.twon.helios.plugins.module_utils._client import (
    HAS_REQUESTS,
    HeliosClient,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError, HeliosParameterError

ENV_PREFIX = 'HELIOS_'


def _with_env_fallback(options):
    """Give every option the fallback HELIOS_<OPTION> (AWX/AAP credentials inject environment variables)."""
    return {name: dict(spec, fallback=(env_fallback, [ENV_PREFIX + name.upper()])) for name, spec in options.items()}


CONNECTION_OPTIONS = _with_env_fallback(dict(
    host=dict(type='str'),
    port=dict(type='int'),
    protocol=dict(type='str', default='https', choices=['https', 'http']),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    auth_method=dict(type='str', default='digest', choices=['digest', 'basic', 'none', 'auto']),
    allow_basic_over_http=dict(type='bool', default=False),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=10.0),
    retries=dict(type='int', default=3),
))

CONNECTION_REQUIRED_IF = [
    ('auth_method', 'digest', ('username', 'password')),
    ('auth_method', 'basic', ('username', 'password')),
]


def check_connection_params(params):
    """HeliosError if validated connection parameters cannot work."""
    if not HAS_REQUESTS:
        raise HeliosError(missing_required_lib('requests'))
    if not params['host']:
        # A playbook task always has one (the action plugin defaults it to the inventory host's address).
        raise HeliosParameterError('host is required: set the host option or the HELIOS_HOST environment variable')
    if params['port'] is not None and not 0 < params['port'] < 65536:
        raise HeliosParameterError('port must be between 1 and 65535, got %d' % params['port'])
    if params['timeout'] <= 0:
        raise HeliosParameterError('timeout must be a positive number of seconds, got %s' % params['timeout'])
    if params['retries'] < 0:
        raise HeliosParameterError('retries must be 0 or more, got %d' % params['retries'])


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
