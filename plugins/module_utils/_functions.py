# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of the HTTP API functions this collection knows a device's firmware has.

2.11 firmware (the manual of /work/shared/spec) has the 22 functions of its chapter 5. Current firmware (2.13 and
later, the vendor's latest manual) adds the Logging service, audio/test and email/send. Whether a device has them is
asked of the device, not read from its version number: the read-only function log/caps is answered with error 2
(invalid request path) by firmware that lacks the Logging service, and with anything else (its result, or a refusal
such as a disabled service or a missing privilege) by firmware that has it. The functions added with it came in the
same firmware generation, so a device without log/caps lacks them all. Nothing that acts is ever sent to find out.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosApiError, HeliosParameterError

# The functions of current firmware that 2.11 firmware lacks (the latest manual; the order of its chapters).
CURRENT_FUNCTIONS = ('log/caps', 'log/subscribe', 'log/pull', 'log/unsubscribe', 'audio/test', 'email/send')
# The read-only function that tells (see above), and the device's answer for a path its firmware does not know.
PROBE = 'log/caps'
INVALID_PATH = 2


def lacking_functions(client):
    """The functions of CURRENT_FUNCTIONS this device's firmware lacks (all or none), by one read of PROBE."""
    try:
        client.get(PROBE)
    except HeliosApiError as exc:
        if exc.code == INVALID_PATH:
            return list(CURRENT_FUNCTIONS)
    return []


def lacking_reason(function, version):
    return ('the firmware lacks /api/%s: the device runs %s and answered %s with error %d (invalid request path); '
            'current firmware (2.13 or later) has it' % (function, version, PROBE, INVALID_PATH))


def require_function(client, function, module):
    """HeliosParameterError, before anything is sent that acts, unless the device's firmware has function."""
    if function in lacking_functions(client):
        raise HeliosParameterError('%s needs firmware with /api/%s (current firmware); this device runs %s'
                                   % (module, function, client.get('system/info')['swVersion']))


def act_each_run(client, check_mode, module, function, **params):
    """Send function, which acts each time it is sent (an audio test, an e-mail), once; never in check mode.

    There is nothing to read back that would tell it was already done, so every run sends it and reports changed.
    A device whose firmware lacks the function fails first, saying so; a lost reply is not sent again
    (HeliosUnknownOutcome, from the client).
    """
    require_function(client, function, module)
    if not check_mode:
        client.act(function, **params)
    return dict(changed=True, sent=not check_mode)
