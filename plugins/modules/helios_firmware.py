#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_firmware
short_description: Upgrade the firmware of a 2N Helios IP intercom safely
version_added: 0.1.0
description:
  - Uploads a firmware image (HTTP API function C(firmware)), checks the version the device reports for it, applies
    it (C(firmware/apply)) and waits until the device has restarted and runs that version.
  - Nothing is uploaded when O(version) is given and the device already runs it; an uploaded image that carries the
    running version is not applied.
  - An image older than the running firmware is refused before it is applied unless O(allow_downgrade=true).
  - The upload is streamed from disk; memory use does not grow with the image size.
  - In check mode nothing is uploaded; without O(version) the module cannot know the image's version and reports a
    change.
  - Needs the Enhanced Integration licence and an account with the System Control privilege.
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
      - The diff shows the firmware version before and after.
  idempotent:
    support: full
    details:
      - With O(version) set, a device already running it is left alone without an upload. Without it the image is
        uploaded to learn its version, and applied only if it differs from the running one.
options:
  src:
    description:
      - Path of the firmware image on the controller (or on the host the task is delegated to).
      - The file must exist and be readable; otherwise the task fails before any request.
      - The upload is sent once. When its reply is lost (the connection closed or timed out after the device may
        have had it), it is not repeated, nothing is applied, and the task fails saying so.
    type: path
    required: true
  version:
    description:
      - The version the image carries, for example V(2.12.0.1.1).
      - When the device already runs it, nothing is uploaded. When the device reports another version for the
        uploaded image, the task fails before applying it.
    type: str
  allow_downgrade:
    description:
      - Apply an image older than the running firmware. Without it such an image is uploaded but not applied.
    type: bool
    default: false
  wait:
    description:
      - Wait until the device has restarted (it stopped answering or its upTime went back), answers again, and runs
        the new version.
      - The request to apply the firmware is sent once. When the connection fails after the device may have had
        it, it is not retried; with O(wait=true) the wait then tells whether the device restarted into the new
        version (if it never had the request, the task fails after O(wait_timeout) saying so), with O(wait=false)
        the task fails saying the device may or may not have acted.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the restart when O(wait=true).
      - V(1) to V(86400), checked before any request (also with O(wait=false)).
      - A device that has not come back within it fails the task, which still reports C(changed) once the image was
        applied (unless the reply to the apply request was lost and the device never stopped answering).
    type: int
    default: 600
seealso:
  - module: twon.helios.helios_system
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Upgrade the intercoms in waves of five
  hosts: intercoms
  connection: local
  gather_facts: false
  # every connection option comes from the inventory: helios_* host variables, else HELIOS_* environment variables
  serial: 5
  max_fail_percentage: 0
  tasks:
    - name: Install firmware 2.12.0.1.1
      twon.helios.helios_firmware:
        src: firmware/helios-2.12.0.1.1.bin
        version: 2.12.0.1.1
        wait_timeout: 900
'''

RETURN = r'''
previous_version:
  description: The firmware version the device ran before the task.
  returned: success
  type: str
  sample: 2.11.0.22.1
version:
  description: The firmware version the device runs after the task (in check mode, O(version) if given).
  returned: success
  type: str
  sample: 2.12.0.1.1
downgrade:
  description: Whether the applied image was older than the previous firmware.
  returned: when an image was applied
  type: bool
  sample: false
timings:
  description: Seconds spent uploading, waiting for the restart, and in total.
  returned: success
  type: dict
  sample: {upload: 1.2, restart: 31.5, total: 33.1}
error:
  description: The device's error reply, when the task failed on one (code 12 for a corrupt or foreign image).
  returned: failure on a device error reply
  type: dict
  sample: {function: firmware, code: 12, description: invalid parameter value, param: blob-fw}
'''

from ansible_collections.twon.helios.plugins.module_utils._firmware import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
