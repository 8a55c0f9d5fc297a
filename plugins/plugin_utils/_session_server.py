# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep each device's HTTP session open across tasks: one session server per ansible-playbook run.

Ansible runs each task for each host in a new worker process, so a client made by the task could never reuse
a connection: every task would pay a TCP and TLS handshake and a Digest challenge (a 401 round trip). Against an
intercom on a real network that is most of a task's time (tests/bench/bench_modules.py, realistic profile).

The worker runs the task; its client relays each call without a body to this server, which makes it through a
HeliosClient per device that it keeps between tasks. The server is a connection keeper and nothing more:
- It belongs to one ansible-playbook run. The run's controller makes a secret when it imports this module, before
  it forks any worker; the server's socket is named after it and every link must prove it knows it, so another
  run (another PID namespace, a reused PID, a shared temp directory) never reaches it.
- It takes every value from the worker: the connection, the timeout, the environment's proxies and CA bundle. It
  resolves nothing from its own environment.
- A call that acts is made only while the task that asked for it still waits: not after its worker closed the
  link (the task timed out or the worker died), nor after the task's timeout.

The server exits soon after the ansible-playbook process that started the workers, or after IDLE_TIMEOUT
seconds without a call. Whatever goes wrong with it (it cannot start, cannot be reached, or dies), the
worker's client calls the device itself, except for a call that acts each time it is made and may have been made
(see HeliosClient.act). HELIOS_SESSION_SERVER=false in the controller's environment turns it off.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import hmac
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
from collections import OrderedDict

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE

from ansible_collections.twon.helios.plugins.module_utils._client import (
    MAX_BACKOFF,
    HeliosClient,
    RelayLost,
    RelayUnavailable,
    Reply,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosParameterError,
    HeliosTaskEnded,
    HeliosTransportError,
    HeliosUnknownOutcome,
)

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
# The client's errors that a relayed call ends with, raised again in the worker: most specific first.
RELAYED_ERRORS = (HeliosTaskEnded, HeliosUnknownOutcome, HeliosTransportError, HeliosParameterError)

