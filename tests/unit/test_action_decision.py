"""When the action plugin runs a task in-process, and how it resolves environment fallbacks."""

from __future__ import annotations

import pytest

from ansible_collections.twon.helios.plugins.module_utils._connection import CONNECTION_OPTIONS
from ansible_collections.twon.helios.plugins.plugin_utils._action import apply_task_environment, default_host, runs_in_process


@pytest.mark.parametrize('transport, async_seconds, environ, has_requests, expected', [
    ('local', 0, {}, True, True),
    ('local', 0, {'HELIOS_ACTION_IN_PROCESS': 'true'}, True, True),
    ('local', 0, {'HELIOS_ACTION_IN_PROCESS': 'false'}, True, False),
    ('local', 0, {'HELIOS_ACTION_IN_PROCESS': '0'}, True, False),
    ('ssh', 0, {}, True, False),
    ('paramiko', 0, {}, True, False),
    ('winrm', 0, {}, True, False),
    ('local', 30, {}, True, False),
    ('local', 0, {}, False, False),
])
def test_runs_in_process_only_for_synchronous_local_tasks(transport, async_seconds, environ, has_requests, expected):
    assert runs_in_process(transport, async_seconds, environ, has_requests) is expected


def test_task_environment_fills_only_options_not_given():
    args = {'host': '10.0.0.1'}
    environment = {'HELIOS_HOST': '10.0.0.2', 'HELIOS_PASSWORD': 'secret', 'UNRELATED': 'x'}
    resolved = apply_task_environment(CONNECTION_OPTIONS, args, environment)
    assert resolved == {'host': '10.0.0.1', 'password': 'secret'}
    assert args == {'host': '10.0.0.1'}


@pytest.fixture
def templar():
    from ansible.template import Templar  # pylint: disable=import-outside-toplevel
    return Templar(variables={'site': 'door'})


@pytest.mark.parametrize('args, environment, task_vars, expected', [
    ({}, {}, {'ansible_host': '127.0.0.5', 'inventory_hostname': 'door-1'}, '127.0.0.5'),
    ({}, {}, {'inventory_hostname': 'door-1'}, 'door-1'),
    ({'host': '127.0.0.9'}, {}, {'ansible_host': '127.0.0.5'}, '127.0.0.9'),
    ({}, {'HELIOS_HOST': '127.0.0.7'}, {'ansible_host': '127.0.0.5'}, None),
])
def test_host_defaults_to_the_inventory_host_unless_the_task_or_helios_host_names_one(
        args, environment, task_vars, expected, templar, monkeypatch):
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    assert default_host(args, environment, task_vars, templar).get('host') == expected


def test_helios_host_in_the_controller_environment_wins_over_the_inventory(templar, monkeypatch):
    monkeypatch.setenv('HELIOS_HOST', '127.0.0.7')
    assert default_host({}, {}, {'ansible_host': '127.0.0.5'}, templar) == {}


def test_an_inventory_address_that_is_a_template_is_templated(templar, monkeypatch):
    from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
    monkeypatch.delenv('HELIOS_HOST', raising=False)
    task_vars = {'ansible_host': trust_as_template('{{ site }}.example.net')}
    assert default_host({}, {}, task_vars, templar) == {'host': 'door.example.net'}
