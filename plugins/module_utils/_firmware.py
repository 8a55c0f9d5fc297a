# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_firmware: upload, apply and confirm a firmware image (manual 5.4, 5.5).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import os
import time

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError
from ansible_collections.twon.helios.plugins.module_utils._restart import ask_for_restart, uptime, wait_for_restart
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff


# Why an upload whose reply was lost fails (HeliosClient.upload sends it once): nothing is applied without the reply.
UPLOAD_OUTCOME_UNKNOWN = ('the upload was not repeated and nothing was applied: the device may or may not have stored '
                          'the image; run the task again to upload it again')


def _running_version(client):
    return client.get('system/info')['swVersion']


def run(params, client, check_mode, diff):
    src, wanted = params['src'], params['version']
    started = time.monotonic()
    running = _running_version(client)
    result = dict(changed=False, previous_version=running, version=running, timings={})
    if wanted is not None and wanted == running:
        result['msg'] = 'the device already runs %s; nothing uploaded' % running
        return result
    if check_mode:
        # Only an upload tells the version an image carries; check mode never uploads.
        result.update(changed=True, version=wanted,
                      msg='would upload %s%s' % (src, ' (version %s)' % wanted if wanted else ''))
        return with_diff(result, diff, dict(swVersion=running), dict(swVersion=wanted or '(carried by the image)'))
    reply = client.upload('firmware', 'blob-fw', src, os.path.basename(src), 'application/octet-stream',
                          unknown_outcome=UPLOAD_OUTCOME_UNKNOWN)
    result['timings']['upload'] = round(time.monotonic() - started, 3)
    carried, downgrade = reply['version'], bool(reply.get('downgrade'))
    if wanted is not None and carried != wanted:
        raise HeliosError('firmware: %s carries version %s, not the expected %s; nothing applied' % (src, carried, wanted))
    if carried == running:
        result['msg'] = 'the device already runs %s; image uploaded but not applied' % running
        return result
    if downgrade and not params['allow_downgrade']:
        raise HeliosError('firmware: %s (%s) is older than the running %s; set allow_downgrade to install it. '
                          'Nothing applied' % (src, carried, running))
    uptime_before = uptime(client)
    lost_reply = ask_for_restart(client, 'firmware/apply', params['wait'])
    result.update(changed=True, version=carried, downgrade=downgrade)
    if params['wait']:
        watch = wait_for_restart(client, uptime_before, params['wait_timeout'], lost_reply=lost_reply)
        result['timings']['restart'] = round(watch.seconds, 3)
        try:
            now_running = _running_version(client)
        except HeliosError as exc:
            exc.changed = True  # the image was applied: the device changed, whatever it answers now
            raise
        if now_running != carried:
            raise HeliosError('firmware: after the restart the device runs %s, not %s (%s)'
                              % (now_running, carried, watch.describe()), changed=True)
    result['timings']['total'] = round(time.monotonic() - started, 3)
    return with_diff(result, diff, dict(swVersion=running), dict(swVersion=carried))


TASK = HeliosTask(run, dict(
    src=dict(type='path', required=True, local_path='file'),
    version=dict(type='str'),
    allow_downgrade=dict(type='bool', default=False),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600, range=dict(min=1, max=86400, unit='seconds')),
))