# The run's secret, made in the process that imports this module first: Ansible's controller, which loads the
# action plugins before it forks the workers of a task, so that every worker of the run inherits it.
_JOB_SECRET = os.urandom(32)
_JOB_CONTROLLER = os.getpid()
# Variables the server drops from its environment at start: it must never resolve a default from them.
_ENVIRONMENT_IT_MUST_NOT_READ = ('HELIOS_', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


def _proof(secret, who):
    return hmac.new(secret, b'twon.helios session link: ' + who, hashlib.sha256).hexdigest()


def enabled(environ):
    return environ.get(SWITCH, 'true').strip().lower() not in BOOLEANS_FALSE


def usable(environ):
    """Whether this process may use the run's session server: it is on, and this is a worker of the controller
    that made the run's secret (a process that made the secret itself would share it with no other)."""
    return enabled(environ) and os.getppid() == _JOB_CONTROLLER


def socket_directory():
    return os.path.join(tempfile.gettempdir(), 'twon-helios-%d' % os.getuid())


def socket_name(secret):
    """The server's socket in socket_directory(): named after the run's secret, so only the run finds it."""
    return '%s.sock' % hashlib.sha256(b'twon.helios socket: ' + secret).hexdigest()[:16]


def process_start(pid):
    """When the process pid started (Linux: clock ticks since boot), so that a reused pid is told apart; None
    where the platform does not tell, or when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as stat_file:
            return int(stat_file.read().rsplit(b')', 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


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

class SessionLink:
    """Relays a HeliosClient's calls to the session server of this run, starting it if needed.

    Raises RelayUnavailable whenever the server cannot take a call; the client then calls the device itself. That
    is RelayLost when the server went away with the call in hand, so that it may have reached the device.
    deadline: time.monotonic() at which the task's timeout ends, if it has one (the server acts on nothing later).
    """

    def __init__(self, deadline=None, directory=None, secret=None, controller_pid=None):
        self.secret = secret or _JOB_SECRET
        self.controller_pid = controller_pid or _JOB_CONTROLLER
        self.deadline = deadline
        self.directory = directory or socket_directory()
        self.path = os.path.join(self.directory, socket_name(self.secret))
        self._sock = None
        self._stream = None

    def request(self, connection, settings, method, function, params, acts=False, once=False):
        """The device's reply and the auth method the session uses; the client's errors as it raises them."""
        header, payload = self._exchange(dict(connection=connection, settings=settings, method=method,
                                              function=function, params=params or {}, acts=acts, once=once,
                                              deadline=self.deadline), _reply_timeout(settings))
        for error in RELAYED_ERRORS:
            if error.__name__ in header:
                raise error(header[error.__name__])
        if 'failure' in header:
            # a fault of the server's, which may have come after the call reached the device
            raise RelayLost(header['failure'])
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
            self._sock, self._stream = sock, sock.makefile('rb')
            self._sock.settimeout(10)
            # Each end proves that it knows the run's secret; the server closes a link that does not.
            send_frame(self._sock, dict(hello=_proof(self.secret, b'worker')))
            welcome = recv_frame(self._stream)[0]
        except (OSError, EOFError, ValueError) as exc:
            self.close()
            raise RelayUnavailable('session server at %s: %s' % (self.path, exc)) from None
        if not hmac.compare_digest(str(welcome.get('welcome')), _proof(self.secret, b'server')):
            self.close()
            raise RelayUnavailable("session server at %s: not this run's server" % self.path)

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
                with _reachable(self.path) as address:
                    listener.bind(address)
                listener.listen(64)
                _spawn(listener, self.path, self.secret, self.controller_pid, process_start(self.controller_pid))
            finally:
                listener.close()
            return _connected(self.path)


# A Unix socket's path holds at most 107 bytes; a deep TMPDIR (CI runners, pytest) is longer than that.
_SOCKET_PATH_MAX = 100


@contextlib.contextmanager
def _reachable(path):
    """An address for bind() or connect() that reaches path, however long: on Linux, through the directory's file
    descriptor (/proc/self/fd/N/name) while the block runs."""
    directory, name = os.path.split(path)
    if len(path.encode()) <= _SOCKET_PATH_MAX or not os.path.isdir('/proc/self/fd'):
        yield path
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield '/proc/self/fd/%d/%s' % (descriptor, name)
    finally:
        os.close(descriptor)


def _connected(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _reachable(path) as address:
            sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def _spawn(listener, path, secret, controller_pid, controller_start):
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
            SessionServer(listener, secret, controller_pid, controller_start, path=path).serve()
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
    # Every value comes from the worker's call: none from this process's own environment.
    for name in [name for name in os.environ if name.upper().startswith(_ENVIRONMENT_IT_MUST_NOT_READ)
                 or name.lower().endswith('_proxy')]:
        del os.environ[name]


# The server.

class _DeviceSession:
    def __init__(self, connection):
        self.client = HeliosClient(**connection)
        self.lock = threading.Lock()
        self.last_used = time.monotonic()


def _link_closed(conn):
    """Whether the worker at the other end of conn has closed it: no call of its waits there any more."""
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b''
    except BlockingIOError:
        return False
    except OSError:
        return True


class SessionServer:
    """Makes the calls workers send, through one HeliosClient per device connection, kept between tasks."""

    def __init__(self, listener, secret, controller_pid, controller_start=None, idle_timeout=IDLE_TIMEOUT, path=None):
        self._listener = listener
        self._secret = secret
        self._controller = (controller_pid, controller_start)
        self._idle_timeout = idle_timeout
        self._sessions = OrderedDict()
        self._lock = threading.Lock()
        self._links = 0
        self._last_activity = time.monotonic()
        # the socket's path as the worker named it (the listener's own name may be a /proc/self/fd path: _reachable)
        self._path = path or listener.getsockname()
        self._socket_inode = os.stat(self._path).st_ino
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

    def _controller_alive(self):
        pid, start = self._controller
        return _alive(pid) and (start is None or process_start(pid) == start)

    def _wanted(self):
        if not self._controller_alive():
            return False
        with self._lock:
            return self._links > 0 or time.monotonic() - self._last_activity < self._idle_timeout

    def _remove_socket(self):
        path = self._path
        with contextlib.suppress(OSError):
            # Only our own: a worker may already have replaced a socket it found unanswered.
            if os.stat(path).st_ino == self._socket_inode:
                os.unlink(path)
        if not self._controller_alive():
            with contextlib.suppress(OSError):
                os.unlink(path[:-len('.sock')] + '.lock')

    def _serve_link(self, conn):
        try:
            with conn, conn.makefile('rb') as stream:
                if not self._welcome(conn, stream):
                    return
                while True:
                    try:
                        header = recv_frame(stream)[0]
                    except (OSError, EOFError, ValueError):
                        return
                    send_frame(conn, *self._call(header, conn))
        except OSError:
            pass  # the worker went away
        finally:
            with self._lock:
                self._links -= 1
                self._last_activity = time.monotonic()

    def _welcome(self, conn, stream):
        """Whether the peer proves that it is a worker of this run; if so, prove it in turn."""
        conn.settimeout(10)
        try:
            hello = recv_frame(stream)[0]
        except (OSError, EOFError, ValueError):
            return False
        if not isinstance(hello, dict) or not hmac.compare_digest(str(hello.get('hello')), _proof(self._secret, b'worker')):
            return False
        send_frame(conn, dict(welcome=_proof(self._secret, b'server')))
        conn.settimeout(None)
        return True

    def _call(self, request, conn):
        def task_ended():
            """Why a call that acts must not be sent now, or None."""
            if request.get('deadline') is not None and time.monotonic() >= request['deadline']:
                return "the task's timeout has passed"
            if _link_closed(conn):
                return 'the task that asked for it has ended (its worker stopped waiting: a timeout, or it died)'
            return None

        try:
            with self._kept_session(request['connection'], **request['settings']) as client:
                client.act_guard = task_ended
                try:
                    response = client.send(request['method'], request['function'], request['params'],
                                           acts=request['acts'], once=request['once'])
                except RELAYED_ERRORS as exc:
                    kind = next(error for error in RELAYED_ERRORS if isinstance(exc, error))
                    return {kind.__name__: str(exc)}, b''
                finally:
                    client.act_guard = None
                header = dict(status=response.status_code, reason=response.reason,
                              headers=list(response.headers.items()), auth_method=client.auth_method)
                return header, response.content
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A fault of this server must not fail the task: the worker then makes the call itself, unless it acts
            # each time it is made and may have been made.
            return dict(failure='session server: %s: %s' % (type(exc).__name__, exc)), b''

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
