# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_drift: every difference between a device and its desired state, in one task that changes nothing.

The desired state is what the twon.helios.provision role manages (configuration, switch and output states, the
display image) plus the firmware version. Each kind is judged by the same code its own module uses in check mode,
so a drift report and a provision run with --check --diff agree on what differs.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import os

from ansible_collections.twon.helios.plugins.module_utils import _config as config
from ansible_collections.twon.helios.plugins.module_utils import _config_document as document
from ansible_collections.twon.helios.plugins.module_utils import _display_image as display_image
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError, HeliosTransportError
from ansible_collections.twon.helios.plugins.module_utils._io import LEVELS, output_caps
from ansible_collections.twon.helios.plugins.module_utils._switch import caps_of
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

KINDS = ('config', 'switch', 'output', 'display', 'firmware')


class DriftUnknown(HeliosError):
    """The device could not be compared: unreachable (no usable reply) or another error. Never "no drift"."""

    def __init__(self, cause):
        self.cause = cause
        self.status = 'unreachable' if isinstance(cause, HeliosTransportError) else 'error'
        super().__init__(str(cause))

    def result_fields(self):
        return dict(self.cause.result_fields(), status=self.status, drifted=None)


def _shown(value):
    if value is None:
        return '(absent)'
    return value if value != '' else '""'


def difference(kind, what, device, desired):
    return dict(kind=kind, what=str(what), device=device, desired=desired)


def line(item):
    """kind: what (device value -> desired value)"""
    return '%s: %s (%s -> %s)' % (item['kind'], item['what'], _shown(item['device']), _shown(item['desired']))


def _config(params, client, diff, diffs):
    desired, typed = config.desired_document(dict(settings=params['settings'], src=None, content=None, backup=False))
    device = config.read_device_document(client)
    config.check_yaml_types(typed, device)  # as helios_config would refuse them
    merged, _new = config.planned(device, desired, params['mode'], allow_new=False)
    found = [difference('config', path, before, after) for path, before, after in document.differences(device, merged)]
    if found and diff:
        mask = document.diff_mask(os.urandom(16))
        diffs.append(dict(before=document.render(device, False, mask), after=document.render(merged, False, mask),
                          before_header='%s configuration (device)' % params['host'],
                          after_header='%s configuration (desired)' % params['host']))
    return found


def _active(active):
    return 'active' if active else 'inactive'


def _switches(params, client):
    wanted = [item for item in params['switches'] if item['state'] != 'triggered']  # an action, not a state
    if not wanted:
        return []
    caps = client.get('switch/caps')['switches']
    status = dict((item['switch'], item['active']) for item in client.get('switch/status')['switches'])
    found = []
    for item in wanted:
        caps_of(caps, item['switch'])  # unknown or disabled: the same refusal as helios_switch
        active = status[item['switch']]
        if _active(active) != item['state']:
            found.append(difference('switch', item['switch'], _active(active), item['state']))
    return found


def _outputs(params, client):
    if not params['outputs']:
        return []
    caps = client.get('io/caps')['ports']
    levels = dict((item['port'], item['state']) for item in client.get('io/status')['ports'])
    found = []
    for item in params['outputs']:
        output_caps(caps, item['port'])  # unknown or an input: the same refusal as helios_io
        level = levels[item['port']]
        if level != LEVELS[item['state']][1]:
            found.append(difference('output', item['port'], _active(level), item['state']))
    return found


def _display(params, client, serial_number):
    comparison = display_image.Comparison(dict(display=params['display'], src=params['display_image'], state='present',
                                               marker_dir=params['marker_dir']), client, serial_number)
    if not comparison.differs:
        return []
    shown, wanted = comparison.described()
    return [difference('display', comparison.caps['display'], shown, wanted)]


def compare(params, client, diff=False):
    """(differences, diffs): every difference, in KINDS order, and the diffs to show for them."""
    found, diffs = [], []
    if params['settings']:
        found += _config(params, client, diff, diffs)
    found += _switches(params, client)
    found += _outputs(params, client)
    system = None
    if params['display_image'] or params['firmware_version']:
        system = client.get('system/info')
    if params['display_image']:
        found += _display(params, client, system['serialNumber'])
    if params['firmware_version'] and system['swVersion'] != params['firmware_version']:
        found.append(difference('firmware', 'version', system['swVersion'], params['firmware_version']))
    states = [item for item in found if item['kind'] != 'config']
    if states and diff:
        diffs.append(dict(before=''.join('%s %s: %s\n' % (d['kind'], d['what'], d['device']) for d in states),
                          after=''.join('%s %s: %s\n' % (d['kind'], d['what'], d['desired']) for d in states),
                          before_header='%s (device)' % params['host'], after_header='%s (desired)' % params['host']))
    return found, diffs


def run(params, client, check_mode, diff):
    try:
        found, diffs = compare(params, client, diff)
    except HeliosError as exc:
        raise DriftUnknown(exc)
    report = [line(item) for item in found]
    result = dict(changed=False, drifted=bool(found), status='drifted' if found else 'clean', differences=found,
                  report=report, msg='%d difference%s from the desired state: %s' % (
                      len(found), '' if len(found) == 1 else 's', '; '.join(report)) if found else 'no drift')
    if diffs:
        result['diff'] = diffs
    return result


TASK = HeliosTask(run, dict(
    settings=dict(type='dict'),
    mode=dict(type='str', default='merge', choices=['merge', 'replace']),
    switches=dict(type='list', elements='dict', default=[], options=dict(
        switch=dict(type='int', required=True),
        state=dict(type='str', required=True, choices=['active', 'inactive', 'triggered']),
    )),
    outputs=dict(type='list', elements='dict', default=[], options=dict(
        port=dict(type='str', required=True),
        state=dict(type='str', required=True, choices=list(LEVELS)),
    )),
    display=dict(type='str', default='internal'),
    display_image=dict(type='path'),
    marker_dir=dict(type='path', default=display_image.MARKER_DIR),
    firmware_version=dict(type='str'),
), shown_params=config.shown_params)
