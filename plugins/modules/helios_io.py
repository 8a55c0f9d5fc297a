#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_io
short_description: Set a logic output of a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Sets a logic output (port) of a 2N Helios IP intercom to active (log. 1) or inactive (log. 0) through the
    HTTP API functions C(io/caps), C(io/status) and C(io/ctrl).
  - Reads the port's current level first and acts only when it differs.
  - Refuses a port the device does not have, and inputs, before sending any control request.
  - Needs the Enhanced Integration licence and an account with the I/O Monitoring and I/O Control privileges.
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
    support: full
options:
  output:
    description:
      - Identifier of the output port, for example V(relay1); see RV(twon.helios.helios_info#module:info.ports).
      - Called C(port) in the HTTP API; here O(port) is the TCP port of the API.
    type: str
    required: true
  state:
    description:
      - V(active) sets the output to log. 1, V(inactive) to log. 0.
    type: str
    required: true
    choices: [active, inactive]
seealso:
  - module: twon.helios.helios_info
  - module: twon.helios.helios_switch
'''

EXAMPLES = r'''
- name: Switch the courtyard light relay on
  twon.helios.helios_io:
    output: relay1
    state: active
'''

RETURN = r'''
output:
  description: The output's capabilities (from C(io/caps)) and its level after the task.
  returned: success
  type: dict
  contains:
    port:
      description: Identifier of the port.
      type: str
      sample: relay1
    type:
      description: Always V(output) here.
      type: str
      sample: output
    state:
      description: Level after the task, V(1) active or V(0) inactive (in check mode, the level it would have).
      type: int
      sample: 1
'''

from ansible_collections.twon.helios.plugins.module_utils._io import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
