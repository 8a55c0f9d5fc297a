"""Benchmark: twon.helios modules against ansible.builtin.uri, same playbook shape, 100 emulated intercoms.

Run: .venv/bin/python tests/bench/bench_modules.py [--devices 100] [--forks 5]
Prints seconds per task-host for each, and the ratio. Target: >= 15x faster, <= 0.015 s per task-host.
Uses loopback addresses 127.0.50.x and up (the benchmark block).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from helios_emulator.testing import EmulatorProcess

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
HTTP_PORT, HTTPS_PORT = 29080, 29443


def run_playbook(playbook, inventory, workdir, forks):
    times = workdir / ('%s.times.json' % playbook)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(workdir / 'collections'),
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
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-'))
    (workdir / 'collections' / 'ansible_collections' / 'twon').mkdir(parents=True)
    os.symlink(REPO_ROOT, workdir / 'collections' / 'ansible_collections' / 'twon' / 'helios')
    fleet = EmulatorProcess(workdir, options.address, HTTP_PORT, HTTPS_PORT, devices=options.devices).start(timeout=60)
    devices = fleet.ready['devices']
    try:
        inventory = workdir / 'inventory.json'
        inventory.write_text(json.dumps({'intercoms': {
            'hosts': {'door-%03d' % i: {'ansible_host': d['address']} for i, d in enumerate(devices)},
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'helios_port': HTTPS_PORT}}}))
        task_hosts = 3 * len(devices)
        per_task_host = {}
        runs = (('twon.helios', 'bench_modules.yml'), ('ansible.builtin.uri', 'bench_uri.yml'),
                ('floor (debug)', 'bench_floor.yml'))
        for label, playbook in runs:
            times = run_playbook(playbook, inventory, workdir, options.forks)
            per_task_host[label] = sum(t['seconds'] for t in times) / task_hosts
            for entry in times:
                print('%-20s %-28s %7.2f s' % (label, entry['task'], entry['seconds']))
        ratio = per_task_host['ansible.builtin.uri'] / per_task_host['twon.helios']
        print()
        print('devices: %d, forks: %d, task-hosts per playbook: %d' % (len(devices), options.forks, task_hosts))
        for label, seconds in per_task_host.items():
            print('%-20s %.4f s per task-host' % (label, seconds))
        print('ratio: twon.helios is %.1fx faster than ansible.builtin.uri (target >= 15x, <= 0.015 s per task-host)' % ratio)
        print('twon.helios above the floor: %.4f s per task-host' % (per_task_host['twon.helios'] - per_task_host['floor (debug)']))
    finally:
        fleet.stop(timeout=10)


if __name__ == '__main__':
    main()
