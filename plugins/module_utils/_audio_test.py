# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_audio_test: start the device's audio loop test (audio/test, current firmware).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._functions import act_each_run
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask


def run(params, client, check_mode, diff):
    return act_each_run(client, check_mode, 'helios_audio_test', 'audio/test')


TASK = HeliosTask(run, {})
