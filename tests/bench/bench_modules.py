"""Benchmark: twon.helios modules against ansible.builtin.uri, same playbook shape, 100 emulated intercoms.

Run: .venv/bin/python tests/bench/bench_modules.py [--devices 100] [--forks 5] [--rounds 3] [--profile NAME]
A typical play (read the device, a switch, an output, a configuration check) against two emulator profiles:
loopback (the device answers at once: what the collection costs) and realistic (round trip, TLS handshake and
processing times of an intercom on a real network). Prints seconds per task-host for each playbook, and
the targets: >= 15x faster than ansible.builtin.uri, and within 0.004 s per task-host of Ansible's floor.
Uses loopback addresses 127.0.50.x and up (the benchmark block).

Each round runs every playbook once, in turn, so a slow spell of the machine touches all of them; the ratio is
taken from the medians of the rounds. Also measured: the twon.helios playbook with the session server off
(HELIOS_SESSION_SERVER=false), and Ansible's own floor, as many tasks that do nothing.
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

from helios_emulator.profile import REALISTIC_TIMING
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


PROFILES = (
    # what the emulator answers as fast as loopback allows: what the collection itself costs
    ('loopback', {}),
    # an intercom on a real network (helios_emulator.profile.REALISTIC_TIMING says why these figures)
    ('realistic', {'timing': REALISTIC_TIMING}),
)
RUNS = (('twon.helios', 'bench_modules.yml', {}),
        ('twon.helios, no session server', 'bench_modules.yml', {'HELIOS_SESSION_SERVER': 'false'}),
        ('ansible.builtin.uri', 'bench_uri.yml', {}),
        ('floor (debug)', 'bench_floor.yml', {}))


def measure(profile_name, profile, options, workdir):
    """Run every playbook of RUNS options.rounds times against a fleet of this profile; print and return medians."""
    fleet = EmulatorProcess(workdir / profile_name, options.address, HTTP_PORT, HTTPS_PORT, devices=options.devices,
                            profile=profile).start(timeout=60)
    devices = fleet.ready['devices']
    try:
        inventory = workdir / ('%s-inventory.json' % profile_name)
        inventory.write_text(json.dumps({'intercoms': {
            'hosts': {'door-%03d' % i: {'ansible_host': d['address']} for i, d in enumerate(devices)},
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'helios_port': HTTPS_PORT}}}))
        per_task_host = {label: [] for label, _playbook, _env in RUNS}
        by_task = {}  # twon.helios: each task's seconds per host, by round
        emulator_cpu = []  # the emulated intercoms' own work during the twon.helios playbook, per task-host
        for round_number in range(1, options.rounds + 1):
            for label, playbook, extra_env in RUNS:
                cpu_before = cpu_seconds(fleet.pid)
                times = run_playbook(playbook, inventory, workdir, options.forks, extra_env)
                cpu_after = cpu_seconds(fleet.pid)
                task_hosts = len(times) * len(devices)
                if label == 'twon.helios':
                    emulator_cpu.append((cpu_after - cpu_before) / task_hosts)
                    for t in times:
                        by_task.setdefault(t['task'], []).append(t['seconds'] / len(devices))
                per_task_host[label].append(sum(t['seconds'] for t in times) / task_hosts)
                tasks = '  '.join('%s %.2f s' % (t['task'], t['seconds']) for t in times)
                print('%s round %d  %-32s %s' % (profile_name, round_number, label, tasks))
    finally:
        fleet.stop(timeout=10)
    median = {label: statistics.median(values) for label, values in per_task_host.items()}
    ours, uri, floor = median['twon.helios'], median['ansible.builtin.uri'], median['floor (debug)']
    print()
    print('== %s profile %s: %d devices, forks %d, rounds %d'
          % (profile_name, json.dumps(profile.get('timing', {})), len(devices), options.forks, options.rounds))
    for label, values in per_task_host.items():
        print('%-32s median %.4f s per task-host (rounds: %s)'
              % (label, median[label], ', '.join('%.4f' % value for value in values)))
    print('ratio: twon.helios is %.1fx faster than ansible.builtin.uri (target >= 15x: %s); within each round: %s'
          % (uri / ours, 'met' if uri / ours >= 15 else 'NOT met', ', '.join(
              '%.1fx' % (u / o) for u, o in zip(per_task_host['ansible.builtin.uri'], per_task_host['twon.helios']))))
    print('twon.helios above the floor: %.4f s per task-host (target <= 0.004 s: %s)'
          % (ours - floor, 'met' if ours - floor <= 0.004 else 'NOT met'))
    print('twon.helios by task, median s per host: %s' % ', '.join(
        '%s %.4f' % (task, statistics.median(values)) for task, values in by_task.items()))
    print('the session server makes twon.helios %.2fx faster per task-host'
          % (median['twon.helios, no session server'] / ours))
    if emulator_cpu:
        # On these shared cores the devices' work is the benchmark's too; a real intercom spends its own CPU.
        print('the emulated intercoms used %.4f s of CPU per task-host (on %d cores)'
              % (statistics.median(emulator_cpu), os.cpu_count()))
    print()
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=100)
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--address', default='127.0.50.1')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--profile', choices=[name for name, _profile in PROFILES], action='append',
                        help='measure only this emulator profile (repeatable; default: all)')
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-'))
    collections_root(workdir / 'collections')
    medians = {name: measure(name, profile, options, workdir)
               for name, profile in PROFILES if not options.profile or name in options.profile}
    if 'realistic' in medians:
        speedup = medians['realistic']['twon.helios, no session server'] / medians['realistic']['twon.helios']
        print('session server under the realistic profile: %.2fx faster per task-host (it stays only at >= 1.5x)'
              % speedup)
    if options.devices < 100 or options.rounds < 3:
        print('(%d devices, %d rounds: a smoke run; the targets are stated for 100 devices)'
              % (options.devices, options.rounds))


if __name__ == '__main__':
    main()
