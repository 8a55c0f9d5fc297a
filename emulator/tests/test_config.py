"""Manual 5.6-5.7: the configuration document is the device's state; uploads change behaviour, bad ones nothing."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET

import pytest
from harness import ADMIN, assert_error, background, basic, digest, same_colour, set_text, wait_for

HEADER_KEYS = ["Product name", "Serial number", "Software version", "Hardware version", "Bootloader version",
               "Display", "Card reader"]


def reconfigure(device, settings):
    """Set each path of the device's configuration document to its text and upload the document."""
    root = device.config()
    for path, text in settings.items():
        set_text(root, path, text)
    assert device.put_config(root).json() == {"success": True}


def test_document_has_the_comment_header_of_the_manual(device):
    text = device.get("/api/config").text
    match = re.match(r'<\?xml version="1.0" encoding="UTF-8"\?>\n<!--\n((?:    [^\n]+\n)+)-->\n<DeviceDatabase ',
                     text)
    assert match, text[:400]
    header = dict(line.strip().split(": ", 1) for line in match.group(1).splitlines())
    assert list(header) == HEADER_KEYS
    info = device.ok("/api/system/info")
    assert header["Product name"] == info["variant"]
    assert header["Serial number"] == info["serialNumber"] == device.serial
    assert header["Software version"] == info["swVersion"]
    assert header["Hardware version"] == info["hwVersion"]
    assert header["Display"] == "Yes"


def test_document_sections(device):
    root = device.config()
    assert root.tag == "DeviceDatabase" and root.get("Version")
    assert [child.tag for child in root] == ["Network", "WebServer", "HttpApi", "Switches", "Io", "Phone", "Display",
                                             "Camera"]
    assert root.findtext("Network/IpAddress") == device.address
    assert root.findtext("WebServer/DeviceName") == device.ok("/api/system/info")["deviceName"]
    for tag in ("System", "Switch", "Io", "Camera", "Display", "Phone"):
        assert root.findtext(f"HttpApi/Services/{tag}/Enabled") == "1"
        assert root.findtext(f"HttpApi/Services/{tag}/Connection") == "http"
        assert root.findtext(f"HttpApi/Services/{tag}/Auth") == "digest"
    assert len(root.findall("HttpApi/Accounts/Account")) == 5
    assert root.findtext("HttpApi/Accounts/Account[@At='0']/UserName") == "admin"
    switches = root.findall("Switches/Switch")
    assert [item.get("At") for item in switches] == ["0", "1", "2", "3"]
    assert [item.findtext("Mode") for item in switches[:2]] == ["monostable", "bistable"]
    assert root.findtext("Switches/Switch[@At='0']/SwitchOnDuration") == "5"
    assert [item.findtext("Name") for item in root.findall("Io/Port")] == ["relay1", "relay2", "input1", "input2"]
    assert root.findtext("Phone/Sip[@At='0']/PhoneNumber") == "5046"
    assert root.findtext("Display/Screen[@At='0']/Width") == "320"
    assert root.findtext("Camera/DefaultSource") == "internal"


def test_download_upload_round_trip_changes_nothing(device):
    before = device.get("/api/config").content
    assert device.put_config(before).json() == {"success": True}
    assert device.get("/api/config").content == before


def test_switch_mode_from_the_configuration(device):
    reconfigure(device, {"Switches/Switch[@At='1']/Mode": "monostable",
                         "Switches/Switch[@At='1']/SwitchOnDuration": "1",
                         "Switches/Switch[@At='2']/Enabled": "1",
                         "Switches/Switch[@At='2']/Mode": "bistable"})
    caps = device.ok("/api/switch/caps")["switches"]
    assert caps[1] == {"switch": 2, "enabled": True, "mode": "monostable", "switchOnDuration": 1, "type": "normal"}
    assert caps[2] == {"switch": 3, "enabled": True, "mode": "bistable", "type": "normal"}
    device.ok("/api/switch/ctrl", params={"switch": "2", "action": "on"})
    device.ok("/api/switch/ctrl", params={"switch": "3", "action": "on"})
    status = lambda n: device.ok("/api/switch/status", params={"switch": str(n)})["switches"][0]["active"]  # noqa: E731
    wait_for(lambda: not status(2), timeout=4, message="switch 2, now monostable, falling back")
    assert status(3) is True


def test_account_password_from_the_configuration(device):
    reconfigure(device, {"HttpApi/Accounts/Account[@At='0']/Password": "n3w-secret"})
    assert_error(device.get("/api/system/status", auth=digest(*ADMIN)), 9, status=401)  # old password refused
    assert device.ok("/api/system/status", auth=digest("admin", "n3w-secret"))["upTime"] >= 0


def test_new_and_disabled_accounts_from_the_configuration(device):
    reconfigure(device, {"HttpApi/Accounts/Account[@At='1']/Enabled": "1",
                         "HttpApi/Accounts/Account[@At='1']/UserName": "guard",
                         "HttpApi/Accounts/Account[@At='1']/Password": "g",
                         "HttpApi/Accounts/Account[@At='1']/Privileges/SwitchMonitoring": "1"})
    guard = digest("guard", "g")
    assert device.ok("/api/switch/status", auth=guard)["switches"]
    assert_error(device.get("/api/switch/ctrl", auth=guard, params={"switch": "1", "action": "on"}), 10)
    reconfigure(device, {"HttpApi/Accounts/Account[@At='1']/Enabled": "0"})
    assert_error(device.get("/api/switch/status", auth=digest("guard", "g")), 9, status=401)


