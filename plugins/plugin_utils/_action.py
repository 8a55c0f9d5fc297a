# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin every twon.helios module shares: run the module's logic in the controller's worker.

A module process costs about 0.25 s per host (interpreter start-up, AnsiballZ); the HTTP work is about
a millisecond. When the task runs on the controller anyway (connection local, also delegate_to:
localhost), this plugin validates the arguments exactly as AnsibleModule would and calls the same
HeliosTask in-process. Otherwise (delegated to a jump host, async, become, a task environment that sets
a proxy or CA bundle) it executes the module as usual.

HELIOS_ACTION_IN_PROCESS=false in the controller's environment forces the module path; the tests use
it to run both paths, and it is a way out should the in-process path ever misbehave.

In-process tasks relay their calls to the session server (_session_server.py), which keeps each device's
connection open from one task to the next.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import os
import time

from ansible import constants as C
from ansible.errors import AnsibleUndefinedConfigEntry, AnsibleValueOmittedError
from ansible.module_utils.basic import remove_values
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE
from ansible.plugins.action import ActionBase
from ansible.template import Templar, trust_as_template
from ansible.utils.vars import merge_hash

from ansible_collections.twon.helios.plugins.module_utils._client import HAS_REQUESTS, HeliosClient
from ansible_collections.twon.helios.plugins.module_utils._connection import (
    CONNECTION_OPTIONS,
    ENV_PREFIX,
    client_from_params,
)
from ansible_collections.twon.helios.plugins.module_utils._task import execute, no_log_values, run_validated
from ansible_collections.twon.helios.plugins.plugin_utils import _session_server

IN_PROCESS_SWITCH = 'HELIOS_ACTION_IN_PROCESS'
HOST_ENVIRONMENT = ENV_PREFIX + 'HOST'
VARIABLE_PREFIX = 'helios_'

