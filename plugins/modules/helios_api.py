#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_api
short_description: Call any HTTP API function of a 2N Helios IP intercom
version_added: 0.1.0
description:
  - Calls one HTTP API function of the device by its path, with parameters and optionally a file to upload, for
    what no module of this collection wraps yet. Prefer the module that wraps a function when there is one; it knows
    whether the device already is as wanted.
  - The connection (address, port, protocol, account, certificates, retries) is the one every module of the
    collection uses; O(path) only names the function.
  - You say whether the call acts on the device (O(acts)). A read (V(false)) is retried after a connection fault
    like every read, runs in check mode and reports no change. A call that acts (V(true)) is sent once; when the
    connection fails after the device may have had it, it is not sent again, and the task fails saying that the
    device may or may not have acted. In check mode it is not sent at all.
  - The result of a JSON reply is returned as RV(result). A reply that is not JSON (a JPEG from C(camera/snapshot),
    the configuration XML from C(config)) is written to O(dest); it is never put in the result, as it may hold
    secrets (the configuration holds the device's passwords).
  - An error reply of the device fails the task with its code and description as the device sent them, codes that
    this collection does not know included.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
    details:
      - With O(acts=false) the call is sent and its result returned (O(dest) is not written).
      - With O(acts=true) nothing is sent; the task reports C(changed) (what it would do) and RV(sent) is false.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - The module does not know what a function changes. With O(acts=true) every run sends the call and reports
        C(changed); use C(when) to call it only when needed. With O(acts=false) it reports no change (unless it
        writes O(dest)).
options:
  path:
    description:
      - The function to call, C(/api/) and its name, such as V(/api/system/info) or V(/api/switch/ctrl); the name
        alone (V(system/info)) is accepted too.
      - Only functions of the device's HTTP API (letters, digits, C(-) and C(_) between single slashes). A scheme,
        host, port, query string or C(..) is refused before any request; the device's address comes from the
        connection options.
    type: str
    required: true
  method:
    description:
      - The HTTP method. Most functions take V(GET) and V(POST) alike; uploads take V(PUT), deletions V(DELETE).
      - Default V(PUT) with O(src), else V(GET).
    type: str
    choices: [GET, POST, PUT, DELETE]
  params:
    description:
      - The function's simple parameters, name to value (string, number or boolean; booleans are sent as V(true)
        and V(false)). They are sent in the request's URI query, as the manual's first method says.
      - A C(blob-) parameter is a file; give it with O(src) and O(src_param) instead.
    type: dict
    default: {}
  acts:
    description:
      - Whether the call acts on the device (opens a switch, restarts, sends an e-mail, uploads). Required, as the
        module cannot know that of every function.
      - V(true) sends the call once and never in check mode, and reports C(changed) when it was sent.
      - V(false) is a read; refused with O(src), with O(method=PUT) or O(method=DELETE), and for the functions this
        collection knows to act (C(switch/ctrl), C(io/ctrl), C(system/restart), C(firmware/apply),
        C(config/factoryreset), C(call/dial), C(call/answer), C(call/hangup), C(audio/test), C(email/send),
        C(log/subscribe), C(log/pull), C(log/unsubscribe), and of the latest manual C(accesspoint/grantaccess),
        C(accesspoint/blocking/ctrl), C(lift/grantaccess), C(dir/create), C(dir/update), C(dir/delete),
        C(pcap/restart), C(pcap/stop)), before any request. That list is a safety net, not a complete one; say
        V(true) for any call that acts.
    type: bool
    required: true
  src:
    description:
      - A file to upload as the blob parameter O(src_param), on the host the module runs on, streamed with
        C(multipart/form-data) and O(method=PUT). Needs O(acts=true).
    type: path
  src_param:
    description:
      - The blob parameter the function takes O(src) as, such as V(blob-cfg) (C(config)), V(blob-fw) (C(firmware))
        or V(blob-image) (C(display/image)). Required with O(src).
    type: str
  content_type:
    description:
      - The Content-Type O(src) is sent with, such as V(image/gif) or V(application/xml).
    type: str
    default: application/octet-stream
  dest:
    description:
      - File to write a reply that is not JSON to (a JPEG, the configuration XML), on the host the module runs on;
        its directory must exist and be writable, else the task fails before any request. It is replaced atomically,
        and only when the reply differs from it (which then counts as a change); not in check mode.
      - Without it such a reply fails the task (the call was made; with O(acts=true) it reports C(changed)). A JSON
        reply is returned as RV(result) and leaves O(dest) alone.
    type: path
notes:
  - A function that the device's firmware does not have is answered with error 2 (invalid request path); the
    functions of current firmware that a device lacks are listed by M(twon.helios.helios_info) under
    C(unavailable).
seealso:
  - module: twon.helios.helios_info
  - name: 2N IP intercoms HTTP API manual
    description: The functions, their parameters and privileges.
    link: https://wiki.2n.com/hip/hapi/latest/en
'''

EXAMPLES = r'''
- name: Read the device's identity, as the function returns it
  twon.helios.helios_api:
    path: /api/system/info
    acts: false
  register: identity

- name: Show its serial number
  ansible.builtin.debug:
    msg: "{{ identity.result.serialNumber }}"

- name: Open the door lock (switch 1) once; check mode does not send it
  twon.helios.helios_api:
    path: /api/switch/ctrl
    params:
      switch: 1
      action: trigger
    acts: true

- name: Save a snapshot (a reply that is not JSON goes to dest)
  twon.helios.helios_api:
    path: /api/camera/snapshot
    params:
      width: 640
      height: 480
    acts: false
    dest: "snapshots/{{ inventory_hostname }}-api.jpg"

- name: Upload a picture to the display
  twon.helios.helios_api:
    path: /api/display/image
    params:
      display: internal
    src: files/welcome-320x240.gif
    src_param: blob-image
    content_type: image/gif
    acts: true
'''

RETURN = r'''
path:
  description: The function called, as C(/api/) and its name.
  returned: always
  type: str
  sample: /api/system/info
method:
  description: The HTTP method used (or that would be, in check mode).
  returned: always
  type: str
  sample: GET
sent:
  description: Whether the call was sent; false for O(acts=true) in check mode.
  returned: always
  type: bool
  sample: true
result:
  description: The C(result) object of the device's JSON reply; empty for functions that reply with C(success)
    alone.
  returned: when the call was sent and the device replied with JSON
  type: dict
  sample: {variant: 2N Helios IP Verso, serialNumber: 54-2711-0001, hwVersion: 535v1, swVersion: 2.11.0.22.1}
dest:
  description: Where a reply that is not JSON was written (not in check mode).
  returned: when the device replied with something else than JSON
  type: str
  sample: snapshots/door-1-api.jpg
checksum:
  description: SHA-256 of a reply that is not JSON.
  returned: when the device replied with something else than JSON
  type: str
  sample: 1fd2b5b1d5a5cfe0c3d3b0e5e9c8e0f6b1f56d0b2c6b5f4f4c2e6c1e2a3b4c5d
size:
  description: Size in bytes of a reply that is not JSON.
  returned: when the device replied with something else than JSON
  type: int
  sample: 20489
content_type:
  description: The Content-Type of a reply that is not JSON.
  returned: when the device replied with something else than JSON
  type: str
  sample: image/jpeg
'''

from ansible_collections.twon.helios.plugins.module_utils._api import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
