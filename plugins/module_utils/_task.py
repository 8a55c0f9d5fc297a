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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.twon.helios.plugins.module_utils._connection import (
    CONNECTION_OPTIONS,
    CONNECTION_REQUIRED_IF,
    client_from_params,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError


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

    @property
    def argument_spec(self):
        # A fresh copy each time: validators must not share mutable spec dicts between tasks.
        return copy.deepcopy(dict(CONNECTION_OPTIONS, **self.options))

    @property
    def constraints(self):
        """Keyword arguments shared by AnsibleModule and ArgumentSpecValidator."""
        return dict(mutually_exclusive=self.mutually_exclusive, required_if=self.required_if,
                    required_together=self.required_together, required_one_of=self.required_one_of,
                    required_by=self.required_by)


def execute(task, params, check_mode, diff, relay=None):
    """Run task's logic against the device params describe; failures become a failed result."""
    try:
        with client_from_params(params, relay) as client:
            result = task.run(params, client, check_mode, diff)
    except HeliosError as exc:
        return dict(exc.result_fields(), failed=True, changed=False, msg=str(exc))
    result.setdefault('changed', False)
    return result


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
