"""Tests of the Event-Driven Ansible source twon.helios.helios_events: fleets of emulated current-firmware intercoms
(helios_fleet's machinery, kinds of their own), the source driven in asyncio in this process, and the real
ansible-rulebook."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'integration'))

import helios_fleet  # noqa: E402  (tests/integration, on the path above)
from helios_fleet import ADMIN, CURRENT_VERSION as CURRENT, HTTPS_PORT, Fleets, collection_tree  # noqa: E402

# Fleet kinds of these tests, at third octets of their own within helios_fleet's block (offsets past the ones the
# integration workers prefer: a worker's OCTETS_PER_WORKER (6) octets start at 20 + 6 * its index, -n 2 uses 20-31;
# a taken block is skipped for the next free one in any case).
helios_fleet.FLEETS.setdefault('eda_current', (26, 24, {
    'device': {'swVersion': CURRENT}, 'config_apply_delay': 0.3, 'restart_time': 0.5}))
helios_fleet.FLEETS.setdefault('eda_short_history', (27, 4, {
    'device': {'swVersion': CURRENT}, 'config_apply_delay': 0.3, 'restart_time': 0.5, 'log': {'history_size': 5}}))
helios_fleet.FLEETS.setdefault('eda_legacy', (28, 4, {}))
# the Logging service over http with Basic authentication (auth_method auto, allow_basic_over_http)
helios_fleet.FLEETS.setdefault('eda_basic', (29, 4, {
    'device': {'swVersion': CURRENT}, 'services': {'logging': {'auth': 'basic'}}}))


@pytest.fixture(scope='session')
def fleets(tmp_path_factory):
    started = Fleets(tmp_path_factory.mktemp('fleets'))
    yield started
    started.stop()


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ansible_collections/twon/helios -> this checkout."""
    return collection_tree(tmp_path_factory.mktemp('collections'))


@pytest.fixture(scope='session')
def helios_events(collections_path):
    """The source's module, imported as ansible_collections.twon.helios.extensions.eda.plugins.event_source."""
    sys.path.insert(0, str(collections_path))
    from ansible_collections.twon.helios.extensions.eda.plugins.event_source import helios_events as module
    return module


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read() or b'null')
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b'null')


def raise_event(device, event='UnauthorizedDoorOpen', **params):
    """The physical world acts on the device (the emulator's admin endpoint); the event's id."""
    status, reply = post_json(device.admin_url + '/event', {'event': event, 'params': params})
    assert status == 200, reply
    return reply['id']


def restart(device, timeout=30):
    """POST /api/system/restart over HTTPS with Digest, as a client would; returns once the device answers again."""
    import requests
    from requests.auth import HTTPDigestAuth
    url = 'https://%s:%d/api/system/restart' % (device.address, HTTPS_PORT)
    reply = requests.post(url, auth=HTTPDigestAuth(ADMIN['username'], ADMIN['password']),
                          verify=device.fleet.ca_path, timeout=10)
    assert reply.json()['success'], reply.text
    deadline = time.monotonic() + timeout
    time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            state = device.state()
            if not state.get('restarting'):
                return state
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError('%s did not come back from its restart' % device.address)


def source_args(devices, **overrides):
    """The source's arguments for these devices: HTTPS, Digest, the fleet's CA; fast backoff for tests."""
    args = dict(intercoms=[dict(host=d.address, name=d.name) for d in devices], port=HTTPS_PORT,
                username=ADMIN['username'], password=ADMIN['password'], ca_path=devices[0].fleet.ca_path,
                pull_timeout=5, backoff_initial=0.1, backoff_max=0.5)
    args.update(overrides)
    return args


class RunningSource:
    """main(queue, args) in an event loop of a thread of its own, so a test can act on devices meanwhile."""

    def __init__(self, module, args):
        import threading
        self.module, self.args = module, args
        self.loop = asyncio.new_event_loop()
        self.queue = None
        self.task = None
        self.error = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        self.task = self.loop.create_task(self.module.main(self.queue, self.args))
        self.ready.set()
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - the test reports it
            self.error = exc
        finally:
            self.loop.close()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc_info):
        if self.task is not None and not self.task.done():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(15)

    def get(self, timeout=15):
        """The next event the source queued; AssertionError when none comes in time."""
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(self.queue.get(), timeout), self.loop)
        try:
            return future.result(timeout + 1)
        except (asyncio.TimeoutError, TimeoutError):
            raise AssertionError('no event within %s s (source error: %r)' % (timeout, self.error)) from None

    def collect(self, count, timeout=20, kind='event'):
        """count events of the kind (others are kept in .others), in the order queued."""
        events, deadline = [], time.monotonic() + timeout
        self.others = getattr(self, 'others', [])
        while len(events) < count:
            left = deadline - time.monotonic()
            assert left > 0, 'got %d of %d events: %r (others: %r)' % (len(events), count, events, self.others)
            try:
                event = self.get(left)['helios']
            except AssertionError as exc:
                raise AssertionError('%s; got %d of %d %s events: %r (others: %r)' % (
                    exc, len(events), count, kind, events, self.others)) from None
            (events if event['kind'] == kind else self.others).append(event)
        return events

    def quiet(self, seconds):
        """Every event queued within seconds (none expected, usually)."""
        events, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return events
            try:
                events.append(self.get(left)['helios'])
            except AssertionError:
                return events


@pytest.fixture
def running_source(helios_events):
    return lambda args: RunningSource(helios_events, args)
