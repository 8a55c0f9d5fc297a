"""Manual chapter 5: all 22 functions, their reply shapes and exact Content-Types, over GET and POST alike."""

from __future__ import annotations

import time

import pytest
from harness import FUNCTIONS, JSON, gif, json_reply

GET_POST = ["GET", "POST"]


def test_the_table_has_22_functions():
    assert len(FUNCTIONS) == 22


def no_parameters_reply(response):
    """Manual 2.3, "positive reply without parameters": exactly {"success": true}, 200 OK."""
    assert response.status_code == 200
    assert json_reply(response) == {"success": True}


def result_of(response):
    assert response.status_code == 200
    body = json_reply(response)
    assert set(body) == {"success", "result"} and body["success"] is True, body
    return body["result"]


@pytest.mark.parametrize("method", GET_POST)
def test_system_info(device, method):
    response = device.request(method, "/api/system/info")
    result = result_of(response)
    assert set(result) == {"variant", "serialNumber", "hwVersion", "swVersion", "buildType", "deviceName"}
    assert result["serialNumber"] == device.serial
    assert result["variant"] == "2N Helios IP Verso"
    assert result["swVersion"] == "2.11.0.22.1"
    assert response.headers["Server"] == "HIP" + result["swVersion"]  # as in chapter 2's example


@pytest.mark.parametrize("method", GET_POST)
def test_system_status(device, method):
    result = result_of(device.request(method, "/api/system/status"))
    assert set(result) == {"systemTime", "upTime"}
    assert isinstance(result["systemTime"], int) and isinstance(result["upTime"], int)
    assert abs(result["systemTime"] - time.time()) < 5
    assert 0 <= result["upTime"] < 3600


@pytest.mark.parametrize("method", GET_POST)
def test_system_restart(fast_device, method):
    no_parameters_reply(fast_device.request(method, "/api/system/restart"))
    fast_device.wait_down()
    fast_device.wait_up()


def test_firmware_put(device, firmware_image):
    image = firmware_image("2.12.0.1.1")
    result = result_of(device.request("PUT", "/api/firmware",
                                      files={"blob-fw": ("fw.bin", image.read_bytes(), "application/octet-stream")}))
    assert result == {"version": "2.12.0.1.1", "downgrade": False}


@pytest.mark.parametrize("method", GET_POST)
def test_firmware_apply(fast_device, firmware_image, method):
    image = firmware_image("2.12.0.1.1").read_bytes()
    result = fast_device.ok("/api/firmware", method="PUT", files={"blob-fw": ("fw.bin", image)})
    assert result["version"] == "2.12.0.1.1"
    no_parameters_reply(fast_device.request(method, "/api/firmware/apply"))
    fast_device.wait_down()
    fast_device.wait_up()


@pytest.mark.parametrize("method", GET_POST)
def test_config_get_is_xml(device, method):
    response = device.request(method, "/api/config")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!--')
    assert b"<DeviceDatabase" in response.content


def test_config_put(device):
    document = device.get("/api/config").content
    no_parameters_reply(device.request("PUT", "/api/config", files={"blob-cfg": ("config.xml", document)}))


@pytest.mark.parametrize("method", GET_POST)
def test_config_factoryreset(fast_device, method):
    no_parameters_reply(fast_device.request(method, "/api/config/factoryreset"))
    fast_device.wait_down()
    fast_device.wait_up()


@pytest.mark.parametrize("method", GET_POST)
def test_switch_caps(device, method):
    result = result_of(device.request(method, "/api/switch/caps"))
    # the default device; shapes as in the manual's example (disabled switches: switch and enabled only)
    assert result == {"switches": [
        {"switch": 1, "enabled": True, "mode": "monostable", "switchOnDuration": 5, "type": "normal"},
        {"switch": 2, "enabled": True, "mode": "bistable", "type": "normal"},
        {"switch": 3, "enabled": False},
        {"switch": 4, "enabled": False},
    ]}
    one = result_of(device.request(method, "/api/switch/caps", params={"switch": "2"}))
    assert one == {"switches": [result["switches"][1]]}


@pytest.mark.parametrize("method", GET_POST)
def test_switch_status(device, method):
    result = result_of(device.request(method, "/api/switch/status"))
    assert result == {"switches": [{"switch": n, "active": False} for n in (1, 2, 3, 4)]}
    assert result_of(device.request(method, "/api/switch/status", params={"switch": "3"})) == {
        "switches": [{"switch": 3, "active": False}]}


@pytest.mark.parametrize("method", GET_POST)
def test_switch_ctrl(device, method):
    no_parameters_reply(device.request(method, "/api/switch/ctrl", params={"switch": "2", "action": "on"}))
    assert device.ok("/api/switch/status", params={"switch": "2"})["switches"][0]["active"] is True


