# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper: writes each task's wall time (first host start to last host result) to $HELIOS_BENCH_TIMES."""

from __future__ import annotations

DOCUMENTATION = r'''
name: helios_bench_timer
type: aggregate
short_description: Records task wall times as JSON (twon.helios benchmark only)
description:
  - Writes the seconds each task took across all hosts to the file named by E(HELIOS_BENCH_TIMES).
requirements:
  - enabled in C(callbacks_enabled)
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'helios_bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._times = []
        self._current = None

    def _close_task(self):
        if self._current is not None:
            name, started = self._current
            self._times.append(dict(task=name, seconds=time.perf_counter() - started))
            self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._current = (task.get_name(), time.perf_counter())

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        with open(os.environ['HELIOS_BENCH_TIMES'], 'w') as stream:
            json.dump(self._times, stream)