# Connection plugins that run commands on the controller itself (their `transport` name).
CONTROLLER_TRANSPORTS = frozenset(['local'])
# Environment variables that requests reads besides the proxies (<scheme>_proxy, no_proxy, in any case).
REQUESTS_ENVIRONMENT = frozenset(['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])


def sets_requests_environment(environment):
    """Whether a task's environment: sets a variable that changes how requests connects: a proxy or a CA bundle."""
    return any(name.upper().endswith('_PROXY') or name.upper() in REQUESTS_ENVIRONMENT for name in environment)


def runs_in_process(transport, async_seconds, become, task_environment, environ, has_requests=HAS_REQUESTS):
    """Whether a task can run its logic in the controller's worker instead of a module process."""
    if environ.get(IN_PROCESS_SWITCH, 'true').strip().lower() in BOOLEANS_FALSE:
        return False
    # The in-process path has no async machinery and cannot change user (the files a task reads and writes, such
    # as backups and snapshots, are the become user's). Its HTTP session sees the controller's environment, not the
    # task's (the session server's is that of the run). And it needs requests on the controller.
    return (transport in CONTROLLER_TRANSPORTS and not async_seconds and not become
            and not sets_requests_environment(task_environment) and has_requests)


def apply_task_environment(argument_spec, args, environment):
    """Resolve environment fallbacks from the task's `environment:` keyword, as a module process would see it.

    ArgumentSpecValidator reads fallbacks from os.environ only, which in the worker lacks the task's
    environment; options already given in args are left alone, the rest is the validator's job.
    """
    resolved = dict(args)
    for name, spec in argument_spec.items():
        fallback = spec.get('fallback')
        if name in resolved or not fallback:
            continue
        for variable in fallback[1] if len(fallback) > 1 else []:
            if variable in environment:
                resolved[name] = environment[variable]
                break
    return resolved


def inventory_defaults(args, environment, task_vars, templar):
    """The connection options the task does not set, from the inventory of the host the task is for.

    Each option comes from the host variable helios_<option> (the names the roles use), before the environment
    variable HELIOS_<OPTION> and the option's default; the task's own value, module_defaults included, wins over
    all. host falls back last to the inventory host's address, as a connection plugin's: ansible_host, else
    inventory_hostname. Delegation does not change any of them: they are the vars of the host the task is for,
    not of the host it runs on.
    """
    resolved = dict(args)
    for name in CONNECTION_OPTIONS:
        variable = VARIABLE_PREFIX + name
        if resolved.get(name) is None and task_vars.get(variable) is not None:
            try:
                resolved[name] = templar.template(task_vars[variable])
            except AnsibleValueOmittedError:
                pass  # helios_ca_path: "{{ ca | default(omit) }}" leaves the option unset, as in a task
    if resolved.get('host') is None and not any(HOST_ENVIRONMENT in env for env in (environment, os.environ)):
        address = templar.template(task_vars.get('ansible_host', task_vars.get('inventory_hostname')))
        if address:
            resolved['host'] = address
    return resolved


def injects_invocation(task_vars):
    """Whether the task's result carries `invocation`, as AnsibleModule decides on the module path.

    Before ansible-core 2.21 it always does; since then only when INJECT_INVOCATION is on (ANSIBLE_INJECT_INVOCATION,
    ansible_inject_invocation), which ActionBase passes to the module as _ansible_inject_invocation.
    """
    try:
        return bool(C.config.get_config_value('INJECT_INVOCATION', variables=task_vars))
    except AnsibleUndefinedConfigEntry:
        return True


def task_environment(action):
    """The task's `environment:` keyword as the module would see it, templated and merged as Ansible does.

    ActionBase offers it only through its private _compute_environment_string(raw_environment_out=...); this is
    the one place that calls it, and tests/unit/test_private_internals.py fails loudly should it change.
    """
    environment = {}
    # pylint: disable-next=protected-access
    action._compute_environment_string(raw_environment_out=environment)
    return environment


def warm_up():
    """Set up once, in the controller's main process, what every task's client would otherwise set up again.

    Ansible loads this plugin in its main process and forks a worker from it for each task and host. A client's
    first creation in a fresh process costs ~4 ms (OpenSSL's first context, requests' session machinery); made
    here once, that state is inherited by every worker. No request is sent.
    """
    if HAS_REQUESTS:
        with HeliosClient('localhost') as client:
            client.open_session()
    # Jinja's lexer, which every worker builds for its first template (~1 ms: a dozen regular expressions) unless
    # the main process has already templated something: a templated module_defaults entry or helios_* variable.
    Templar(variables=dict(warm_up=True)).template(trust_as_template('{{ warm_up }}'))


warm_up()


class HeliosActionBase(ActionBase):
    """Subclasses set TASK, the HeliosTask of the module of the same name."""

    TASK = None
    _supports_check_mode = True
    _supports_async = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Made and run once here, in the main process that imports the plugin, the task's validator is inherited
        # by every worker, and so are the caches that the first validation and no_log masking in a process set up
        # (about 2 ms of a worker's time otherwise).
        validation = cls.TASK.validator.validate(dict(host='localhost', username='warm-up', password='warm-up'))
        remove_values(dict(msg='warm-up', items=[dict(value=1)]), no_log_values(validation))

    def run(self, tmp=None, task_vars=None):
        # Ansible's task timeout started just before this: no call that acts is relayed after it.
        deadline = time.monotonic() + self._task.timeout if self._task.timeout else None
        result = super().run(tmp, task_vars)
        del tmp  # unused since ansible-core 2.x, kept for the signature
        environment = task_environment(self)
        args = inventory_defaults(self._task.args, environment, task_vars or {}, self._templar)
        if runs_in_process(self._connection.transport, self._task.async_val, self._play_context.become, environment,
                           os.environ):
            args = apply_task_environment(self.TASK.validator.argument_spec, args, environment)
            return merge_hash(result, self._run_in_process(args, deadline, task_vars or {}))
        return merge_hash(result, self._run_module(args, task_vars))

    def _run_module(self, args, task_vars):
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result = self._execute_module(module_name=self._task.resolved_action, module_args=args, task_vars=task_vars,
                                      wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _run_in_process(self, args, deadline, task_vars):
        task, check_mode, diff = self.TASK, self._task.check_mode, self._task.diff
        link = _session_server.SessionLink(deadline) if _session_server.usable(os.environ) else None
        result = run_validated(task, args, self._task.resolved_action, lambda params: execute(
            task, params, check_mode, diff, open_client=lambda params: client_from_params(params, link)))
        if not injects_invocation(task_vars):
            result.pop('invocation', None)  # as the module path's result has none
        return result
