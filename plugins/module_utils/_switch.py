# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_switch: put a switch (door lock relay) into a state (manual 5.8-5.10).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff

# state -> switch/ctrl action
ACTIONS = {'active': 'on', 'inactive': 'off', 'triggered': 'trigger'}


def caps_of(switches, number):
    """The switch's settings from switch/caps' list; refuses unknown and disabled switches before anything is
    switched."""
    caps = next((s for s in switches if s['switch'] == number), None)
    enabled = ', '.join(str(s['switch']) for s in switches if s.get('enabled')) or 'none'
    if caps is None:
        raise HeliosParameterError('switch %d does not exist on this device; enabled switches: %s' % (number, enabled))
    if not caps.get('enabled'):
        raise HeliosParameterError('switch %d is disabled in the device configuration; enabled switches: %s' % (number, enabled))
    return caps


def _is_active(client, number):
    return client.get('switch/status', switch=number)['switches'][0]['active']


def predicted(active, state):
    """Whether the switch is active after state is applied; a trigger changes the switch over (manual 5.10)."""
    if state == 'triggered':
        return not active
    return state == 'active'


def run(params, client, check_mode, diff):
    number, state = params['switch'], params['state']
    caps = caps_of(client.get('switch/caps')['switches'], number)
    active = _is_active(client, number)
    after = predicted(active, state)
    changed = state == 'triggered' or after != active
    if changed and not check_mode:
        # A trigger changes the switch over each time it is sent: one whose reply is lost is not sent again.
        client.act('switch/ctrl', repeatable=state != 'triggered', switch=number, action=ACTIONS[state])
    result = dict(changed=changed, switch=dict(caps, active=after))
    return with_diff(result, diff, dict(switch=number, active=active), dict(switch=number, active=after))


TASK = HeliosTask(run, dict(
    switch=dict(type='int', required=True, range=dict(min=1)),
    state=dict(type='str', required=True, choices=list(ACTIONS)),
))
