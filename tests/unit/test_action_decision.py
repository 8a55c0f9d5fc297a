"""When the action plugin runs a task in-process, and how it resolves environment fallbacks."""

from __future__ import annotations

import pytest
from ansible.template import Templar, trust_as_template

from ansible_collections.twon.helios.plugins.module_utils._connection import CONNECTION_OPTIONS
from ansible_collections.twon.helios.plugins.plugin_utils._action import apply_task_environment, inventory_defaults, runs_in_process


@pytest.mark.parametrize('transport, async_seconds, become, task_environment, environ, has_requests, expected', [
    ('local', 0, False, {}, {}, True, True),
    ('local', 0, False, {}, {'HELIOS_ACTION_IN_PROCESS': 'true'}, True, True),
    ('local', 0, False, {}, {'HELIOS_ACTION_IN_PROCESS': 'false'}, True, False),
    ('local', 0, False, {}, {'HELIOS_ACTION_IN_PROCESS': '0'}, True, False),
    ('ssh', 0, False, {}, {}, True, False),
    ('paramiko', 0, False, {}, {}, True, False),
    ('winrm', 0, False, {}, {}, True, False),
    ('local', 30, False, {}, {}, True, False),
    ('local', 0, True, {}, {}, True, False),
    ('local', 0, False, {'HELIOS_PASSWORD': 'x', 'LANG': 'C'}, {}, True, True),
    ('local', 0, False, {'https_proxy': 'http://proxy:3128'}, {}, True, False),
    ('local', 0, False, {'NO_PROXY': '10.0.0.0/8'}, {}, True, False),
    ('local', 0, False, {'REQUESTS_CA_BUNDLE': '/etc/ca.pem'}, {}, True, False),
    ('local', 0, False, {}, {}, False, False),
])
def test_runs_in_process_only_for_synchronous_local_tasks_as_the_controller_sees_them(
        transport, async_seconds, become, task_environment, environ, has_requests, expected):
    assert runs_in_process(transport, async_seconds, become, task_environment, environ, has_requests) is expected


def test_task_environment_fills_only_options_not_given():
    args = {'host': '10.0.0.1'}
    environment = {'HELIOS_HOST': '10.0.0.2', 'HELIOS_PASSWORD': 'secret', 'UNRELATED': 'x'}
    resolved = apply_task_environment(CONNECTION_OPTIONS, args, environment)
    assert resolved == {'host': '10.0.0.1', 'password': 'secret'}
    assert args == {'host': '10.0.0.1'}


@pytest.fixture
def templar():
    return Templar(variables={'site': 'door'})


@pytest.mark.parametrize('args, environment, task_vars, expected', [
    ({}, {}, {'ansible_host': '127.0.0.5', 'inventory_hostname': 'door-1'}, '127.0.0.5'),
    ({}, {}, {'inventory_hostname': 'door-1'}, 'door-1'),
    ({'host': '127.0.0.9'}, {}, {'ansible_host': '127.0.0.5'}, '127.0.0.9'),
    ({}, {'HELIOS_HOST': '127.0.0.7'}, {'ansible_host': '127.0.0.5'}, None),
    ({}, {'HELIOS_HOST': '127.0.0.7'}, {'ansible_host': '127.0.0.5', 'helios_host': '127.0.0.8'}, '127.0.0.8'),
    ({'host': '127.0.0.9'}, {}, {'helios_host': '127.0.0.8'}, '127.0.0.9'),
])
def test_host_comes_from_the_task_the_host_variable_helios_host_the_environment_then_the_inventory_address(
        args, environment, task_vars, expected, templar, monkeypatch):
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    assert inventory_defaults(args, environment, task_vars, templar).get('host') == expected


def test_helios_host_in_the_controller_environment_wins_over_the_inventory_address(templar, monkeypatch):
    monkeypatch.setenv('HELIOS_HOST', '127.0.0.7')
    assert inventory_defaults({}, {}, {'ansible_host': '127.0.0.5'}, templar) == {}


def test_every_connection_option_comes_from_its_host_variable_unless_the_task_sets_it(templar, monkeypatch):
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    task_vars = {'inventory_hostname': 'door-1', 'helios_port': 28443, 'helios_password': 'from-vars',
                 'helios_validate_certs': False, 'helios_retries': None, 'helios_settings': {'not': 'an option'}}
    args = {'port': 443, 'switch': 1}
    assert inventory_defaults(args, {}, task_vars, templar) == {
        'host': 'door-1', 'port': 443, 'password': 'from-vars', 'validate_certs': False, 'switch': 1}
    assert args == {'port': 443, 'switch': 1}


def test_host_variables_that_are_templates_are_templated(templar, monkeypatch):
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    task_vars = {'ansible_host': trust_as_template('{{ site }}.example.net'),
                 'helios_username': trust_as_template('{{ site }}-api')}
    assert inventory_defaults({}, {}, task_vars, templar) == {'host': 'door.example.net', 'username': 'door-api'}


def test_a_host_variable_that_templates_to_omit_leaves_the_option_unset(templar, monkeypatch):
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    task_vars = {'inventory_hostname': 'door-1', 'helios_ca_path': trust_as_template('{{ no_ca | default(omit) }}')}
    assert inventory_defaults({}, {}, task_vars, templar) == {'host': 'door-1'}
