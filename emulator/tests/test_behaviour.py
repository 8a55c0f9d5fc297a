"""Behaviour, not canned replies: switches, inputs/outputs, calls, SIP registration, uptime, display."""

from __future__ import annotations

import time

from harness import assert_error, gif, poll, set_text, timed, wait_for


def active(device, switch: int) -> bool:
    return device.ok("/api/switch/status", params={"switch": str(switch)})["switches"][0]["active"]


def control(device, switch: int, action: str) -> None:
    device.ok("/api/switch/ctrl", params={"switch": str(switch), "action": action})


# switches (fast profile: switch 1 monostable 1 s, 2 bistable, 3 monostable 3 s, 4 disabled) ----------------------

def test_monostable_switch_falls_back_after_switch_on_duration(fast_device):
    caps = fast_device.ok("/api/switch/caps", params={"switch": "1"})["switches"][0]
    assert caps["mode"] == "monostable" and caps["switchOnDuration"] == 1
    on = timed(lambda: control(fast_device, 1, "on"))
    polls = poll(lambda: active(fast_device, 1), seconds=1.8)
    # bounds that hold however the machine schedules us: the switch went on between on.sent and on.received
    early = [p for p in polls if p.received < on.sent + 1.0]
    late = [p for p in polls if p.sent > on.received + 1.0]
    assert early and late, "the polls did not straddle the switch-on duration"
    assert all(p.value is True for p in early), [(round(p.received - on.sent, 3), p.value) for p in polls]
    assert all(p.value is False for p in late), [(round(p.sent - on.received, 3), p.value) for p in polls]


def test_monostable_on_again_restarts_the_period(fast_device):
    first = timed(lambda: control(fast_device, 1, "on"))
    time.sleep(0.5)
    second = timed(lambda: control(fast_device, 1, "on"))
    time.sleep(max(0.0, first.received + 1.05 - time.monotonic()))
    check = timed(lambda: active(fast_device, 1))
    # asked after the first period ended, answered within the second one
    assert check.sent > first.received + 1.0
    assert check.received < second.sent + 1.0, "the poll came too late to tell"
    assert check.value is True
    wait_for(lambda: not active(fast_device, 1), timeout=3.0, message="switch 1 falling back")


def test_monostable_off_ends_it_early(fast_device):
    control(fast_device, 3, "on")
    assert active(fast_device, 3) is True
    control(fast_device, 3, "off")
    assert active(fast_device, 3) is False


def test_bistable_switch_holds(fast_device):
    control(fast_device, 2, "on")
    time.sleep(1.3)  # longer than any monostable period of this profile's switch 1
    assert active(fast_device, 2) is True
    control(fast_device, 2, "on")
    assert active(fast_device, 2) is True
    control(fast_device, 2, "off")
    assert active(fast_device, 2) is False
    time.sleep(0.2)
    assert active(fast_device, 2) is False


def test_trigger_toggles(fast_device):
    control(fast_device, 2, "trigger")
    assert active(fast_device, 2) is True
    control(fast_device, 2, "trigger")
    assert active(fast_device, 2) is False
    control(fast_device, 3, "trigger")  # monostable: trigger switches on ...
    assert active(fast_device, 3) is True
    control(fast_device, 3, "trigger")  # ... and off again while active
    assert active(fast_device, 3) is False


def test_switches_are_independent(fast_device):
    control(fast_device, 2, "on")
    states = fast_device.ok("/api/switch/status")["switches"]
    assert [item["active"] for item in states] == [False, True, False, False]


def test_disabled_switch_cannot_be_controlled(fast_device):
    assert_error(fast_device.get("/api/switch/ctrl", params={"switch": "4", "action": "on"}), 12, "switch")
    assert active(fast_device, 4) is False


def test_switch_state_in_the_admin_dump(fast_device):
    control(fast_device, 2, "on")
    assert {"switch": 2, "active": True} in fast_device.state()["switches"]


# inputs and outputs ------------------------------------------------------------------------------------------

def level(device, port: str) -> int:
    return device.ok("/api/io/status", params={"port": port})["ports"][0]["state"]


