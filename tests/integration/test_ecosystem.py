"""The Ansible ecosystem the collection ships for (issue 5), with its real tools against emulated intercoms.

- execution environment: `ansible-builder create` on docs/ee/, and the build's introspection step reading
  meta/execution-environment.yml from an installed copy of the collection;
- AWX: the credential type of docs/awx/ rendered by AWX's own injector code, the playbook run with only the
  HELIOS_* variables it injects (both execution paths), and the provision playbook run by ansible-runner with
  its job events checked for per-host results and leaked secrets;
- GitOps: the pipeline steps of docs/gitops/ run against an emulator fleet;
- packaging: the built tarball installed with ansible-galaxy into a fresh path, a playbook run from there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from ansible.release import __version__ as ansible_core_version
from awx_plugins.interfaces._temporary_private_api import ManagedCredentialType
from awx_plugins.interfaces._temporary_private_credential_api import Credential
from awx_plugins.interfaces._temporary_private_inject_api import inject_credential
from helios_fleet import ALL_PRIVILEGES, BIN, FLEETS, HTTPS_PORT, REPO_ROOT

HERE = Path(__file__).resolve().parent
DOCS = REPO_ROOT / 'docs'

# A fleet whose account has a password that cannot turn up in output by chance (the default's '2n' can).
ACCOUNT = dict(username='operator', password='Pw-9c41e7d2-never-print')
SIP_PASSWORD = 'Sip-5be03f7a-never-print'
DOOR_CODE = '80426135'
# third octet offset 22 puts it past the default fleets of the first workers (see helios_fleet._candidate_octets)
FLEETS.setdefault('ecosystem', (22, 16, {'accounts': [dict(ACCOUNT, privileges=ALL_PRIVILEGES)]}))


def clean_environ(**extra):
    """This process's environment without any HELIOS_* or ANSIBLE_* variable, plus extra."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_'))}
    environ.update(ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0')
    environ.update(extra)
    return environ


def recap(stdout, host):
    match = re.search(r'^%s\s*:\s*(.*)$' % re.escape(host), stdout, re.MULTILINE)
    assert match, 'no recap for %s in:\n%s' % (host, stdout)
    return dict(item.split('=') for item in match.group(1).split())


def device_config(device):
    """The device's configuration document, read over the emulator's HTTP port with the fleet's account."""
    import requests
    reply = requests.get('http://%s:28080/api/config' % device.address, timeout=10,
                         auth=requests.auth.HTTPDigestAuth(ACCOUNT['username'], ACCOUNT['password']))
    reply.raise_for_status()
    return reply.text


def settings(name):
    return {
        'Network': {'Hostname': name},
        'Switches': {'Switch': [{'At': 0, 'Code': DOOR_CODE}]},
        'Phone': {'Sip': [{'At': 0, 'Password': SIP_PASSWORD}]},
    }


def write_inventory(path, devices, **host_extra):
    """Addresses, port and protocol only: the account and the CA come from the environment."""
    hosts = {d.name: dict(ansible_host=d.address, helios_port=HTTPS_PORT, helios_protocol='https',
                          helios_settings=settings(d.name.replace('door-', 'lobby-')), **host_extra)
             for d in devices}
    path.write_text(json.dumps({'intercoms': {'hosts': hosts}}))
    return path


# --- AWX: the credential type, injected as AWX injects it ---------------------------------------------------

def awx_credential_type():
    definition = yaml.safe_load((DOCS / 'awx' / 'credential_type.yml').read_text())
    return ManagedCredentialType(namespace='helios', name=definition['name'], kind=definition['kind'],
                                 inputs=definition['inputs'], injectors=definition['injectors'])


def inject(private_data_dir, **inputs):
    """(env, safe_env) as AWX builds them for a job with a credential of our type.

    AWX mounts private_data_dir at /runner in the execution environment; the injected file paths name that
    mount, and here (no container) they are mapped back to private_data_dir.
    """
    (private_data_dir / 'env').mkdir(parents=True, exist_ok=True)
    env, safe_env, args = {}, {}, []
    inject_credential(awx_credential_type(), Credential(inputs), env, safe_env, args, str(private_data_dir))
    assert args == []  # no extra_vars injector: nothing lands in the job's extra variables
    env = {k: v.replace('/runner/', str(private_data_dir) + '/', 1) if v.startswith('/runner/') else v
           for k, v in env.items()}
    return env, safe_env


def test_credential_type_injects_the_helios_variables(tmp_path, fleets):
    ca = Path(fleets['ecosystem'].ca_path).read_text()
    env, safe_env = inject(tmp_path, username='operator', password=ACCOUNT['password'], ca_certificate=ca)
    assert set(env) == {'HELIOS_USERNAME', 'HELIOS_PASSWORD', 'HELIOS_AUTH_METHOD', 'HELIOS_CA_PATH',
                        'HELIOS_VALIDATE_CERTS'}
    assert env['HELIOS_AUTH_METHOD'] == 'digest' and env['HELIOS_VALIDATE_CERTS'] == 'true'
    assert Path(env['HELIOS_CA_PATH']).read_text() == ca
    # what AWX stores with the job shows no secret
    assert safe_env['HELIOS_PASSWORD'] == '*' * 10
    # without a CA certificate: the system CAs (empty path), and no validation only when asked for
    bare = inject(tmp_path / 'bare', username='u', password='p', skip_certificate_validation=True)
    assert bare[0]['HELIOS_CA_PATH'] == '' and bare[0]['HELIOS_VALIDATE_CERTS'] == 'false'


@pytest.mark.parametrize('in_process', ['true', 'false'], ids=['action-in-process', 'module'])
def test_playbook_runs_with_only_the_credential_environment(in_process, fleets, collections_path, tmp_path):
    fleet = fleets['ecosystem']
    devices = fleet.take(2)
    env = inject(tmp_path, username=ACCOUNT['username'], password=ACCOUNT['password'],
                 ca_certificate=Path(fleet.ca_path).read_text())[0]
    inventory = write_inventory(tmp_path / 'inventory.json', devices)
    environ = clean_environ(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / 'home'),
                            HELIOS_ACTION_IN_PROCESS=in_process, **env)
    command = [str(BIN / 'ansible-playbook'), '-i', str(inventory), 'twon.helios.provision', '-v']
    run = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    for device in devices:
        assert recap(output, device.name)['changed'] != '0'
        assert '<Hostname>%s</Hostname>' % device.name.replace('door-', 'lobby-') in device_config(device)
    # -v prints every result: the injected password is not in any of them
    for secret in (ACCOUNT['password'], SIP_PASSWORD, DOOR_CODE):
        assert secret not in output
    again = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0 and all(recap(again.stdout, d.name)['changed'] == '0' for d in devices), again.stdout


