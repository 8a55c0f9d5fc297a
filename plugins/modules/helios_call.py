#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_call
short_description: Dial, answer or hang up calls on a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Places an outgoing call to a phone number or SIP URI, answers a ringing incoming call, or hangs up calls,
    through the HTTP API functions C(call/status), C(call/dial), C(call/answer) and C(call/hangup).
  - Needs the Enhanced Integration licence and an account with the Call/Phone Monitoring and Control privileges.
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
    details:
      - The diff shows the active calls before and after.
  idempotent:
    support: partial
    details:
      - V(answered) and V(hung_up) are idempotent; a call already connected or already gone is no change.
      - V(dialed) places a new call on every run; the device does not tell whom an active call is to, so the
        module cannot know the call was placed before.
options:
  state:
    description:
      - V(dialed) calls O(number). V(answered) answers the incoming call O(session). V(hung_up) ends the call
        O(session), or every active call when O(session) is not set.
      - A dial is sent once. When the connection fails after the device may have had it (no reply within
        O(timeout), the connection closed before the reply), it is not retried, as a second dial would place a
        second call; the task fails saying the device may or may not have acted.
      - An answer or a hang-up whose reply is lost that way is checked against the device's list of calls, and
        sent again only when the device did not act (a second one would be refused).
    type: str
    required: true
    choices: [dialed, answered, hung_up]
  number:
    description:
      - Phone number or SIP URI to call, for example V(sip:1234@10.0.23.194).
      - Required with O(state=dialed), refused with other states.
    type: str
  session:
    description:
      - Identifier of the call, as returned by O(state=dialed) or listed in
        RV(twon.helios.helios_info#module:info.calls).
      - Required with O(state=answered); optional with O(state=hung_up); refused with O(state=dialed).
      - V(1) or more.
    type: int
seealso:
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Call the concierge
  twon.helios.helios_call:
    state: dialed
    number: sip:100@pbx.example.com
  register: call

- name: Hang it up again
  twon.helios.helios_call:
    state: hung_up
    session: "{{ call.session.session }}"

- name: End every call on the intercom
  twon.helios.helios_call:
    state: hung_up
'''

RETURN = r'''
session:
  description:
    - The call dialed or answered, as C(call/status) reports it after the task.
    - V(null) for O(state=hung_up), and for O(state=dialed) in check mode.
  returned: success
  type: dict
  contains:
    session:
      description: Identifier of the call.
      type: int
      sample: 2
    direction:
      description: V(incoming) or V(outgoing).
      type: str
      sample: outgoing
    state:
      description: V(connecting), V(ringing) or V(connected).
      type: str
      sample: ringing
sessions:
  description: All active calls after the task (in check mode, as they would be), each like RV(session).
  returned: success
  type: list
  elements: dict
  sample: [{session: 2, direction: outgoing, state: ringing}]
'''

from ansible_collections.twon.helios.plugins.module_utils._call import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
