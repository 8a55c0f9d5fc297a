#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_drift
short_description: Tell every difference between a 2N Helios IP intercom and its desired state
version_added: 0.1.0
description:
  - Compares a 2N Helios IP intercom with its desired state in one task and changes nothing. It compares the
    configuration (O(settings), as M(twon.helios.helios_config) would apply it), switch states (O(switches), as
    M(twon.helios.helios_switch)), output states (O(outputs), as M(twon.helios.helios_io)), the display image
    (O(display_image), as M(twon.helios.helios_display_image)) and the firmware version (O(firmware_version)).
  - Each kind is judged by the same code its own module uses in check mode, so this module and those modules run
    with C(--check --diff) agree on what differs.
  - What the task is not given is not compared.
  - "Returns each difference as RV(differences) and as a line in RV(report) that reads
    'kind: what (device value -> desired value)'; secret values are masked."
  - The task does not fail on drift (RV(drifted) tells). It fails when the device cannot be compared, with
    RV(status) V(unreachable) when no usable reply came (connection refused or dropped, timeout, TLS failure,
    HTTP 5xx) and V(error) for any other failure, such as a switch the device does not have.
  - The twon.helios.provision role verifies its work with this module, and the C(twon.helios.drift) playbook
    reports a fleet's drift with it.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    support: full
    details:
      - With C(--diff), a drifted configuration is shown as a diff of the device's document and the desired one
        (secrets masked), and drifted states as a list.
  idempotent:
    support: full
options:
  settings:
    description:
      - Desired configuration tree, as O(twon.helios.helios_config#module:settings). Unset or empty, the
        configuration is not compared.
      - A desired element the device does not have fails the task as it fails M(twon.helios.helios_config).
    type: dict
  mode:
    description:
      - V(merge) or V(replace), as O(twon.helios.helios_config#module:mode). With V(replace), O(settings) must
        hold every value the device has.
    type: str
    choices: [merge, replace]
    default: merge
  switches:
    description:
      - Desired switch states. V(triggered) is an action, not a state, and is not compared.
    type: list
    elements: dict
    default: []
    suboptions:
      switch:
        description: Switch number.
        type: int
        required: true
      state:
        description: V(active), V(inactive) or V(triggered).
        type: str
        required: true
        choices: [active, inactive, triggered]
  outputs:
    description:
      - Desired output states.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: Output name, for example V(relay1).
        type: str
        required: true
      state:
        description: V(active) or V(inactive).
        type: str
        required: true
        choices: [active, inactive]
  display:
    description:
      - Display of O(display_image).
    type: str
    default: internal
  display_image:
    description:
      - Path of the GIF the display should show. Unset, the display is not compared.
      - The device cannot send its image back, so this is judged as
        M(twon.helios.helios_display_image) judges it, by the marker that module keeps in O(marker_dir) on the
        controller that uploaded the image; with no marker, or after the device restarted, the image shown is
        V(unknown) and differs.
    type: path
  marker_dir:
    description:
      - Directory of the display image markers, as O(twon.helios.helios_display_image#module:marker_dir).
    type: path
    default: ~/.cache/twon.helios/display
  firmware_version:
    description:
      - The firmware version the device should run, as C(system/info) reports it (for example V(2.12.0.1.1)).
        Unset, the firmware is not compared.
    type: str
seealso:
  - module: twon.helios.helios_config
  - module: twon.helios.helios_switch
  - module: twon.helios.helios_io
  - module: twon.helios.helios_display_image
'''

EXAMPLES = r'''
- name: Fail every intercom that no longer matches its inventory
  hosts: intercoms
  connection: local
  gather_facts: false
  # every connection option comes from the inventory: helios_* host variables, else HELIOS_* environment variables
  tasks:
    - name: Compare each intercom with its desired state
      twon.helios.helios_drift:
        settings: "{{ helios_settings }}"
        switches: "{{ helios_switches }}"
        outputs: "{{ helios_outputs }}"
        firmware_version: "{{ helios_firmware_version }}"
      register: drift
      failed_when: drift.failed or drift.drifted

    - name: Show how an intercom differs
      ansible.builtin.debug:
        msg: "{{ drift.report }}"
      when: drift.drifted
'''

RETURN = r'''
drifted:
  description: Whether the device differs from the desired state in anything compared.
  returned: success
  type: bool
  sample: true
status:
  description:
    - V(clean) or V(drifted); when the task fails, V(unreachable) (no usable reply from the device) or V(error)
      (any other failure, the message tells).
  returned: success, and when the device could not be compared
  type: str
  sample: drifted
differences:
  description: Every difference, configuration first, then switches, outputs, display and firmware.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: V(config), V(switch), V(output), V(display) or V(firmware).
      type: str
      sample: switch
    what:
      description:
        - The configuration path (as RV(twon.helios.helios_config#module:changed_paths)), switch number, output
          name, display name, or V(version).
      type: str
      sample: "2"
    device:
      description:
        - The device's value; V(null) for a configuration path only the desired document has. Secrets are masked.
      type: str
      sample: inactive
    desired:
      description: The desired value; V(null) for a configuration path only the device has. Secrets are masked.
      type: str
      sample: active
  sample:
    - {kind: config, what: WebServer/DeviceName, device: Intruder, desired: Entrance 1}
    - {kind: switch, what: "2", device: inactive, desired: active}
report:
  description: "Each difference as a line 'kind: what (device value -> desired value)'."
  returned: success
  type: list
  elements: str
  sample:
    - "config: WebServer/DeviceName (Intruder -> Entrance 1)"
    - "switch: 2 (inactive -> active)"
'''

from ansible_collections.twon.helios.plugins.module_utils._drift import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