def test_service_auth_from_the_configuration(device):
    reconfigure(device, {"HttpApi/Services/Switch/Auth": "none", "HttpApi/Services/Io/Auth": "basic",
                         "HttpApi/Services/Camera/Connection": "https", "HttpApi/Services/Display/Enabled": "0"})
    assert device.ok("/api/switch/caps", auth=None)["switches"]
    assert_error(device.get("/api/io/status"), 8)  # Digest to a basic service
    assert device.ok("/api/io/status", auth=basic(*ADMIN))["ports"]
    assert_error(device.get("/api/camera/caps"), 7)
    assert device.ok("/api/camera/caps", https=True)["sources"]
    assert_error(device.get("/api/display/caps"), 4)


def test_device_name_and_default_camera_source(device):
    size = {"width": "160", "height": "120"}
    internal = background(device.get("/api/camera/snapshot", params={**size, "source": "internal"}).content)
    external = background(device.get("/api/camera/snapshot", params={**size, "source": "external"}).content)
    assert same_colour(background(device.get("/api/camera/snapshot", params=size).content), internal)
    assert not same_colour(internal, external)
    reconfigure(device, {"WebServer/DeviceName": "Back gate", "Camera/DefaultSource": "external"})
    assert device.ok("/api/system/info")["deviceName"] == "Back gate"
    assert same_colour(background(device.get("/api/camera/snapshot", params=size).content), external)


def test_partial_document_takes_defaults_for_what_it_lacks(device):
    upload = b"<DeviceDatabase><WebServer><DeviceName>Partial</DeviceName></WebServer></DeviceDatabase>"
    assert device.put_config(upload).json() == {"success": True}
    root = device.config()
    assert root.findtext("WebServer/DeviceName") == "Partial"
    assert root.findtext("HttpApi/Accounts/Account[@At='0']/UserName") == "admin"


def test_hardware_facts_cannot_be_changed(device):
    root = device.config()
    set_text(root, "Display/Screen[@At='0']/Width", "800")
    set_text(root, "Io/Port[@At='2']/Type", "output")
    assert device.put_config(root).json() == {"success": True}
    assert device.ok("/api/display/caps")["displays"][0]["resolution"] == {"width": 320, "height": 240}
    assert_error(device.get("/api/io/ctrl", params={"port": "input1", "action": "on"}), 12, "port")


BAD_UPLOADS = {
    "malformed": b"<DeviceDatabase><WebServer><DeviceName>Bad</DeviceName></WebServer>",
    "not xml": b"\x00\x01 definitely not a configuration",
    "empty": b"",
    "foreign root": b"<html><body><DeviceName>Bad</DeviceName></body></html>",
    "other vendor": b'<?xml version="1.0"?><config><system><hostname>x</hostname></system></config>',
    "entity": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><DeviceDatabase>&x;</DeviceDatabase>',
}


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
@pytest.mark.parametrize("raw", [False, True])
def test_malformed_or_foreign_xml_is_12_and_nothing_changes(device, name, raw):
    before = device.get("/api/config").content
    # an empty raw body is no parameter at all (11); an empty multipart file is an invalid document (12)
    code = 11 if raw and not BAD_UPLOADS[name] else 12
    assert_error(device.put_config(BAD_UPLOADS[name], raw=raw), code, "blob-cfg")
    assert device.get("/api/config").content == before


@pytest.mark.parametrize("path,value", [
    ("Switches/Switch[@At='0']/Mode", "tristable"),
    ("Switches/Switch[@At='0']/SwitchOnDuration", "-3"),
    ("HttpApi/Services/System/Auth", "kerberos"),
    ("HttpApi/Services/Io/Connection", "ftp"),
    ("Network/IpAddress", "300.1.1.1"),
    ("Display/Screen[@At='0']/StandardFunction", "maybe"),
])
def test_an_invalid_value_refuses_the_whole_document(device, path, value):
    before = device.get("/api/config").content
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Should not stick")  # a valid change in the same document
    set_text(root, path, value)
    assert_error(device.put_config(root), 12, "blob-cfg")
    assert device.get("/api/config").content == before
    assert device.ok("/api/system/info")["deviceName"] != "Should not stick"


def test_structure_mismatch_is_refused(device):
    before = device.get("/api/config").content
    upload = b"<DeviceDatabase><Switches>text<Switch At='0'><Mode>bistable</Mode></Switch></Switches></DeviceDatabase>"
    assert_error(device.put_config(upload), 12, "blob-cfg")
    upload = b"<DeviceDatabase><WebServer><DeviceName><b>x</b></DeviceName></WebServer></DeviceDatabase>"
    assert_error(device.put_config(upload), 12, "blob-cfg")
    assert device.get("/api/config").content == before


def test_factory_reset_restores_the_defaults(fast_device):
    pristine = ET.fromstring(fast_device.get("/api/config").content)
    reconfigure(fast_device, {"WebServer/DeviceName": "Changed",
                              "HttpApi/Accounts/Account[@At='0']/Password": "changed",
                              "Switches/Switch[@At='1']/Mode": "monostable"})
    changed = digest("admin", "changed")
    assert fast_device.ok("/api/system/info", auth=changed)["deviceName"] == "Changed"
    started = time.monotonic()
    fast_device.ok("/api/config/factoryreset", auth=changed)
    fast_device.wait_down()
    up = fast_device.wait_up()
    assert 0.5 <= up - started < 6  # restart_time 0.5
    assert fast_device.ok("/api/system/info")["deviceName"] == pristine.findtext("WebServer/DeviceName")
    assert ET.tostring(fast_device.config()) == ET.tostring(pristine)
    assert_error(fast_device.get("/api/system/info", auth=changed), 9, status=401)
    assert fast_device.ok("/api/system/status")["upTime"] <= 1
