"""Emulator fleets and devices for the integration tests (fixtures are in conftest.py).

Each pytest-xdist worker starts its own fleets on its own loopback addresses (127.0.20.x-127.0.49.x) and
hands every test fresh devices, so tests neither share state nor depend on their order.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from helios_emulator.testing import AddressInUse, EmulatorProcess, port_is_free

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# pytest runs from the virtual environment that also holds ansible-playbook and helios-emulator.
BIN = Path(sys.executable).parent
HTTP_PORT, HTTPS_PORT = 28080, 28443
ADMIN = dict(username='admin', password='2n')
VIEWER = dict(username='viewer', password='look-only')
# How a call that acts each time (a trigger, a dial, a restart) ends when its reply is lost (HeliosClient.act()).
UNKNOWN_OUTCOME = ('the call acts on the device each time it is made, so it was not repeated: the device may or may not '
                   'have acted, check it before you run the task again')

ALL_PRIVILEGES = ['system.monitoring', 'system.control', 'phone.monitoring', 'phone.control', 'io.monitoring',
                  'io.control', 'switch.monitoring', 'switch.control', 'camera.monitoring', 'display.control']
SERVICES = ['system', 'switch', 'io', 'camera', 'display', 'phone']
# What current firmware (2.13 and later) adds to the accounts' privileges.
CURRENT_PRIVILEGES = ['audio.control', 'email.control', 'keypad.monitoring', 'card.monitoring']
# The firmware of a current device (the emulator's current family answers every swVersion from 2.13 on).
CURRENT_VERSION = '2.50.0.52.7'
DEFAULT_ACCOUNTS = [
    dict(ADMIN, privileges=ALL_PRIVILEGES),
    dict(VIEWER, privileges=['switch.monitoring', 'camera.monitoring']),
]

# Fleet kinds: (third address octet offset within the worker's block, number of devices, profile).
FLEETS = {
    'default': (0, 254, {'accounts': DEFAULT_ACCOUNTS}),
    'basic_only': (1, 12, {'services': {name: {'auth': 'basic'} for name in SERVICES}}),
    'https_only': (2, 4, {'services': {name: {'connection': 'https'} for name in SERVICES}}),
    'unlicensed': (3, 4, {'licence': False}),
    # current firmware: the default accounts (the admin with current firmware's privileges too), and a configuration
    # upload applied 0.3 s after its reply instead of the latest manual's 15 s
    'current': (4, 254, {'device': {'swVersion': CURRENT_VERSION}, 'config_apply_delay': 0.3, 'accounts': [
        dict(DEFAULT_ACCOUNTS[0], privileges=ALL_PRIVILEGES + CURRENT_PRIVILEGES), DEFAULT_ACCOUNTS[1]]}),
    # current firmware applying an upload 4 s after its reply: long enough to outlast a short apply_timeout
    'current_slow': (5, 4, {'device': {'swVersion': CURRENT_VERSION}, 'config_apply_delay': 4}),
}
# The fleets of each firmware family, for the tests every module runs against both (the device fixture, indirect).
FAMILIES = ['default', 'current']
# Six blocks per worker in 127.0.20-49.x: five workers fit.
OCTETS_PER_WORKER = 6
FIRST_OCTET, LAST_OCTET = 20, 49


def _worker_index():
    worker = os.environ.get('PYTEST_XDIST_WORKER', 'gw0')
    return int(worker[2:]) if worker.startswith('gw') else 0


def spare_blocks():
    """The six address blocks 127.0.70-75.x of the tests that start sites of their own (inventory, report), the
    worker's own first: another test run (the suite under the other ansible-core, another checkout) may hold it."""
    first = _worker_index() % 6
    return ['127.0.%d' % (70 + (first + offset) % 6) for offset in range(6)]


def _http_json(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method='POST' if data is not None else 'GET',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read() or b'null')