def test_outputs_hold_their_state(device):
    device.ok("/api/io/ctrl", params={"port": "relay1", "action": "on"})
    assert level(device, "relay1") == 1
    assert level(device, "relay2") == 0
    time.sleep(0.3)
    assert level(device, "relay1") == 1
    device.ok("/api/io/ctrl", params={"port": "relay2", "action": "on"})
    device.ok("/api/io/ctrl", params={"port": "relay1", "action": "off"})
    assert [item["state"] for item in device.ok("/api/io/status")["ports"]] == [0, 1, 0, 0]


def test_inputs_refuse_control_and_follow_the_emulated_level(device):
    assert_error(device.get("/api/io/ctrl", params={"port": "input1", "action": "on"}), 12, "port")
    assert level(device, "input1") == 0
    assert device.admin("input", {"port": "input1", "state": 1}) == {"port": "input1", "state": 1}
    assert level(device, "input1") == 1
    assert level(device, "input2") == 0
    assert_error(device.get("/api/io/ctrl", params={"port": "input1", "action": "off"}), 12, "port")
    assert level(device, "input1") == 1
    device.admin("input", {"port": "input1", "state": 0})
    assert level(device, "input1") == 0


def test_the_admin_endpoint_cannot_drive_an_output(device):
    response = device.session.post(device.url("/_emulator/input"), json={"port": "relay1", "state": 1}, timeout=5)
    assert response.status_code == 400
    assert level(device, "relay1") == 0


# calls -------------------------------------------------------------------------------------------------------

def call_state(device, session: int) -> str | None:
    sessions = device.ok("/api/call/status")["sessions"]
    found = [item for item in sessions if item["session"] == session]
    return found[0]["state"] if found else None


def test_outgoing_call_connecting_ringing_connected(device):
    dial = timed(lambda: device.ok("/api/call/dial", params={"number": "sip:1234@10.0.23.194"})["session"])
    session = dial.value
    polls = poll(lambda: call_state(device, session), seconds=3.8)
    order = ["connecting", "ringing", "connected"]
    states = [p.value for p in polls]
    assert set(states) <= set(order) and states == sorted(states, key=order.index), states
    assert states[-1] == "connected" and "ringing" in states
    # connecting for 0.5 s, ringing until the far end answers after 3 s
    for p in polls:
        if p.received < dial.sent + 0.5:
            assert p.value == "connecting"
        elif p.sent > dial.received + 0.5 and p.received < dial.sent + 3.0:
            assert p.value == "ringing"
        elif p.sent > dial.received + 3.0:
            assert p.value == "connected"
    if polls[0].received < dial.sent + 0.5:
        assert "connecting" in states
    assert device.ok("/api/call/status", params={"session": str(session)})["sessions"] == [
        {"session": session, "direction": "outgoing", "state": "connected"}]


def test_answer_only_a_ringing_incoming_call(device):
    outgoing = device.ok("/api/call/dial", params={"number": "5047"})["session"]
    assert_error(device.get("/api/call/answer", params={"session": str(outgoing)}), 12, "session")
    incoming = device.admin("incoming-call", {"number": "5050"})["session"]
    assert incoming != outgoing
    assert device.ok("/api/call/status", params={"session": str(incoming)})["sessions"] == [
        {"session": incoming, "direction": "incoming", "state": "ringing"}]
    time.sleep(0.3)
    assert call_state(device, incoming) == "ringing"  # an incoming call rings until answered
    device.ok("/api/call/answer", params={"session": str(incoming)})
    assert call_state(device, incoming) == "connected"
    assert_error(device.get("/api/call/answer", params={"session": str(incoming)}), 12, "session")  # no longer ringing


def test_hangup_ends_calls(device):
    outgoing = device.ok("/api/call/dial", params={"number": "5047"})["session"]
    incoming = device.admin("incoming-call", {"number": "5050"})["session"]
    assert len(device.ok("/api/call/status")["sessions"]) == 2
    device.ok("/api/call/hangup", params={"session": str(outgoing)})
    assert [item["session"] for item in device.ok("/api/call/status")["sessions"]] == [incoming]
    assert_error(device.get("/api/call/hangup", params={"session": str(outgoing)}), 12, "session")
    device.ok("/api/call/hangup", params={"session": str(incoming)})  # a ringing incoming call is rejected
    assert device.ok("/api/call/status") == {"sessions": []}
    assert device.state()["calls"] == []


