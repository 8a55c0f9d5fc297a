#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_email
short_description: Send an e-mail through a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Sends an e-mail through the device with the HTTP API function C(email/send), using the SMTP server, account
    and sender address configured on the device (Services / E-Mail), optionally with camera snapshots attached.
  - Needs current firmware (2.13 or later), the E-mail service and an account with the Email Control privilege.
    On 2.11 firmware the task fails, before anything is sent, saying that the firmware lacks C(/api/email/send)
    and which version the device runs.
  - The device accepts the message for delivery; whether the SMTP server delivers it is not reported back.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module only reads (whether the firmware has the function, and C(camera/caps) when
        O(width) is set) and reports the change it would make; nothing is sent.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Sending is an event, not a state to reach, and the device keeps no record of the messages it sent, so
        the module cannot tell that a message was already sent, so every run sends it again and reports C(changed).
        A send-once guard is not possible; use C(when), a handler or C(run_once) to send only when wanted.
options:
  to:
    description:
      - The address to deliver to. One line; control characters (a line break) are refused before any request.
    type: str
    required: true
  subject:
    description:
      - The subject. One line; control characters (a line break) are refused before any request.
    type: str
    required: true
  body:
    description:
      - The message text, HTML marks included if needed. Without it the message has no text.
    type: str
  picture_count:
    description:
      - How many camera snapshots to attach, V(0) to V(5) (checked before any request); none when not set.
    type: int
  time_span:
    description:
      - Over how many seconds the attached snapshots are taken, V(0) to V(86400); the device's default (V(0)) when
        not set.
    type: int
  width:
    description:
      - Resolution of the attached snapshots with O(height); must be one of C(info.camera.jpegResolution) of
        M(twon.helios.helios_info), which is checked against C(camera/caps) before anything is sent.
      - V(1) to V(10000); the device's default when not set.
    type: int
  height:
    description:
      - Vertical resolution of the attached snapshots, V(1) to V(10000); required with O(width).
    type: int
notes:
  - When the connection fails after the device may have had the request, it is not sent again (a second request
    would send a second message); the task fails saying that the device may or may not have sent it.
seealso:
  - module: twon.helios.helios_info
    description: Lists under C(unavailable) the functions of current firmware that a device lacks.
  - name: 2N IP intercoms HTTP API manual, email/send
    description: The function and its parameters in the vendor's latest manual.
    link: https://wiki.2n.com/hip/hapi/latest/en
'''

EXAMPLES = r'''
- name: Send the front desk a message with two snapshots
  twon.helios.helios_email:
    to: frontdesk@example.com
    subject: "Intercom {{ inventory_hostname }}: maintenance done"
    body: The intercom was serviced today.
    picture_count: 2
    width: 640
    height: 480
'''

RETURN = r'''
sent:
  description: Whether the message was handed to the device; false in check mode.
  returned: success
  type: bool
  sample: true
'''

from ansible_collections.twon.helios.plugins.module_utils._email import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
