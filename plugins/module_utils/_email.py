# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_email: send an e-mail through the device's SMTP settings (email/send, current firmware).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._camera_snapshot import check_resolution
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._functions import act_each_run
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

# The latest manual: pictureCount 0 to 5.
MAX_PICTURES = 5


def _check_lines(params):
    """to and subject go into the message's header lines: a line break would add header lines of its own."""
    for name in ('to', 'subject'):
        if any(ord(character) < 32 or ord(character) == 127 for character in params[name]):
            raise HeliosParameterError('%s must be one line without control characters (a line break would add '
                                       'lines to the message header)' % name)
    if not params['to'].strip() or '@' not in params['to']:
        raise HeliosParameterError('to must be an e-mail address (name@domain), got %r' % params['to'][:100])


def run(params, client, check_mode, diff):
    _check_lines(params)
    query = dict(to=params['to'], subject=params['subject'])
    if params['body'] is not None:
        query['body'] = params['body']
    if params['picture_count'] is not None:
        query['pictureCount'] = params['picture_count']
    if params['time_span'] is not None:
        query['timeSpan'] = params['time_span']
    if params['width'] is not None:
        check_resolution(params['width'], params['height'], client.get('camera/caps'))
        query.update(width=params['width'], height=params['height'])
    return act_each_run(client, check_mode, 'helios_email', 'email/send', **query)


TASK = HeliosTask(run, dict(
    to=dict(type='str', required=True),
    subject=dict(type='str', required=True),
    body=dict(type='str'),
    picture_count=dict(type='int', range=dict(min=0, max=MAX_PICTURES)),
    time_span=dict(type='int', range=dict(min=0, max=86400, unit='seconds')),
    width=dict(type='int', range=dict(min=1, max=10000)),
    height=dict(type='int', range=dict(min=1, max=10000)),
), required_together=[('width', 'height')])
