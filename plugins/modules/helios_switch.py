#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_switch
short_description: Activate, deactivate or trigger a switch of a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Puts a switch (typically a door lock or relay) of a 2N Helios IP intercom into a state through the HTTP API
    functions C(switch/caps), C(switch/status) and C(switch/ctrl).
  - Reads the switch's current state first and acts only when it differs; O(state=triggered) always acts.
  - Refuses a switch the device does not have, or one disabled in its configuration, before sending any control
    request.
  - Needs the Enhanced Integration licence and an account with the Switch Monitoring and Switch Control
    privileges.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: partial
    details:
      - V(active) and V(inactive) are idempotent. V(triggered) acts on every run.
      - A monostable switch returns to inactive by itself after its C(switchOnDuration), so V(active) acts again
        once that time has passed.
options:
  switch:
    description:
      - Number of the switch, typically V(1) to V(4); see RV(twon.helios.helios_info#module:info.switches).
      - V(1) or more; a number the device does not have is refused before anything is switched.
    type: int
    required: true
  state:
    description:
      - V(active) switches on, V(inactive) switches off; each only if the switch is not already so.
      - V(triggered) sends a trigger every time, which changes the switch over; an inactive switch activates (a
        monostable one for its C(switchOnDuration)), an active one deactivates.
      - A trigger is sent once. When the connection fails after the device may have had it (no reply within
        O(timeout), the connection closed before the reply), it is not retried, as a second trigger would change
        the switch back; the task fails saying the device may or may not have acted.
    type: str
    required: true
    choices: [active, inactive, triggered]
seealso:
  - module: twon.helios.helios_info
  - module: twon.helios.helios_io
'''

EXAMPLES = r'''
- name: Open the doors of all intercoms
  hosts: intercoms
  connection: local
  gather_facts: false
  # every connection option comes from the inventory: helios_* host variables, else HELIOS_* environment variables
  tasks:
    - name: Trigger the door lock on switch 1
      twon.helios.helios_switch:
        switch: 1
        state: triggered

    - name: Keep the gate relay on switch 2 switched on
      twon.helios.helios_switch:
        switch: 2
        state: active
'''

RETURN = r'''
switch:
  description: The switch's settings (from C(switch/caps)) and its state after the task.
  returned: success
  type: dict
  contains:
    switch:
      description: Number of the switch.
      type: int
      sample: 1
    enabled:
      description: Whether the switch is enabled in the device configuration (always true here).
      type: bool
      sample: true
    mode:
      description: V(monostable) or V(bistable).
      type: str
      sample: monostable
    switchOnDuration:
      description: Seconds a monostable switch stays active.
      type: int
      returned: for monostable switches
      sample: 5
    type:
      description: V(normal) or V(security).
      type: str
      sample: normal
    active:
      description: Whether the switch is active after the task (in check mode, whether it would be).
      type: bool
      sample: true
'''

from ansible_collections.twon.helios.plugins.module_utils._switch import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
