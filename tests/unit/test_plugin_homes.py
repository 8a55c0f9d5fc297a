"""Every module has its two homes that nothing else checks: an action plugin that runs the same task in the
controller's worker, and an entry in the action group (group/twon.helios.helios) for module_defaults."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (REPO_ROOT / 'plugins' / 'modules').glob('helios_*.py'))


def test_there_are_modules():
    assert 'helios_info' in MODULES


@pytest.mark.parametrize('name', MODULES)
def test_the_module_has_an_action_plugin_running_its_task(name):
    module = importlib.import_module('ansible_collections.twon.helios.plugins.modules.%s' % name)
    action = importlib.import_module('ansible_collections.twon.helios.plugins.action.%s' % name)
    assert action.ActionModule.TASK is module.TASK


@pytest.mark.parametrize('name', MODULES)
def test_the_module_is_in_the_action_group(name):
    runtime = yaml.safe_load((REPO_ROOT / 'meta' / 'runtime.yml').read_text())
    assert name in runtime['action_groups']['helios']
