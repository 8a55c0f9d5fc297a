# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep each device's HTTP session open across tasks: one session server per ansible-playbook run.

Ansible runs each task for each host in a new worker process, so a client made by the task could never reuse
a connection: every task would pay a TCP and TLS handshake and a Digest challenge (a 401 round trip), and its
first request would run, and copy on write, much of requests, urllib3 and ssl in a fresh process. On two cores
that is most of a task's cost.

The first worker that needs it forks this server from itself (nothing is imported again) and later workers
find it by the controller's process id, over a Unix socket in a directory only the user can enter. A worker
hands it the whole task (its arguments, check mode and diff), and the server validates them and runs the task
with a HeliosClient per device that it keeps between tasks, in a process that is already warm. A task marked
otherwise (much CPU work: helios_config) runs in its worker, and only relays there the calls that have no body.

The server exits soon after the ansible-playbook process that started the workers, or after IDLE_TIMEOUT
seconds without a call. Whatever goes wrong with it (it cannot start, cannot be reached, or dies), the
worker's client calls the device itself. HELIOS_SESSION_SERVER=false in the controller's environment turns
it off.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import json
import os
import resource
import signal
import socket
import stat
import struct
import tempfile
import threading
import time
import traceback
from collections import OrderedDict

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE

from ansible_collections.twon.helios.plugins.module_utils._client import (
    MAX_BACKOFF,
    HeliosClient,
    RelayUnavailable,
    Reply,
)
from ansible_collections.twon.helios.plugins.module_utils._connection import check_connection_params, connection_of
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosTransportError
from ansible_collections.twon.helios.plugins.module_utils._task import execute, run_validated

SWITCH = 'HELIOS_SESSION_SERVER'

# Seconds without a call after which the server exits even though its controller still runs.
IDLE_TIMEOUT = 60.0
# A device session unused for this many seconds is made anew rather than reused: devices close idle
# keep-alive connections, and a fresh handshake is cheaper than a call lost to a connection closing under it.
SESSION_IDLE = 30.0
# Open device sessions at most (each holds a socket): half the process's descriptors, up to this many; the
# least recently used session is closed first.
MAX_SESSIONS = 2048
# How often the server checks that its controller still runs, in seconds.
WATCH_INTERVAL = 0.5

_FRAME = struct.Struct('!II')  # header length, payload length

TASK_MODULE_PREFIX = 'ansible_collections.twon.helios.plugins.module_utils._'


def enabled(environ):
    return environ.get(SWITCH, 'true').strip().lower() not in BOOLEANS_FALSE


def socket_directory():
    return os.path.join(tempfile.gettempdir(), 'twon-helios-%d' % os.getuid())


