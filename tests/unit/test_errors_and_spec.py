"""Error messages, the shared argument spec and the task model."""

from __future__ import annotations

import ssl

import pytest
import requests
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from ansible_collections.twon.helios.plugins.module_utils._client import HeliosClient, _may_have_reached_the_device
from ansible_collections.twon.helios.plugins.module_utils._connection import CONNECTION_OPTIONS, client_from_params
from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosApiError,
    HeliosAuthError,
    HeliosParameterError,
)
from ansible_collections.twon.helios.plugins.module_utils._switch import TASK as SWITCH
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask


def test_api_error_message_names_function_code_and_param():
    error = HeliosApiError('switch/ctrl', 12, 'invalid parameter value', 'switch')
    assert str(error) == 'switch/ctrl: invalid parameter value (code 12, param "switch")'
    assert error.result_fields() == {'error': {'function': 'switch/ctrl', 'code': 12,
                                               'description': 'invalid parameter value', 'param': 'switch'}}


def test_api_error_adds_the_remedy_for_codes_a_user_can_fix():
    assert str(HeliosApiError('io/ctrl', 7, 'invalid connection type')) == \
        'io/ctrl: invalid connection type (code 7): the service accepts HTTPS only; set protocol to https'
    assert 'licence' in str(HeliosApiError('system/status', 5, 'function is licensed'))


def test_auth_error_tells_wrong_credentials_from_missing_ones():
    assert 'user "admin" was refused with digest authentication: wrong username or password' in \
        str(HeliosAuthError('switch/status', 'admin', 'digest'))
    assert 'requires authentication' in str(HeliosAuthError('switch/status', None, 'none'))


def test_auth_error_names_the_scheme_the_service_requires():
    assert str(HeliosAuthError('switch/status', 'admin', 'digest', 'Basic realm="HTTP API"')) == (
        'switch/status: authentication failed (HTTP 401): the service requires Basic authentication, not digest; '
        'set auth_method to basic (or auto)')
    assert 'wrong username or password' in str(HeliosAuthError('switch/status', 'admin', 'digest', 'Digest realm="x"'))


def test_every_connection_option_falls_back_to_its_environment_variable():
    for name, spec in CONNECTION_OPTIONS.items():
        assert spec['fallback'][1] == ['HELIOS_' + name.upper()]


def test_environment_fallbacks_are_typed_and_validated(monkeypatch):
    monkeypatch.setenv('HELIOS_HOST', '127.0.0.1')
    monkeypatch.setenv('HELIOS_VALIDATE_CERTS', 'false')
    monkeypatch.setenv('HELIOS_TIMEOUT', '2.5')
    monkeypatch.setenv('HELIOS_AUTH_METHOD', 'none')
    result = ArgumentSpecValidator(SWITCH.argument_spec, **SWITCH.constraints).validate({'switch': 1, 'state': 'active'})
    assert not result.error_messages
    params = result.validated_parameters
    assert (params['host'], params['validate_certs'], params['timeout']) == ('127.0.0.1', False, 2.5)


def test_digest_needs_credentials_and_bad_choices_name_the_allowed_values():
    validator = ArgumentSpecValidator(SWITCH.argument_spec, **SWITCH.constraints)
    missing = validator.validate({'host': 'h', 'switch': 1, 'state': 'active'})
    assert 'auth_method is digest but all of the following are missing: username, password' in missing.errors.msg
    bad = validator.validate({'host': 'h', 'switch': 1, 'state': 'open', 'auth_method': 'none'})
    assert 'value of state must be one of: active, inactive, triggered, got: open' in bad.errors.msg


def test_a_task_option_may_not_shadow_a_connection_option():
    with pytest.raises(ValueError, match='port'):
        HeliosTask(lambda *args: {}, {'port': {'type': 'str'}})


@pytest.mark.parametrize('option, value, message', [
    ('port', 70000, 'port must be between 1 and 65535'),
    ('host', None, 'host is required: set the host option or the HELIOS_HOST environment variable'),
    ('timeout', 0, r'timeout must be more than 0 and at most 3600 \(seconds\), got 0'),
    ('retries', -1, 'retries must be between 0 and 10, got -1'),
    ('ca_path', '/nonexistent/ca.pem', 'ca_path: /nonexistent/ca.pem does not exist; set it to the PEM file'),
])
def test_client_refuses_impossible_connection_options(option, value, message):
    params = dict(host='h', port=None, protocol='https', username=None, password=None, auth_method='none',
                  allow_basic_over_http=False, validate_certs=True, ca_path=None, timeout=10.0, retries=3)
    params[option] = value
    with pytest.raises(HeliosParameterError, match=message):
        client_from_params(params)


def test_clients_share_one_ssl_context_per_verify_setting_and_never_across_settings(tmp_path):
    ca_file = str(tmp_path / 'ca.pem')
    unverified = [HeliosClient('h%d' % n, validate_certs=False)._session for n in range(2)]
    verified = HeliosClient('h', ca_path=ca_file)._session

    def context_of(session):
        return session.get_adapter('https://h/')._ssl_context

    assert context_of(unverified[0]) is context_of(unverified[1])
    assert context_of(unverified[0]).verify_mode == ssl.CERT_NONE
    assert context_of(verified) is not context_of(unverified[0]) and context_of(verified).verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize('proxy, shown', [
    ('http://user:secret@proxy.example:3128', 'http://proxy.example:3128'),
    ('proxy.example:3128', 'http://proxy.example:3128'),  # requests reads a proxy without a scheme as http
    ('https://[2001:db8::1]:8443', 'https://[2001:db8::1]:8443'),
])
def test_proxy_faults_name_the_proxy_without_its_credentials(monkeypatch, proxy, shown):
    monkeypatch.setenv('https_proxy', proxy)
    for name in ('HTTPS_PROXY', 'no_proxy', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
    client = HeliosClient('door.example', validate_certs=False)
    client.open_session()
    assert client._proxy_shown() == shown


def _refused():
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    return requests.exceptions.ConnectionError(MaxRetryError(None, '/api/switch/ctrl', reason))


def _cut_off():
    reason = ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))
    return requests.exceptions.ConnectionError(reason)


@pytest.mark.parametrize('fault, reached', [
    (_refused, False),
    (lambda: requests.exceptions.ConnectTimeout(MaxRetryError(None, '/api', ConnectTimeoutError('timed out'))), False),
    (lambda: requests.exceptions.ProxyError(MaxRetryError(None, '/api', NewConnectionError(None, 'proxy refused'))), False),
    (lambda: requests.exceptions.ReadTimeout(ReadTimeoutError(None, '/api', 'Read timed out.')), True),
    (_cut_off, True),
])
def test_only_faults_before_the_connection_is_made_cannot_have_reached_the_device(fault, reached):
    assert _may_have_reached_the_device(fault()) is reached
