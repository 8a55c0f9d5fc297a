#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_display_image
short_description: Show a GIF image on the display of a 2N Helios IP intercom, or remove it
version_added: 0.1.0
description:
  - Uploads a GIF image to a display of a 2N Helios IP intercom, or deletes the uploaded image, through the HTTP
    API functions C(display/caps) and C(display/image).
  - Checks before uploading that O(src) is a GIF with exactly the display's resolution.
  - B(What changed means.) The HTTP API cannot read an image back. The module therefore keeps, on the host it
    runs on, a marker file per device and display (see O(marker_dir)) recording the SHA-256 of the image it
    last uploaded, or that it removed the image, and when the device had last started. The image is uploaded
    (or deleted), and the task reports a change, when the marker is missing, records something else, or the
    device has restarted since; otherwise nothing is sent.
  - Changes made by other means (the web interface, another controller with its own markers) are not seen;
    use O(force=true) to upload regardless.
  - Needs the Enhanced Integration licence, an account with the Display Control privilege, and the display's
    standard function switched off (Hardware / Display). Restart detection uses C(system/status), which needs
    the System Control privilege; without it the marker alone decides.
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
      - The diff shows the SHA-256 of the image recorded in the marker and of O(src).
  idempotent:
    support: full
    details:
      - Judged by the marker file, not by the device, which cannot tell what it shows.
options:
  display:
    description:
      - Identifier of the display; see RV(twon.helios.helios_info#module:info.displays).
    type: str
    default: internal
  src:
    description:
      - GIF image to show, a path on the host the module runs on (the controller, normally).
      - Must have the display's resolution, for example 320x240.
      - Required when O(state=present).
      - The file must exist and be readable; otherwise the task fails before any request.
      - The upload is sent once. When its reply is lost (the connection closed or timed out after the device may
        have had it), it is not repeated and the task fails saying the display may or may not show the image; the
        marker is not updated, so the next run uploads it again.
    type: path
  state:
    description:
      - V(present) shows O(src) on the display; V(absent) removes the uploaded image.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Upload (or delete) even if the marker says the display already shows what is wanted.
    type: bool
    default: false
  marker_dir:
    description:
      - Directory of the marker files, on the host the module runs on. One file per device serial number and
        display.
      - Made when missing; the task fails before any request when it cannot be.
    type: path
    default: ~/.cache/twon.helios/display
seealso:
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Show the welcome screen
  twon.helios.helios_display_image:
    src: files/welcome-320x240.gif

- name: Remove the image again
  twon.helios.helios_display_image:
    state: absent
'''

RETURN = r'''
display:
  description: The display, from C(display/caps).
  returned: success
  type: dict
  sample: {display: internal, resolution: {width: 320, height: 240}}
checksum:
  description: SHA-256 of O(src), or V(null) for O(state=absent).
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
marker:
  description: Path of the marker file that records what this collection put on the display.
  returned: success
  type: str
  sample: /home/ops/.cache/twon.helios/display/08-1860-0035-internal.json
'''

from ansible_collections.twon.helios.plugins.module_utils._display_image import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
