"""The session server's pieces that need no device: its messages, its switch and its directory checks."""

from __future__ import annotations

import contextlib
import io
import os
import resource
import socket
import subprocess
import sys
import threading

import pytest

from ansible_collections.twon.helios.plugins.module_utils._client import HeliosClient, RelayLost, RelayUnavailable
from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosTaskEnded,
    HeliosTransportError,
    HeliosUnknownOutcome,
)
from ansible_collections.twon.helios.plugins.module_utils._task import task_ended_for_module
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


def test_only_a_worker_of_the_process_that_made_the_secret_uses_the_server():
    assert server.usable({}) is False  # this process made the secret when it imported the module: it shares it with none
    child = os.fork()
    if child == 0:
        os._exit(0 if server.usable({}) and not server.usable({'HELIOS_SESSION_SERVER': 'false'}) else 1)
    assert os.waitpid(child, 0)[1] == 0


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
    link = server.SessionLink(directory=str(directory))
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
        sessions = server.SessionServer(listener, b'secret', os.getpid())
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


def _server_that_reads_one_call_and_dies(path, secret):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        with listener, listener.accept()[0] as conn, conn.makefile('rb') as stream:
            server.recv_frame(stream)
            server.send_frame(conn, {'welcome': server._proof(secret, b'server')})
            with contextlib.suppress(EOFError):
                server.recv_frame(stream)  # the call is in its hands; then it is gone

    thread = threading.Thread(target=serve)
    thread.start()
    return thread


SWITCH_ON = ({'host': '192.0.2.1'}, {'timeout': 1, 'retries': 0}, 'GET', 'switch/ctrl', {'switch': 2, 'action': 'on'})


def test_a_server_gone_with_the_call_in_hand_is_a_lost_relay(tmp_path):
    link = server.SessionLink(directory=str(tmp_path), secret=b'run')
    thread = _server_that_reads_one_call_and_dies(link.path, b'run')
    with pytest.raises(RelayLost) as lost:
        link.request(*SWITCH_ON, acts=True)
    thread.join()
    # A lost relay is still an unavailable one: a call that the client may make twice, it makes itself.
    assert isinstance(lost.value, RelayUnavailable)
    assert str(lost.value) == 'session server at %s: the other end closed the connection' % link.path


def test_a_server_that_cannot_be_handed_the_call_is_not_a_lost_relay(tmp_path):
    link = server.SessionLink(directory=str(tmp_path))
    ours, theirs = socket.socketpair()
    theirs.close()  # the server's end, gone before the call is sent
    link._sock, link._stream = ours, ours.makefile('rb')
    with pytest.raises(RelayUnavailable) as unavailable:
        link.request(*SWITCH_ON, acts=True)
    assert not isinstance(unavailable.value, RelayLost)


def test_a_server_of_another_run_is_not_used(tmp_path):
    link = server.SessionLink(directory=str(tmp_path), secret=b'run')
    thread = _server_that_reads_one_call_and_dies(link.path, b'another run')
    with pytest.raises(RelayUnavailable, match="not this run's server"):
        link.request(*SWITCH_ON, acts=True)
    thread.join()


class LostRelay:
    """A relay that goes away with every call it is handed."""

    def request(self, *args):
        raise RelayLost('session server at test: gone')

    def close(self):
        pass


def _client_for_nothing(**options):
    """A client of a port where nothing listens: any call it makes itself fails to connect."""
    return HeliosClient('127.0.0.1', port=9, protocol='http', auth_method='none', timeout=1, retries=0, **options)


def test_after_a_lost_relay_only_calls_that_cannot_act_twice_are_made_again():
    with pytest.raises(HeliosTransportError, match='cannot connect'):
        _client_for_nothing(relay=LostRelay()).get('switch/status')  # made again, by the client itself
    with pytest.raises(HeliosTransportError, match='cannot connect'):
        _client_for_nothing(relay=LostRelay()).act('switch/ctrl', repeatable=True, switch=2, action='on')
    with pytest.raises(HeliosUnknownOutcome, match='session server at test: gone'):
        _client_for_nothing(relay=LostRelay()).act('switch/ctrl', switch=2, action='trigger')


def test_a_call_that_acts_is_not_sent_once_the_guard_says_the_task_ended():
    client = _client_for_nothing()
    client.act_guard = lambda: 'the task has ended'
    for call in (lambda: client.act('switch/ctrl', repeatable=True, switch=2, action='on'),
                 lambda: client.act('call/dial', number='1'), lambda: client.delete('display/image', display='internal')):
        with pytest.raises(HeliosTaskEnded, match='not sent, because the task has ended'):
            call()
    with pytest.raises(HeliosTransportError, match='cannot connect'):
        client.get('switch/status')  # a call that only reads is made


def test_a_module_knows_its_task_ended_when_nothing_reads_its_output(monkeypatch):
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, 'w') as output:
        monkeypatch.setattr(sys, 'stdout', output)
        assert task_ended_for_module() is None
        os.close(read_end)
        assert 'the task that asked for it has ended' in task_ended_for_module()


def test_a_socket_path_too_long_for_a_socket_address_still_links_worker_and_server(tmp_path):
    # CI runners and pytest make temp directories deeper than a Unix socket address (107 bytes) can name.
    deep = tmp_path / ('d' * 60) / ('e' * 60)
    deep.mkdir(parents=True, mode=0o700)
    link = server.SessionLink(directory=str(deep), secret=b'run')
    assert len(link.path) > 108
    listener = socket.socket(socket.AF_UNIX)
    with server._reachable(link.path) as address:
        listener.bind(address)
    listener.listen(4)
    with listener:
        sessions = server.SessionServer(listener, b'run', os.getpid(), idle_timeout=1, path=link.path)
        serving = threading.Thread(target=sessions.serve, daemon=True)
        serving.start()
        nothing_there = dict(host='127.0.0.1', port=9, protocol='http', auth_method='none', timeout=1, retries=0,
                             environment=dict(proxies={}, verify=True))
        # the server took the call and made it: the device's fault comes back, not the link's
        with pytest.raises(HeliosTransportError, match='cannot connect'):
            link.request(nothing_there, {'timeout': 1, 'retries': 0}, 'GET', 'system/info', {})
        link.close()
        serving.join(10)
    assert not os.path.exists(link.path)  # the server removed its socket by its real path
