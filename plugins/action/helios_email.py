# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs twon.helios.helios_email in the controller's worker when the task runs locally (see plugin_utils/_action.py)."""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._email import TASK
from ansible_collections.twon.helios.plugins.plugin_utils._action import HeliosActionBase


class ActionModule(HeliosActionBase):
    TASK = TASK
