"""Current firmware (2.13 and later) beside the Logging service: audio/test, email/send, the added fields of
system/info and switch/caps/status, the delayed configuration apply, and the family following the firmware an
upgrade installs. Each test says, in our words, what the latest edition of the vendor's manual says."""

from __future__ import annotations

import time

import pytest
from conftest import CURRENT_PROFILE, CURRENT_VERSION
from harness import assert_error, digest, fleet_fixture, set_text
from test_logging import pull, subscribe, types

limited = fleet_fixture(devices=1, profile={**CURRENT_PROFILE, "accounts": [
    {"username": "admin", "password": "2n", "privileges": ["system.control"]},
    {"username": "mailer", "password": "m", "privileges": ["email.control", "audio.control"]},
]})
immediate = fleet_fixture(devices=1, profile={**CURRENT_PROFILE, "config_apply_delay": 0})


def upload_firmware(device, image):
    return device.ok("/api/firmware", method="PUT", files={"blob-fw": ("fw.bin", image.read_bytes())})


# system/info and switches ---------------------------------------------------------------------------------------

def test_system_info_has_the_latest_manuals_fields(current_device):
    # 5.1.1: devType, variant, variantId, customerId, serialNumber, macAddr, hwVersion, swVersion, buildType,
    # firmwarePackage, deviceName; an official build from 2.33.2 on says buildType "release"
    info = current_device.ok("/api/system/info")
    assert list(info) == ["devType", "variant", "variantId", "customerId", "serialNumber", "macAddr", "hwVersion",
                          "swVersion", "buildType", "firmwarePackage", "deviceName"]
    assert info["macAddr"] == current_device.state()["macAddress"]
    assert info["swVersion"] == CURRENT_VERSION and info["buildType"] == "release"


def test_system_info_of_2_11_is_unchanged(device):
    assert list(device.ok("/api/system/info")) == ["variant", "serialNumber", "hwVersion", "swVersion", "buildType",
                                                  "deviceName"]


def test_switch_status_and_caps_report_locked_and_held(current_device):
    # 5.4.2: each switch's status has active, locked and held
    status = current_device.ok("/api/switch/status")["switches"]
    assert status[0] == {"switch": 1, "active": False, "locked": False, "held": False}
    current_device.ok("/api/switch/ctrl", params={"switch": 1, "action": "hold"})
    assert current_device.ok("/api/switch/status", params={"switch": 1})["switches"] == \
        [{"switch": 1, "active": True, "locked": False, "held": True}]
    assert_error(current_device.get("/api/switch/ctrl", params={"switch": 1, "action": "off"}), 14)
    current_device.ok("/api/switch/ctrl", params={"switch": 1, "action": "lock"})  # locking wins over holding
    assert current_device.ok("/api/switch/status", params={"switch": 1})["switches"][0]["active"] is False
    assert all("locked" in entry for entry in current_device.ok("/api/switch/caps")["switches"] if entry["enabled"])


def test_2_11_switches_know_no_locks(device):
    assert_error(device.get("/api/switch/ctrl", params={"switch": 1, "action": "lock"}), 12, "action")
    assert device.ok("/api/switch/status", params={"switch": 1})["switches"] == [{"switch": 1, "active": False}]


# audio/test --------------------------------------------------------------------------------------------------------

def test_audio_test_reports_its_result_as_an_event(current_device):
    # the audio loop test answers at once; its outcome arrives as an AudioLoopTest event (param result)
    channel = subscribe(current_device, filter="AudioLoopTest")
    assert current_device.ok("/api/audio/test") is None
    events = pull(current_device, channel, timeout=5)
    assert types(events) == ["AudioLoopTest"] and events[0]["params"] == {"result": "passed"}


def test_audio_test_needs_audio_control(limited):
    device = limited.devices[0]
    assert_error(device.get("/api/audio/test"), 10)
    assert device.ok("/api/audio/test", auth=digest("mailer", "m")) is None


# email/send --------------------------------------------------------------------------------------------------------

def test_email_send_records_the_mail(current_device):
    # 5.12.1: to and subject are mandatory, body optional; the reply has no result
    assert current_device.ok("/api/email/send", params={"to": "guard@example.test", "subject": "Door",
                                                         "body": "<b>open</b>"}) is None
    current_device.ok("/api/email/send", method="POST",
                      data={"to": "a@example.test", "subject": "S", "pictureCount": "2", "width": "320",
                            "height": "240"})
    emails = current_device.state()["emails"]
    assert [(mail["to"], mail["subject"], mail["body"], mail["pictureCount"]) for mail in emails] == \
        [("guard@example.test", "Door", "<b>open</b>", 0), ("a@example.test", "S", "", 2)]
    assert emails[1]["resolution"] == [320, 240]


@pytest.mark.parametrize("params,code,param", [
    ({"subject": "S"}, 11, "to"),
    ({"to": "a@example.test"}, 11, "subject"),
    ({"to": "nobody", "subject": "S"}, 12, "to"),
    ({"to": "a@example.test", "subject": "S", "pictureCount": "6"}, 12, "pictureCount"),
    ({"to": "a@example.test", "subject": "S", "pictureCount": "1", "width": "333", "height": "222"}, 12, "width"),
])
def test_email_send_checks_its_parameters(current_device, params, code, param):
    assert_error(current_device.get("/api/email/send", params=params), code, param)
    assert current_device.state()["emails"] == []