def test_sessions_are_numbered_anew(device):
    first = device.ok("/api/call/dial", params={"number": "1"})["session"]
    device.ok("/api/call/hangup", params={"session": str(first)})
    second = device.ok("/api/call/dial", params={"number": "2"})["session"]
    assert second > first


# SIP registration --------------------------------------------------------------------------------------------

def accounts(device) -> dict[int, dict]:
    return {item["account"]: item for item in device.ok("/api/phone/status")["accounts"]}


def test_sip_registration_follows_the_configuration(device):
    before = accounts(device)
    assert before[1]["registered"] is True and before[2]["registered"] is False
    root = device.config()
    set_text(root, "Phone/Sip[@At='1']/Enabled", "1")
    set_text(root, "Phone/Sip[@At='1']/PhoneNumber", "6001")
    set_text(root, "Phone/Sip[@At='1']/Registrar", "pbx.example.test")
    set_text(root, "Phone/Sip[@At='1']/RegistrarEnabled", "1")
    set_text(root, "Phone/Sip[@At='0']/RegistrarEnabled", "0")
    assert device.put_config(root).json() == {"success": True}
    after = accounts(device)
    assert after[1] == {"account": 1, "sipNumber": "5046", "registered": False}
    assert after[2]["sipNumber"] == "6001" and after[2]["registered"] is True
    assert isinstance(after[2]["registerTime"], int)


def test_sip_account_without_registrar_is_not_registered(device):
    root = device.config()
    set_text(root, "Phone/Sip[@At='0']/Registrar", "")
    device.put_config(root)
    assert accounts(device)[1]["registered"] is False


# uptime ------------------------------------------------------------------------------------------------------

def test_uptime_counts(device):
    first = timed(lambda: device.ok("/api/system/status"))
    time.sleep(1.2)
    second = timed(lambda: device.ok("/api/system/status"))
    # whole seconds, so each value is up to a second below the true one
    for key in ("upTime", "systemTime"):
        grown = second.value[key] - first.value[key]
        assert second.sent - first.received - 1 < grown < second.received - first.sent + 1, (key, grown)
    assert second.value["upTime"] >= 1


def test_uptime_starts_over_on_restart(fast_device):
    time.sleep(1.1)
    assert fast_device.ok("/api/system/status")["upTime"] >= 1
    asked = timed(lambda: fast_device.ok("/api/system/restart"))
    fast_device.wait_down()
    fast_device.wait_up()
    status = timed(lambda: fast_device.ok("/api/system/status"))
    # the device booted no earlier than restart_time (0.5 s) after it was asked
    assert status.value["upTime"] <= status.received - asked.sent - 0.5
    assert status.value["upTime"] <= 1


# display -----------------------------------------------------------------------------------------------------

def put_image(device, data: bytes, display: str = "internal"):
    return device.request("PUT", "/api/display/image", params={"display": display},
                          files={"blob-image": ("image.gif", data, "image/gif")})


def test_display_accepts_only_a_gif_of_its_resolution(device):
    for data in (gif(240, 320), gif(320, 241), gif(320, 240, fmt="PNG"), gif(320, 240, fmt="JPEG"),
                 gif(320, 240, fmt="BMP")):
        assert_error(put_image(device, data), 12, "blob-image")
    assert device.state()["displayImages"] == {}
    assert put_image(device, gif(320, 240)).json() == {"success": True}
    first = device.state()["displayImages"]["internal"]
    assert put_image(device, gif(320, 240, colour=(0, 0, 255))).json() == {"success": True}
    assert device.state()["displayImages"]["internal"] != first  # the new image replaced the old one


def test_display_delete_removes_the_image(device):
    put_image(device, gif(320, 240))
    device.ok("/api/display/image", method="DELETE", params={"display": "internal"})
    assert device.state()["displayImages"] == {}
    device.ok("/api/display/image", method="DELETE", params={"display": "internal"})  # nothing to delete: fine


def test_unknown_display(device):
    assert_error(put_image(device, gif(320, 240), display="external"), 12, "display")
