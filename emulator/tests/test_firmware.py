"""Manual 5.3-5.5: firmware images from `helios-emulator firmware`, upload checks, apply and restarts."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from harness import assert_error

from helios_emulator.testing import emulator_command

CURRENT = "2.11.0.22.1"


def upload(device, data: bytes, **kwargs):
    return device.request("PUT", "/api/firmware", files={"blob-fw": ("firmware.bin", data)}, **kwargs)


def test_cli_writes_a_documented_image(firmware_image):
    data = firmware_image("2.12.1.3.7", size=1000, build_type="beta").read_bytes()
    magic, header, payload = data.split(b"\n", 2)
    assert magic == b"2N-HELIOS-FW/1"
    header = json.loads(header)
    assert header["version"] == "2.12.1.3.7" and header["variant"] == "2N Helios IP Verso"
    assert header["buildType"] == "beta" and header["size"] == 1000 == len(payload)
    assert len(header["sha256"]) == 64


def test_cli_requires_version_and_output(tmp_path):
    result = subprocess.run(emulator_command() + ["firmware", "--output", str(tmp_path / "x.bin")],
                            capture_output=True, timeout=60)
    assert result.returncode == 2 and b"--version" in result.stderr


@pytest.mark.parametrize("version,downgrade", [
    ("2.12.0.1.1", False),
    ("2.11.0.22.2", False),
    ("2.11.0.22.1", False),  # the same version is no downgrade
    ("2.11.0.22.0", True),
    ("2.10.0.19.2", True),
])
def test_version_and_downgrade_are_reported(device, firmware_image, version, downgrade):
    image = firmware_image(version).read_bytes()
    result = device.ok("/api/firmware", method="PUT", files={"blob-fw": ("fw.bin", image)})
    assert result == {"version": version, "downgrade": downgrade}
    assert device.state()["pendingFirmware"] == version
    assert device.ok("/api/system/info")["swVersion"] == CURRENT  # nothing changes before apply


def corruptions(image: bytes) -> dict[str, bytes]:
    magic_end = image.index(b"\n") + 1
    header_end = image.index(b"\n", magic_end) + 1
    flipped = bytearray(image)
    flipped[header_end + 100] ^= 0xFF
    header = json.loads(image[magic_end:header_end])
    return {
        "payload bit flip": bytes(flipped),
        "truncated": image[:-10],
        "trailing garbage": image + b"\x00",
        "wrong magic": b"2N-HELIOS-FW/9\n" + image[magic_end:],
        "header not json": image[:magic_end] + b"{version: 1}\n" + image[header_end:],
        "header without version": image[:magic_end] + json.dumps({k: v for k, v in header.items() if k != "version"})
        .encode() + b"\n" + image[header_end:],
        "checksum of another image": image[:magic_end] + json.dumps({**header, "sha256": "0" * 64}).encode() + b"\n"
        + image[header_end:],
        "random bytes": bytes(range(256)) * 16,
        "empty": b"",
    }


@pytest.mark.parametrize("kind", sorted(corruptions(b"2N-HELIOS-FW/1\n{}\n" + b"x" * 200)))
def test_corrupt_image_is_12(device, firmware_image, kind):
    image = firmware_image("2.12.0.1.1").read_bytes()
    assert_error(upload(device, corruptions(image)[kind]), 12, "blob-fw")
    assert device.state()["pendingFirmware"] is None
    assert_error(device.get("/api/firmware/apply"), 14)  # nothing to apply


def test_foreign_image_is_12(device, firmware_image):
    foreign = firmware_image("2.12.0.1.1", variant="2N Helios IP Force").read_bytes()
    assert_error(upload(device, foreign), 12, "blob-fw")
    assert device.state()["pendingFirmware"] is None


def test_firmware_apply_restarts_into_the_new_version(fast_device, firmware_image):
    assert fast_device.ok("/api/firmware", method="PUT",
                          files={"blob-fw": ("fw.bin", firmware_image("2.12.0.1.1", build_type="beta").read_bytes())}
                          )["version"] == "2.12.0.1.1"
    asked = time.monotonic()
    fast_device.ok("/api/firmware/apply")
    down = fast_device.wait_down()
    assert down - asked < 3.0
    up = fast_device.wait_up()
    assert 0.5 <= up - asked <= 6.0  # restart_time 0.5 in this profile
    info = fast_device.ok("/api/system/info")
    assert info["swVersion"] == "2.12.0.1.1" and info["buildType"] == "beta"
    assert fast_device.ok("/api/system/status")["upTime"] <= 1
    assert fast_device.state()["pendingFirmware"] is None
    assert_error(fast_device.get("/api/firmware/apply"), 14)  # applied: nothing is pending any more


def test_downgrade_applies_too(fast_device, firmware_image):
    result = fast_device.ok("/api/firmware", method="PUT",
                            files={"blob-fw": ("fw.bin", firmware_image("2.10.0.19.2").read_bytes())})
    assert result == {"version": "2.10.0.19.2", "downgrade": True}
    fast_device.ok("/api/firmware/apply")
    fast_device.wait_down()
    fast_device.wait_up()
    assert fast_device.ok("/api/system/info")["swVersion"] == "2.10.0.19.2"


def test_the_last_upload_is_the_one_applied(fast_device, firmware_image):
    for version in ("2.12.0.1.1", "2.13.0.0.1"):
        image = firmware_image(version).read_bytes()
        fast_device.ok("/api/firmware", method="PUT", files={"blob-fw": ("fw.bin", image)})
    fast_device.ok("/api/firmware/apply", method="POST")
    fast_device.wait_down()
    fast_device.wait_up()
    assert fast_device.ok("/api/system/info")["swVersion"] == "2.13.0.0.1"


def test_system_restart_keeps_the_version_and_resets_runtime_state(fast_device):
    fast_device.ok("/api/switch/ctrl", params={"switch": "2", "action": "on"})
    fast_device.ok("/api/io/ctrl", params={"port": "relay1", "action": "on"})
    fast_device.ok("/api/call/dial", params={"number": "5047"})
    time.sleep(1.1)
    assert fast_device.ok("/api/system/status")["upTime"] >= 1
    asked = time.monotonic()
    assert fast_device.request("GET", "/api/system/restart").json() == {"success": True}
    down = fast_device.wait_down()
    up = fast_device.wait_up()
    assert down - asked < 3.0 and up - asked >= 0.5
    assert fast_device.ok("/api/system/status")["upTime"] <= 1
    assert fast_device.ok("/api/system/info")["swVersion"] == CURRENT
    state = fast_device.state()
    assert not any(item["active"] for item in state["switches"])
    assert all(item["state"] == 0 for item in state["ports"])
    assert state["calls"] == [] and state["restarting"] is False


def test_requests_during_a_restart_are_refused(fast_device):
    import requests

    fast_device.ok("/api/system/restart")
    fast_device.wait_down()
    with pytest.raises(requests.exceptions.ConnectionError):
        fast_device.get("/api/system/info", timeout=2)
    with pytest.raises(requests.exceptions.ConnectionError):
        fast_device.get("/api/system/info", https=True, timeout=2)
    fast_device.wait_up()
    assert fast_device.ok("/api/system/info")["serialNumber"] == fast_device.serial
    assert fast_device.ok("/api/system/info", https=True)["serialNumber"] == fast_device.serial


def test_a_restart_leaves_other_devices_alone(fast_fleet):
    restarting, neighbour = fast_fleet.take(), fast_fleet.take()
    neighbour.ok("/api/switch/ctrl", params={"switch": "2", "action": "on"})
    restarting.ok("/api/system/restart")
    restarting.wait_down()
    assert neighbour.listening()
    assert neighbour.ok("/api/switch/status", params={"switch": "2"})["switches"][0]["active"] is True
    restarting.wait_up()