def test_email_send_needs_email_control(limited):
    device = limited.devices[0]
    assert_error(device.get("/api/email/send", params={"to": "a@example.test", "subject": "S"}), 10)
    device.ok("/api/email/send", params={"to": "a@example.test", "subject": "S"}, auth=digest("mailer", "m"))


# the configuration apply delay ----------------------------------------------------------------------------------

def test_a_configuration_upload_takes_effect_after_the_delay(current_device):
    # the latest manual: an uploaded configuration is applied about 15 s after the upload (0.3 s in this profile);
    # until then the device runs, and answers with, the previous one
    root = current_device.config()
    set_text(root, "WebServer/DeviceName", "Later")
    started = time.monotonic()
    response = current_device.put_config(root)
    assert response.json() == {"success": True} and time.monotonic() - started < 0.25
    assert current_device.state()["pendingConfig"] is True
    assert current_device.ok("/api/system/info")["deviceName"] != "Later"
    assert current_device.config().findtext("WebServer/DeviceName") != "Later"
    time.sleep(0.5)
    assert current_device.ok("/api/system/info")["deviceName"] == "Later"
    assert current_device.state()["pendingConfig"] is False


def test_a_bad_upload_is_refused_at_once(current_device):
    assert_error(current_device.put_config(b"<DeviceDatabase><WebServer>text<x/></WebServer>"), 12, "blob-cfg")
    assert current_device.state()["pendingConfig"] is False


def test_a_later_upload_replaces_one_still_waiting(current_device):
    channel = subscribe(current_device, filter="ConfigurationChanged")
    for name in ("First", "Second"):
        root = current_device.config()
        set_text(root, "WebServer/DeviceName", name)
        current_device.put_config(root)
    time.sleep(0.6)
    assert current_device.ok("/api/system/info")["deviceName"] == "Second"
    assert types(pull(current_device, channel)) == ["ConfigurationChanged"]


def test_a_restart_during_the_delay_loses_the_upload(current_device):
    # the latest manual: do not restart the device while it applies a configuration; here the upload is lost
    root = current_device.config()
    set_text(root, "WebServer/DeviceName", "Lost")
    current_device.put_config(root)
    current_device.ok("/api/system/restart")
    current_device.wait_down()
    current_device.wait_up()
    time.sleep(0.4)
    assert current_device.ok("/api/system/info")["deviceName"] != "Lost"


def test_config_apply_delay_zero_applies_at_once(immediate):
    device = immediate.devices[0]
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Now")
    device.put_config(root)
    assert device.ok("/api/system/info")["deviceName"] == "Now"


def test_the_current_configuration_has_the_later_services_and_privileges(current_device):
    root = current_device.config()
    for service in ("Audio", "Email", "Logging"):
        assert root.find(f"HttpApi/Services/{service}/Enabled").text == "1"
    for privilege in ("AudioControl", "EmailControl", "KeypadMonitoring", "CardMonitoring"):
        assert root.find(f"HttpApi/Accounts/Account[@At='0']/Privileges/{privilege}").text == "1"


def test_a_disabled_logging_service_answers_4(current_device):
    root = current_device.config()
    set_text(root, "HttpApi/Services/Logging/Enabled", "0")
    current_device.put_config(root)
    time.sleep(0.5)
    assert_error(current_device.get("/api/log/caps"), 4)


# the family follows the firmware ------------------------------------------------------------------------------

def test_an_upgrade_to_current_firmware_changes_what_the_device_answers(fast_device, firmware_image):
    # a 2.11 device answers the later paths with error 2; after an upgrade to a 2.13+ image it has them, keeps
    # its configuration, and its configuration gains the later services
    device = fast_device
    assert_error(device.get("/api/log/caps"), 2)
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Upgraded")
    device.put_config(root)
    upload_firmware(device, firmware_image(CURRENT_VERSION))
    device.ok("/api/firmware/apply")
    device.wait_down()
    device.wait_up()
    info = device.ok("/api/system/info")
    assert info["swVersion"] == CURRENT_VERSION and info["deviceName"] == "Upgraded" and "macAddr" in info
    assert "DeviceState" in device.ok("/api/log/caps")["events"]
    events = pull(device, subscribe(device, include="all"))
    assert events[0]["id"] == 1 and events[0]["params"] == {"state": "startup"}
    assert device.config().find("HttpApi/Services/Logging/Enabled").text == "1"
    assert device.state()["log"]["last_id"] >= 1


def test_a_downgrade_to_2_11_removes_the_later_functions(current_device, firmware_image):
    device = current_device
    upload_firmware(device, firmware_image("2.11.0.22.1"))
    device.ok("/api/firmware/apply")
    device.wait_down()
    device.wait_up()
    assert device.ok("/api/system/info")["swVersion"] == "2.11.0.22.1"
    assert_error(device.get("/api/log/caps"), 2)
    assert device.config().find("HttpApi/Services/Logging") is None
    assert "log" not in device.state()


def test_a_configuration_change_of_sip_registration_raises_registration_events(current_device):
    channel = subscribe(current_device, filter="RegistrationStateChanged,ConfigurationChanged")
    root = current_device.config()
    set_text(root, "Phone/Sip[@At='0']/Enabled", "0")
    current_device.put_config(root)
    events = pull(current_device, channel, timeout=3)
    events += pull(current_device, channel)
    assert [(event["event"], event["params"]) for event in events] == [
        ("ConfigurationChanged", {}), ("RegistrationStateChanged", {"sipAccount": 1, "state": "unregistered"})]
    assert current_device.ok("/api/phone/status", params={"account": 1})["accounts"][0]["registered"] is False
