# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for a device to restart (system/restart, firmware/apply, config/factoryreset).

A restart is confirmed when the device stopped answering or its upTime went back, and then answers
again. Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import time

from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosError,
    HeliosTransportError,
    HeliosUnknownOutcome,
)

POLL_INTERVAL = 0.5
# one poll must not wait longer than this for a device that is down
POLL_TIMEOUT = 3.0


def uptime(client):
    return client.get('system/status')['upTime']


def ask_for_restart(client, function, wait):
    """Call function, which restarts the device, once; the HeliosUnknownOutcome when its reply was lost, else None.

    When its reply is lost the device may or may not be restarting: with wait, the wait that follows tells (a
    restart shows in the device's upTime, see wait_for_restart); without, the HeliosUnknownOutcome is raised.
    """
    try:
        client.act(function)
    except HeliosUnknownOutcome as exc:
        if not wait:
            raise
        return exc
    return None


class RestartWatch:
    """What was seen while waiting: whether the device went away, and the upTime it came back with."""

    def __init__(self):
        self.went_down = False
        self.uptime_after = None
        self.last_error = None
        self.seconds = 0.0

    def describe(self):
        seen = 'the device %s' % ('went down' if self.went_down else 'never stopped answering')
        if self.uptime_after is not None:
            seen += ', then answered with upTime %s s' % self.uptime_after
        elif self.last_error:
            seen += '; last error: %s' % self.last_error
        return seen


def wait_for_restart(client, uptime_before, timeout, interval=POLL_INTERVAL, clock=time.monotonic, lost_reply=None):
    """Poll system/status until the device is back from a restart; HeliosError after timeout seconds.

    uptime_before is the upTime read just before the restart was asked for; lost_reply, the HeliosUnknownOutcome
    of a request whose reply was lost (the device may never have had it: the error then says so).
    The restart has been asked for, so an error raised here is changed (the failed task reports changed as well)
    unless the request's reply was lost and the device never stopped answering: it may never have had it.
    """
    watch = RestartWatch()
    started = clock()
    saved = client.retries, client.timeout
    client.retries, client.timeout = 0, min(POLL_TIMEOUT, client.timeout)
    try:
        while True:
            try:
                current = uptime(client)
            except HeliosTransportError as exc:
                watch.went_down = True
                watch.last_error = str(exc)
            else:
                if watch.went_down or current < uptime_before:
                    watch.uptime_after = current
                    watch.seconds = clock() - started
                    return watch
            if clock() - started >= timeout:
                watch.seconds = clock() - started
                lost = '; the reply to the request was lost, so the device may never have had it (%s)' % lost_reply
                raise HeliosError('the device did not come back from its restart within %s s: %s%s'
                                  % (timeout, watch.describe(), lost if lost_reply else ''))
            time.sleep(interval)
    except HeliosError as exc:
        exc.changed = watch.went_down or lost_reply is None
        raise
    finally:
        client.retries, client.timeout = saved
