# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_system: restart the device or reset it to factory defaults, and wait until it is back (manual 5.3, 5.7).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._restart import ask_for_restart, uptime, wait_for_restart
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

OPERATIONS = {'restarted': 'system/restart', 'factory_reset': 'config/factoryreset'}


def run(params, client, check_mode, diff):
    # Reading the status first proves the account may control the system before anything happens.
    result = dict(changed=True, uptime_before=uptime(client))
    if check_mode:
        return result
    lost_reply = ask_for_restart(client, OPERATIONS[params['state']], params['wait'])
    if params['wait']:
        watch = wait_for_restart(client, result['uptime_before'], params['wait_timeout'], lost_reply=lost_reply)
        result.update(uptime_after=watch.uptime_after, elapsed=round(watch.seconds, 1))
    return result


TASK = HeliosTask(run, dict(
    state=dict(type='str', required=True, choices=list(OPERATIONS)),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=300, range=dict(min=1, max=86400, unit='seconds')),
))
