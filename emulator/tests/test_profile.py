"""Profiles (JSON or YAML): every key the issue names, and the defaults without a profile."""

from __future__ import annotations

import time

import pytest
from harness import ADMIN, assert_error, basic, digest, gif, timed

ALL_PRIVILEGES = ["system.monitoring", "system.control", "phone.monitoring", "phone.control", "io.monitoring",
                  "io.control", "switch.monitoring", "switch.control", "camera.monitoring", "display.control"]

FULL_PROFILE = {
    "licence": True,
    "device": {"variant": "2N Helios IP Force", "serialNumber": "99-1234-{index:04d}", "hwVersion": "700v2",
               "swVersion": "2.11.3.1.7", "buildType": "beta", "deviceName": "Gate intercom"},
    "services": {"switch": {"auth": "basic"}, "camera": {"connection": "https", "auth": "none"}},
    "accounts": [
        {"username": "root", "password": "s3cret", "privileges": ALL_PRIVILEGES},
        {"username": "cam", "password": "c", "privileges": ["camera.monitoring"]},
    ],
    "switches": [
        {"enabled": True, "mode": "bistable", "type": "security"},
        {"enabled": False, "mode": "monostable"},
    ],
    "ports": [{"port": "lock", "type": "output"}, {"port": "door_sensor", "type": "input"}],
    "displays": [{"display": "internal", "width": 480, "height": 272}],
    "camera": {"resolutions": [[320, 240], [1280, 960]], "sources": ["internal"], "defaultSource": "internal"},
    "sip": [{"number": "7001", "domain": "pbx.test", "registrar": "pbx.test", "password": "x"}],
    "restart_time": 0.7,
    "faults": {"restart_extra": 0.4},
}
ROOT = digest("root", "s3cret")


@pytest.fixture(params=["json", "yaml"], scope="module")
def full(request, launch):
    emulator = launch(devices=2, profile=FULL_PROFILE, profile_format=request.param)
    assert emulator.profile_path.suffix == "." + request.param
    yield emulator
    assert emulator.stop() == 0


def test_device_keys(full):
    for index, device in enumerate(full.devices, start=1):
        assert device.ok("/api/system/info", auth=ROOT) == {
            "variant": "2N Helios IP Force", "serialNumber": f"99-1234-{index:04d}", "hwVersion": "700v2",
            "swVersion": "2.11.3.1.7", "buildType": "beta", "deviceName": "Gate intercom"}
        assert device.serial == f"99-1234-{index:04d}"


def test_services_keys(full):
    device = full.devices[0]
    assert device.ok("/api/switch/caps", auth=basic("root", "s3cret"))  # switch: basic
    assert_error(device.get("/api/switch/caps", auth=ROOT), 8)
    assert_error(device.get("/api/camera/caps", auth=None), 7)  # camera: https only, no auth
    assert device.ok("/api/camera/caps", https=True, auth=None)
    assert device.ok("/api/io/caps", auth=ROOT)  # unnamed services keep the default (http + digest)


def test_accounts_key_replaces_the_default_account(full):
    device = full.devices[0]
    assert_error(device.get("/api/system/status", auth=digest(*ADMIN)), 9, status=401)
    assert device.ok("/api/system/status", auth=ROOT)
    assert_error(device.get("/api/io/caps", auth=digest("cam", "c")), 10)


def test_switches_ports_displays_camera_sip_keys(full):
    device = full.devices[1]
    assert device.ok("/api/switch/caps", auth=basic("root", "s3cret")) == {"switches": [
        {"switch": 1, "enabled": True, "mode": "bistable", "type": "security"},
        {"switch": 2, "enabled": False}]}
    assert device.ok("/api/io/caps", auth=ROOT) == {"ports": [{"port": "lock", "type": "output"},
                                                              {"port": "door_sensor", "type": "input"}]}
    assert device.ok("/api/display/caps", auth=ROOT) == {
        "displays": [{"display": "internal", "resolution": {"width": 480, "height": 272}}]}
    assert device.request("PUT", "/api/display/image", auth=ROOT, params={"display": "internal"},
                          files={"blob-image": ("i.gif", gif(480, 272))}).json() == {"success": True}
    caps = device.ok("/api/camera/caps", https=True, auth=None)
    assert caps == {"jpegResolution": [{"width": 320, "height": 240}, {"width": 1280, "height": 960}],
                    "sources": [{"source": "internal"}]}
    response = device.get("/api/camera/snapshot", https=True, auth=None, params={"width": "1280", "height": "960"})
    assert response.headers["Content-Type"] == "image/jpeg"
    assert_error(device.get("/api/camera/snapshot", https=True, auth=None, params={"width": "640", "height": "480"}),
                 12, "width")
    phone = device.ok("/api/phone/status", auth=ROOT)["accounts"]
    assert len(phone) == 1 and phone[0]["sipNumber"] == "7001" and phone[0]["registered"] is True


