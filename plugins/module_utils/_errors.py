# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's error model: every failure a task can report is a HeliosError.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

# What a user can do about the device's error codes (manual, chapter 2.3). The device's own description
# stays first in the message; the hint only adds the remedy.
_HINTS = {
    1: 'this device model does not offer the function',
    4: 'enable the service on the device (Services / HTTP API)',
    5: 'the function needs the Enhanced Integration licence',
    7: 'the service accepts HTTPS only; set protocol to https',
    8: 'the service requires another authentication method; set auth_method to match the device (or auto)',
    10: 'the account lacks the privilege this function needs',
}


class HeliosError(Exception):
    """Base of all errors; str() is the message a failed task shows.

    changed: whether the device was changed before the error (a restart or firmware asked for and applied, then
    the wait for the device failed): the failed task then reports changed too.
    """

    def __init__(self, *args, changed=False):
        super().__init__(*args)
        self.changed = changed

    def result_fields(self):
        """Extra keys, besides msg, for the failed task's result."""
        return {}


class HeliosParameterError(HeliosError):
    """The task's options cannot work with this device; raised before any request that changes it."""


class HeliosApiError(HeliosError):
    """The device answered with a negative reply (manual, chapter 2.3)."""

    def __init__(self, function, code, description, param=None):
        self.function = function
        self.code = code
        self.description = description or 'unknown error'
        self.param = param or None
        super().__init__(self._message())

    def _message(self):
        detail = 'code %s' % self.code
        if self.param:
            detail += ', param "%s"' % self.param
        message = '%s: %s (%s)' % (self.function, self.description, detail)
        hint = _HINTS.get(self.code)
        return '%s: %s' % (message, hint) if hint else message

    def result_fields(self):
        return {'error': {'function': self.function, 'code': self.code, 'description': self.description, 'param': self.param}}


class HeliosAuthError(HeliosError):
    """HTTP 401: wrong credentials, none sent, or another scheme than the service requires."""

    def __init__(self, function, username, auth_method, challenge=''):
        self.function = function
        required = challenge.split(' ', 1)[0].lower()
        if auth_method in ('digest', 'basic') and required in ('digest', 'basic') and required != auth_method:
            # e.g. Digest credentials for a Basic-only service: the device asks for Basic and never sees them
            reason = 'the service requires %s authentication, not %s; set auth_method to %s (or auto)' % (
                required.capitalize(), auth_method, required)
        elif auth_method == 'none' or not username:
            reason = 'the service requires authentication; set username, password and auth_method'
        else:
            reason = 'user "%s" was refused with %s authentication: wrong username or password' % (username, auth_method)
        super().__init__('%s: authentication failed (HTTP 401): %s' % (function, reason))

    def result_fields(self):
        return {'error': {'function': self.function, 'code': 9, 'description': 'authorisation required', 'param': None}}


class HeliosTransportError(HeliosError):
    """No usable HTTP reply: connection refused or dropped, timeout, TLS failure, HTTP 5xx, not the HTTP API, or a
    reply that lacks what the HTTP API documents for the function."""


class HeliosConnectError(HeliosTransportError):
    """The request never reached the device: the connection was refused, unreachable or timed out connecting."""


class HeliosUnknownOutcome(HeliosTransportError):
    """A call that acts each time it is made failed after the device may have had it: it was not repeated."""


class HeliosTaskEnded(HeliosError):
    """A call that acts was not sent: the task that asked for it has ended (timed out, or its worker went away)."""
