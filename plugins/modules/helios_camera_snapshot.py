#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_camera_snapshot
short_description: Save a JPEG snapshot from the camera of a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Downloads a JPEG snapshot through the HTTP API functions C(camera/caps) and C(camera/snapshot) and writes it
    to O(dest).
  - Checks the resolution and source against C(camera/caps) first.
  - The file is replaced atomically, and only when the snapshot differs from it.
  - Needs an account with the Camera Monitoring privilege; no licence.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the snapshot is taken and compared, but O(dest) is not written.
  diff_mode:
    support: full
    details:
      - The diff shows the SHA-256 of O(dest) before and after.
  idempotent:
    support: partial
    details:
      - A change is reported only when the picture differs from O(dest); a live camera usually differs each time.
options:
  dest:
    description:
      - File to write the JPEG to, on the host the module runs on (the controller, normally). Its directory must
        exist and be writable; otherwise the task fails before any request.
    type: path
    required: true
  width:
    description:
      - Horizontal resolution in pixels; O(width) x O(height) must be one of
        C(info.camera.jpegResolution) of M(twon.helios.helios_info).
      - V(1) to V(10000).
    type: int
    default: 640
  height:
    description:
      - Vertical resolution in pixels, V(1) to V(10000).
    type: int
    default: 480
  source:
    description:
      - Video source, V(internal) or V(external) on most models; see
        C(info.camera.sources) of M(twon.helios.helios_info).
      - When not set, the device's default source is used.
    type: str
seealso:
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Keep a picture of every entrance
  twon.helios.helios_camera_snapshot:
    dest: "snapshots/{{ inventory_hostname }}.jpg"
    width: 320
    height: 240
    source: internal
'''

RETURN = r'''
dest:
  description: The file written.
  returned: success
  type: str
  sample: /srv/snapshots/door-1.jpg
checksum:
  description: SHA-256 of the snapshot.
  returned: success
  type: str
  sample: 4f2a3b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
size:
  description: Size of the snapshot in bytes.
  returned: success
  type: int
  sample: 18342
'''

from ansible_collections.twon.helios.plugins.module_utils._camera_snapshot import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
