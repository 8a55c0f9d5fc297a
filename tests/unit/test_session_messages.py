"""The session server's pieces that need no device: its messages, its switch and its directory checks."""

from __future__ import annotations

import io
import os
import resource
import socket
import subprocess
import sys
import threading

import pytest

from ansible_collections.twon.helios.plugins.module_utils._call import TASK as CALL_TASK
from ansible_collections.twon.helios.plugins.module_utils._client import RelayUnavailable
from ansible_collections.twon.helios.plugins.module_utils._info import TASK as INFO_TASK
from ansible_collections.twon.helios.plugins.module_utils._io import TASK as IO_TASK
from ansible_collections.twon.helios.plugins.module_utils._switch import TASK as SWITCH_TASK
from ansible_collections.twon.helios.plugins.module_utils._system import TASK as SYSTEM_TASK
from ansible_collections.twon.helios.plugins.plugin_utils import _session_server as server


def test_a_frame_carries_a_header_and_raw_bytes():
    left, right = socket.socketpair()
    with left, right, right.makefile('rb') as stream:
        server.send_frame(left, {'status': 200, 'headers': [['Content-Type', 'image/jpeg']]}, b'\xff\xd8 jpeg')
        server.send_frame(left, {'empty': True})
        assert server.recv_frame(stream) == ({'status': 200, 'headers': [['Content-Type', 'image/jpeg']]}, b'\xff\xd8 jpeg')
        assert server.recv_frame(stream) == ({'empty': True}, b'')


@pytest.mark.parametrize('cut', [0, 3, 8, 12])
def test_a_cut_frame_is_the_end_of_the_link(cut):
    left, right = socket.socketpair()
    with left, right:
        server.send_frame(left, {'status': 200}, b'body')
        whole = right.recv(1024)
    with pytest.raises(EOFError):
        server.recv_frame(io.BytesIO(whole[:cut]))


@pytest.mark.parametrize('environ, expected', [
    ({}, True), ({'HELIOS_SESSION_SERVER': 'true'}, True),
    ({'HELIOS_SESSION_SERVER': 'false'}, False), ({'HELIOS_SESSION_SERVER': 'no'}, False),
    ({'HELIOS_SESSION_SERVER': '0'}, False),
])
def test_switch(environ, expected):
    assert server.enabled(environ) is expected


def test_the_directory_is_made_for_this_user_only(tmp_path):
    directory = tmp_path / 'sessions'
    server._ensure_private_directory(str(directory))
    assert directory.stat().st_mode & 0o777 == 0o700
    server._ensure_private_directory(str(directory))  # and found fit the next time


@pytest.mark.parametrize('make', ['open to the group', 'a symbolic link', 'a file'])
def test_a_directory_others_could_reach_is_refused(tmp_path, make):
    directory = tmp_path / 'sessions'
    if make == 'open to the group':
        directory.mkdir(mode=0o750)
        directory.chmod(0o750)
    elif make == 'a symbolic link':
        (tmp_path / 'elsewhere').mkdir(mode=0o700)
        directory.symlink_to(tmp_path / 'elsewhere')
    else:
        directory.write_text('')
    with pytest.raises(OSError):
        server._ensure_private_directory(str(directory))
    link = server.SessionLink(controller_pid=os.getpid(), directory=str(directory))
    with pytest.raises(RelayUnavailable):
        link.request({}, {'timeout': 1, 'retries': 0}, 'GET', 'system/info', {})


def test_the_reply_timeout_covers_every_attempt():
    one = server._reply_timeout({'timeout': 10, 'retries': 0})
    assert one >= 20  # connect and read may each take the whole timeout
    assert server._reply_timeout({'timeout': 10, 'retries': 3}) >= 4 * 20 + 3 * server.MAX_BACKOFF


