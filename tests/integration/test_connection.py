"""Connection options, errors and the two execution paths, with real HTTP(S) against emulated intercoms."""

from __future__ import annotations

import pytest
from ansible.release import __version__ as ansible_core_version
from helios_fleet import ADMIN, HTTP_PORT, HTTPS_PORT

SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
# requests lets these silently override Session.verify; the client must still honour validate_certs and ca_path.
CA_BUNDLE_ENV = {'REQUESTS_CA_BUNDLE': SYSTEM_CA_BUNDLE, 'CURL_CA_BUNDLE': SYSTEM_CA_BUNDLE}
IN_PROCESS = {'true': 'in-process', 'false': 'module'}


def ran_as_module(run):
    """Whether helios_switch ran as a module process: at -vvv Ansible names the AnsiballZ payload it sends; the
    in-process path has none."""
    return 'AnsiballZ_helios_switch.py' in run.stdout


def test_wrong_password_is_named(device, ansible):
    # (a wrong password that is also an English word would be masked in the message: it is a no_log value)
    run = ansible({device.name: device.hostvars(helios_password='not-the-password')}, 'switch', switch=2, state='active')
    assert run.rc != 0
    result = run.result(device.name)
    assert result['msg'] == ('switch/caps: authentication failed (HTTP 401): user "admin" was refused with digest '
                             'authentication: wrong username or password')
    assert result['error']['code'] == 9
    assert device.switch_active(2) is False


def test_service_with_another_auth_method(fleets, ansible):
    digest, basic, auto = fleets['basic_only'].take(3)
    hosts = {digest.name: digest.hostvars(), basic.name: basic.hostvars(helios_auth_method='basic'),
             auto.name: auto.hostvars(helios_auth_method='auto')}
    run = ansible(hosts, 'switch', switch=2, state='active')
    assert run.result(digest.name)['msg'] == ('switch/caps: authentication failed (HTTP 401): the service requires '
                                              'Basic authentication, not digest; set auth_method to basic (or auto)')
    assert run.result(basic.name)['changed'] is True and basic.switch_active(2) is True
    assert run.result(auto.name)['changed'] is True and auto.switch_active(2) is True
    assert digest.switch_active(2) is False


def test_basic_credentials_for_a_digest_only_service(device, ansible):
    run = ansible({device.name: device.hostvars(helios_auth_method='basic')}, 'io', output='relay1', state='active')
    assert run.rc != 0
    assert run.result(device.name)['msg'] == (
        'io/caps: invalid authentication method (code 8): the service requires another authentication method; '
        'set auth_method to match the device (or auto)')
    assert run.result(device.name)['error'] == {'function': 'io/caps', 'code': 8,
                                                'description': 'invalid authentication method', 'param': None}


def test_https_only_service_over_http(fleets, ansible):
    device = fleets['https_only'].take()[0]
    run = ansible({device.name: device.hostvars(helios_protocol='http', helios_port=HTTP_PORT)}, 'io',
                  output='relay1', state='active')
    assert run.rc != 0
    assert run.result(device.name)['msg'] == 'io/caps: invalid connection type (code 7): the service accepts HTTPS only; set protocol to https'
    assert device.port_state('relay1') == 0


def test_http_where_allowed(device, ansible):
    run = ansible({device.name: device.hostvars(helios_protocol='http', helios_port=HTTP_PORT)}, 'io',
                  output='relay1', state='active')
    assert run.rc == 0 and device.port_state('relay1') == 1


def test_certificates_are_verified_despite_ca_bundle_variables(fleets, devices, ansible):
    unverified, with_ca = devices(2)
    hosts = {unverified.name: unverified.hostvars(helios_validate_certs=True),
             with_ca.name: with_ca.hostvars(helios_validate_certs=True, helios_ca_path=fleets['default'].ca_path)}
    run = ansible(hosts, 'io', env=CA_BUNDLE_ENV, output='relay1', state='active')
    message = run.result(unverified.name)['msg']
    assert message.startswith('io/caps: TLS connection to https://%s:28443 failed: [SSL: CERTIFICATE_VERIFY_FAILED]' % unverified.address)
    assert message.endswith('set ca_path to the CA that signed the device certificate, or validate_certs to false')
    assert run.result(with_ca.name)['changed'] is True and with_ca.port_state('relay1') == 1


def test_validate_certs_false_despite_ca_bundle_variables(device, ansible):
    run = ansible(device, 'io', env=CA_BUNDLE_ENV, output='relay1', state='active')
    assert run.rc == 0 and device.port_state('relay1') == 1


def test_missing_credentials_and_unknown_options_fail_before_any_request(device, ansible):
    without_password = device.hostvars()
    del without_password['helios_password']
    missing = ansible({device.name: without_password}, 'switch', switch=2, state='active')
    assert 'auth_method is digest but all of the following are missing: password' in missing.result(device.name)['msg']
    unknown = ansible(device, 'unsupported_option')
    assert unknown.result(device.name)['msg'].startswith('Unsupported parameters for (twon.helios.helios_switch) module: colour')
    assert device.switch_active(2) is False


