# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_display_image: show a GIF on a display, or remove it (manual 5.21, 5.22).

The API cannot read an image back, so "changed" is judged against a marker file this collection keeps
per device and display: the SHA-256 of what it last uploaded (or that it removed the image) and the
device's boot time then. An image is uploaded when the file differs from the marker, when the device
has restarted since, when there is no marker, or with force.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import json
import os
import re

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosApiError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._files import gif_size, sha256_of_file, write_atomically
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff

# Why an upload whose reply was lost fails (HeliosClient.upload sends it once).
UPLOAD_OUTCOME_UNKNOWN = ('the upload was not repeated: the display may or may not show the image now; run the task '
                          'again to upload it again')
# systemTime and upTime are whole seconds read at slightly different moments.
BOOT_TIME_TOLERANCE = 3
# Where the markers are kept unless marker_dir says otherwise.
MARKER_DIR = '~/.cache/twon.helios/display'


def _display_caps(client, name):
    displays = client.get('display/caps')['displays']
    caps = next((d for d in displays if d['display'] == name), None)
    if caps is None:
        known = ', '.join(d['display'] for d in displays) or 'none'
        raise HeliosParameterError('display "%s" does not exist on this device; displays: %s' % (name, known))
    return caps


def _check_gif(src, caps):
    """Refuse a file the device would refuse, before uploading it."""
    if not os.path.isfile(src):
        raise HeliosParameterError('src %s is not a file' % src)
    try:
        width, height = gif_size(src)
    except ValueError as exc:
        raise HeliosParameterError('src %s is %s' % (src, exc)) from None
    wanted = caps['resolution']
    if (width, height) != (wanted['width'], wanted['height']):
        raise HeliosParameterError('src %s is a %dx%d GIF, display "%s" needs %dx%d' % (
            src, width, height, caps['display'], wanted['width'], wanted['height']))


def _boot_time(client):
    """When the device last started (unix time), or None if this account may not read system/status."""
    try:
        status = client.get('system/status')
    except HeliosApiError:
        return None
    return status['systemTime'] - status['upTime']


class Marker:
    """What this collection last put on one display of one device."""

    def __init__(self, directory, serial_number, display):
        name = re.sub(r'[^A-Za-z0-9._-]', '_', '%s-%s' % (serial_number, display))
        self.path = os.path.join(directory, name + '.json')

    def image(self, boot_time):
        """SHA-256 of the image shown, '' for none, or None when unknown (no marker, or restarted since)."""
        try:
            with open(self.path) as stream:
                recorded = json.load(stream)
        except (OSError, ValueError):
            return None
        if None not in (boot_time, recorded.get('boot_time')) and abs(boot_time - recorded['boot_time']) > BOOT_TIME_TOLERANCE:
            return None
        return recorded.get('sha256')

    def record(self, sha256, boot_time):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        write_atomically(self.path, json.dumps(dict(sha256=sha256, boot_time=boot_time)).encode('utf-8'))


def describe(sha256):
    if sha256 is None:
        return 'unknown'
    return 'sha256:' + sha256 if sha256 else 'none'


class Comparison:
    """The display's image as this collection knows it (shown) and as params want it (wanted): SHA-256, or ''."""

    def __init__(self, params, client, serial_number=None):
        self.caps = _display_caps(client, params['display'])
        self.wanted = ''
        if params['state'] == 'present':
            _check_gif(params['src'], self.caps)
            self.wanted = sha256_of_file(params['src'])
        serial_number = serial_number or client.get('system/info')['serialNumber']
        self.marker = Marker(params['marker_dir'], serial_number, self.caps['display'])
        self.boot_time = _boot_time(client)
        self.shown = self.marker.image(self.boot_time)

    @property
    def differs(self):
        return self.shown != self.wanted

    def described(self):
        """(shown, wanted) as the diff and the drift report tell them."""
        return describe(self.shown), describe(self.wanted)


def run(params, client, check_mode, diff):
    comparison = Comparison(params, client)
    caps, wanted, shown, marker, boot_time = (comparison.caps, comparison.wanted, comparison.shown, comparison.marker,
                                              comparison.boot_time)
    changed = params['force'] or comparison.differs
    if changed and not check_mode:
        if wanted:
            client.upload('display/image', 'blob-image', params['src'], os.path.basename(params['src']), 'image/gif',
                          unknown_outcome=UPLOAD_OUTCOME_UNKNOWN, display=caps['display'])
        else:
            client.delete('display/image', display=caps['display'])
        marker.record(wanted, boot_time)
    result = dict(changed=changed, display=caps, checksum=wanted or None, marker=marker.path)
    return with_diff(result, diff, dict(display=caps['display'], image=describe(shown)),
                     dict(display=caps['display'], image=describe(wanted)))


TASK = HeliosTask(run, dict(
    display=dict(type='str', default='internal'),
    src=dict(type='path', local_path='file'),
    state=dict(type='str', default='present', choices=['present', 'absent']),
    force=dict(type='bool', default=False),
    marker_dir=dict(type='path', default=MARKER_DIR, local_path='directory'),
), required_if=[('state', 'present', ('src',))])
