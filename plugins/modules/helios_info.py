#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_info
short_description: Read everything a 2N Helios IP intercom can tell
version_added: 0.1.0
description:
  - Reads the device's identity, status, switches, logic ports, SIP accounts, active calls, camera and displays
    through the HTTP API in one task.
  - A subset the device refuses because its service is disabled, the licence is missing, the account lacks the
    privilege or the model lacks the function is reported under RV(unavailable) instead of failing the task.
  - Works with 2.11 firmware and with current firmware (2.13 and later), which reports more (for example
    C(macAddr) in C(system/info), and C(locked) for each switch); what the device reports is returned as it is.
  - The functions of current firmware that this collection knows (C(log/caps), C(log/subscribe), C(log/pull),
    C(log/unsubscribe), C(audio/test), C(email/send)) are listed under RV(unavailable) when the device's firmware
    lacks them. The device is asked, not its version number trusted, by one read of C(log/caps), which firmware
    without these functions answers with error 2 (invalid request path). They came with the same firmware
    generation, so a device without C(log/caps) lacks them all; nothing that acts is sent to find out.
  - Optionally applies a JMESPath O(query) to the result.
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
    support: N/A
    details:
      - The module never changes anything.
  idempotent:
    support: full
options:
  gather_subset:
    description:
      - What to read. V(all) reads every subset.
      - V(system) is C(system/info), V(status) C(system/status), V(switches) C(switch/caps) and C(switch/status),
        V(ports) C(io/caps) and C(io/status), V(phone) C(phone/status), V(calls) C(call/status), V(camera)
        C(camera/caps), V(display) C(display/caps).
    type: list
    elements: str
    choices: [all, system, status, switches, ports, phone, calls, camera, display]
    default: [all]
  query:
    description:
      - A JMESPath expression applied to RV(info); its value is returned as RV(query_result).
      - Checked before any request is sent.
    type: str
  as_facts:
    description:
      - Also return what was read as the fact C(helios), so that later tasks, templates and reports of the play read
        C(ansible_facts.helios) (for example C(ansible_facts.helios.system.swVersion)) without registering it.
      - The fact holds the keys of RV(info) that were gathered, and C(unavailable) (as RV(unavailable)).
    type: bool
    default: false
requirements:
  - jmespath (only for O(query))
seealso:
  - name: JMESPath
    description: The query language of O(query).
    link: https://jmespath.org/
'''

EXAMPLES = r'''
- name: Read all intercoms
  hosts: intercoms
  connection: local
  gather_facts: false
  # every connection option comes from the inventory: helios_* host variables, else HELIOS_* environment variables
  tasks:
    - name: Read everything
      twon.helios.helios_info:
      register: helios

    - name: Show the firmware version
      ansible.builtin.debug:
        msg: "{{ helios.info.system.swVersion }}"

    - name: Gather once as facts
      twon.helios.helios_info:
        gather_subset: [system, status, phone]
        as_facts: true

    - name: Later tasks read them without registering
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }} runs {{ ansible_facts.helios.system.swVersion }}"

    - name: Which switches are enabled
      twon.helios.helios_info:
        gather_subset: [switches]
        query: "switches[?enabled].switch"
      register: enabled_switches
'''

RETURN = r'''
info:
  description: What the device told, by subset; a subset not gathered or unavailable is absent.
  returned: success
  type: dict
  contains:
    system:
      description:
        - Identity from C(system/info); current firmware adds fields such as the MAC address C(macAddr).
      returned: when V(system) is gathered
      type: dict
      sample: {variant: 2N Helios IP Vario, serialNumber: 08-1860-0035, hwVersion: 535v1, swVersion: 2.10.0.19.2,
               buildType: beta, deviceName: 2N Helios IP Vario}
    status:
      description: C(system/status), with C(systemTime) (unix time) and C(upTime) (seconds since the last start).
      returned: when V(status) is gathered
      type: dict
      sample: {systemTime: 1418225091, upTime: 190524}
    switches:
      description:
        - Switches, each its settings from C(switch/caps) merged with C(active) from C(switch/status).
        - Current firmware also reports C(locked) (held by a lock or hold function) for each switch.
      returned: when V(switches) is gathered
      type: list
      elements: dict
      sample: [{switch: 1, enabled: true, mode: monostable, switchOnDuration: 5, type: normal, active: false},
               {switch: 3, enabled: false, active: false}]
    ports:
      description: Logic inputs and outputs, each C(port) and C(type) from C(io/caps) merged with C(state) from
        C(io/status).
      returned: when V(ports) is gathered
      type: list
      elements: dict
      sample: [{port: relay1, type: output, state: 0}, {port: input1, type: input, state: 1}]
    accounts:
      description: SIP accounts from C(phone/status).
      returned: when V(phone) is gathered
      type: list
      elements: dict
      sample: [{account: 1, sipNumber: "5046", registered: true, registerTime: 1418034578}]
    calls:
      description: Active calls from C(call/status); empty when there are none.
      returned: when V(calls) is gathered
      type: list
      elements: dict
      sample: [{session: 1, direction: outgoing, state: ringing}]
    camera:
      description: C(camera/caps), with the snapshot resolutions C(jpegResolution) and the video C(sources).
      returned: when V(camera) is gathered
      type: dict
      sample: {jpegResolution: [{width: 640, height: 480}], sources: [{source: internal}]}
    displays:
      description: Displays from C(display/caps).
      returned: when V(display) is gathered
      type: list
      elements: dict
      sample: [{display: internal, resolution: {width: 320, height: 240}}]
unavailable:
  description:
    - Subsets the device refused, each with the device's error C(code) and the C(reason).
    - And, keyed by function (C(audio/test), always with a C(/), which no subset name has), the functions of current
      firmware the device's firmware lacks, each with C(code) 2 and the C(reason). Empty when the device has every
      function and answered every subset.
  returned: success
  type: dict
  sample: {status: {code: 5, reason: "system/status: function is licensed (code 5): the function needs the Enhanced Integration licence"},
           audio/test: {code: 2, reason: "the firmware lacks /api/audio/test: the device runs 2.11.0.22.1 and answered log/caps with
                                          error 2 (invalid request path); current firmware (2.13 or later) has it"}}
ansible_facts:
  description: With O(as_facts=true), the fact C(helios).
  returned: when O(as_facts=true)
  type: dict
  contains:
    helios:
      description: The keys of RV(info) that were gathered, and C(unavailable) as RV(unavailable).
      returned: when O(as_facts=true)
      type: dict
      sample: {system: {variant: 2N Helios IP Verso, serialNumber: 54-2711-0001, swVersion: 2.11.0.22.1},
               unavailable: {}}
query_result:
  description: The value of O(query) applied to RV(info).
  returned: when O(query) is set
  type: raw
  sample: [1, 2]
'''

from ansible_collections.twon.helios.plugins.module_utils._info import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
