"""Every module's and lookup's EXAMPLES, as the documentation shows them, run with ansible-playbook against fresh
emulated intercoms.

The examples follow the guides: a task names no connection option, a play sets none in module_defaults. So the test
gives them nothing but an inventory as the getting-started guide writes it (the address, and the port and CA as
helios_* host variables; the account in HELIOS_USERNAME and HELIOS_PASSWORD) and the files they name, relative to
the directory ansible-playbook runs in. An example that is a list of tasks runs in a play against the inventory's intercoms.
A new module is picked up by its file in plugins/modules, a new lookup by its file in plugins/lookup: their examples
must run too.
"""

from __future__ import annotations

import ast
import re
import subprocess

import pytest
import yaml
from PIL import Image

from helios_fleet import ADMIN, BIN, HTTPS_PORT, REPO_ROOT

MODULES = sorted(path.stem for path in (REPO_ROOT / 'plugins' / 'modules').glob('helios_*.py'))
LOOKUPS = sorted(path.stem for path in (REPO_ROOT / 'plugins' / 'lookup').glob('*.py') if path.stem != '__init__')
RUNNING = '2.11.0.22.1'  # the emulator's default firmware
# Modules whose functions only current firmware (2.13 and later) has: their examples run against current devices.
NEED_CURRENT_FIRMWARE = {'helios_audio_test', 'helios_email'}
CONNECTION_OPTIONS = ('host', 'port', 'protocol', 'username', 'password', 'auth_method', 'allow_basic_over_http',
                      'validate_certs', 'ca_path', 'timeout', 'retries')


def examples(name, kind='modules'):
    """The plugin's EXAMPLES (kind: the directory under plugins), parsed: a list of plays, or of tasks."""
    tree = ast.parse((REPO_ROOT / 'plugins' / kind / ('%s.py' % name)).read_text())
    text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], 'id', None) == 'EXAMPLES')
    parsed = yaml.safe_load(text)
    assert isinstance(parsed, list) and parsed, '%s has no EXAMPLES' % name
    return parsed


def as_plays(name, parsed):
    plays = [item for item in parsed if 'hosts' in item]
    assert not plays or len(plays) == len(parsed), '%s: EXAMPLES mixes plays and tasks' % name
    if plays:
        return plays
    return [{'name': 'EXAMPLES of %s' % name, 'hosts': 'intercoms', 'connection': 'local', 'gather_facts': False,
             'tasks': parsed}]


def module_tasks(plays):
    """(task name, arguments) of every twon.helios task of the plays."""
    found = []
    for play in plays:
        for task in play.get('tasks', []):
            for key, value in task.items():
                if key.startswith('twon.helios.'):
                    found.append((task['name'], value or {}))
    return found


@pytest.mark.parametrize('name', MODULES)
def test_examples_name_no_connection_option(name):
    """As the guides say: the connection comes from the inventory, never from the task or module_defaults."""
    plays = as_plays(name, examples(name))
    tasks = module_tasks(plays)
    assert tasks, '%s: EXAMPLES has no task of the module' % name
    for task, arguments in tasks:
        assert not set(arguments) & set(CONNECTION_OPTIONS), '%s: task %r sets %s' % (
            name, task, sorted(set(arguments) & set(CONNECTION_OPTIONS)))
    for play in plays:
        assert 'module_defaults' not in play, '%s: play %r restates connection options' % (name, play['name'])


def inventory(devices):
    """The getting-started guide's inventory, plus each intercom's desired state (as the provision role reads it)."""
    return {d.name: dict(ansible_host=d.address, helios_port=HTTPS_PORT, helios_ca_path=d.fleet.ca_path,
                         helios_settings={}, helios_outputs=[],
                         helios_switches=[{'switch': 1, 'state': 'inactive'}], helios_firmware_version=RUNNING)
            for d in devices}


