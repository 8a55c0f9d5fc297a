"""Runs two ansible commands in this PID namespace, the second's controller under the first's process id.

Run as the first process of a new PID namespace (unshare -pfm --mount-proc python pid_reuse_driver.py SPEC), so that
it chooses process ids by writing /proc/sys/kernel/ns_last_pid. SPEC is a JSON file:
{"first": PreparedRun fields, "second": ..., "sockets": directory whose session server sockets to watch, "pid": N}.
The first run (a task, then a pause) has its session server stopped (SIGSTOP) once the pause begins, so that the
server cannot see its controller end; the second run's controller is then given the same pid, and the server is let
go on (SIGCONT). Prints a JSON document:
the two runs' exit codes, outputs and pids.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def start_with_pid(run, pid):
    with open('/proc/sys/kernel/ns_last_pid', 'w') as last:
        last.write(str(pid - 1))
    return subprocess.Popen(run['command'], env=run['env'], cwd=run['cwd'], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def socket_holder(directory, timeout=60):
    """The process holding the Unix socket that appears in directory (a session server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = tuple('/' + path.name for path in Path(directory).glob('*.sock'))
        if names:
            with open('/proc/net/unix') as table:
                # bound through /proc/self/fd/N/ when the path is too long for a socket address: match the name
                inodes = {line.split()[6] for line in table if line.split()[-1].endswith(names)}
            for entry in os.scandir('/proc'):
                if not entry.name.isdigit():
                    continue
                try:
                    links = {os.readlink(os.path.join(entry.path, 'fd', fd)) for fd in os.listdir(os.path.join(entry.path, 'fd'))}
                except OSError:
                    continue
                if links & {'socket:[%s]' % inode for inode in inodes}:
                    return int(entry.name)
        time.sleep(0.05)
    raise SystemExit('no session server appeared in %s' % directory)


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    first = start_with_pid(spec['first'], spec['pid'])
    lines = []
    for line in first.stdout:
        lines.append(line)
        if line.startswith('TASK [Hold the play for the test]'):
            break
    server = socket_holder(spec['sockets'])
    os.kill(server, signal.SIGSTOP)
    first_output = ''.join(lines) + first.communicate(timeout=120)[0]
    second = start_with_pid(spec['second'], spec['pid'])
    time.sleep(0.5)  # the second run's controller is up, and its first worker is looking for a session server
    os.kill(server, signal.SIGCONT)
    second_output = second.communicate(timeout=120)[0]
    print(json.dumps(dict(first=dict(rc=first.returncode, pid=first.pid, output=first_output),
                          second=dict(rc=second.returncode, pid=second.pid, output=second_output))))


if __name__ == '__main__':
    main()
