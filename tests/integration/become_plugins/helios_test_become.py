# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helper: a become method that stays the same user, so a test can use become without sudo or su."""

from __future__ import annotations

DOCUMENTATION = r'''
name: helios_test_become
short_description: Runs the command unchanged (twon.helios test suite only)
description:
  - Turns C(become) on without changing user, so that the tests do not depend on sudo or su.
'''

from ansible.plugins.become import BecomeBase


class BecomeModule(BecomeBase):
    name = 'helios_test_become'

    def build_become_command(self, cmd, shell):
        super().build_become_command(cmd, shell)
        # The success marker a become method prints first, which the connection waits for: sh -c 'echo MARKER; cmd'.
        return self._build_success_command(cmd, shell)
