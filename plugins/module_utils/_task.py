# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a module is, independent of how it runs.

A HeliosTask is a module's options and its logic: a function of (validated params, client, check_mode,
diff) returning the result dict. run_as_module() runs it through AnsibleModule (a module process);
the action plugin base in plugin_utils runs the same task in the controller's worker. Both end in execute().

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import copy
import select
import sys

from ansible.module_utils.basic import AnsibleModule, remove_values
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.twon.helios.plugins.module_utils._connection import (
    CONNECTION_OPTIONS,
    CONNECTION_REQUIRED_IF,
    client_from_params,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError
from ansible_collections.twon.helios.plugins.module_utils._options import ansible_spec, check_values


class HeliosTask:
    """A module's own options and constraints (on top of the connection options) and its logic."""

    def __init__(self, run, options, mutually_exclusive=(), required_if=(), required_together=(), required_one_of=(),
                 required_by=None, shown_params=None):
        clashes = set(options) & set(CONNECTION_OPTIONS)
        if clashes:
            # module_defaults would set both through one key: a task's value would replace the connection's.
            raise ValueError('options clash with connection options: %s' % ', '.join(sorted(clashes)))
        self.run = run
        self.options = options
        self.mutually_exclusive = list(mutually_exclusive)
        self.required_if = list(CONNECTION_REQUIRED_IF) + list(required_if)
        self.required_together = list(required_together)
        self.required_one_of = list(required_one_of)
        self.required_by = dict(required_by or {})
        # The parameters as results show them (invocation.module_args): options whose values hold secrets that
        # no_log cannot name (a password inside a configuration tree) are masked by this function.
        self.shown_params = shown_params or (lambda params: params)
        self._validator = None

    @property
    def argument_spec(self):
        # A fresh copy each time: validators must not share mutable spec dicts between tasks. Without the keys that
        # check_params applies (Ansible's validation, and its sanity tests, know only their own).
        return copy.deepcopy(ansible_spec(dict(CONNECTION_OPTIONS, **self.options)))

    def check_params(self, params):
        """What the option specs declare beyond Ansible's checks (ranges, paths, null bytes; _options.py): a
        HeliosParameterError naming the option, before any request. The connection options' are checked with the
        client (check_connection_params)."""
        check_values(self.options, params)

    @property
    def validator(self):
        """The task's ArgumentSpecValidator, made once: validating does not change it, and copying the spec for
        every task would cost more than the validation itself."""
        if self._validator is None:
            self._validator = ArgumentSpecValidator(self.argument_spec, **self.constraints)
        return self._validator

    @property
    def constraints(self):
        """Keyword arguments shared by AnsibleModule and ArgumentSpecValidator."""
        return dict(mutually_exclusive=self.mutually_exclusive, required_if=self.required_if,
                    required_together=self.required_together, required_one_of=self.required_one_of,
                    required_by=self.required_by)


def execute(task, params, check_mode, diff, open_client=client_from_params):
    """Run task's logic against the device params describe; failures become a failed result.

    open_client(params) gives a context manager for the client: by default a new one, closed at the end. The
    action plugin's relays the client's calls to the session server.
    """
    client = None
    try:
        task.check_params(params)
        with open_client(params) as client:
            result = task.run(params, client, check_mode, diff)
        result.setdefault('changed', False)
    except HeliosError as exc:
        result = dict(exc.result_fields(), failed=True, changed=exc.changed, msg=str(exc))
    warning = client.cleartext_password_warning() if client is not None else None
    if warning:
        result['warnings'] = list(result.get('warnings', [])) + [warning]
    return result


def run_validated(task, args, module_name, execute_params):
    """Validate args as AnsibleModule would, run execute_params(params), and mask no_log values in the result.

    What the action plugin does with a task's arguments.
    """
    validation = task.validator.validate(args)
    if validation.error_messages:
        message = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            message = 'Unsupported parameters for (%s) module: %s' % (module_name, message)
        result = dict(failed=True, msg=message)
    else:
        params = validation.validated_parameters
        result = execute_params(params)
        result['invocation'] = dict(module_args=task.shown_params(params))
    # As AnsibleModule does: never show a no_log value (the password) in the result.
    return remove_values(result, no_log_values(validation))


def no_log_values(validation):
    """The no_log values (passwords) a validation found, which AnsibleModule masks in every result.

    ansible-core keeps them in a private attribute of ValidationResult; this is the one place that reads it, and
    tests/unit/test_private_internals.py fails loudly should a version of ansible-core change it.
    """
    return validation._no_log_values


def task_ended_for_module():
    """Why a module process must not send a call that acts: its task has ended; None while the task waits for it.

    Ansible's worker reads the module's standard output, and stops reading when the task ends (its timeout, or
    the worker killed) without stopping the module. The pipe then reports an error to its writer. (With async the
    output is a file, and the task is meant to outlive its worker.)
    """
    poller = select.poll()
    poller.register(sys.stdout.fileno(), 0)  # errors and hang-ups only: they are always reported
    if any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0)):
        return 'the task that asked for it has ended: nothing reads its result any more (its timeout, or its worker stopped)'
    return None


def _module_client(params):
    client = client_from_params(params)
    client.act_guard = task_ended_for_module
    return client


class _TaskModule(AnsibleModule):
    """AnsibleModule that logs the task's shown parameters (secrets in settings and content masked) instead of the
    raw ones.

    AnsibleModule logs every invocation to the journal or syslog, masking only the values of no_log options; a
    password inside a configuration tree is no such value. Its _log_invocation is the one place that builds that
    line (with its no_log and password heuristics), so it is given the parameters as results show them.
    """

    def __init__(self, task, **kwargs):
        self._shown_params = task.shown_params
        super().__init__(**kwargs)

    def _log_invocation(self):
        params = self.params
        self.params = self._shown_params(params)
        try:
            super()._log_invocation()
        finally:
            self.params = params


def run_as_module(task):
    """The body of every module file's main()."""
    module = _TaskModule(task, argument_spec=task.argument_spec, supports_check_mode=True, **task.constraints)
    result = execute(task, module.params, module.check_mode, module._diff, open_client=_module_client)
    result['invocation'] = dict(module_args=task.shown_params(module.params))
    for warning in result.pop('warnings', []):
        module.warn(warning)  # exit_json's warnings key is deprecated
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)


def with_diff(result, diff, before, after):
    """Add the diff to result when the user asked for one (--diff)."""
    if diff:
        result['diff'] = dict(before=before, after=after)
    return result
