"""Run emulated intercoms from Python test code: `helios-emulator serve` in a subprocess.

    from helios_emulator.testing import EmulatorProcess

    with EmulatorProcess(tmp_path, "127.0.30.1", 18080, 18443, devices=3, profile={"licence": False}) as fleet:
        first = fleet.ready["devices"][0]          # address, http_port, https_port, serial_number
        requests.get(..., verify=fleet.ca_path)

The process is real (the same console script users run), so tests talk to it over real HTTP/HTTPS.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml


class AddressInUse(RuntimeError):
    """The emulator could not listen: another process holds one of its addresses and ports."""


def port_is_free(address: str, port: int) -> bool:
    """Whether a server could listen on address:port now (connections in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def free_port_pair(addresses: list[str], first: int, last: int, https_offset: int = 400,
                   seed: int | None = None) -> tuple[int, int]:
    """An HTTP port in [first, last] and its HTTPS port (+https_offset), both free on every address.

    Candidates are shuffled (by `seed`), so two test sessions on one machine rarely try the same pair.
    """
    candidates = list(range(first, last + 1))
    random.Random(seed).shuffle(candidates)
    for port in candidates:
        if all(port_is_free(address, p) for address in addresses for p in (port, port + https_offset)):
            return port, port + https_offset
    raise AddressInUse(f"no free port pair in {first}-{last} on {', '.join(addresses)}")


def emulator_command() -> list[str]:
    """The console script next to the running interpreter (a venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "helios-emulator"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("helios-emulator")
    return [found] if found else [sys.executable, "-m", "helios_emulator.cli"]


class EmulatorProcess:
    """One `helios-emulator serve` process serving `devices` intercoms from `address` on."""

    def __init__(self, workdir: Path, address: str, http_port: int, https_port: int, devices: int = 1,
                 profile: dict[str, Any] | str | Path | None = None, profile_format: str = "json",
                 state_dir: Path | None = None, cert: Path | None = None, key: Path | None = None,
                 name: str = "emulator", event_loop: str = "auto"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.address, self.http_port, self.https_port = address, http_port, https_port
        self.device_count = devices
        self.state_dir, self.cert, self.key = state_dir, cert, key
        self.name = name
        self.event_loop = event_loop
        self.ready_file = self.workdir / f"{name}-ready.json"
        self.log_file = self.workdir / f"{name}.log"
        self.profile_path: Path | None = None
        if isinstance(profile, dict):
            self.profile_path = self.workdir / f"{name}-profile.{profile_format}"
            self.profile_path.write_text(json.dumps(profile) if profile_format == "json" else yaml.safe_dump(profile))
        elif profile is not None:
            self.profile_path = Path(profile)
        self.process: subprocess.Popen | None = None
        self.ready: dict[str, Any] = {}
        self.startup_seconds = 0.0

    @property
    def ca_path(self) -> str | None:
        return self.ready.get("ca_path")

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def command(self) -> list[str]:
        command = emulator_command() + [
            "serve", "--devices", str(self.device_count), "--address", self.address,
            "--http-port", str(self.http_port), "--https-port", str(self.https_port),
            "--ready-file", str(self.ready_file), "--event-loop", self.event_loop]
        if self.profile_path:
            command += ["--profile", str(self.profile_path)]
        if self.state_dir:
            command += ["--state-dir", str(self.state_dir)]
        if self.cert:
            command += ["--cert", str(self.cert), "--key", str(self.key)]
        return command

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Launch and wait for the ready file; AddressInUse if it could not listen, RuntimeError otherwise."""
        self.ready_file.unlink(missing_ok=True)
        started = time.monotonic()
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        while not self.ready_file.exists():
            if self.process.poll() is not None:
                log_text = self.log_text()
                error = AddressInUse if "address already in use" in log_text.lower() else RuntimeError
                raise error(f"{self.name} exited with {self.process.returncode} before it was ready:\n{log_text}")
            if time.monotonic() - started > timeout:
                self.process.kill()
                self.process.wait()
                raise RuntimeError(f"{self.name} not ready within {timeout} s:\n{self.log_text()}")
            time.sleep(0.01)
        self.startup_seconds = time.monotonic() - started
        self.ready = json.loads(self.ready_file.read_text())
        return self

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `signum` and return the exit code; a process that does not exit in time is killed (-9)."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -9
        return self.process.returncode

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
