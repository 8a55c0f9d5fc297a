# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a module is, independent of how it runs.

A HeliosTask is a module's options and its logic: a function of (validated params, client, check_mode,
diff) returning the result dict. run_as_module() runs it through AnsibleModule (a module process);
the action plugin base in plugin_utils runs the same task on the controller (in its worker, or in the session
server). All of them end in execute().

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import copy

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
                 required_by=None, shown_params=None, in_session_server=True, acts_each_run=None):
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
        # Whether the session server may run the whole task (plugin_utils/_session_server.py); a task that does
        # much CPU work runs in its own worker, so that it does not hold up every other task in that one process.
        self.in_session_server = in_session_server
        # Why running the task a second time would act a second time (a trigger, a dial, a restart), given its
        # arguments; None when a second run only finds the device as the first left it. A task whose first run may
        # or may not have reached the device is run again only when this says None.
        self.acts_each_run = acts_each_run or (lambda args: None)
        self._validator = None

    @property
    def name(self):
        """The module_utils module that defines the task (the session server finds the task by it)."""
        return self.run.__module__

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
    action plugin's relays the client's calls to the session server; the server's lends the device's kept client.
    """
    try:
        task.check_params(params)
        with open_client(params) as client:
            result = task.run(params, client, check_mode, diff)
    except HeliosError as exc:
        return dict(exc.result_fields(), failed=True, changed=False, msg=str(exc))
    result.setdefault('changed', False)
    return result


def run_validated(task, args, module_name, execute_params):
    """Validate args as AnsibleModule would, run execute_params(params), and mask no_log values in the result.

    What the action plugin and the session server do with a task's arguments.
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
    return remove_values(result, validation._no_log_values)


def run_as_module(task):
    """The body of every module file's main()."""
    module = AnsibleModule(argument_spec=task.argument_spec, supports_check_mode=True, **task.constraints)
    result = execute(task, module.params, module.check_mode, module._diff)
    result['invocation'] = dict(module_args=task.shown_params(module.params))
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)


def with_diff(result, diff, before, after):
    """Add the diff to result when the user asked for one (--diff)."""
    if diff:
        result['diff'] = dict(before=before, after=after)
    return result
