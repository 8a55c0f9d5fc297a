# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helper: writes every task result as a JSON line to $HELIOS_TEST_RECORD, for the pytest suite to assert on."""

from __future__ import annotations

DOCUMENTATION = r'''
name: helios_test_recorder
type: aggregate
short_description: Records task results as JSON lines (twon.helios test suite only)
description:
  - Appends one JSON object per task result (host, task, status, result) to the file named by E(HELIOS_TEST_RECORD).
requirements:
  - enabled in C(callbacks_enabled)
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'helios_test_recorder'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, status, result):
        path = os.environ.get('HELIOS_TEST_RECORD')
        if not path:
            return
        line = dict(host=result._host.get_name(), task=result._task.get_name(), status=status, result=result._result)
        with open(path, 'a') as stream:
            stream.write(json.dumps(line, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)