@dataclass
class Device:
    """One emulated intercom, with the emulator's admin endpoints (no auth, HTTP port)."""

    fleet: Fleet
    address: str
    serial_number: str

    @property
    def name(self):
        return 'door-' + self.address.replace('.', '-')

    @property
    def admin_url(self):
        return 'http://%s:%d/_emulator' % (self.address, HTTP_PORT)

    def state(self):
        return _http_json(self.admin_url + '/state')

    def faults(self, **faults):
        return _http_json(self.admin_url + '/faults', faults)

    def freeze_camera(self, frozen=True):
        return _http_json(self.admin_url + '/camera', {'frozen': frozen})

    def incoming_call(self, number='5000'):
        return _http_json(self.admin_url + '/incoming-call', {'number': number})['session']

    def switch_active(self, number):
        return next(s['active'] for s in self.state()['switches'] if s['switch'] == number)

    def port_state(self, port):
        return next(p['state'] for p in self.state()['ports'] if p['port'] == port)

    def hostvars(self, **overrides):
        return dict(dict(ansible_host=self.address, helios_port=HTTPS_PORT, helios_protocol='https',
                         helios_username=ADMIN['username'], helios_password=ADMIN['password']), **overrides)


@dataclass
class Fleet:
    """A `helios-emulator serve` process; devices are handed out once each."""

    kind: str
    address: str
    emulator: EmulatorProcess
    devices: list = field(default_factory=list)
    handed_out: int = 0

    @property
    def ready(self):
        return self.emulator.ready

    @property
    def ca_path(self):
        return self.emulator.ca_path

    def take(self, count=1):
        if self.handed_out + count > len(self.devices):
            raise RuntimeError('fleet %s has only %d devices; raise its size in FLEETS' % (self.kind, len(self.devices)))
        taken = self.devices[self.handed_out:self.handed_out + count]
        self.handed_out += count
        return taken

    def stop(self):
        self.emulator.stop(timeout=10)


def _candidate_octets(kind):
    """Third address octets to try for a fleet: the worker's own first, then any other in the block.

    Other test sessions (other checkouts, CI runs) may use the same block at the same time; a fleet
    takes the first octet whose ports are free, and moves on if it loses a race for them.
    """
    preferred = FIRST_OCTET + _worker_index() * OCTETS_PER_WORKER + FLEETS[kind][0]
    block = list(range(FIRST_OCTET, LAST_OCTET + 1))
    start = block.index(preferred) if preferred in block else 0
    return block[start:] + block[:start]


def _launch(kind, address, workdir):
    """Start a fleet at address; None if it could not listen there."""
    emulator = EmulatorProcess(workdir, address, HTTP_PORT, HTTPS_PORT, devices=FLEETS[kind][1], profile=FLEETS[kind][2])
    try:
        emulator.start()
    except AddressInUse:
        return None
    fleet = Fleet(kind, address, emulator)
    fleet.devices = [Device(fleet, d['address'], d['serial_number']) for d in emulator.ready['devices']]
    return fleet


def start_fleet(kind, workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    for octet in _candidate_octets(kind):
        address = '127.0.%d.1' % octet
        if port_is_free(address, HTTP_PORT) and port_is_free(address, HTTPS_PORT):
            fleet = _launch(kind, address, workdir)
            if fleet is not None:
                return fleet
    raise RuntimeError('no free address block in 127.0.%d-%d.x for fleet %s' % (FIRST_OCTET, LAST_OCTET, kind))


class Fleets:
    """Fleets of each kind, started on first use, stopped at the end of the session (the fleets fixtures)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.started = {}

    def __getitem__(self, kind):
        if kind not in self.started:
            self.started[kind] = start_fleet(kind, self.workdir / kind)
        return self.started[kind]

    def stop(self):
        for fleet in self.started.values():
            fleet.stop()


def collection_tree(root):
    """root/ansible_collections/twon/helios -> this checkout, always the working copy; returns root."""
    (root / 'ansible_collections' / 'twon').mkdir(parents=True)
    os.symlink(REPO_ROOT, root / 'ansible_collections' / 'twon' / 'helios')
    return root