@pytest.mark.parametrize('in_process', IN_PROCESS, ids=IN_PROCESS.get)
def test_both_paths_give_the_same_result(device, ansible, in_process):
    # ansible-core 2.21 adds invocation to results only when asked (INJECT_INVOCATION); before, always
    run = ansible(device, 'switch', diff=True, verbosity=3,
                  env={'HELIOS_ACTION_IN_PROCESS': in_process, 'ANSIBLE_INJECT_INVOCATION': 'true'},
                  switch=2, state='active')
    assert run.rc == 0, run.stdout
    assert ran_as_module(run) is (in_process == 'false')
    result = run.result(device.name)
    assert result['changed'] is True and result['switch']['active'] is True
    assert result['diff'] == {'before': {'switch': 2, 'active': False}, 'after': {'switch': 2, 'active': True}}
    module_args = result['invocation']['module_args']
    assert module_args['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert (module_args['switch'], module_args['auth_method'], module_args['retries']) == (2, 'digest', 3)
    assert device.switch_active(2) is True
    failed = ansible(device, 'switch', env={'HELIOS_ACTION_IN_PROCESS': in_process}, switch=9, state='active')
    assert failed.result(device.name)['msg'] == 'switch 9 does not exist on this device; enabled switches: 1, 2'
    # not asked for: both paths leave invocation out alike (ansible-core 2.21 and later)
    plain = ansible(device, 'switch', env={'HELIOS_ACTION_IN_PROCESS': in_process}, switch=2, state='active')
    core = tuple(int(part) for part in ansible_core_version.split('.')[:2])
    assert ('invocation' in plain.result(device.name)) is (core < (2, 21))


def env_only_hostvars(device, **helios_vars):
    """Inventory variables for env.yml: the real address and account only in intercom_* variables."""
    return {device.name: dict(ansible_host='127.0.0.0', intercom_address=device.address, intercom_port=HTTPS_PORT,
                              intercom_username=ADMIN['username'], intercom_password=ADMIN['password'], **helios_vars)}


@pytest.mark.parametrize('in_process', IN_PROCESS, ids=IN_PROCESS.get)
def test_connection_options_from_the_task_environment(device, ansible, in_process):
    # HELIOS_HOST wins over the inventory address (127.0.0.0, where nothing listens)
    run = ansible(env_only_hostvars(device), None, playbook='env.yml', env={'HELIOS_ACTION_IN_PROCESS': in_process})
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['info']['system']['serialNumber'] == device.serial_number


@pytest.mark.parametrize('in_process', IN_PROCESS, ids=IN_PROCESS.get)
def test_host_variables_win_over_the_environment(device, ansible, in_process):
    # the environment's password is wrong; the host variable helios_password is right, and is the one used
    hostvars = env_only_hostvars(device, helios_password=ADMIN['password'])
    hostvars[device.name]['intercom_password'] = 'wrong'
    run = ansible(hostvars, None, playbook='env.yml', env={'HELIOS_ACTION_IN_PROCESS': in_process})
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['info']['system']['serialNumber'] == device.serial_number


def test_dropped_connections_are_retried(device, ansible):
    device.faults(drop=2)
    run = ansible(device, 'io', output='relay1', state='active')
    assert run.rc == 0, run.stdout
    assert device.port_state('relay1') == 1


def test_server_errors_are_retried_then_reported(device, ansible):
    device.faults(http_error=503, http_error_count=-1)
    run = ansible({device.name: device.hostvars(helios_retries=1)}, 'io', output='relay1', state='active')
    assert run.result(device.name)['msg'] == (
        'io/caps: https://%s:28443 answered HTTP 503 Service Unavailable, not an HTTP API reply (after 1 retries)' % device.address)


def test_slow_replies_time_out_with_a_clear_message(device, ansible):
    device.faults(latency=3)
    run = ansible({device.name: device.hostvars(helios_timeout=0.5, helios_retries=0)}, 'io', output='relay1', state='active')
    assert run.result(device.name)['msg'] == 'io/caps: no reply from https://%s:28443 within 0.5 s' % device.address


def test_delegate_to_localhost_runs_in_process_for_a_host_without_local_connection(device, ansible):
    # The intercom has no SSH; a play that targets it with an ssh connection still works when the task is delegated.
    run = ansible({device.name: device.hostvars(ansible_connection='ssh')}, 'switch_delegated', verbosity=3,
                  switch=2, state='active')
    assert run.rc == 0, run.stdout
    assert not ran_as_module(run)
    assert run.result(device.name)['changed'] is True and device.switch_active(2) is True


def test_a_task_with_become_runs_as_a_module_as_the_become_user(device, ansible):
    # In-process the task would run as the controller's user whatever become says; a module runs as the become user.
    run = ansible(device, 'switch_become', verbosity=3, switch=2, state='active')
    assert run.rc == 0, run.stdout
    assert ran_as_module(run)
    assert run.result(device.name)['changed'] is True and device.switch_active(2) is True


def test_a_proxy_in_the_task_environment_is_used(device, ansible):
    # requests in the controller's worker would not see the task's environment: such a task runs as a module, and its
    # calls go to the proxy the task names (here a port nothing listens on), not straight to the device.
    run = ansible({device.name: device.hostvars(helios_retries=0)}, 'switch_proxy', verbosity=3,
                  switch=2, state='active', proxy='http://user:secret@127.0.0.1:9')
    assert ran_as_module(run)
    assert run.result(device.name)['msg'] == (
        'switch/caps: cannot connect to https://%s:28443 through the proxy http://127.0.0.1:9: Connection refused'
        % device.address)
    assert 'secret' not in str(run.result(device.name))  # the message names the proxy without its credentials
    assert device.switch_active(2) is False
