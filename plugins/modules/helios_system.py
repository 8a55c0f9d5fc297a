#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_system
short_description: Restart a 2N Helios IP intercom or reset it to factory defaults
version_added: 0.1.0
description:
  - Restarts the device (C(system/restart)) or resets its configuration to factory defaults and restarts it
    (C(config/factoryreset)).
  - With O(wait=true) the task returns once the device answers again and its C(upTime) shows it started after
    the request.
  - Needs the Enhanced Integration licence and an account with the System Control privilege.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reads C(system/status), proving access, and reports the change it would make.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run restarts the device; use C(when) or a handler to restart only when needed.
options:
  state:
    description:
      - V(restarted) restarts the device. V(factory_reset) resets every setting to its factory default, then
        restarts.
      - After a factory reset the device may no longer accept these credentials or this protocol.
    type: str
    required: true
    choices: [restarted, factory_reset]
  wait:
    description:
      - Wait until the device is back.
      - The request is sent once. When the connection fails after the device may have had it, it is not retried,
        as a second request would restart the device again. With O(wait=true) the wait then tells whether the
        device restarted (if it never had the request, the task fails after O(wait_timeout) saying so); with
        O(wait=false) the task fails saying the device may or may not have acted.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the device to come back; the task fails when it has not, and still reports C(changed)
        (unless the reply to the request was lost and the device never stopped answering).
      - V(1) to V(86400), checked before any request.
    type: int
    default: 300
seealso:
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Restart the intercom and wait until it is back
  twon.helios.helios_system:
    state: restarted
    wait_timeout: 120
'''

RETURN = r'''
uptime_before:
  description: C(upTime) in seconds before the request.
  returned: success
  type: int
  sample: 190524
uptime_after:
  description: C(upTime) in seconds when the device answered again.
  returned: when O(wait=true) and not in check mode
  type: int
  sample: 0
elapsed:
  description: Seconds from the request until the device answered again.
  returned: when O(wait=true) and not in check mode
  type: float
  sample: 2.5
'''

from ansible_collections.twon.helios.plugins.module_utils._system import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
