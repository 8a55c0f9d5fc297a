"""The session server: tasks on one device share its connection and Digest nonce, and it lives with its controller."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helios_fleet import ADMIN, BIN, HTTPS_PORT, UNKNOWN_OUTCOME

HERE = Path(__file__).resolve().parent

# helios_info (system/info, switch/caps, switch/status, and log/caps: which functions the firmware has), helios_switch
# (caps, status, ctrl), helios_io (caps, status, ctrl): ten calls, and a challenge for every new session.
CALLS = 10


def traffic_of(device, before):
    after = device.state()['traffic']
    return {key: after[key] - before[key] for key in after}


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError('timed out after %s s waiting for %s' % (timeout, what))


def server_pid(path):
    """The process holding the Unix socket bound at path (Linux: /proc/net/unix, then every process's descriptors).

    SO_PEERCRED would name the worker that started listening, which is gone by now.
    """
    with open('/proc/net/unix') as table:
        # bound through /proc/self/fd/N/ when the path is too long for a socket address: match the name
        inodes = {line.split()[6] for line in table if line.rstrip().endswith('/' + Path(path).name)}
    assert inodes, 'nothing is bound at %s' % path
    for fd_dir in os.scandir('/proc'):
        if not fd_dir.name.isdigit():
            continue
        try:
            links = [os.readlink(os.path.join(fd_dir.path, 'fd', fd)) for fd in os.listdir(os.path.join(fd_dir.path, 'fd'))]
        except OSError:
            continue  # gone, or not ours to read
        if any(link in {'socket:[%s]' % inode for inode in inodes} for link in links):
            return int(fd_dir.name)
    raise AssertionError('no process holds the socket at %s' % path)


def sockets_in(directory):
    return sorted(directory.glob('twon-helios-%d/*.sock' % os.getuid()))


def test_tasks_share_one_connection_and_nonce_per_device(devices, ansible, tmp_path):
    pair = devices(2)
    before = {device.name: device.state()['traffic'] for device in pair}
    run = ansible(pair, 'session', env={'TMPDIR': str(tmp_path)})
    assert run.rc == 0, run.stdout
    for device in pair:
        assert traffic_of(device, before[device.name]) == {'connections': 1, 'requests': CALLS + 1, 'challenges': 1}
    assert device.switch_active(2) is True and device.port_state('relay1') == 1
    # The server ends with ansible-playbook and takes its socket with it.
    wait_for(lambda: not sockets_in(tmp_path), 5, 'the session server to remove its socket')


def test_a_vaulted_password_reaches_the_server_and_no_output(devices, ansible, tmp_path):
    pair = devices(2)
    vault_password_file = tmp_path / 'vault-password'
    vault_password_file.write_text('vault secret')
    encrypted = subprocess.run([str(BIN / 'ansible-vault'), 'encrypt_string', '--vault-password-file', str(vault_password_file),
                                '--name', 'helios_password', ADMIN['password']],
                               capture_output=True, text=True, check=True).stdout
    hosts = {d.name: {k: v for k, v in d.hostvars().items() if k != 'helios_password'} for d in pair}
    before = {device.name: device.state()['traffic'] for device in pair}
    run = ansible(hosts, 'session', env={'TMPDIR': str(tmp_path), 'ANSIBLE_INJECT_INVOCATION': 'true'}, verbosity=3,
                  group_vars=encrypted, vault_password_file=vault_password_file)
    assert run.rc == 0, run.stdout
    for device in pair:
        # One connection per device for the three tasks: the session server ran them with the decrypted password.
        assert traffic_of(device, before[device.name]) == {'connections': 1, 'requests': CALLS + 1, 'challenges': 1}
        shown = [r['result']['invocation']['module_args']['password'] for r in run.results(device.name) if 'invocation' in r['result']]
        assert shown == ['VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'] * 3
    assert '"%s"' % ADMIN['password'] not in run.stdout and "'%s'" % ADMIN['password'] not in run.stdout


@pytest.mark.parametrize('switch', ['HELIOS_SESSION_SERVER', 'HELIOS_ACTION_IN_PROCESS'])
def test_when_turned_off_or_run_as_modules_each_task_connects(device, ansible, tmp_path, switch):
    before = device.state()['traffic']
    run = ansible(device, 'session', env={'TMPDIR': str(tmp_path), switch: 'false'})
    assert run.rc == 0, run.stdout
    assert traffic_of(device, before) == {'connections': 3, 'requests': CALLS + 3, 'challenges': 3}
    assert not (tmp_path / ('twon-helios-%d' % os.getuid())).exists()


def test_a_killed_server_is_replaced(device, ansible, tmp_path):
    before = device.state()['traffic']
    with ThreadPoolExecutor(1) as pool:
        playing = pool.submit(ansible, device, 'session', env={'TMPDIR': str(tmp_path)}, session_pause=3)
        # The first two tasks are done (8 requests) while the play pauses.
        wait_for(lambda: traffic_of(device, before)['requests'] == 8 or playing.done(), 60, 'the first two tasks')
        sockets = sockets_in(tmp_path)
        assert len(sockets) == 1
        # Only the user can reach the socket: the credentials pass through it.
        assert stat.S_IMODE(sockets[0].parent.stat().st_mode) == 0o700
        os.kill(server_pid(sockets[0]), signal.SIGKILL)
        run = playing.result()
    assert run.rc == 0, run.stdout
    # The third task found the dead server's socket, started a new server, which made a new session.
    assert traffic_of(device, before) == {'connections': 2, 'requests': CALLS + 2, 'challenges': 2}
    assert device.port_state('relay1') == 1
    wait_for(lambda: not sockets_in(tmp_path), 5, 'the new session server to remove its socket')


@pytest.mark.parametrize('state, made_again', [('triggered', False), ('active', True)])
def test_a_call_the_killed_server_had_in_hand_is_made_again_only_if_that_cannot_act_twice(
        device, ansible, tmp_path, state, made_again):
    hosts = {device.name: device.hostvars(helios_validate_certs=False)}
    switch = ('twon.helios.helios_switch', 'switch=2 state=%s' % state)
    device.faults(latency=1)  # every call takes a second: the server still has the switch/ctrl call when it is killed
    before = device.state()['traffic']
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(ansible, hosts, None, adhoc=switch, env={'TMPDIR': str(tmp_path)})
            # the challenge, switch/caps and switch/status are answered; switch/ctrl has reached the device
            wait_for(lambda: traffic_of(device, before)['requests'] == 4 or running.done(), 60, 'the switch/ctrl call')
            os.kill(server_pid(sockets_in(tmp_path)[0]), signal.SIGKILL)
            run = running.result()
    finally:
        device.faults(latency=0)
    result = run.result(device.name)
    if made_again:
        # A second switch/ctrl on finds the switch as the first left it: the worker made it with a connection of its own.
        assert run.rc == 0 and result['changed'] is True, run.stdout
        assert traffic_of(device, before)['connections'] == 2 and device.switch_active(2) is True
    else:
        assert run.rc != 0
        assert result['msg'].startswith('switch/ctrl: session server at ')
        assert result['msg'].endswith(UNKNOWN_OUTCOME)
        # Nothing called the device after the server: the trigger was sent once.
        assert traffic_of(device, before)['connections'] == 1
        wait_for(lambda: device.switch_active(2), 5, 'the trigger the server had sent')


def test_a_directory_others_can_enter_is_not_used(device, ansible, tmp_path):
    shared = tmp_path / ('twon-helios-%d' % os.getuid())
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    before = device.state()['traffic']
    run = ansible(device, 'session', env={'TMPDIR': str(tmp_path)})
    assert run.rc == 0, run.stdout
    # Each task called the device itself.
    assert traffic_of(device, before) == {'connections': 3, 'requests': CALLS + 3, 'challenges': 3}
    assert not sockets_in(tmp_path)


def _password_from_the_environment(device):
    """The device's host variables less the password: each run gives it as HELIOS_PASSWORD."""
    return {device.name: {k: v for k, v in device.hostvars().items() if k != 'helios_password'}}


UNSHARE = ['unshare', '--pid', '--fork', '--mount', '--mount-proc']


def test_a_run_in_another_pid_namespace_never_reaches_this_runs_server(device, ansible, tmp_path):
    # Two jobs, as in two containers or AWX execution nodes sharing one temp directory: each controller is process 1
    # of its own PID namespace.
    hosts = _password_from_the_environment(device)
    shared = {'TMPDIR': str(tmp_path)}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(ansible, hosts, 'info_then_pause', env=dict(shared, HELIOS_PASSWORD=ADMIN['password']),
                            wrapper=UNSHARE, session_pause=4)
        wait_for(lambda: sockets_in(tmp_path) or first.done(), 60, "the first run's session server")
        second = ansible(hosts, 'info_then_pause', env=dict(shared, HELIOS_PASSWORD='wrong'), wrapper=UNSHARE)
        first = first.result()
    assert first.rc == 0, first.stdout
    assert second.rc != 0, second.stdout
    assert 'authentication failed (HTTP 401)' in second.result(device.name)['msg']


def test_a_reused_controller_pid_never_reaches_the_old_runs_server(device, ansible, tmp_path):
    # The first run's server cannot see its controller end (it is stopped meanwhile); the second run's controller
    # then gets the first's process id (pid_reuse_driver.py).
    hosts = _password_from_the_environment(device)
    shared = {'TMPDIR': str(tmp_path)}
    runs = dict(first=ansible(hosts, 'info_then_pause', env=dict(shared, HELIOS_PASSWORD=ADMIN['password']),
                              prepared=True, session_pause=2),
                second=ansible(hosts, 'info_then_pause', env=dict(shared, HELIOS_PASSWORD='wrong'), prepared=True))
    spec = tmp_path / 'spec.json'
    spec.write_text(json.dumps(dict(
        {name: dict(command=run.command, env=run.env, cwd=str(run.cwd)) for name, run in runs.items()},
        sockets=str(tmp_path / ('twon-helios-%d' % os.getuid())), pid=500)))
    driver = subprocess.run(UNSHARE + [sys.executable, str(HERE / 'pid_reuse_driver.py'), str(spec)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert driver.returncode == 0, driver.stdout + driver.stderr
    report = json.loads(driver.stdout)
    assert report['first']['pid'] == report['second']['pid'] == 500
    assert report['first']['rc'] == 0, report['first']['output']
    second = runs['second'].finished(report['second']['rc'], report['second']['output'])
    assert second.rc != 0, second.stdout
    assert 'authentication failed (HTTP 401)' in second.result(device.name)['msg']


def test_a_link_that_does_not_know_the_runs_secret_is_refused(device, tmp_path, collections_path, monkeypatch):
    monkeypatch.syspath_prepend(str(collections_path))
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.twon.helios.plugins.module_utils._client import RelayUnavailable
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.twon.helios.plugins.plugin_utils import _session_server

    secret = b'this run'
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / _session_server.socket_name(secret)))
        listener.listen(4)
        server = _session_server.SessionServer(listener, secret, os.getpid(), idle_timeout=1)
        serving = threading.Thread(target=server.serve, daemon=True)
        serving.start()
        connection = dict(host=device.address, port=HTTPS_PORT, protocol='https', auth_method='digest',
                          validate_certs=False, ca_path=None, environment=dict(proxies={}, verify=False), **ADMIN)
        settings = dict(timeout=5, retries=0)
        ours = _session_server.SessionLink(directory=str(tmp_path), secret=secret)
        reply, _auth_method = ours.request(connection, settings, 'GET', 'system/info', {})
        assert reply.status_code == 200 and reply.json()['success'] is True
        ours.close()
        # Another run's link names its own socket; made to use this one, it is refused before any call.
        theirs = _session_server.SessionLink(directory=str(tmp_path), secret=b'another run')
        theirs.path = ours.path
        before = device.state()['traffic']
        with pytest.raises(RelayUnavailable):
            theirs.request(connection, settings, 'GET', 'system/info', {})
        assert traffic_of(device, before)['requests'] == 0
        serving.join(10)  # idle for a second, the server ends
