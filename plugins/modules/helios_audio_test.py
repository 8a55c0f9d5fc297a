#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_audio_test
short_description: Run the audio loop test of a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Starts the device's audio loop test through the HTTP API function C(audio/test); the speaker plays a tone that
    the microphone must hear. The test takes a few seconds; the device postpones it while a call is active.
  - The function replies at once; the outcome arrives later as an C(AudioLoopTest) event in the device's log
    (the Logging service of current firmware), which this module does not wait for.
  - Needs current firmware (2.13 or later), the Audio service and an account with the Audio Control privilege
    (and, by the vendor's manual, the Gold or Enhanced Audio licence). On 2.11 firmware the task fails, before
    anything is sent, saying that the firmware lacks C(/api/audio/test) and which version the device runs.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module only reads (whether the firmware has the function) and reports the change it
        would make; the test is not started.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - A test is an event, not a state to reach; every run starts one and reports C(changed). Use C(when) or a
        schedule to run it only when wanted.
options: {}
notes:
  - When the connection fails after the device may have had the request, it is not sent again; the task fails
    saying that the device may or may not have started the test.
seealso:
  - module: twon.helios.helios_info
    description: Lists under C(unavailable) the functions of current firmware that a device lacks.
  - name: 2N IP intercoms HTTP API manual, audio/test
    description: The function in the vendor's latest manual.
    link: https://wiki.2n.com/hip/hapi/latest/en
'''

EXAMPLES = r'''
- name: Start the audio loop test on intercoms with current firmware
  twon.helios.helios_audio_test:
  register: audio_test

- name: Say that it was started
  ansible.builtin.debug:
    msg: "audio test {{ 'started' if audio_test.sent else 'not started (check mode)' }}"
'''

RETURN = r'''
sent:
  description: Whether the test was started; false in check mode.
  returned: success
  type: bool
  sample: true
'''

from ansible_collections.twon.helios.plugins.module_utils._audio_test import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
