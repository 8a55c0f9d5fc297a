"""Fault injection per device, by profile and at run time through /_emulator/faults (loopback admin endpoints)."""

from __future__ import annotations

import time

import pytest
import requests
from harness import fleet_fixture, timed

# restarts of half a second; every device starts with one injected 503 on /api/camera
faulty = fleet_fixture(devices=24, profile={"restart_time": 0.5,
                                            "faults": {"http_error": 503, "http_error_count": 1,
                                                       "path": "/api/camera"}})


@pytest.fixture
def dev(faulty):
    device = faulty.take()
    device.admin("faults/clear")
    return device


def info(device, **kwargs):
    return device.get("/api/system/info", **kwargs)


def test_profile_faults_apply_to_each_device(faulty):
    one, two = faulty.take(), faulty.take()
    for device in (one, two):  # each device has its own count
        assert device.admin("faults") == {"http_error": 503, "http_error_count": 1, "path": "/api/camera"}
        assert info(device).json()["success"] is True  # outside the path
        assert device.get("/api/camera/caps").status_code == 503
        assert device.get("/api/camera/caps").json()["success"] is True  # the count is used up
        assert device.admin("faults")["http_error_count"] == 0


def test_latency(dev):
    assert dev.admin("faults", {"latency": 0.8}) == {"latency": 0.8}
    slow = timed(lambda: info(dev))
    assert slow.value.json()["success"] is True
    assert slow.received - slow.sent >= 0.8
    admin = timed(lambda: dev.state())  # the admin endpoints are not delayed
    assert admin.received - admin.sent < 0.8
    assert dev.admin("faults/clear") == {}
    assert dev.admin("faults") == {}
    fast = timed(lambda: info(dev))
    assert fast.received - fast.sent < 0.8


def test_drop_with_a_count(dev):
    dev.admin("faults", {"drop": 2})
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            info(dev)
    assert info(dev).json()["success"] is True
    assert dev.admin("faults")["drop"] == 0


def test_drop_everything_until_cleared(dev):
    dev.admin("faults", {"drop": -1})
    for _ in range(3):
        with pytest.raises(requests.exceptions.ConnectionError):
            dev.get("/api/switch/caps")
    assert dev.listening()  # the device is up, it just hangs up on /api requests
    assert dev.state()["faults"] == {"drop": -1}
    dev.admin("faults/clear")
    assert dev.ok("/api/switch/caps")["switches"]


def test_drop_reply_acts_then_loses_the_reply(dev):
    dev.admin("faults", {"drop_reply": 1, "path": "/api/switch/ctrl"})
    assert dev.ok("/api/switch/caps")["switches"]  # outside the path: answered
    with pytest.raises(requests.exceptions.ConnectionError):
        dev.get("/api/switch/ctrl", params={"switch": "1", "action": "on"})
    # The device switched although the client never heard so.
    assert dev.ok("/api/switch/status", params={"switch": "1"})["switches"][0]["active"] is True
    assert dev.admin("faults")["drop_reply"] == 0
    assert dev.ok("/api/switch/ctrl", params={"switch": "1", "action": "off"}) is None  # answered again


def test_drop_reply_keeps_refusals_and_challenges(dev):
    dev.admin("faults", {"drop_reply": -1})
    refused = dev.get("/api/switch/ctrl", params={"switch": "9", "action": "on"}).json()  # nothing carried out
    assert refused["success"] is False and refused["error"]["code"] == 12
    assert dev.get("/api/system/info", auth=None).status_code == 401
    with pytest.raises(requests.exceptions.ConnectionError):
        info(dev)
    assert dev.state()["faults"] == {"drop_reply": -1}


def test_http_error_with_a_count(dev):
    dev.admin("faults", {"http_error": 503, "http_error_count": 2})
    for _ in range(2):
        response = info(dev)
        assert response.status_code == 503
        assert not response.headers["Content-Type"].startswith("application/json")
    assert info(dev).json()["success"] is True


def test_http_error_without_a_count_is_permanent(dev):
    dev.admin("faults", {"http_error": 500})
    assert [info(dev).status_code for _ in range(4)] == [500] * 4
    dev.admin("faults/clear")
    assert info(dev).status_code == 200


