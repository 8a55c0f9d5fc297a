"""Benchmark: the drift check (twon.helios.drift) across a large fleet, against Ansible's floor for as many hosts.

Run: .venv/bin/python tests/bench/bench_drift.py [--devices 1000] [--forks 5] [--address 127.0.60.1]
Starts N emulated intercoms, provisions them once (twon.helios.provision: a setting, a switch, an output), then
times, in the same run: a play with one ansible.builtin.debug task per host (the floor), and the drift playbook.
Prints the seconds of each, the drift's seconds per host and its ratio to the floor. Target (issue #13): a
1,000-intercom drift check in at most 60 s on 2 cores. Uses loopback addresses from 127.0.60.1 (the benchmark
block) and the ports 29180/29543.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _collection import collections_root

from helios_emulator.testing import EmulatorProcess

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HTTP_PORT, HTTPS_PORT = 29180, 29543
TARGET_SECONDS = 60.0


def play(playbook, inventory, workdir, forks):
    """Run ansible-playbook; its wall time in seconds (exits on failure, with the tail of its output)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(workdir / 'collections'), ANSIBLE_HOME=str(workdir / 'home'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_DISPLAY_OK_HOSTS='0', ANSIBLE_DISPLAY_SKIPPED_HOSTS='0')
    started = time.perf_counter()
    completed = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory), '-f', str(forks), playbook],
                               env=env, capture_output=True, text=True, check=False, cwd=workdir)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit('%s failed (%d):\n%s' % (playbook, completed.returncode, (completed.stdout + completed.stderr)[-4000:]))
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=1000)
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--address', default='127.0.60.1')
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-drift-'))
    collections_root(workdir / 'collections')
    fleet = EmulatorProcess(workdir, options.address, HTTP_PORT, HTTPS_PORT, devices=options.devices).start(
        timeout=max(60, options.devices / 10))
    try:
        devices = fleet.ready['devices']
        inventory = workdir / 'inventory.json'
        inventory.write_text(json.dumps({'intercoms': {
            'hosts': {'door-%04d' % i: {'ansible_host': d['address']} for i, d in enumerate(devices)},
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                     'helios_port': HTTPS_PORT, 'helios_username': 'admin', 'helios_password': '2n',
                     'helios_validate_certs': False,
                     'helios_settings': {'Switches': {'Switch': [{'At': 1, 'Mode': 'bistable'}]}},
                     'helios_switches': [{'switch': 2, 'state': 'active'}],
                     'helios_outputs': [{'port': 'relay1', 'state': 'active'}]}}}))
        floor_playbook = workdir / 'floor.yml'
        floor_playbook.write_text(json.dumps([{
            'name': 'One task that does nothing, per host', 'hosts': 'intercoms', 'gather_facts': False,
            'tasks': [{'name': 'No-op', 'ansible.builtin.debug': {'msg': '{{ ansible_host }}'}}]}]))
        provisioned = play('twon.helios.provision', inventory, workdir, options.forks)
        floor = play(str(floor_playbook), inventory, workdir, options.forks)
        drift = play('twon.helios.drift', inventory, workdir, options.forks)
        count = len(devices)
        print('devices: %d, forks: %d (provisioned once in %.1f s)' % (count, options.forks, provisioned))
        print('floor, one debug task per host: %.1f s (%.1f ms per host)' % (floor, 1000 * floor / count))
        print('drift playbook:                 %.1f s (%.1f ms per host), %.1fx the floor'
              % (drift, 1000 * drift / count, drift / floor))
        if count == 1000:
            print('target: 1,000 intercoms in at most %.0f s: %s' % (TARGET_SECONDS, 'met' if drift <= TARGET_SECONDS
                                                                     else 'NOT met'))
        else:
            print('(%d devices: the target is stated for 1,000; at this rate 1,000 would take about %.0f s)'
                  % (count, drift / count * 1000))
    finally:
        fleet.stop(timeout=30)


if __name__ == '__main__':
    main()
