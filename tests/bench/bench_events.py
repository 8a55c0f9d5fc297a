"""Benchmark: one twon.helios.helios_events source watching a fleet of 1,000 emulated current-firmware intercoms.

Run: .venv/bin/python tests/bench/bench_events.py [--devices 1000] [--rate 200] [--seconds 10] [--smoke]
One `helios-emulator serve` process with N intercoms (swVersion 2.50.0.52.7, HTTPS + Digest), and the source in a
process of its own (this script with --run-source: main(queue, args) and a consumer that prints each queued event's
device, id and queue time), so its CPU and memory are its own. It measures
  - subscribing: seconds until every intercom holds the source's channel, and the source's CPU for it;
  - idle: the source's CPU over a few seconds with every long poll open and no event (the baseline);
  - load: events raised through the emulator's admin endpoint (POST /_emulator/event) at a fixed rate on random
    intercoms, by a few threads; delivered events per second, the source's CPU seconds per 1,000 events and its
    peak RSS; the latency from raised (just before the admin call) to in the source's queue, median and p99, beside
    the admin call's own round trip (raised -> the emulator's answer) measured in the same run, as the floor.
Every event raised must be delivered once: the run fails otherwise. The source's memory is mostly TLS, one
connection per intercom: RSS / intercoms is about 375 KiB (370 MiB for 1,000). Each intercom adds some 330 KiB, of
which 256 KiB is the read buffer Python's asyncio allocates for each TLS connection (asyncio/sslproto.py;
ansible-rulebook runs asyncio's own event loop, whose TLS layer is Python), about 35 KiB OpenSSL's state of the
connection, and some 30 KiB aiohttp's and the source's objects; over plain HTTP each adds about 26 KiB (70 MiB for
1,000). Each emulated intercom presents a certificate of its own, as a real one does (when the emulator served one
certificate naming all 1,000 addresses, each connection kept it: 685 KiB per intercom). Loopback addresses from
127.0.90.1 (the benchmark block; 1,000 devices reach 127.0.93.232), ports 29380/29780. --smoke: 5 intercoms, 1 s,
for make bench-smoke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _collection import collections_root
from _process import cpu_seconds, memory_kib

from helios_emulator.testing import EmulatorProcess

HERE = Path(__file__).resolve().parent
HTTP_PORT, HTTPS_PORT = 29380, 29780
CURRENT = '2.50.0.52.7'
RAISERS = 4


def run_source(args_file):
    """The source process: main(queue, args), every queued event printed as one JSON line."""
    args = json.loads(Path(args_file).read_text())
    sys.path.insert(0, args.pop('collections'))
    from ansible_collections.twon.helios.extensions.eda.plugins.event_source import helios_events

    async def consume():
        queue = asyncio.Queue()
        source = asyncio.create_task(helios_events.main(queue, args))
        while True:
            getter = asyncio.create_task(queue.get())
            done, dummy = await asyncio.wait({getter, source}, return_when=asyncio.FIRST_COMPLETED)
            if source in done:
                source.result()
                return
            event = getter.result()['helios']
            sys.stdout.write(json.dumps([event['kind'], event['device']['name'], event.get('id'),
                                         event['received']]) + '\n')
            sys.stdout.flush()

    asyncio.run(consume())


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def post_event(device, event):
    request = urllib.request.Request('http://%s:%d/_emulator/event' % (device['address'], HTTP_PORT),
                                     data=json.dumps(event).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())['id']


def channels(device):
    with urllib.request.urlopen('http://%s:%d/_emulator/state' % (device['address'], HTTP_PORT), timeout=10) as reply:
        return (json.loads(reply.read()).get('log') or {}).get('channels', 0)


class Reader(threading.Thread):
    """Reads the source's lines: {(device, id): queued at}."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.queued, self.duplicates, self.reports = stream, {}, 0, []
        self.lock = threading.Lock()

    def run(self):
        for line in self.stream:
            kind, name, number, received = json.loads(line)
            with self.lock:
                if kind != 'event':
                    self.reports.append((kind, name))
                elif (name, number) in self.queued:
                    self.duplicates += 1
                else:
                    self.queued[(name, number)] = received


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=1000)
    parser.add_argument('--rate', type=float, default=200.0, help='events raised per second, on the whole fleet')
    parser.add_argument('--seconds', type=float, default=10.0, help='how long events are raised')
    parser.add_argument('--idle', type=float, default=5.0, help='seconds of the idle baseline')
    parser.add_argument('--address', default='127.0.90.1')
    parser.add_argument('--smoke', action='store_true', help='5 intercoms, 1 s: only keeps the benchmark working')
    parser.add_argument('--run-source', help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run_source:
        return run_source(options.run_source)
    if options.smoke:
        options.devices, options.rate, options.seconds, options.idle = 5, 20.0, 1.0, 1.0

    workdir = Path(tempfile.mkdtemp(prefix='helios-bench-events-'))
    collections = collections_root(workdir / 'collections')
    fleet = EmulatorProcess(workdir, options.address, HTTP_PORT, HTTPS_PORT, devices=options.devices,
                            profile={'device': {'swVersion': CURRENT}}).start(timeout=max(60, options.devices / 10))
    source = None
    try:
        devices = fleet.ready['devices']
        for index, device in enumerate(devices):
            device['name'] = 'door-%04d' % index
        args_file = workdir / 'source-args.json'
        args_file.write_text(json.dumps(dict(
            collections=str(collections), port=HTTPS_PORT, username='admin', password='2n', ca_path=fleet.ca_path,
            intercoms=[dict(host=d['address'], name=d['name']) for d in devices], pull_timeout=30)))
        started = time.perf_counter()
        source = subprocess.Popen([sys.executable, __file__, '--run-source', str(args_file)], stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        reader = Reader(source.stdout)
        reader.start()
        pending = list(devices)
        deadline = time.monotonic() + max(60, options.devices / 5)
        while pending:
            if source.poll() is not None or time.monotonic() > deadline:
                sys.exit('the source did not subscribe to every intercom (%d left)' % len(pending))
            with ThreadPoolExecutor(8) as pool:
                pending = [d for d, count in zip(pending, pool.map(channels, pending)) if count < 1]
            if pending:
                time.sleep(0.2)
        subscribed_s = time.perf_counter() - started
        subscribe_cpu = cpu_seconds(source.pid)
        subscribed_memory = memory_kib(source.pid)

        time.sleep(0.5)
        idle_cpu_start = cpu_seconds(source.pid)
        time.sleep(options.idle)
        idle_cpu = cpu_seconds(source.pid) - idle_cpu_start

        # the load: RAISERS threads raise one event each at its slot of a fixed schedule
        total = int(options.rate * options.seconds)
        schedule = [(i / options.rate, random.choice(devices)) for i in range(total)]
        raised, round_trips = {}, []
        lock = threading.Lock()
        load_cpu_start = cpu_seconds(source.pid)
        load_start = time.perf_counter()
        wall_start = time.time()

        def raiser(slots):
            for offset, device in slots:
                delay = load_start + offset - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                before = time.time()
                number = post_event(device, {'event': 'MotionDetected', 'params': {'state': 'in'}})
                after = time.time()
                with lock:
                    raised[(device['name'], number)] = before
                    round_trips.append(after - before)

        threads = [threading.Thread(target=raiser, args=(schedule[i::RAISERS],)) for i in range(RAISERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        raise_seconds = time.perf_counter() - load_start
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with reader.lock:
                if all(key in reader.queued for key in raised):
                    break
            time.sleep(0.05)
        load_cpu = cpu_seconds(source.pid) - load_cpu_start
        memory = memory_kib(source.pid)
        with reader.lock:
            missing = [key for key in raised if key not in reader.queued]
            latencies = [reader.queued[key] - at for key, at in raised.items() if key in reader.queued]
            last_queued = max(reader.queued[key] for key in raised if key in reader.queued)
            duplicates, reports = reader.duplicates, list(reader.reports)
        delivered_s = last_queued - wall_start

        count = len(devices)
        print('intercoms: %d (HTTPS + Digest, one long-poll channel each), one source process' % count)
        print('subscribed to all in %.1f s, source CPU %.2f s for it; RSS then %.0f MiB (peak %.0f MiB)'
              % (subscribed_s, subscribe_cpu, subscribed_memory['VmRSS'] / 1024, subscribed_memory['VmHWM'] / 1024))
        print('idle (baseline), %d long polls open: source CPU %.3f s per s (%.1f%% of a core)'
              % (count, idle_cpu / options.idle, 100 * idle_cpu / options.idle))
        print('load: %d events raised in %.1f s (%.0f/s asked); delivered %d in %.1f s: %.0f events/s'
              % (len(raised), raise_seconds, options.rate, len(latencies), delivered_s, len(latencies) / delivered_s))
        idle_rate, load_rate = idle_cpu / options.idle, load_cpu / delivered_s
        print('source CPU under load: %.2f s (%.2f ms per event, %.1f%% of a core%s); peak RSS %.0f MiB'
              % (load_cpu, 1000 * load_cpu / max(1, len(latencies)), 100 * load_rate,
                 ', %.1fx the idle rate' % (load_rate / idle_rate) if idle_rate >= 0.005 else '',
                 memory['VmHWM'] / 1024))
        print('source memory after the load: RSS %.0f MiB%s' % (memory['VmRSS'] / 1024, (
            ', about %.0f KiB per intercom' % (memory['VmRSS'] / count)) if count >= 100 else ''))
        print('latency raised -> in the queue: median %.1f ms, p99 %.1f ms; the admin call alone (floor): median '
              '%.1f ms, p99 %.1f ms; median %.1fx the floor'
              % (1000 * statistics.median(latencies), 1000 * percentile(latencies, 0.99),
                 1000 * statistics.median(round_trips), 1000 * percentile(round_trips, 0.99),
                 statistics.median(latencies) / statistics.median(round_trips)))
        if missing or duplicates or reports:
            sys.exit('NOT every event delivered once: %d missing, %d duplicates, reports %r'
                     % (len(missing), duplicates, reports[:10]))
        print('every event delivered once')
    finally:
        if source is not None:
            source.terminate()
            try:
                source.wait(15)
            except subprocess.TimeoutExpired:
                source.kill()
        fleet.stop(timeout=30)
    return None


if __name__ == '__main__':
    sys.exit(main())