def test_path_filter(dev):
    dev.admin("faults", {"http_error": 502, "http_error_count": -1, "path": "/api/switch"})
    assert dev.get("/api/switch/caps").status_code == 502
    assert dev.get("/api/switch/ctrl", params={"switch": "1", "action": "on"}).status_code == 502
    assert info(dev).status_code == 200
    assert dev.ok("/api/io/caps")["ports"]
    dev.admin("faults", {"http_error": 0, "drop": 1, "path": "/api/io"})  # POST merges keys
    assert dev.admin("faults") == {"http_error": 0, "http_error_count": -1, "drop": 1, "path": "/api/io"}
    assert dev.ok("/api/switch/caps")["switches"]
    with pytest.raises(requests.exceptions.ConnectionError):
        dev.get("/api/io/caps")
    assert dev.ok("/api/io/caps")["ports"]


def test_method_filter(dev):
    dev.admin("faults", {"drop": 1, "path": "/api/config", "method": "PUT"})
    document = dev.get("/api/config").content  # GET is not affected
    with pytest.raises(requests.exceptions.ConnectionError):
        dev.put_config(document)
    assert dev.put_config(document).json() == {"success": True}


def test_restart_extra(dev):
    dev.admin("faults", {"restart_extra": 1.0})
    asked = time.monotonic()
    dev.ok("/api/system/restart")
    dev.wait_down()
    up = dev.wait_up(timeout=10)
    assert up - asked >= 1.5  # restart_time 0.5 + restart_extra 1.0
    assert dev.ok("/api/system/status")["upTime"] <= 1


def test_a_device_that_does_not_come_back(dev):
    dev.admin("faults", {"restart_extra": 3600})
    dev.ok("/api/system/restart")
    dev.wait_down()
    time.sleep(1.0)
    assert not dev.listening()  # still down well past restart_time


def test_faults_are_per_device(faulty):
    one, two = faulty.take(), faulty.take()
    one.admin("faults/clear")
    two.admin("faults/clear")
    one.admin("faults", {"http_error": 503})
    assert info(one).status_code == 503
    assert info(two).status_code == 200


def test_faults_hit_https_too(dev):
    dev.admin("faults", {"http_error": 503, "http_error_count": 1})
    assert info(dev, https=True).status_code == 503
    assert info(dev, https=True).status_code == 200


def test_faults_come_before_authentication(dev):
    dev.admin("faults", {"http_error": 503, "http_error_count": 1})
    assert info(dev, auth=None).status_code == 503
    assert info(dev, auth=None).status_code == 401


def test_admin_endpoint_errors(dev):
    assert dev.session.get(dev.url("/_emulator/bogus"), timeout=5).status_code == 404
    response = dev.session.post(dev.url("/_emulator/faults"), data="not json",
                                headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    response = dev.session.post(dev.url("/_emulator/incoming-call"), json={}, timeout=5)
    assert response.status_code == 400


def test_state_dump(dev):
    state = dev.state()
    assert {"serialNumber", "swVersion", "upTime", "restarting", "switches", "ports", "calls", "displayImages",
            "pendingFirmware", "faults"} <= set(state)
    assert state["serialNumber"] == dev.serial and state["restarting"] is False


def test_reply_answers_another_json_document(dev):
    assert dev.admin("faults", {"reply": {"success": True}, "path": "/api/system/info"})["reply"] == {"success": True}
    assert info(dev).json() == {"success": True}  # no result, whatever the function documents
    assert dev.get("/api/switch/caps").json()["result"]["switches"]  # outside the path
    dev.admin("faults/clear")
    assert info(dev).json()["result"]["serialNumber"] == dev.serial


# an intercom on a slow network: the new connection's costs are paid by its first request
slow = fleet_fixture(devices=2, profile={"timing": {"round_trip": 0.1, "tls_handshake": 0.2, "processing": 0.05}})


def test_timing_charges_a_new_connection_then_each_request(slow):
    device = slow.take()
    first = timed(lambda: device.get("/api/system/info", https=True))
    assert first.value.json()["success"] is True
    # the Digest challenge on a new TLS connection: TCP (0.1) and TLS 1.2 (2 x 0.1 + 0.2), then 0.1 + 0.05;
    # then the answer on the kept connection: 0.1 + 0.05
    assert first.received - first.sent >= 0.5 + 0.15 + 0.15
    again = timed(lambda: device.get("/api/system/info", https=True))
    assert 0.15 <= again.received - again.sent < 0.3  # the nonce is known: one round trip and processing
    plain = slow.take()
    over_http = timed(lambda: plain.get("/api/system/info"))
    assert 0.1 + 0.15 + 0.15 <= over_http.received - over_http.sent < 0.6  # no TLS on the HTTP port
    state = timed(lambda: plain.state())
    assert state.received - state.sent < 0.1  # the admin endpoints are not delayed
