# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_io: set a logic output to a level (manual 5.11-5.13).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff

# state -> (io/ctrl action, the level io/status reports afterwards)
LEVELS = {'active': ('on', 1), 'inactive': ('off', 0)}


def output_caps(ports, name):
    """The output's capabilities from io/caps' list; refuses unknown ports and inputs before anything is set."""
    outputs = ', '.join(p['port'] for p in ports if p.get('type') == 'output') or 'none'
    caps = next((p for p in ports if p['port'] == name), None)
    if caps is None:
        raise HeliosParameterError('output "%s" does not exist on this device; outputs: %s' % (name, outputs))
    if caps.get('type') != 'output':
        raise HeliosParameterError('output "%s" is an input port and cannot be set; outputs: %s' % (name, outputs))
    return caps


def _level(client, name):
    return client.get('io/status', port=name)['ports'][0]['state']


def run(params, client, check_mode, diff):
    name = params['output']
    action, wanted = LEVELS[params['state']]
    caps = output_caps(client.get('io/caps')['ports'], name)
    level = _level(client, name)
    changed = level != wanted
    if changed and not check_mode:
        client.act('io/ctrl', repeatable=True, port=name, action=action)
    result = dict(changed=changed, output=dict(caps, state=wanted))
    return with_diff(result, diff, dict(output=name, state=level), dict(output=name, state=wanted))


# Named output, not port as in the manual: port is the connection option (the TCP port).
TASK = HeliosTask(run, dict(
    output=dict(type='str', required=True),
    state=dict(type='str', required=True, choices=list(LEVELS)),
))
