# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_camera_snapshot: save a JPEG from the camera (manual 5.19, 5.20).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import hashlib

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._files import sha256_of_file, write_atomically
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff


def check_resolution(width, height, caps):
    """Refuse a snapshot resolution the camera does not offer (camera/caps), naming those it does."""
    resolutions = ['%dx%d' % (r['width'], r['height']) for r in caps['jpegResolution']]
    wanted = '%dx%d' % (width, height)
    if wanted not in resolutions:
        raise HeliosParameterError('width and height %s are not a resolution the camera supports; supported: %s' % (
            wanted, ', '.join(resolutions)))


def _check_request(params, caps):
    """Refuse a resolution or source the camera does not offer, naming those it does."""
    check_resolution(params['width'], params['height'], caps)
    sources = [s['source'] for s in caps['sources']]
    if params['source'] is not None and params['source'] not in sources:
        raise HeliosParameterError('source "%s" is not a video source of this device; sources: %s' % (
            params['source'], ', '.join(sources)))


def run(params, client, check_mode, diff):
    dest = params['dest']
    _check_request(params, client.get('camera/caps'))
    query = dict(width=params['width'], height=params['height'])
    if params['source'] is not None:
        query['source'] = params['source']
    jpeg = client.download('camera/snapshot', **query)
    checksum = hashlib.sha256(jpeg).hexdigest()
    previous = sha256_of_file(dest)
    changed = checksum != previous
    if changed and not check_mode:
        write_atomically(dest, jpeg)
    result = dict(changed=changed, dest=dest, checksum=checksum, size=len(jpeg))
    return with_diff(result, diff, dict(dest=dest, checksum=previous), dict(dest=dest, checksum=checksum))


TASK = HeliosTask(run, dict(
    dest=dict(type='path', required=True, local_path='output'),
    width=dict(type='int', default=640, range=dict(min=1, max=10000)),
    height=dict(type='int', default=480, range=dict(min=1, max=10000)),
    source=dict(type='str'),
))
