# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs twon.helios.helios_config in the controller's worker when the task runs locally (see plugin_utils/_action.py),
with the run's Ansible Vault secrets (backup_secrets=vault, restoring such a backup, fingerprinted masks)."""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._config import TASK, with_vault
from ansible_collections.twon.helios.plugins.plugin_utils._action import HeliosActionBase
from ansible_collections.twon.helios.plugins.plugin_utils._vault import RunVault


class ActionModule(HeliosActionBase):
    TASK = TASK

    def run(self, tmp=None, task_vars=None):
        # The module process has no vault secrets: only the in-process path gets them (self.TASK is the one it runs).
        self.TASK = with_vault(RunVault.of(self._loader))
        return super().run(tmp, task_vars)
