"""Manual 2.1-2.2: parameters from the query, urlencoded and multipart bodies, combined; the last occurrence wins;
`blob-` parameters only from multipart (and the raw body of firmware/config PUT)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from harness import assert_error, gif, set_text

URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}


def selected_switch(device, **kwargs) -> int:
    switches = device.ok("/api/switch/status", method=kwargs.pop("method", "POST"), **kwargs)["switches"]
    assert len(switches) == 1, switches
    return switches[0]["switch"]


def test_query(device):
    assert selected_switch(device, method="GET", params={"switch": "2"}) == 2
    assert selected_switch(device, method="POST", params={"switch": "3"}) == 3


def test_urlencoded_body(device):
    assert selected_switch(device, data={"switch": "2"}) == 2


def test_multipart_body(device):
    assert selected_switch(device, files={"switch": (None, "3")}) == 3


def test_urlencoded_body_of_put(device):
    # PUT carries simple parameters in an urlencoded body as well (manual 2.2, method 2)
    response = device.request("PUT", "/api/display/image", data="display=internal", headers=URLENCODED)
    assert_error(response, 11, "blob-image")  # display was read from the body; only the image is missing


def test_control_through_each_transfer_method(device):
    device.ok("/api/switch/ctrl", method="GET", params={"switch": "2", "action": "on"})
    assert device.ok("/api/switch/status", params={"switch": "2"})["switches"][0]["active"] is True
    device.ok("/api/switch/ctrl", method="POST", data={"switch": "2", "action": "off"})
    assert device.ok("/api/switch/status", params={"switch": "2"})["switches"][0]["active"] is False
    device.ok("/api/switch/ctrl", method="POST", files={"switch": (None, "2"), "action": (None, "on")})
    assert device.ok("/api/switch/status", params={"switch": "2"})["switches"][0]["active"] is True


def test_combined_query_and_body(device):
    # switch from the query, action from the body
    device.ok("/api/io/ctrl", method="POST", params={"port": "relay2"}, data={"action": "on"})
    assert device.ok("/api/io/status", params={"port": "relay2"})["ports"][0]["state"] == 1
    device.ok("/api/io/ctrl", method="POST", params={"action": "off"}, files={"port": (None, "relay2")})
    assert device.ok("/api/io/status", params={"port": "relay2"})["ports"][0]["state"] == 0


@pytest.mark.parametrize("kwargs,expected", [
    ({"params": [("switch", "1"), ("switch", "3")]}, 3),  # twice in the query
    ({"data": "switch=1&switch=4", "headers": URLENCODED}, 4),  # twice in the body
    ({"files": [("switch", (None, "4")), ("switch", (None, "2"))]}, 2),  # twice in multipart
    ({"params": {"switch": "1"}, "data": {"switch": "2"}}, 2),  # query, then body
    ({"params": {"switch": "4"}, "files": {"switch": (None, "3")}}, 3),  # query, then multipart
])
def test_last_occurrence_wins(device, kwargs, expected):
    assert selected_switch(device, **kwargs) == expected


def test_blob_in_the_query_is_ignored(device):
    document = device.get("/api/config").text
    response = device.request("PUT", "/api/config", params={"blob-cfg": document})
    assert_error(response, 11, "blob-cfg")


def test_blob_in_an_urlencoded_body_is_ignored(device):
    response = device.request("PUT", "/api/config", data={"blob-cfg": "<DeviceDatabase/>"})
    assert_error(response, 11, "blob-cfg")
    image = gif(320, 240).decode("latin-1")
    response = device.request("PUT", "/api/display/image", params={"display": "internal", "blob-image": image})
    assert_error(response, 11, "blob-image")


def test_blob_only_from_multipart(device):
    response = device.request("PUT", "/api/display/image", params={"display": "internal"},
                              files={"blob-image": ("image.gif", gif(320, 240))})
    assert response.json() == {"success": True}


def test_display_image_is_not_taken_from_a_raw_body(device):
    response = device.request("PUT", "/api/display/image", params={"display": "internal"}, data=gif(320, 240),
                              headers={"Content-Type": "image/gif"})
    assert_error(response, 11, "blob-image")


def test_raw_body_put_of_the_configuration(device):
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Raw body door")
    response = device.put_config(root, raw=True)
    assert response.json() == {"success": True}
    assert device.ok("/api/system/info")["deviceName"] == "Raw body door"


@pytest.mark.parametrize("content_type", ["application/octet-stream", None])
def test_raw_body_put_of_firmware(device, firmware_image, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    result = device.ok("/api/firmware", method="PUT", data=firmware_image("2.11.1.0.1").read_bytes(), headers=headers)
    assert result == {"version": "2.11.1.0.1", "downgrade": False}


def test_multipart_blob_with_simple_parameters_alongside(device):
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Multipart door")
    data = ET.tostring(root)
    response = device.request("PUT", "/api/config", files=[("unused", (None, "x")), ("blob-cfg", ("c.xml", data))])
    assert response.json() == {"success": True}
    assert device.ok("/api/system/info")["deviceName"] == "Multipart door"


def test_the_last_blob_wins(device):
    first, second = device.config(), device.config()
    set_text(first, "WebServer/DeviceName", "First")
    set_text(second, "WebServer/DeviceName", "Second")
    files = [("blob-cfg", ("a.xml", ET.tostring(first))), ("blob-cfg", ("b.xml", ET.tostring(second)))]
    assert device.request("PUT", "/api/config", files=files).json() == {"success": True}
    assert device.ok("/api/system/info")["deviceName"] == "Second"


def test_get_and_post_are_equivalent(device):
    for path in ("/api/system/info", "/api/switch/caps", "/api/io/caps", "/api/camera/caps", "/api/display/caps"):
        assert device.ok(path, method="GET") == device.ok(path, method="POST"), path
