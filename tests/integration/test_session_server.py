"""The session server: tasks on one device share its connection and Digest nonce, and it lives with its controller."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helios_fleet import ADMIN, BIN, HTTPS_PORT

# helios_info (system/info, switch/caps, switch/status), helios_switch (caps, status, ctrl), helios_io (caps, status,
# ctrl): nine calls, and a challenge for every new session.
CALLS = 9


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
        inodes = {line.split()[6] for line in table if line.rstrip().endswith(' ' + str(path))}
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
    run = ansible(hosts, 'session', env={'TMPDIR': str(tmp_path)}, verbosity=3, group_vars=encrypted,
                  vault_password_file=vault_password_file)
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
        # The first two tasks are done (7 requests) while the play pauses.
        wait_for(lambda: traffic_of(device, before)['requests'] == 7 or playing.done(), 60, 'the first two tasks')
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


@pytest.mark.parametrize('state, runs_again', [('triggered', False), ('active', True)])
def test_a_task_the_killed_server_had_in_hand_runs_again_only_if_that_cannot_act_twice(
        device, ansible, tmp_path, state, runs_again):
    hosts = {device.name: device.hostvars(helios_validate_certs=False)}
    switch = ('twon.helios.helios_switch', 'switch=2 state=%s' % state)
    device.faults(latency=1)  # every call takes a second: the server still has the task when it is killed
    before = device.state()['traffic']
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(ansible, hosts, None, adhoc=switch, env={'TMPDIR': str(tmp_path)})
            wait_for(lambda: traffic_of(device, before)['requests'] or running.done(), 60, "the server's first call")
            os.kill(server_pid(sockets_in(tmp_path)[0]), signal.SIGKILL)
            run = running.result()
    finally:
        device.faults(latency=0)
    result = run.result(device.name)
    if runs_again:
        # A second run finds the switch as the first left it: the worker ran the task with a connection of its own.
        assert run.rc == 0 and result['changed'] is True, run.stdout
        assert traffic_of(device, before)['connections'] == 2 and device.switch_active(2) is True
    else:
        assert run.rc != 0
        assert result['msg'].startswith('the session server stopped while it ran this task (session server at ')
        assert result['msg'].endswith('the task is not run a second time because state=triggered changes the switch '
                                      'over each time: check the device before you run it again')
        # Nothing called the device after the server: the trigger was sent once at most.
        assert traffic_of(device, before)['connections'] == 1


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


def test_the_server_runs_whole_tasks_as_the_worker_would(device, collections_path, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(collections_path))
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.twon.helios.plugins.module_utils._switch import TASK
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.twon.helios.plugins.plugin_utils._session_server import SessionServer

    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(tmp_path / 'server.sock'))
        server = SessionServer(listener, os.getpid())
        args = dict(host=device.address, port=HTTPS_PORT, validate_certs=False, switch=2, state='active', **ADMIN)
        request = dict(task=TASK.name, module='twon.helios.helios_switch', args=args, check_mode=False, diff=True)
        before = device.state()['traffic']
        first, second = server._run_task(request), server._run_task(request)
        assert first['changed'] is True and first['diff'] == {'before': {'switch': 2, 'active': False},
                                                              'after': {'switch': 2, 'active': True}}
        assert second['changed'] is False and device.switch_active(2) is True
        assert first['invocation']['module_args']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
        # one kept session: caps, status, ctrl, then caps and status, and a single challenge
        assert traffic_of(device, before) == {'connections': 1, 'requests': 6, 'challenges': 1}

        typo = server._run_task(dict(request, args=dict(args, colour='red')))
        assert typo['failed'] is True
        assert typo['msg'].startswith('Unsupported parameters for (twon.helios.helios_switch) module: colour')
        foreign = server._run_task(dict(request, task='os'))
        assert foreign['failed'] is True and 'not a twon.helios task: os' in foreign['msg']