def make_files(directory, hosts):
    """What the examples name, relative to where ansible-playbook runs."""
    (directory / 'firmware').mkdir()
    subprocess.run([str(BIN / 'helios-emulator'), 'firmware', '--version', '2.12.0.1.1', '--output',
                    str(directory / 'firmware' / 'helios-2.12.0.1.1.bin')], check=True, capture_output=True, timeout=60)
    (directory / 'files').mkdir()
    Image.new('RGB', (320, 240), 'navy').save(directory / 'files' / 'welcome-320x240.gif', 'GIF')
    (directory / 'configs').mkdir()
    for host in hosts:
        (directory / 'configs' / ('%s.xml' % host)).write_text(
            '<DeviceDatabase><WebServer><DeviceName>Entrance %s</DeviceName></WebServer></DeviceDatabase>\n' % host)
    (directory / 'snapshots').mkdir()


def run_examples(name, plays, fleet, ansible, tmp_path):
    """Run the plays with the guide's inventory of the fleet and the account in the environment."""
    playbook = tmp_path / ('examples_%s.yml' % name)
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    vault_password = tmp_path / 'vault-password'  # helios_config's example backs up with the run's vault secret
    vault_password.write_text('examples-vault-secret\n')
    account = {'HELIOS_USERNAME': ADMIN['username'], 'HELIOS_PASSWORD': ADMIN['password']}
    prepared = ansible(inventory(fleet), None, playbook=str(playbook), env=account,
                       vault_password_file=vault_password, prepared=True)
    make_files(prepared.cwd, [d.name for d in fleet])
    completed = subprocess.run(prepared.command, env=prepared.env, cwd=prepared.cwd, capture_output=True, text=True,
                               timeout=600, check=False)
    run = prepared.finished(completed.returncode, completed.stdout + completed.stderr)
    assert run.rc == 0, run.stdout
    return run


def assert_ran(run, fleet, tasks):
    """Each of the tasks ran, and succeeded (not skipped), on every device."""
    for device in fleet:
        statuses = {}
        for record in run.results(device.name):
            statuses.setdefault(record['task'], []).append(record['status'])
        for task in tasks:
            assert statuses.get(task) and set(statuses[task]) == {'ok'}, (device.name, task, statuses, run.stdout)


@pytest.mark.parametrize('name', MODULES)
def test_examples_run_against_emulated_intercoms(name, fleets, ansible, tmp_path):
    fleet = fleets['current' if name in NEED_CURRENT_FIRMWARE else 'default'].take(2)
    plays = as_plays(name, examples(name))
    run = run_examples(name, plays, fleet, ansible, tmp_path)
    assert_ran(run, fleet, [task for task, arguments in module_tasks(plays)])


def lookup_tasks(name, plays):
    """(task name, each call of the lookup in the task) of every task of the plays that calls it."""
    call = re.compile(r"""(?:lookup|query|q)\(\s*['"]twon\.helios\.%s['"]([^)]*)\)""" % re.escape(name))

    def strings(value):
        if isinstance(value, dict):
            return [text for item in value.values() for text in strings(item)]
        if isinstance(value, list):
            return [text for item in value for text in strings(item)]
        return [value] if isinstance(value, str) else []

    found = []
    for play in plays:
        for task in play.get('tasks', []):
            calls = [arguments for text in strings(task) for arguments in call.findall(text)]
            if calls:
                found.append((task['name'], calls))
    return found


@pytest.mark.parametrize('name', LOOKUPS)
def test_lookup_examples_name_no_connection_option(name):
    """As for the modules: the lookup takes the connection from the inventory (the host's helios_* variables)."""
    tasks = lookup_tasks(name, as_plays(name, examples(name, 'lookup')))
    assert tasks, '%s: EXAMPLES has no task that calls the lookup' % name
    for task, calls in tasks:
        for arguments in calls:
            named = set(re.findall(r'(\w+)\s*=', arguments))
            assert not named & set(CONNECTION_OPTIONS), '%s: task %r passes %s' % (
                name, task, sorted(named & set(CONNECTION_OPTIONS)))


@pytest.mark.parametrize('name', LOOKUPS)
def test_lookup_examples_run_against_emulated_intercoms(name, fleets, ansible, tmp_path):
    fleet = fleets['default'].take(2)
    plays = as_plays(name, examples(name, 'lookup'))
    run = run_examples(name, plays, fleet, ansible, tmp_path)
    # every task of the examples ran on each intercom: none was skipped because the lookup's value did not fit
    assert_ran(run, fleet, [task['name'] for play in plays for task in play.get('tasks', [])])