@pytest.mark.parametrize("method", GET_POST)
def test_io_caps(device, method):
    result = result_of(device.request(method, "/api/io/caps"))
    assert result == {"ports": [
        {"port": "relay1", "type": "output"},
        {"port": "relay2", "type": "output"},
        {"port": "input1", "type": "input"},
        {"port": "input2", "type": "input"},
    ]}
    assert result_of(device.request(method, "/api/io/caps", params={"port": "input2"})) == {
        "ports": [{"port": "input2", "type": "input"}]}
    # the manual's table spells the parameter "Port"
    assert result_of(device.request(method, "/api/io/caps", params={"Port": "relay2"})) == {
        "ports": [{"port": "relay2", "type": "output"}]}


@pytest.mark.parametrize("method", GET_POST)
def test_io_status(device, method):
    result = result_of(device.request(method, "/api/io/status"))
    assert result == {"ports": [{"port": name, "state": 0} for name in ("relay1", "relay2", "input1", "input2")]}
    assert result_of(device.request(method, "/api/io/status", params={"port": "relay1"})) == {
        "ports": [{"port": "relay1", "state": 0}]}


@pytest.mark.parametrize("method", GET_POST)
def test_io_ctrl(device, method):
    no_parameters_reply(device.request(method, "/api/io/ctrl", params={"port": "relay1", "action": "on"}))
    assert device.ok("/api/io/status", params={"port": "relay1"}) == {"ports": [{"port": "relay1", "state": 1}]}


@pytest.mark.parametrize("method", GET_POST)
def test_phone_status(device, method):
    result = result_of(device.request(method, "/api/phone/status"))
    first, second = result["accounts"]
    assert set(first) == {"account", "sipNumber", "registered", "registerTime"}
    assert first["account"] == 1 and first["sipNumber"] == "5046" and first["registered"] is True
    assert isinstance(first["registerTime"], int) and abs(first["registerTime"] - time.time()) < 3600
    assert second == {"account": 2, "sipNumber": "", "registered": False}
    assert result_of(device.request(method, "/api/phone/status", params={"account": "2"})) == {"accounts": [second]}


@pytest.mark.parametrize("method", GET_POST)
def test_call_status(device, method):
    assert result_of(device.request(method, "/api/call/status")) == {"sessions": []}  # empty without calls
    session = device.ok("/api/call/dial", params={"number": "sip:1234@10.0.23.194"})["session"]
    result = result_of(device.request(method, "/api/call/status"))
    assert len(result["sessions"]) == 1
    assert set(result["sessions"][0]) == {"session", "direction", "state"}
    assert result["sessions"][0]["session"] == session
    assert result["sessions"][0]["direction"] == "outgoing"
    assert result["sessions"][0]["state"] in ("connecting", "ringing", "connected")
    assert result_of(device.request(method, "/api/call/status", params={"session": str(session)})) == result


@pytest.mark.parametrize("method", GET_POST)
def test_call_dial(device, method):
    first = result_of(device.request(method, "/api/call/dial", params={"number": "sip:1234@10.0.23.194"}))
    second = result_of(device.request(method, "/api/call/dial", params={"number": "5047"}))
    assert set(first) == {"session"} and isinstance(first["session"], int)
    assert second["session"] != first["session"]


@pytest.mark.parametrize("method", GET_POST)
def test_call_answer(device, method):
    session = device.admin("incoming-call", {"number": "5050"})["session"]
    no_parameters_reply(device.request(method, "/api/call/answer", params={"session": str(session)}))


@pytest.mark.parametrize("method", GET_POST)
def test_call_hangup(device, method):
    session = device.ok("/api/call/dial", params={"number": "5047"})["session"]
    no_parameters_reply(device.request(method, "/api/call/hangup", params={"session": str(session)}))


@pytest.mark.parametrize("method", GET_POST)
def test_camera_caps(device, method):
    result = result_of(device.request(method, "/api/camera/caps"))
    # exactly the manual's example
    assert result == {
        "jpegResolution": [{"width": w, "height": h} for w, h in
                           ((160, 120), (176, 144), (320, 240), (352, 272), (352, 288), (640, 480))],
        "sources": [{"source": "internal"}, {"source": "external"}],
    }


@pytest.mark.parametrize("method", GET_POST)
def test_camera_snapshot(device, method):
    response = device.request(method, "/api/camera/snapshot", params={"width": "320", "height": "240"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("method", GET_POST)
def test_display_caps(device, method):
    result = result_of(device.request(method, "/api/display/caps"))
    assert result == {"displays": [{"display": "internal", "resolution": {"width": 320, "height": 240}}]}


def test_display_image_put_and_delete(device):
    no_parameters_reply(device.request("PUT", "/api/display/image", params={"display": "internal"},
                                       files={"blob-image": ("image.gif", gif(320, 240), "image/gif")}))
    assert "internal" in device.state()["displayImages"]
    no_parameters_reply(device.request("DELETE", "/api/display/image", params={"display": "internal"}))
    assert device.state()["displayImages"] == {}


def test_json_replies_are_exactly_application_json(device):
    for path in ("/api/system/info", "/api/switch/caps", "/api/nowhere", "/api/switch/ctrl"):
        response = device.get(path)
        assert response.headers["Content-Type"] == JSON, path
