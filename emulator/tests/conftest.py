"""Fixtures: emulator processes on per-worker loopback addresses (127.0.10.x-127.0.19.x)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from harness import AddressPool, Emulator, worker_index

from helios_emulator.testing import emulator_command

# restarts take half a second, switch 1 falls back after one second
FAST_PROFILE = {
    "restart_time": 0.5,
    "switches": [
        {"enabled": True, "mode": "monostable", "switchOnDuration": 1, "type": "normal"},
        {"enabled": True, "mode": "bistable", "type": "normal"},
        {"enabled": True, "mode": "monostable", "switchOnDuration": 3, "type": "security"},
        {"enabled": False, "mode": "monostable"},
    ],
}


# a current-firmware device (2.13 and later: the Logging service, audio/test, email/send ...) with the same
# fast timings, and a configuration upload that takes effect 0.3 s after its reply
CURRENT_VERSION = "2.50.0.52.7"
CURRENT_PROFILE = {**FAST_PROFILE, "device": {"swVersion": CURRENT_VERSION}, "config_apply_delay": 0.3}


@pytest.fixture(scope="session")
def pool() -> AddressPool:
    return AddressPool(*worker_index())


@pytest.fixture(scope="session")
def launch(pool, tmp_path_factory):
    """Start an emulator on fresh addresses of this worker; whoever calls it stops it."""

    def start(devices: int = 1, profile=None, **kwargs) -> Emulator:
        fixed = kwargs.pop("address", None)
        workdir = kwargs.pop("workdir", None) or tmp_path_factory.mktemp("emulator")
        http_port, https_port = kwargs.pop("http_port", pool.http_port), kwargs.pop("https_port", pool.https_port)
        for attempt in range(3):
            address = fixed or pool.take(devices)
            emulator = Emulator(workdir, address, http_port, https_port, devices=devices, profile=profile,
                                name=f"emulator{attempt}", **kwargs)
            try:
                return emulator.start()
            except RuntimeError as exc:
                # another process took an address between our probe and the bind: try further on
                if fixed or "address already in use" not in str(exc):
                    raise
        raise RuntimeError("no free loopback addresses after three attempts")

    return start


class Supply:
    """Fresh devices on demand: takes from the newest emulator and starts another one when it is used up."""

    def __init__(self, launch, devices: int, profile=None):
        self.launch, self.size, self.profile = launch, devices, profile
        self.emulators: list[Emulator] = []

    def take(self):
        if not self.emulators or self.emulators[-1].untaken() == 0:
            self.emulators.append(self.launch(devices=self.size, profile=self.profile))
        return self.emulators[-1].take()

    def stop(self) -> None:
        for emulator in self.emulators:
            code = emulator.stop()
            assert code == 0, f"emulator exited with {code}:\n{emulator.log_text()}"


def supply_fixture(devices: int, profile=None):
    @pytest.fixture(scope="session")
    def _supply(launch):
        supply = Supply(launch, devices, profile)
        yield supply
        supply.stop()

    return _supply


# default devices: every test that takes `device` gets one nobody else touched
fleet = supply_fixture(devices=150)
# the same with restart_time 0.5 and a one-second monostable switch
fast_fleet = supply_fixture(devices=40, profile=FAST_PROFILE)


# current-firmware devices, one fresh per test
current_fleet = supply_fixture(devices=60, profile=CURRENT_PROFILE)


@pytest.fixture
def device(fleet):
    return fleet.take()


@pytest.fixture
def fast_device(fast_fleet):
    return fast_fleet.take()


@pytest.fixture
def current_device(current_fleet):
    return current_fleet.take()


@pytest.fixture(scope="session")
def firmware_image(tmp_path_factory):
    """`firmware_image(version, variant=None, size=...)`: an image written by `helios-emulator firmware`."""
    directory = tmp_path_factory.mktemp("firmware")
    made: dict[tuple, Path] = {}

    def make(version: str, variant: str | None = None, size: int = 4096, build_type: str | None = None) -> Path:
        key = (version, variant, size, build_type)
        if key not in made:
            output = directory / f"fw-{len(made)}.bin"
            command = emulator_command() + ["firmware", "--version", version, "--output", str(output),
                                            "--size", str(size)]
            if variant is not None:
                command += ["--variant", variant]
            if build_type is not None:
                command += ["--build-type", build_type]
            subprocess.run(command, check=True, timeout=60)
            made[key] = output
        return made[key]

    return make


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: fine without it
def pytest_xdist_make_scheduler(config, log):
    """Under plain `-n N` (dist "load"), hand out whole test files: each module's fleets (module-scoped fixtures)
    then start on one worker only, not on every worker that happens to run one of its tests."""
    if config.getoption("dist") == "load":
        from xdist.scheduler import LoadFileScheduling

        return LoadFileScheduling(config, log)
    return None
