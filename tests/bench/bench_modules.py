"""Benchmark: twon.helios modules against ansible.builtin.uri, same playbook shape, 100 emulated intercoms.

Run: .venv/bin/python tests/bench/bench_modules.py [--devices 100] [--forks 5] [--rounds 3]
Prints seconds per task-host for each, and the ratio. Target: >= 15x faster, <= 0.015 s per task-host.
Uses loopback addresses 127.0.50.x and up (the benchmark block).

Each round runs every playbook once, in turn, so a slow spell of the machine touches all of them; the ratio is
taken from the medians of the rounds. Also measured: the twon.helios playbook with the session server off
(HELIOS_SESSION_SERVER=false), and Ansible's own floor, three tasks that do nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _collection import collections_root
from _process import cpu_seconds

from helios_emulator.testing import EmulatorProcess

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HTTP_PORT, HTTPS_PORT = 29080, 29443


def run_playbook(playbook, inventory, workdir, forks, extra_env):
    times = workdir / ('%s.times.json' % playbook)
    env = dict(os.environ, **extra_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(workdir / 'collections'),
               ANSIBLE_CALLBACK_PLUGINS=str(HERE / 'callback_plugins'), ANSIBLE_CALLBACKS_ENABLED='helios_bench_timer',
               HELIOS_BENCH_TIMES=str(times), ANSIBLE_HOME=str(workdir / 'ansible-home'), ANSIBLE_NOCOLOR='1')
    completed = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), '-f', str(forks), str(HERE / playbook)],
                               env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.exit('%s failed:\n%s' % (playbook, completed.stdout[-4000:] + completed.stderr[-4000:]))
    return json.loads(times.read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=100)
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--address', default='127.0.50.1')
    parser.add_argument('--rounds', type=int, default=3)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-'))
    collections_root(workdir / 'collections')
    fleet = EmulatorProcess(workdir, options.address, HTTP_PORT, HTTPS_PORT, devices=options.devices).start(timeout=60)
    devices = fleet.ready['devices']
    try:
        inventory = workdir / 'inventory.json'
        inventory.write_text(json.dumps({'intercoms': {
            'hosts': {'door-%03d' % i: {'ansible_host': d['address']} for i, d in enumerate(devices)},
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'helios_port': HTTPS_PORT}}}))
        task_hosts = 3 * len(devices)
        runs = (('twon.helios', 'bench_modules.yml', {}),
                ('twon.helios, no session server', 'bench_modules.yml', {'HELIOS_SESSION_SERVER': 'false'}),
                ('ansible.builtin.uri', 'bench_uri.yml', {}),
                ('floor (debug)', 'bench_floor.yml', {}))
        per_task_host = {label: [] for label, _playbook, _env in runs}
        by_task = {}  # twon.helios: each task's seconds per host, by round
        emulator_cpu = []  # the emulated intercoms' own work during the twon.helios playbook, per task-host
        for round_number in range(1, options.rounds + 1):
            for label, playbook, extra_env in runs:
                cpu_before = cpu_seconds(fleet.pid)
                times = run_playbook(playbook, inventory, workdir, options.forks, extra_env)
                cpu_after = cpu_seconds(fleet.pid)
                if label == 'twon.helios':
                    emulator_cpu.append((cpu_after - cpu_before) / task_hosts)
                    for t in times:
                        by_task.setdefault(t['task'], []).append(t['seconds'] / len(devices))
                per_task_host[label].append(sum(t['seconds'] for t in times) / task_hosts)
                tasks = '  '.join('%s %.2f s' % (t['task'], t['seconds']) for t in times)
                print('round %d  %-32s %s' % (round_number, label, tasks))
        median = {label: statistics.median(values) for label, values in per_task_host.items()}
        ours, uri = median['twon.helios'], median['ansible.builtin.uri']
        print()
        print('devices: %d, forks: %d, task-hosts per playbook: %d, rounds: %d'
              % (len(devices), options.forks, task_hosts, options.rounds))
        for label, values in per_task_host.items():
            print('%-32s median %.4f s per task-host (rounds: %s)'
                  % (label, median[label], ', '.join('%.4f' % value for value in values)))
        print('ratio: twon.helios is %.1fx faster than ansible.builtin.uri (target >= 15x: %s)'
              % (uri / ours, 'met' if uri / ours >= 15 else 'NOT met'))
        print('ratio within each round: %s' % ', '.join(
            '%.1fx' % (u / o) for u, o in zip(per_task_host['ansible.builtin.uri'], per_task_host['twon.helios'])))
        print('twon.helios: %.4f s per task-host (target <= 0.015 s: %s)' % (ours, 'met' if ours <= 0.015 else 'NOT met'))
        # The first task also opens the session server's connection to each device: TCP, TLS, the Digest challenge.
        print('twon.helios by task, median s per host: %s (the first also opens each device\'s session)'
              % ', '.join('%s %.4f' % (task, statistics.median(values)) for task, values in by_task.items()))
        print('the session server makes twon.helios %.1fx faster' % (median['twon.helios, no session server'] / ours))
        print('twon.helios above the floor: %.4f s per task-host' % (ours - median['floor (debug)']))
        if emulator_cpu:
            # On these shared cores the devices' work is the benchmark's too; a real intercom spends its own CPU.
            print('of which the emulated intercoms: %.4f s of CPU per task-host (on %d cores)'
                  % (statistics.median(emulator_cpu), os.cpu_count()))
        if len(devices) < 100 or options.rounds < 3:
            print('(%d devices, %d rounds: a smoke run; the targets are stated for 100 devices)' % (len(devices), options.rounds))
    finally:
        fleet.stop(timeout=10)


if __name__ == '__main__':
    main()