def test_sessions_beyond_the_limit_close_the_least_recently_used(tmp_path):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / 'server.sock'))
    with listener:
        sessions = server.SessionServer(listener, os.getpid())
        sessions._max_sessions = 2
        first, second, third = ({'host': '192.0.2.%d' % number, 'port': 443, 'protocol': 'https', 'username': 'admin',
                                 'password': '2n', 'auth_method': 'digest', 'validate_certs': True, 'ca_path': None}
                                for number in (1, 2, 3))
        kept = sessions._session_for(first)
        sessions._session_for(second)
        assert sessions._session_for(first) is kept  # reused, and now the most recently used
        sessions._session_for(third)
        assert [session.client.base_url for session in sessions._sessions.values()] == [
            'https://192.0.2.1:443', 'https://192.0.2.3:443']


def _with_open_file_limit(soft):
    def lower():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    return lower


def test_the_server_raises_its_open_file_limit_for_its_sessions():
    # In a child process whose soft limit is 64, as a desktop's 1024 would be for a large fleet.
    script = ('import resource\n'
              'from ansible_collections.twon.helios.plugins.plugin_utils._session_server import raise_open_file_limit\n'
              'print(raise_open_file_limit(4096), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n')
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    expected = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    child = subprocess.run([sys.executable, '-c', script], preexec_fn=_with_open_file_limit(64), capture_output=True,
                           text=True, check=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert child.stdout.split() == [str(expected), str(expected)]


def test_the_open_file_limit_is_never_lowered():
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert server.raise_open_file_limit(16) == soft
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == soft


def _server_that_reads_one_frame_and_dies(path):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        with listener, listener.accept()[0] as conn, conn.makefile('rb') as stream:
            server.recv_frame(stream)  # the task is in its hands; then it is gone

    thread = threading.Thread(target=serve)
    thread.start()
    return thread


def test_a_server_gone_with_the_task_in_hand_is_a_lost_relay(tmp_path):
    path = tmp_path / ('%d.sock' % os.getpid())
    thread = _server_that_reads_one_frame_and_dies(path)
    link = server.SessionLink(controller_pid=os.getpid(), directory=str(tmp_path))
    with pytest.raises(server.RelayLost) as lost:
        link.run_task(SWITCH_TASK, {'switch': 2, 'state': 'triggered'}, 'twon.helios.helios_switch', False, False)
    thread.join()
    # A lost relay is still an unavailable one: a call the client relayed is made by the client itself.
    assert isinstance(lost.value, RelayUnavailable)
    assert str(lost.value) == 'session server at %s: the other end closed the connection' % path


def test_a_server_that_cannot_be_handed_the_task_is_not_a_lost_relay(tmp_path):
    link = server.SessionLink(controller_pid=os.getpid(), directory=str(tmp_path))
    ours, theirs = socket.socketpair()
    theirs.close()  # the server's end, gone before the task is sent
    link._sock, link._stream = ours, ours.makefile('rb')
    with pytest.raises(RelayUnavailable) as unavailable:
        link.run_task(SWITCH_TASK, {'switch': 2, 'state': 'triggered'}, 'twon.helios.helios_switch', False, False)
    assert not isinstance(unavailable.value, server.RelayLost)


@pytest.mark.parametrize('task, args, hazard', [
    (SWITCH_TASK, {'state': 'triggered'}, 'state=triggered changes the switch over each time'),
    (SWITCH_TASK, {'state': 'active'}, None),
    (SWITCH_TASK, {'state': 'inactive'}, None),
    (CALL_TASK, {'state': 'dialed', 'number': '100'}, 'state=dialed places a new call each time'),
    (CALL_TASK, {'state': 'answered', 'session': 1}, None),
    (CALL_TASK, {'state': 'hung_up'}, None),
    (SYSTEM_TASK, {'state': 'restarted'}, 'state=restarted acts on the device each time'),
    (SYSTEM_TASK, {'state': 'factory_reset'}, 'state=factory_reset acts on the device each time'),
    (IO_TASK, {'output': 'relay1', 'state': 'active'}, None),
    (INFO_TASK, {}, None),
])
def test_tasks_that_act_each_time_they_run_say_why(task, args, hazard):
    assert task.acts_each_run(args) == hazard