def _ensure_private_directory(path):
    """Create path for this user only, or check that it is exactly that; OSError otherwise."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError('%s is not a directory that only this user can enter' % path)


# Messages: a frame header, a JSON header and a payload of raw bytes (a reply's body).

def send_frame(sock, header, payload=b''):
    encoded = json.dumps(header).encode('utf-8')
    sock.sendall(_FRAME.pack(len(encoded), len(payload)) + encoded)
    if payload:
        sock.sendall(payload)


def _read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError('the other end closed the connection')
    return data


def recv_frame(stream):
    header_size, payload_size = _FRAME.unpack(_read_exactly(stream, _FRAME.size))
    header = json.loads(_read_exactly(stream, header_size).decode('utf-8'))
    return header, _read_exactly(stream, payload_size) if payload_size else b''


def _reply_timeout(settings):
    """The longest a server can take for one call: every attempt timing out on connect and on read, and the pauses."""
    attempts = settings['retries'] + 1
    return attempts * 2 * settings['timeout'] + settings['retries'] * MAX_BACKOFF + 10


# The worker's end.

class RelayLost(RelayUnavailable):
    """The server went away after it was handed a message: what it had done of it, if anything, is unknown."""


class SessionLink:
    """Relays a HeliosClient's calls to the session server of this worker's controller, starting it if needed.

    Raises RelayUnavailable whenever the server cannot take a call; the client then calls the device itself. That
    is RelayLost when the server went away with the call or task in hand, so that it may have reached the device.
    """

    def __init__(self, controller_pid=None, directory=None):
        self.controller_pid = controller_pid or os.getppid()
        self.directory = directory or socket_directory()
        self.path = os.path.join(self.directory, '%d.sock' % self.controller_pid)
        self._sock = None
        self._stream = None

    def run_task(self, task, args, module_name, check_mode, diff):
        """The result of the whole task, run by the server (a task's run may take minutes: no time limit here)."""
        try:
            return self._exchange(dict(task=task.name, module=module_name, args=args, check_mode=check_mode,
                                       diff=diff), None)[0]
        finally:
            self.close()

    def request(self, connection, settings, method, function, params):
        """The device's reply and the auth method the session uses; HeliosTransportError as the client raises it."""
        header, payload = self._exchange(dict(connection=connection, settings=settings, method=method,
                                              function=function, params=params or {}), _reply_timeout(settings))
        if 'transport_error' in header:
            raise HeliosTransportError(header['transport_error'])
        if 'failure' in header:
            raise RelayUnavailable(header['failure'])
        return Reply(header['status'], header['reason'], header['headers'], payload), header['auth_method']

    def _exchange(self, message, timeout):
        if self._sock is None:
            self._connect()
        try:
            self._sock.settimeout(timeout)
            send_frame(self._sock, message)
        except (OSError, ValueError, TypeError) as exc:  # TypeError: arguments JSON cannot carry
            self.close()
            raise RelayUnavailable('session server at %s: %s' % (self.path, exc)) from None
        try:
            return recv_frame(self._stream)
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise RelayLost('session server at %s: %s' % (self.path, exc)) from None

    def close(self):
        for closable in (self._stream, self._sock):
            if closable is not None:
                closable.close()
        self._sock = self._stream = None

    def _connect(self):
        try:
            _ensure_private_directory(self.directory)
            try:
                sock = _connected(self.path)
            except (FileNotFoundError, ConnectionRefusedError):
                sock = self._start_server()
        except OSError as exc:
            raise RelayUnavailable('session server at %s: %s' % (self.path, exc)) from None
        self._sock, self._stream = sock, sock.makefile('rb')

    def _start_server(self):
        # One worker starts it; the others wait on the lock, then find it running.
        with open(self.path[:-len('.sock')] + '.lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return _connected(self.path)
            except (FileNotFoundError, ConnectionRefusedError):
                pass
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # left behind by a server that died
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                listener.bind(self.path)
                listener.listen(64)
                _spawn(listener, self.controller_pid)
            finally:
                listener.close()
            return _connected(self.path)


def _connected(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def _spawn(listener, controller_pid):
    """Run a SessionServer on listener in a daemon process, a grandchild of this one that never returns here."""
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)
        return
    # Everything below runs outside Ansible's control flow: it must end in os._exit, whatever happens.
    try:
        os.setsid()
        if os.fork() == 0:
            _detach(listener.fileno())
            SessionServer(listener, controller_pid).serve()
    finally:
        os._exit(0)


def _detach(keep_fd):
    """Let go of everything inherited from the worker: its signal handlers, stdio and every other descriptor."""
    # The worker's objects are never collected here: a file object among them would close a descriptor number
    # that this process has reused.
    gc.freeze()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Ansible's pipes among them: a test capturing ansible-playbook's output would otherwise wait for this process.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, max(keep_fd + 2, os.sysconf('SC_OPEN_MAX')))


# The server.

class _DeviceSession:
    def __init__(self, connection):
        self.client = HeliosClient(**connection)
        self.lock = threading.Lock()
        self.last_used = time.monotonic()


class SessionServer:
    """Makes the calls workers send, through one HeliosClient per device connection, kept between tasks."""

    def __init__(self, listener, controller_pid, idle_timeout=IDLE_TIMEOUT):
        self._listener = listener
        self._controller_pid = controller_pid
        self._idle_timeout = idle_timeout
        self._sessions = OrderedDict()
        self._lock = threading.Lock()
        self._links = 0
        self._last_activity = time.monotonic()
        self._socket_inode = os.stat(listener.getsockname()).st_ino
        self._max_sessions = max(16, min(MAX_SESSIONS, raise_open_file_limit(2 * MAX_SESSIONS) // 2))

    def serve(self):
        self._listener.settimeout(WATCH_INTERVAL)
        try:
            while self._wanted():
                try:
                    conn = self._listener.accept()[0]
                except socket.timeout:
                    continue
                if not _same_user(conn):
                    conn.close()
                    continue
                with self._lock:
                    self._links += 1
                thread = threading.Thread(target=self._serve_link, args=(conn,))
                thread.daemon = True
                thread.start()
        finally:
            self._remove_socket()

    def _wanted(self):
        if not _alive(self._controller_pid):
            return False
        with self._lock:
            return self._links > 0 or time.monotonic() - self._last_activity < self._idle_timeout

    def _remove_socket(self):
        path = self._listener.getsockname()
        with contextlib.suppress(OSError):
            # Only our own: a worker may already have replaced a socket it found unanswered.
            if os.stat(path).st_ino == self._socket_inode:
                os.unlink(path)
        if not _alive(self._controller_pid):
            with contextlib.suppress(OSError):
                os.unlink(path[:-len('.sock')] + '.lock')

    def _serve_link(self, conn):
        try:
            with conn, conn.makefile('rb') as stream:
                while True:
                    try:
                        header = recv_frame(stream)[0]
                    except (OSError, EOFError, ValueError):
                        return
                    send_frame(conn, *self._call(header))
        except OSError:
            pass  # the worker went away
        finally:
            with self._lock:
                self._links -= 1
                self._last_activity = time.monotonic()

    def _call(self, request):
        if 'task' in request:
            return self._run_task(request), b''
        try:
            with self._kept_session(request['connection'], **request['settings']) as client:
                try:
                    response = client.send(request['method'], request['function'], request['params'])
                except HeliosTransportError as exc:
                    return dict(transport_error=str(exc)), b''
                header = dict(status=response.status_code, reason=response.reason,
                              headers=list(response.headers.items()), auth_method=client.auth_method)
                return header, response.content
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A fault of this server must not fail the task: the worker then makes the call itself.
            return dict(failure='session server: %s: %s' % (type(exc).__name__, exc)), b''

    def _run_task(self, request):
        try:
            task = _task_named(request['task'])
            return run_validated(task, request['args'], request['module'], lambda params: execute(
                task, params, request['check_mode'], request['diff'], open_client=self._kept_client))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A fault of the server or the task: report it as the task's failure (as Ansible would an exception
            # in a worker) rather than run the task a second time.
            return dict(failed=True, msg='session server: %s: %s' % (type(exc).__name__, exc),
                        exception=traceback.format_exc())

    def _kept_client(self, params):
        check_connection_params(params)
        return self._kept_session(connection_of(params), params['timeout'], params['retries'])

    @contextlib.contextmanager
    def _kept_session(self, connection, timeout, retries):
        """The device's kept client, for this caller alone, with the caller's timeout and retries."""
        session = self._session_for(connection)
        with session.lock:
            client = session.client
            client.timeout, client.retries = timeout, retries
            try:
                yield client
            finally:
                session.last_used = time.monotonic()

    def _session_for(self, connection):
        key = json.dumps(connection, sort_keys=True)
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and time.monotonic() - session.last_used > SESSION_IDLE and not session.lock.locked():
                session.client.close()
                session = None
            if session is None:
                session = self._sessions[key] = _DeviceSession(connection)
            self._sessions.move_to_end(key)
            self._evict()
            return session

    def _evict(self):
        excess = len(self._sessions) - self._max_sessions
        for key in list(self._sessions)[:excess] if excess > 0 else ():
            if not self._sessions[key].lock.locked():
                self._sessions.pop(key).client.close()


def raise_open_file_limit(wanted):
    """Raise this process's open-file limit towards wanted, as far as its hard limit allows; the limit now.

    Each session holds a socket. A soft limit of 1024, common on desktops, would keep only 512 sessions, and a
    play over more intercoms than that would reconnect to every one of them for every task.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # the platform refuses: keep the sessions the current limit allows
    return soft


def _task_named(name):
    """A HeliosTask by its name (the module_utils module defining it); only this collection's tasks."""
    if not name.startswith(TASK_MODULE_PREFIX):
        raise ValueError('not a twon.helios task: %s' % name)
    return importlib.import_module(name).TASK


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # the number now belongs to another user's process: ours is gone
    return True


def _same_user(conn):
    """Whether the peer runs as this user, where the platform tells (Linux); elsewhere the directory's mode guards."""
    if not hasattr(socket, 'SO_PEERCRED'):
        return True
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i'))
    return struct.unpack('3i', credentials)[1] == os.getuid()
