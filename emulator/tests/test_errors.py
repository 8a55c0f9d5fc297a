"""Manual 2.3: every error code of the table with its description and `param`, on the default device.

Codes that need another device set-up live with it: 4, 5, 7, 8 and 1 in test_security.py, 10 in test_security.py
as well; 9 is here and in test_security.py.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

import pytest
from harness import FUNCTIONS, assert_error, digest, gif, parse_challenge, set_text


@pytest.mark.parametrize("path", ["/api/nowhere", "/api/system", "/api/switch/ctrl/more", "/api", "/api/Switch/caps",
                                  "/api/camera/snapshot.jpg"])
def test_2_invalid_request_path(device, path):
    assert_error(device.get(path), 2)
    assert_error(device.request("POST", path), 2)


def test_paths_outside_api_are_not_api_errors(device):
    response = device.get("/nothing-here", auth=None)
    assert response.status_code == 404


WRONG_METHOD = {path: ("GET" if "GET" not in methods else "DELETE") for path, (methods, *_rest) in FUNCTIONS.items()}


@pytest.mark.parametrize("path", sorted(FUNCTIONS))
def test_3_invalid_request_method(device, path):
    assert_error(device.request(WRONG_METHOD[path], path), 3)


@pytest.mark.parametrize("path,method", [("/api/system/info", "PUT"), ("/api/display/image", "POST"),
                                         ("/api/firmware", "POST"), ("/api/switch/ctrl", "PUT"),
                                         ("/api/config", "DELETE")])
def test_3_more_wrong_methods(device, path, method):
    assert_error(device.request(method, path), 3)


def test_9_authorisation_required_with_a_digest_challenge(device):
    response = device.get("/api/system/info", auth=None)
    assert_error(response, 9, status=401)
    challenge = parse_challenge(response.headers["WWW-Authenticate"])
    assert challenge.realm and challenge.nonce
    assert challenge.qop == "auth"
    assert challenge.algorithm == "MD5"
    assert challenge.stale is False


@pytest.mark.parametrize("username,password", [("admin", "wrong"), ("nobody", "2n"), ("Admin", "2n"), ("admin", "")])
def test_9_wrong_credentials(device, username, password):
    response = device.get("/api/system/info", auth=digest(username, password))
    assert_error(response, 9, status=401)
    assert response.headers["WWW-Authenticate"].startswith("Digest ")


@pytest.mark.parametrize("path,params,param", [
    ("/api/switch/ctrl", {"action": "on"}, "switch"),
    ("/api/switch/ctrl", {"switch": "1"}, "action"),
    ("/api/io/ctrl", {"action": "on"}, "port"),
    ("/api/io/ctrl", {"port": "relay1"}, "action"),
    ("/api/call/dial", {}, "number"),
    ("/api/call/answer", {}, "session"),
    ("/api/call/hangup", {}, "session"),
    ("/api/camera/snapshot", {"height": "120"}, "width"),
    ("/api/camera/snapshot", {"width": "160"}, "height"),
])
def test_11_missing_mandatory_parameter(device, path, params, param):
    assert_error(device.get(path, params=params), 11, param)


@pytest.mark.parametrize("path,params,param", [
    ("/api/firmware", {}, "blob-fw"),
    ("/api/config", {}, "blob-cfg"),
    ("/api/display/image", {"display": "internal"}, "blob-image"),
    ("/api/display/image", {}, "display"),
])
def test_11_missing_blob(device, path, params, param):
    assert_error(device.request("PUT", path, params=params), 11, param)


def test_11_display_on_delete(device):
    assert_error(device.request("DELETE", "/api/display/image"), 11, "display")


@pytest.mark.parametrize("path,params,param", [
    ("/api/switch/ctrl", {"switch": "0", "action": "on"}, "switch"),
    ("/api/switch/ctrl", {"switch": "5", "action": "on"}, "switch"),
    ("/api/switch/ctrl", {"switch": "one", "action": "on"}, "switch"),
    ("/api/switch/ctrl", {"switch": "1", "action": "toggle"}, "action"),
    ("/api/switch/ctrl", {"switch": "3", "action": "on"}, "switch"),  # disabled switch
    ("/api/switch/caps", {"switch": "9"}, "switch"),
    ("/api/switch/status", {"switch": "x"}, "switch"),
    ("/api/io/ctrl", {"port": "relay9", "action": "on"}, "port"),
    ("/api/io/ctrl", {"port": "input1", "action": "on"}, "port"),  # inputs cannot be controlled
    ("/api/io/ctrl", {"port": "relay1", "action": "trigger"}, "action"),
    ("/api/io/caps", {"port": "relay9"}, "port"),
    ("/api/io/status", {"port": "relay9"}, "port"),
    ("/api/phone/status", {"account": "3"}, "account"),
    ("/api/call/status", {"session": "99"}, "session"),
    ("/api/call/answer", {"session": "99"}, "session"),
    ("/api/call/hangup", {"session": "abc"}, "session"),
    ("/api/call/dial", {"number": ""}, "number"),
    ("/api/camera/snapshot", {"width": "100", "height": "100"}, "width"),
])
def test_12_invalid_parameter_value(device, path, params, param):
    assert_error(device.get(path, params=params), 12, param)


def test_12_display_image(device):
    assert_error(device.request("DELETE", "/api/display/image", params={"display": "external"}), 12, "display")
    for data in (gif(160, 120), gif(320, 240, fmt="PNG"), b"GIF89a not really"):
        response = device.request("PUT", "/api/display/image", params={"display": "internal"},
                                  files={"blob-image": ("image.gif", data)})
        assert_error(response, 12, "blob-image")


def test_12_firmware_and_config(device):
    response = device.request("PUT", "/api/firmware", files={"blob-fw": ("fw.bin", b"\x00" * 1000)})
    assert_error(response, 12, "blob-fw")
    response = device.request("PUT", "/api/config", files={"blob-cfg": ("c.xml", b"<DeviceDatabase><Network>")})
    assert_error(response, 12, "blob-cfg")


OVER_8_MB = 8 * 1024 * 1024 + 1


@pytest.mark.parametrize("raw", [False, True])
def test_13_configuration_over_the_8_mb_limit(device, raw):
    before = device.get("/api/config").content
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Too big")
    data = ET.tostring(root)
    data = data.replace(b"</DeviceDatabase>", b"<!--" + b"x" * (OVER_8_MB - len(data)) + b"--></DeviceDatabase>")
    assert len(data) > 8 * 1024 * 1024
    response = device.put_config(data, raw=raw)
    assert_error(response, 13, "blob-cfg")
    assert device.get("/api/config").content == before


def test_13_display_image_over_the_limit(device):
    response = device.request("PUT", "/api/display/image", params={"display": "internal"},
                              files={"blob-image": ("image.gif", gif(320, 240) + b"\x00" * (1024 * 1024))})
    assert_error(response, 13, "blob-image")


@pytest.mark.parametrize("transfer", ["data", "files"])
def test_13_oversized_simple_parameters(device, transfer):
    # simple parameters (urlencoded or multipart) of more than a megabyte: a JSON error 13, not a bare HTTP 413
    body = {"switch": "1", "pad": "x" * (2 * 1024 * 1024)}
    kwargs = {"data": body} if transfer == "data" else {"files": {k: (None, v) for k, v in body.items()}}
    assert_error(device.request("POST", "/api/switch/status", **kwargs), 13)


def test_14_firmware_apply_with_nothing_uploaded(device):
    assert_error(device.get("/api/firmware/apply"), 14)
    assert device.listening()
    assert device.ok("/api/system/status")["upTime"] >= 0


def test_14_after_a_refused_upload(device):
    device.request("PUT", "/api/firmware", files={"blob-fw": ("fw.bin", b"corrupt")})
    assert_error(device.get("/api/firmware/apply"), 14)


def test_1_display_upload_with_the_standard_display_function_on(device):
    root = device.config()
    set_text(root, "Display/Screen/StandardFunction", "1")
    assert device.put_config(root).json() == {"success": True}
    files = {"blob-image": ("image.gif", gif(320, 240))}
    assert_error(device.request("PUT", "/api/display/image", params={"display": "internal"}, files=files), 1)
    assert_error(device.request("DELETE", "/api/display/image", params={"display": "internal"}), 1)
    set_text(root, "Display/Screen/StandardFunction", "0")
    device.put_config(root)
    assert device.request("PUT", "/api/display/image", params={"display": "internal"}, files=files).json() == {
        "success": True}


def test_error_reply_shape(device):
    response = device.get("/api/switch/ctrl", params={"switch": "1", "action": "bogus"})
    assert response.status_code == 200
    assert response.json() == {"success": False,
                               "error": {"code": 12, "param": "action", "description": "invalid parameter value"}}
    response = device.get("/api/nowhere")
    assert response.json() == {"success": False, "error": {"code": 2, "description": "invalid request path"}}


@pytest.mark.parametrize("request_line", [b"GET /api/system/info HTTP/1.0\r\n\r\n",
                                          b"GET /api/system/info HTTP/1.1\r\nConnection: close\r\n\r\n"])
def test_a_request_without_host_header_is_not_accepted(device, request_line):
    """Manual chapter 2: the method and absolute path must be followed by the Host header."""
    with socket.create_connection((device.address, device.http_port), timeout=5) as connection:
        connection.sendall(request_line)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.") and b" 400 " in reply.split(b"\r\n", 1)[0], reply[:200]