def test_faults_key(full):
    device = full.devices[0]
    assert device.admin("faults") == {"restart_extra": 0.4}


def test_restart_time_key(full):
    device = full.devices[1]
    asked = time.monotonic()
    device.ok("/api/system/restart", auth=ROOT)
    device.wait_down()
    up = device.wait_up()
    assert 0.7 + 0.4 <= up - asked < 6  # restart_time plus the profile's restart_extra fault


def test_yaml_licence_and_invalid_profile(launch, tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text("# only what differs from the default device\nlicence: false\n")
    emulator = launch(profile=path)
    try:
        device = emulator.devices[0]
        assert_error(device.get("/api/switch/caps"), 5)
        assert device.ok("/api/system/info")["serialNumber"] == device.serial
    finally:
        assert emulator.stop() == 0
    # the validation rules themselves are unit-tested in test_units.py; here: the CLI refuses with code 2
    with pytest.raises(RuntimeError, match="(?s)exited with 2 .*unknown profile keys: licences"):
        launch(profile={"licences": True})


# the defaults the issue lists ----------------------------------------------------------------------------------

def test_default_services_accounts_licence(device):
    root = device.config()
    for tag in ("System", "Switch", "Io", "Camera", "Display", "Phone"):
        assert [root.findtext(f"HttpApi/Services/{tag}/{key}") for key in ("Enabled", "Connection", "Auth")] == [
            "1", "http", "digest"], tag
    accounts = [item for item in root.findall("HttpApi/Accounts/Account") if item.findtext("Enabled") == "1"]
    assert [(item.findtext("UserName"), item.findtext("Password")) for item in accounts] == [ADMIN]
    assert all(child.text == "1" for child in accounts[0].find("Privileges"))
    assert len(accounts[0].find("Privileges")) == 10
    # over both transports with Digest, and licensed
    assert device.ok("/api/switch/caps")["switches"]
    assert device.ok("/api/switch/caps", https=True)["switches"]
    assert_error(device.get("/api/switch/caps", auth=basic(*ADMIN)), 8)


def test_default_hardware(device):
    caps = device.ok("/api/switch/caps")["switches"]
    assert [(item["switch"], item["enabled"], item.get("mode"), item.get("switchOnDuration")) for item in caps] == [
        (1, True, "monostable", 5), (2, True, "bistable", None), (3, False, None, None), (4, False, None, None)]
    assert device.ok("/api/io/caps")["ports"] == [
        {"port": "relay1", "type": "output"}, {"port": "relay2", "type": "output"},
        {"port": "input1", "type": "input"}, {"port": "input2", "type": "input"}]
    assert device.ok("/api/display/caps")["displays"] == [
        {"display": "internal", "resolution": {"width": 320, "height": 240}}]
    assert device.config().findtext("Display/Screen[@At='0']/StandardFunction") == "0"
    assert device.ok("/api/phone/status", params={"account": "1"})["accounts"][0]["registered"] is True


def test_default_monostable_duration_is_five_seconds(device):
    on = time.monotonic()
    device.ok("/api/switch/ctrl", params={"switch": "1", "action": "on"})
    time.sleep(1.0)
    check = timed(lambda: device.ok("/api/switch/status", params={"switch": "1"})["switches"][0]["active"])
    assert check.received - on < 5
    assert check.value is True  # a monostable switch of one second would be off by now


def test_default_restart_time_is_two_seconds(device):
    asked = time.monotonic()
    device.ok("/api/system/restart")
    device.wait_down()
    up = device.wait_up()
    assert 2.0 <= up - asked < 8


def test_timing_is_checked():
    from helios_emulator.profile import DEFAULT_PROFILE, REALISTIC_TIMING, ProfileError, merge, validate

    assert DEFAULT_PROFILE["timing"] == {"round_trip": 0.0, "tls_handshake": 0.0, "processing": 0.0}
    assert set(REALISTIC_TIMING) == set(DEFAULT_PROFILE["timing"])
    with pytest.raises(ProfileError, match="timing.latency: unknown"):
        validate(merge(DEFAULT_PROFILE, {"timing": {"latency": 1}}))
    with pytest.raises(ProfileError, match="timing.round_trip must be a number of seconds, 0 or more"):
        validate(merge(DEFAULT_PROFILE, {"timing": {"round_trip": -1}}))


def test_realistic_fills_in_the_timing_the_profile_leaves_at_zero(tmp_path):
    import argparse

    from helios_emulator.cli import build_fleet

    profile = tmp_path / "profile.json"
    profile.write_text('{"timing": {"processing": 0.5}}')
    args = argparse.Namespace(profile=str(profile), state_dir=None, address="127.0.31.1", devices=1, http_port=1,
                              https_port=2, cert=None, key=None, realistic=True)
    fleet, _ca_path = build_fleet(args)
    assert fleet.devices[0].profile["timing"] == {"round_trip": 0.010, "tls_handshake": 0.025, "processing": 0.5}
