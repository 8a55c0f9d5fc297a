"""Benchmark: discovery by the inventory plugin twon.helios.helios across a /22, against a plain sequential probe.

Run: .venv/bin/python tests/bench/bench_inventory.py [--addresses 1024] [--devices 500] [--max-workers 64]
                                                      [--timing realistic|loopback] [--block 127.0.80.0]
Scans the addresses from --block on (by default 127.0.80.0-127.0.83.255, a /22, every address of it), of which
--devices are emulated intercoms in four runs, one in each quarter of the range, the rest gaps where nothing listens.
Times, in the same run:
  - `ansible-inventory --list` with the plugin (HTTPS, Digest, the emulator's CA verified), the whole command;
  - a plain sequential probe: the same client, the same system/info call, one address after the other, in-process.
Prints the seconds of each and their ratio, and fails unless both found exactly the emulated devices.

--timing realistic (the default) makes each intercom answer as one on a real network does (`helios-emulator serve
--realistic`: a 10 ms round trip, 25 ms of TLS handshake work, 10 ms per request); loopback answers as fast as the
machine can. Either way the gaps refuse connections at once, as a firewall that rejects does; on a network that
drops packets instead, each gap costs the sequential probe connect_timeout and the plugin connect_timeout divided
by max_workers, so the ratio grows with the gaps. Ports 29280/29680; addresses 127.0.80.0/22 are the block of this
benchmark.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _collection import add_collection_to_path, collections_root

import yaml

from helios_emulator import tls
from helios_emulator.testing import EmulatorProcess

BIN = Path(sys.executable).parent
HTTP_PORT, HTTPS_PORT = 29280, 29680
USERNAME, PASSWORD = 'admin', 'bench-pw'
REALISTIC = {'round_trip': 0.010, 'tls_handshake': 0.025, 'processing': 0.010}


def runs(first, addresses, devices):
    """Four runs of devices, one at the start of each quarter of the range (one run when the range is tiny):
    [(first address, count)]."""
    parts = 4 if addresses >= 16 and devices >= 4 else 1
    quarter = addresses // parts
    counts = [devices // parts + (1 if index < devices % parts else 0) for index in range(parts)]
    if max(counts) > quarter - 2:
        sys.exit('%d devices do not fit in %d addresses with gaps between them' % (devices, addresses))
    return [(first + index * quarter + 1, count) for index, count in enumerate(counts) if count]


def sequential(addresses, ca_path, connect_timeout):
    """The plain sequential probe: (seconds, found)."""
    add_collection_to_path()
    from ansible_collections.twon.helios.plugins.module_utils._client import HeliosClient
    from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError

    found = 0
    started = time.perf_counter()
    for address in addresses:
        client = HeliosClient(address, port=HTTPS_PORT, username=USERNAME, password=PASSWORD, ca_path=ca_path,
                              timeout=5.0, retries=0, connect_timeout=connect_timeout)
        try:
            client.get('system/info')
            found += 1
        except HeliosError:
            pass
        finally:
            client.close()
    return time.perf_counter() - started, found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--addresses', type=int, default=1024)
    parser.add_argument('--devices', type=int, default=500)
    parser.add_argument('--max-workers', type=int, default=64)
    parser.add_argument('--connect-timeout', type=float, default=1.0)
    parser.add_argument('--timing', choices=['realistic', 'loopback'], default='realistic')
    parser.add_argument('--block', default='127.0.80.0')
    options = parser.parse_args()

    first = ipaddress.ip_address(options.block)
    last = first + options.addresses - 1
    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-inventory-'))
    collections = collections_root(workdir / 'collections')
    profile = {'accounts': [{'username': USERNAME, 'password': PASSWORD, 'privileges': ['system.monitoring']}]}
    if options.timing == 'realistic':
        profile['timing'] = REALISTIC
    placed = runs(first, options.addresses, options.devices)
    # one CA for every emulator process, so that one inventory source verifies them all
    device_addresses = [str(start + offset) for start, count in placed for offset in range(count)]
    ca_path, cert, key = tls.generate(workdir / 'tls', device_addresses)
    fleets = []
    try:
        for index, (start, count) in enumerate(placed):
            # serial numbers of their own: each emulator process counts its devices from 1
            serials = dict(profile, device={'serialNumber': '54-27%02d-{index:04d}' % (11 + index)})
            fleets.append(EmulatorProcess(workdir, str(start), HTTP_PORT, HTTPS_PORT, devices=count, profile=serials,
                                          cert=cert, key=key, name='run%d' % index).start(timeout=max(60, count / 10)))
        total = sum(len(fleet.ready['devices']) for fleet in fleets)
        source = workdir / 'bench.helios.yml'
        source.write_text(yaml.safe_dump(dict(
            plugin='twon.helios.helios', ranges=['%s-%s' % (first, last)], username=USERNAME, password=PASSWORD,
            ca_path=str(ca_path), port=HTTPS_PORT, max_workers=options.max_workers,
            connect_timeout=options.connect_timeout)))
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_')))
        env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_HOME=str(workdir / 'home'), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_INVENTORY_UNPARSED_FAILED='1')
        started = time.perf_counter()
        done = subprocess.run([str(BIN / 'ansible-inventory'), '-i', str(source), '--list'], env=env,
                              capture_output=True, text=True, check=False, cwd=workdir)
        plugin_seconds = time.perf_counter() - started
        if done.returncode != 0 or '[WARNING]' in done.stderr:
            sys.exit('ansible-inventory failed (%d):\n%s' % (done.returncode, done.stderr[-4000:]))
        plugin_found = len(json.loads(done.stdout)['_meta']['hostvars'])

        addresses = [str(first + offset) for offset in range(options.addresses)]
        sequential_seconds, sequential_found = sequential(addresses, str(ca_path), options.connect_timeout)

        print('addresses: %d (%s-%s), emulated intercoms: %d, timing: %s, max_workers: %d'
              % (options.addresses, first, last, total, options.timing, options.max_workers))
        print('plugin, ansible-inventory --list: %6.2f s (found %d)' % (plugin_seconds, plugin_found))
        print('plain sequential probe:           %6.2f s (found %d)' % (sequential_seconds, sequential_found))
        print('ratio: the plugin takes %.3f of the sequential time (%.1fx faster)'
              % (plugin_seconds / sequential_seconds, sequential_seconds / plugin_seconds))
        if plugin_found != total or sequential_found != total:
            sys.exit('expected %d devices from both' % total)
    finally:
        for fleet in fleets:
            fleet.stop(timeout=30)


if __name__ == '__main__':
    main()
