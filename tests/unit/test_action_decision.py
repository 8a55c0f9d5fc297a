"""When the action plugin runs a task in-process, and how it resolves environment fallbacks."""

from __future__ import annotations

import pytest

from ansible_collections.twon.helios.plugins.module_utils._connection import CONNECTION_OPTIONS
from ansible_collections.twon.helios.plugins.plugin_utils._action import apply_task_environment, runs_in_process


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
