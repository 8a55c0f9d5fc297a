"""Integration tests: real ansible-playbook runs against a fleet of emulated intercoms, over HTTPS with Digest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helios_fleet import BIN, Device, Fleets, collection_tree

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope='session')
def fleets(tmp_path_factory):
    started = Fleets(tmp_path_factory.mktemp('fleets'))
    yield started
    started.stop()


@pytest.fixture
def device(fleets, request):
    """A fresh default device (HTTPS + Digest, licence, admin with all privileges), 2.11 firmware.

    With @pytest.mark.parametrize('device', FAMILIES, indirect=True) (helios_fleet.FAMILIES), a device of each
    firmware family in turn: 2.11 (the default fleet) and current firmware (the current fleet)."""
    return fleets[getattr(request, 'param', 'default')].take()[0]


@pytest.fixture
def devices(fleets):
    """Fresh default devices: devices(3)."""
    return fleets['default'].take


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ansible_collections/twon/helios -> this checkout, always the working copy."""
    return collection_tree(tmp_path_factory.mktemp('collections'))


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    records: list

    def results(self, host):
        return [r for r in self.records if r['host'] == host]

    def result(self, host):
        """The result of the host's last recorded task (include_tasks results are not recorded as tasks)."""
        mine = [r for r in self.results(host) if r['result'].get('include') is None and 'include_args' not in r['result']]
        assert mine, 'no result for %s in:\n%s' % (host, self.stdout)
        return mine[-1]['result']


@dataclass
class PreparedRun:
    """An ansible command ready to run: what the ansible fixture runs, for a test that starts it itself."""
    command: list
    env: dict
    cwd: Path
    record: Path

    def finished(self, rc, output):
        records = [json.loads(line) for line in self.record.read_text().splitlines()] if self.record.exists() else []
        return PlaybookRun(rc, output, records)


@pytest.fixture
def ansible(collections_path, tmp_path):
    """ansible(devices_or_hostvars, task, check=False, diff=False, env=None, verbosity=0, **extra_vars).

    adhoc=(module, arguments) runs the ad-hoc command `ansible intercoms -m module -a arguments` instead of a playbook.
    group_vars is YAML for the inventory's group_vars/intercoms.yml; vault_password_file unlocks the vaulted values in it.
    wrapper: a command that runs the ansible command given as its last arguments (e.g. unshare); prepared=True returns
    the PreparedRun (command, environment, directory, record file) instead of running it.
    """
    counter = iter(range(1000))

    def run(hosts, task, check=False, diff=False, env=None, verbosity=0, playbook='run.yml', adhoc=None, group_vars=None,
            vault_password_file=None, wrapper=None, prepared=False, **extra_vars):
        run_dir = tmp_path / ('run%d' % next(counter))
        run_dir.mkdir()
        if isinstance(hosts, Device):
            hosts = [hosts]
        if isinstance(hosts, list):
            hosts = {d.name: d.hostvars() for d in hosts}
        inventory = {'intercoms': {'hosts': hosts, 'vars': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}
        (run_dir / 'inventory.yml').write_text(json.dumps(inventory))
        if group_vars is not None:
            (run_dir / 'group_vars').mkdir()
            (run_dir / 'group_vars' / 'intercoms.yml').write_text(group_vars)
        (run_dir / 'vars.json').write_text(json.dumps(dict(extra_vars, helios_task=task)))
        record = run_dir / 'record.jsonl'
        environ = {k: v for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_'))}
        environ.update(
            ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(run_dir / 'ansible-home'),
            ANSIBLE_LOCAL_TEMP=str(run_dir / 'tmp'), ANSIBLE_CALLBACK_PLUGINS=str(HERE / 'callback_plugins'),
            # become without sudo or su: a become method that stays the same user (task files cannot name it)
            ANSIBLE_BECOME_PLUGINS=str(HERE / 'become_plugins'), ANSIBLE_BECOME_METHOD='helios_test_become',
            ANSIBLE_CALLBACKS_ENABLED='helios_test_recorder', HELIOS_TEST_RECORD=str(record),
            ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0')
        environ.update(env or {})
        if adhoc:
            # Ad-hoc commands load callbacks such as the recorder only when told to.
            environ.update(ANSIBLE_LOAD_CALLBACK_PLUGINS='1')
            command = [str(BIN / 'ansible'), 'intercoms', '-i', str(run_dir / 'inventory.yml'), '-m', adhoc[0], '-a', adhoc[1]]
        else:
            command = [str(BIN / 'ansible-playbook'), '-i', str(run_dir / 'inventory.yml'), '-e', '@' + str(run_dir / 'vars.json'),
                       playbook if playbook.startswith('twon.helios.') else str(HERE / 'playbooks' / playbook)]
        command += ['--check'] * check + ['--diff'] * diff + (['-' + 'v' * verbosity] if verbosity else [])
        if vault_password_file is not None:
            command += ['--vault-password-file', str(vault_password_file)]
        command = list(wrapper or []) + command
        if prepared:
            return PreparedRun(command, environ, run_dir, record)
        completed = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300, cwd=run_dir, check=False)
        return PreparedRun(command, environ, run_dir, record).finished(completed.returncode, completed.stdout + completed.stderr)

    return run
