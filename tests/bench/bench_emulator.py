"""Benchmark: the emulator's footprint with fleets of 1, 50 and 200 devices in one process.

Run: .venv/bin/python tests/bench/bench_emulator.py [--quick] [--requests N] [--threads N]

For each fleet it measures
  - start-up: seconds from launching `helios-emulator serve` until its ready file appears,
  - memory: the process's resident set (VmRSS, and the peak VmHWM) from /proc after start-up and after the load,
  - throughput: a bounded number of Digest-authenticated GET /api/system/status requests, spread over every device
    of the fleet by a thread pool, each thread with one keep-alive requests.Session per device it talks to
    (the Digest handshake happens in a warm-up round that is not timed); also the emulator's CPU time per request
    (utime+stime from /proc), which does not depend on how fast this client is,
and prints the 50- and 200-device figures as ratios of the 1-device baseline measured in the same run.
Loopback addresses 127.0.56.1, 127.0.57.1 and 127.0.58.1 (the benchmark block is 127.0.50.x and up); free ports are
picked at start. Every loop is bounded and each fleet is stopped with SIGTERM (exit code checked) before the next.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.auth import HTTPDigestAuth

from _process import cpu_seconds, memory_kib

from helios_emulator.testing import EmulatorProcess, free_port_pair

BIN = Path(sys.executable).parent
EMULATOR = BIN / "helios-emulator"
FLEETS = ((1, "127.0.56.1"), (50, "127.0.57.1"), (200, "127.0.58.1"))
START_TIMEOUT_S = 120
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Result:
    devices: int
    startup_s: float = 0.0
    rss_start_kib: int = 0
    rss_after_kib: int = 0
    hwm_kib: int = 0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.requests if self.requests else 0.0


def load(ready: dict, total: int, threads: int, pid: int) -> tuple[int, int, float, float]:
    """`total` Digest GETs spread round-robin over all devices; returns (done, errors, seconds, emulator CPU s)."""
    endpoints = [f"http://{d['address']}:{d['http_port']}/api/system/status" for d in ready["devices"]]
    threads = max(1, min(threads, total))
    # thread i talks to devices i, i+threads, ...; with fewer devices than threads they share devices
    plans = [endpoints[i::threads] or [endpoints[i % len(endpoints)]] for i in range(threads)]
    shares = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    barrier = threading.Barrier(threads + 1, timeout=300)
    errors = [0] * threads

    def worker(index: int) -> None:
        sessions = []
        for url in plans[index]:
            session = requests.Session()
            session.trust_env = False
            auth = HTTPDigestAuth("admin", "2n")
            session.get(url, auth=auth, timeout=30)  # warm-up: the Digest challenge and the keep-alive connection
            sessions.append((session, auth, url))
        barrier.wait()
        for n in range(shares[index]):
            session, auth, url = sessions[n % len(sessions)]
            try:
                response = session.get(url, auth=auth, timeout=30)
                if response.status_code != 200 or not response.json().get("success"):
                    errors[index] += 1
            except requests.RequestException:
                errors[index] += 1
        barrier.wait()
        for entry in sessions:
            entry[0].close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker, i) for i in range(threads)]
        barrier.wait()  # everyone warmed up
        started, cpu_before = time.monotonic(), cpu_seconds(pid)
        barrier.wait()  # everyone done
        seconds, cpu = time.monotonic() - started, cpu_seconds(pid) - cpu_before
        for future in futures:
            future.result()
    return total, sum(errors), seconds, cpu


def measure(devices: int, address: str, workdir: Path, total: int, threads: int) -> Result:
    result = Result(devices)
    last = str(ipaddress.IPv4Address(address) + devices - 1)
    http_port, https_port = free_port_pair([address, last], 19080, 19379)
    fleet = EmulatorProcess(workdir, address, http_port, https_port, devices=devices, name=f"emulator-{devices}")
    fleet.start(timeout=START_TIMEOUT_S)
    result.startup_s = fleet.startup_seconds
    try:
        time.sleep(0.2)  # let start-up allocations settle
        result.rss_start_kib = memory_kib(fleet.pid)["VmRSS"]
        result.requests, result.errors, result.seconds, result.cpu_s = load(fleet.ready, total, threads, fleet.pid)
        status = memory_kib(fleet.pid)
        result.rss_after_kib, result.hwm_kib = status["VmRSS"], status["VmHWM"]
    finally:
        code = fleet.stop(timeout=30)
    if code != 0:
        result.notes.append(f"emulator exit code {code}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run of a few seconds)")
    parser.add_argument("--requests", type=int, help="requests per fleet (default 3000, --quick 400)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args()
    total = options.requests or (400 if options.quick else 3000)
    if not EMULATOR.exists():
        sys.exit(f"bench_emulator: {EMULATOR} not found (run `make venv`)")

    workdir = Path(tempfile.mkdtemp(prefix="helios-bench-emulator-"))
    results = []
    for devices, address in FLEETS:
        result = measure(devices, address, workdir, total, options.threads)
        results.append(result)
        print(f"{devices:4d} devices: start-up {result.startup_s:6.2f} s, RSS {result.rss_start_kib / 1024:6.1f} MiB "
              f"-> {result.rss_after_kib / 1024:6.1f} MiB (peak {result.hwm_kib / 1024:6.1f}), "
              f"{result.rps:7.0f} req/s over {result.requests} requests ({result.errors} errors), "
              f"emulator CPU {result.cpu_ms_per_request:.3f} ms/request" + "".join(f"; {n}" for n in result.notes),
              flush=True)

    base = results[0]
    print(f"\nratios against the 1-device baseline of this run ({total} requests, {options.threads} threads):")
    print(f"{'devices':>8} {'start-up':>9} {'RSS':>7} {'peak RSS':>9} {'req/s':>7} {'CPU/req':>8}")
    for result in results:
        print(f"{result.devices:>8} {result.startup_s / base.startup_s:>8.2f}x "
              f"{result.rss_after_kib / base.rss_after_kib:>6.2f}x {result.hwm_kib / base.hwm_kib:>8.2f}x "
              f"{result.rps / base.rps:>6.2f}x {result.cpu_ms_per_request / base.cpu_ms_per_request:>7.2f}x")
    largest = results[-1]
    per_device = (largest.rss_after_kib - base.rss_after_kib) / max(1, largest.devices - base.devices)
    print(f"\nmemory per additional device: {per_device:.0f} KiB")
    if options.json:
        Path(options.json).write_text(json.dumps([{**vars(r), "rps": r.rps, "cpu_ms_per_request": r.cpu_ms_per_request}
                                                  for r in results], indent=2))
    failed = [r for r in results if r.errors or r.notes]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