def test_ansible_runner_job_events(fleets, collections_path, tmp_path, monkeypatch):
    """The provision playbook as an AWX job runs it: ansible-runner, the credential's environment, the project."""
    fleet = fleets['ecosystem']
    devices = fleet.take(3)
    private = tmp_path / 'job'
    shutil.copytree(DOCS / 'awx' / 'project', private / 'project')
    env = inject(private, username=ACCOUNT['username'], password=ACCOUNT['password'],
                 ca_certificate=Path(fleet.ca_path).read_text())[0]
    (private / 'inventory').mkdir()
    write_inventory(private / 'inventory' / 'hosts.json', devices)
    envvars = dict(env, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / 'home'),
                   ANSIBLE_NOCOLOR='1')
    # ansible-runner starts from this process's environment: the job gets nothing but what AWX would give it
    for name in [k for k in os.environ if k.startswith(('HELIOS_', 'ANSIBLE_'))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv('PATH', '%s%s%s' % (BIN, os.pathsep, os.environ['PATH']))
    result = ansible_runner.run(private_data_dir=str(private), playbook='provision.yml', envvars=envvars,
                                quiet=True, timeout=300)
    events = list(result.events)
    stdout = '\n'.join(e.get('stdout', '') for e in events)
    assert result.status == 'successful' and result.rc == 0, stdout
    names = {d.name for d in devices}
    # per-host results: every device has its own ok events, a changed configuration task, and its own stats
    ok = [e for e in events if e['event'] == 'runner_on_ok']
    assert {e['event_data']['host'] for e in ok} == names
    config_tasks = [e for e in ok if e['event_data']['task_action'] == 'twon.helios.helios_config'
                    and e['event_data']['task'] == 'Apply the desired configuration']
    assert sorted(e['event_data']['host'] for e in config_tasks) == sorted(names)
    assert all(e['event_data']['res']['changed'] for e in config_tasks)
    assert not [e for e in events if e['event'] in ('runner_on_failed', 'runner_on_unreachable')]
    stats = next(e for e in events if e['event'] == 'playbook_on_stats')['event_data']
    assert set(stats['changed']) == names and not stats['failures'] and not stats['dark']
    assert result.stats['ok'].keys() == names
    # no secret anywhere in what AWX stores and shows: each event's stdout and data
    for event in events:
        text = json.dumps(event)
        for secret in (ACCOUNT['password'], SIP_PASSWORD, DOOR_CODE):
            assert secret not in text, 'secret in %s event: %s' % (event['event'], text[:2000])


# --- execution environment ----------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def installed_collection(tmp_path_factory):
    """The release tarball, built from this checkout and installed with ansible-galaxy into a fresh path."""
    work = tmp_path_factory.mktemp('release')
    environ = clean_environ(ANSIBLE_HOME=str(work / 'home'))
    subprocess.run([str(BIN / 'ansible-galaxy'), 'collection', 'build', '--output-path', str(work), str(REPO_ROOT)],
                   env=environ, check=True, capture_output=True, timeout=120)
    tarball, = work.glob('twon-helios-*.tar.gz')
    install = work / 'collections'
    subprocess.run([str(BIN / 'ansible-galaxy'), 'collection', 'install', '--offline', '-p', str(install),
                    str(tarball)], env=environ, check=True, capture_output=True, timeout=120)
    return install


def test_execution_environment_build_context_and_introspection(installed_collection, tmp_path):
    context = tmp_path / 'context'
    subprocess.run([str(BIN / 'ansible-builder'), 'create', '-f', str(DOCS / 'ee' / 'execution-environment.yml'),
                    '-c', str(context), '--output-filename', 'Containerfile'],
                   check=True, capture_output=True, timeout=120, cwd=tmp_path)
    containerfile = (context / 'Containerfile').read_text()
    galaxy = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    assert [c['name'] for c in galaxy['collections']] == ['twon.helios']
    assert 'ansible-galaxy collection install' in containerfile and 'introspect.py introspect' in containerfile
    assert 'ansible-core>=2.19,<2.20' in containerfile
    # The build's introspection step, run by the script the context holds, on the installed collection: what
    # the image gets installed from meta/execution-environment.yml.
    pip, bindep = tmp_path / 'pip.txt', tmp_path / 'bindep.txt'
    run = subprocess.run([sys.executable, str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect',
                          '--write-pip', str(pip), '--write-bindep', str(bindep), str(installed_collection)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    python_requirements = pip.read_text().splitlines()
    assert 'requests>=2.28  # from collection twon.helios' in python_requirements
    assert 'jmespath>=1.0  # from collection twon.helios' in python_requirements
    system_requirements = bindep.read_text().splitlines()
    assert any(line.startswith('ca-certificates [platform:rpm platform:dpkg]') for line in system_requirements)
    # the EE's Python requirements are the collection's own
    ee_requirements = [line for line in (REPO_ROOT / 'meta' / 'ee-requirements.txt').read_text().splitlines()
                       if line and not line.startswith('#')]
    collection_requirements = [line for line in (REPO_ROOT / 'requirements.txt').read_text().splitlines()
                               if line and not line.startswith('#')]
    assert ee_requirements == collection_requirements


# --- packaging ----------------------------------------------------------------------------------------------

def test_built_collection_installs_and_runs(installed_collection, fleets, tmp_path):
    fleet = fleets['ecosystem']
    device, = fleet.take(1)
    galaxy = yaml.safe_load((REPO_ROOT / 'galaxy.yml').read_text())
    installed = installed_collection / 'ansible_collections' / 'twon' / 'helios'
    manifest = json.loads((installed / 'MANIFEST.json').read_text())['collection_info']
    assert manifest['version'] == galaxy['version'] and manifest['documentation'] == galaxy['documentation']
    members = {f['name'] for f in json.loads((installed / 'FILES.json').read_text())['files']}
    assert 'meta/execution-environment.yml' in members and 'docs/awx/credential_type.yml' in members
    assert not [m for m in members if m.split('/')[0] in ('emulator', 'build', '.venv', 'demo')]
    playbook = tmp_path / 'info.yml'
    read = {'name': 'Read', 'register': 'info', 'twon.helios.helios_info': {
        'host': '{{ ansible_host }}', 'port': HTTPS_PORT, 'username': ACCOUNT['username'],
        'password': ACCOUNT['password'], 'ca_path': fleet.ca_path, 'gather_subset': ['system']}}
    show = {'name': 'Show', 'ansible.builtin.debug': {'msg': 'serial {{ info.info.system.serialNumber }}'}}
    playbook.write_text(yaml.safe_dump([{
        'name': 'Read an intercom with the installed collection', 'hosts': 'intercoms', 'gather_facts': False,
        'connection': 'local', 'vars': {'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'tasks': [read, show]}]))
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'intercoms': {'hosts': {device.name: {'ansible_host': device.address}}}}))
    environ = clean_environ(ANSIBLE_COLLECTIONS_PATH=str(installed_collection), ANSIBLE_HOME=str(tmp_path / 'home'),
                            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    listing = subprocess.run([str(BIN / 'ansible-galaxy'), 'collection', 'list', 'twon.helios', '--format', 'json'],
                             env=environ, capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path)
    assert json.loads(listing.stdout) == {str(installed_collection / 'ansible_collections'): {
        'twon.helios': {'version': galaxy['version']}}}
    run = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)], env=environ,
                         capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'serial %s' % device.serial_number in run.stdout


def _pinned_minor(requirements):
    """X.Y of the line 'ansible-core>=X.Y,<X.Y+1' of a requirements file."""
    pinned = re.search(r'^ansible-core>=(\d+)\.(\d+),<(\d+)\.(\d+)$', (REPO_ROOT / requirements).read_text(), re.MULTILINE)
    assert pinned, 'no ansible-core>=X.Y,<X.Y+1 in %s' % requirements
    major, minor, below_major, below_minor = map(int, pinned.groups())
    assert (below_major, below_minor) == (major, minor + 1), 'one minor version of ansible-core per virtualenv'
    return major, minor


def test_requires_ansible_is_the_range_of_ansible_core_tested():
    """meta/runtime.yml claims from the oldest ansible-core the tests run on (.venv) to the newest (.venv-newest)."""
    runtime = yaml.safe_load((REPO_ROOT / 'meta' / 'runtime.yml').read_text())
    oldest, newest = _pinned_minor('requirements-dev.txt'), _pinned_minor('requirements-newest.txt')
    assert oldest < newest
    assert runtime['requires_ansible'] == '>=%d.%d.0,<%d.%d.0' % (oldest + (newest[0], newest[1] + 1))
    running = tuple(int(part) for part in ansible_core_version.split('.')[:2])
    assert running in (oldest, newest), 'these tests run on the oldest or the newest ansible-core the collection claims'
    # make test runs the sanity, unit and integration tests under both
    makefile = (REPO_ROOT / 'Makefile').read_text().replace('\\\n', ' ')
    gates = re.search(r'^GATES := (.*)$', makefile, re.MULTILINE).group(1).split()
    assert {'test-collection', 'sanity', 'test-newest', 'sanity-newest'} <= set(gates)


# --- GitOps -------------------------------------------------------------------------------------------------

GITOPS = DOCS / 'gitops'


def pipeline_commands():
    """The ansible-playbook commands of each job of the example's GitLab pipeline."""
    pipeline = yaml.safe_load((GITOPS / '.gitlab-ci.yml').read_text())
    return {job: [' '.join(line.split('#')[0].split()) for line in spec['script'] if 'ansible-playbook' in line]
            for job, spec in pipeline.items() if isinstance(spec, dict) and 'script' in spec}


def test_gitops_pipelines_run_drift_preview_and_provision():
    jobs = pipeline_commands()
    assert jobs['drift'] == ['ansible-playbook -i inventory twon.helios.drift -e helios_drift_junit=drift.xml '
                             '-e helios_drift_json=drift.json']
    assert jobs['preview'] == ['ansible-playbook -i inventory twon.helios.provision --check --diff']
    assert jobs['provision'] == ['ansible-playbook -i inventory twon.helios.provision']
    workflow = yaml.safe_load((GITOPS / '.github' / 'workflows' / 'intercoms.yml').read_text())
    runs = {job: [step['run'] for step in spec['steps'] if 'ansible-playbook' in step.get('run', '')]
            for job, spec in workflow['jobs'].items()}
    assert {job: runs[job] for job in ('drift', 'preview', 'provision')} == {
        job: jobs[job] for job in ('drift', 'preview', 'provision')}
    assert runs['rehearse'] == jobs['rehearse']
    assert workflow['jobs']['preview']['if'] == "github.event_name == 'pull_request'"
    assert workflow['jobs']['provision']['if'] == "github.event_name == 'push'"


def test_gitops_example_against_an_emulator_fleet(fleets, collections_path, tmp_path):
    """The example repository's steps: rehearse, drift, preview (--check --diff), merge (provision), drift."""
    fleet = fleets['ecosystem']
    devices = fleet.take(3)
    repo = tmp_path / 'repo'
    shutil.copytree(GITOPS, repo)
    hosts = ['lobby', 'garage', 'side-door']
    ready = tmp_path / 'ready.json'
    ready.write_text(json.dumps({'ca_path': fleet.ca_path, 'devices': [
        {'address': d.address, 'http_port': 28080, 'https_port': HTTPS_PORT} for d in devices]}))
    # the ecosystem fleet's account, not the emulator's default admin / 2n
    overlay = subprocess.run([sys.executable, 'ci/emulator_inventory.py', '--username', ACCOUNT['username'],
                              '--password', ACCOUNT['password'], str(ready)] + hosts, cwd=repo,
                             capture_output=True, text=True, check=True, timeout=30).stdout
    (repo / 'emulator.yml').write_text(overlay)
    environ = clean_environ(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / 'home'),
                            HELIOS_USERNAME=ACCOUNT['username'], HELIOS_PASSWORD=ACCOUNT['password'],
                            HELIOS_SIP_PASSWORD=SIP_PASSWORD, HELIOS_DOOR_CODE=DOOR_CODE)
    jobs = pipeline_commands()

    def step(command):
        # the pipeline's command, with the emulator overlay as the second inventory source
        argv = command.split()
        argv[argv.index('inventory') + 1:argv.index('inventory') + 1] = ['-i', 'emulator.yml']
        run = subprocess.run([str(BIN / argv[0])] + argv[1:], env=environ, cwd=repo, capture_output=True,
                             text=True, timeout=300, check=False)
        output = run.stdout + run.stderr
        for secret in (ACCOUNT['password'], SIP_PASSWORD, DOOR_CODE):
            assert secret not in output, command
        return run.returncode, output

    # pull request: drift reports every intercom (they do not match the branch yet), the preview shows the change
    rc, output = step(jobs['drift'][0])
    assert rc != 0 and all(host in output.split('Report the devices that drifted')[1] for host in hosts), output
    junit = (repo / 'drift.xml').read_text()  # the merge request's test report: one failed case per intercom
    assert all('<testcase classname="twon.helios.drift" name="%s">\n      <failure type="drift"' % host in junit
               for host in hosts), junit
    assert all(secret not in junit + (repo / 'drift.json').read_text() for secret in (SIP_PASSWORD, DOOR_CODE))
    rc, output = step(jobs['preview'][0])
    assert rc == 0, output
    assert re.search(r'^-\s*<Hostname>helios-\S+</Hostname>\n\+\s*<Hostname>lobby</Hostname>$', output, re.MULTILINE)
    assert re.search(r'^\+\s*<DeviceName>Building A garage</DeviceName>$', output, re.MULTILINE)
    assert all(recap(output, host)['changed'] != '0' for host in hosts)
    assert '<Hostname>lobby</Hostname>' not in device_config(devices[0])  # check mode changed nothing
    # merge: provision applies it, a second run changes nothing, and drift is clean
    rc, output = step(jobs['provision'][0])
    assert rc == 0 and all(recap(output, host)['changed'] != '0' for host in hosts), output
    config = device_config(devices[0])
    assert '<Hostname>lobby</Hostname>' in config and '<Password>%s</Password>' % SIP_PASSWORD in config
    assert '<Code>%s</Code>' % DOOR_CODE in config
    assert devices[0].port_state('relay2') == 1
    assert '<Mode>bistable</Mode>' in device_config(devices[1]).split('<Switch At="1">')[1].split('</Switch>')[0]
    rc, output = step(jobs['provision'][0])
    assert rc == 0 and all(recap(output, host)['changed'] == '0' for host in hosts), output
    rc, output = step(jobs['drift'][0])
    assert rc == 0 and 'no drift: every device matches its inventory' in output, output


def environment_lookups():
    """The environment variables the example's inventory looks up (secrets of the desired configuration)."""
    names = set()
    for path in (GITOPS / 'inventory').rglob('*.yml'):
        names.update(re.findall(r"lookup\('ansible\.builtin\.env', '(\w+)'", path.read_text()))
    return names


def test_gitops_example_says_which_variables_its_pipeline_needs():
    needed = {'HELIOS_USERNAME', 'HELIOS_PASSWORD'} | environment_lookups()
    assert needed == {'HELIOS_USERNAME', 'HELIOS_PASSWORD', 'HELIOS_SIP_PASSWORD', 'HELIOS_DOOR_CODE'}
    readme = (GITOPS / 'README.md').read_text()
    workflow = yaml.safe_load((GITOPS / '.github' / 'workflows' / 'intercoms.yml').read_text())
    gitlab_header = (GITOPS / '.gitlab-ci.yml').read_text().split('\nimage:')[0]
    for name in needed:
        assert '`%s`' % name in readme, name
        assert workflow['env'][name] == '${{ secrets.%s }}' % name
        assert name in gitlab_header, name
    # no job replaces the account with an environment variable of its own: the emulator overlay carries the
    # emulator's account as host variables, which win over an inventory's helios_username as well
    assert not [job for job, spec in workflow['jobs'].items() if set(spec.get('env', {})) & needed]
    pipeline = yaml.safe_load((GITOPS / '.gitlab-ci.yml').read_text())
    assert not [job for job, spec in pipeline.items() if isinstance(spec, dict) and set(spec.get('variables', {})) & needed]


def test_gitops_jobs_install_what_they_run():
    """Each job, self-hosted ones included, installs ansible-core, requests and jmespath, then the collection,
    before its first ansible-playbook: a copied pipeline runs on a bare runner."""
    workflow = yaml.safe_load((GITOPS / '.github' / 'workflows' / 'intercoms.yml').read_text())
    pipeline = yaml.safe_load((GITOPS / '.gitlab-ci.yml').read_text())
    jobs = {'github ' + job: [step.get('run', '') for step in spec['steps']] for job, spec in workflow['jobs'].items()}
    jobs.update({'gitlab ' + job: pipeline['default']['before_script'] + spec['script']
                 for job, spec in pipeline.items() if isinstance(spec, dict) and 'script' in spec})
    for job, commands in jobs.items():
        first_playbook = next(i for i, command in enumerate(commands) if 'ansible-playbook' in command)
        before = ' '.join(commands[:first_playbook])
        for requirement in ('"ansible-core>=2.19,<2.20"', 'requests', 'jmespath',
                            'ansible-galaxy collection install -r requirements.yml'):
            assert requirement in before, '%s does not install %s before it runs ansible-playbook' % (job, requirement)


@pytest.mark.parametrize('account_in', ['environment', 'inventory'])
def test_gitops_rehearse_job_runs_as_written_from_a_copy(account_in, collections_path, tmp_path):
    """The GitHub rehearse job's own steps, in a copy of the example: its emulator, the overlay, provision twice, drift.

    The steps run as written but for what the test environment provides instead: the installs (this virtual
    environment, and the collection under test on ANSIBLE_COLLECTIONS_PATH), and the emulator's address, moved off
    127.0.2.1 so that a demo or another test run on this machine cannot collide with it. The environment holds
    production's account, as the workflow's secrets put it there, or the copy's inventory does (helios_username and
    helios_password in group_vars, which win over any HELIOS_* variable): the rehearsal must use neither.
    """
    from helios_emulator.testing import port_is_free
    repo = tmp_path / 'repo'
    shutil.copytree(GITOPS, repo)
    workflow = yaml.safe_load((repo / '.github' / 'workflows' / 'intercoms.yml').read_text())
    # a block of its own per xdist worker and case (the two cases may run at the same time), past the fleets' blocks
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    first = 60 + int(worker[2:] if worker.startswith('gw') else 0) * 10 + (0 if account_in == 'environment' else 5)
    address = next('127.0.%d.1' % octet for octet in range(first, first + 5)
                   if port_is_free('127.0.%d.1' % octet, 8080) and port_is_free('127.0.%d.1' % octet, 8443))
    steps = [step['run'].replace('127.0.2.1', address) for step in workflow['jobs']['rehearse']['steps']
             if 'run' in step and not step['run'].startswith(('pip install', 'ansible-galaxy collection install'))]
    assert len(steps) == 4 and 'helios-emulator serve' in steps[0]
    script = 'set -e\ntrap \'kill $(jobs -p) 2>/dev/null\' EXIT\n' + '\n'.join(
        '%s\necho "=== step %d done"' % (step, number) for number, step in enumerate(steps))
    environ = clean_environ(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / 'home'),
                            PATH='%s%s%s' % (BIN, os.pathsep, os.environ['PATH']),
                            HELIOS_SIP_PASSWORD=SIP_PASSWORD, HELIOS_DOOR_CODE=DOOR_CODE)
    if account_in == 'environment':
        environ.update(HELIOS_USERNAME=ACCOUNT['username'], HELIOS_PASSWORD=ACCOUNT['password'])
    else:
        with open(repo / 'inventory' / 'group_vars' / 'intercoms.yml', 'a', encoding='utf-8') as group_vars:
            group_vars.write('helios_username: %(username)s\nhelios_password: %(password)s\n' % ACCOUNT)
    # what the job sets itself, as GitHub gives it to each step
    environ.update({name: str(value) for name, value in workflow['jobs']['rehearse'].get('env', {}).items()})
    run = subprocess.run(['bash', '-c', script], env=environ, cwd=repo, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    output = run.stdout
    assert run.returncode == 0, output
    assert '=== step 3 done' in output
    hosts = ('lobby', 'garage', 'side-door')
    first, second, drift = [output.split('=== step %d done' % number)[1].split('=== step %d done' % (number + 1))[0]
                            for number in (0, 1, 2)]
    assert all(recap(first, host)['changed'] != '0' for host in hosts), output
    assert all(recap(second, host)['changed'] == '0' for host in hosts), output
    assert 'no drift: every device matches its inventory' in drift, output
    for secret in (ACCOUNT['password'], SIP_PASSWORD, DOOR_CODE):
        assert secret not in output
