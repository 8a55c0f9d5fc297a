"""The Logging service of current firmware (the later manuals' /api/log/caps, subscribe, pull, unsubscribe) and
the events the device raises, from its own actions and from POST /_emulator/event (the physical world).

Each test quotes, in our words, what the latest edition of the vendor's manual says it checks."""

from __future__ import annotations

import concurrent.futures
import signal
import time

import pytest
import requests
from conftest import CURRENT_PROFILE
from harness import assert_error, digest, fleet_fixture, json_reply, set_text

ALL_PRIVILEGES = ["system.monitoring", "system.control", "phone.monitoring", "phone.control", "io.monitoring",
                  "io.control", "switch.monitoring", "switch.control", "camera.monitoring", "display.control",
                  "audio.control", "email.control", "keypad.monitoring", "card.monitoring"]

# accounts that differ only in what they may see
WATCHERS_PROFILE = {**CURRENT_PROFILE, "accounts": [
    {"username": "admin", "password": "2n", "privileges": ALL_PRIVILEGES},
    {"username": "door", "password": "d", "privileges": ["switch.control", "switch.monitoring"]},
    {"username": "io", "password": "i", "privileges": ["io.monitoring", "switch.control"]},
    {"username": "keypad", "password": "k", "privileges": ["keypad.monitoring"]},
    {"username": "calls", "password": "c", "privileges": ["phone.monitoring", "phone.control"]},
]}
watchers = fleet_fixture(devices=1, profile=WATCHERS_PROFILE)
small_history = fleet_fixture(devices=1, profile={**CURRENT_PROFILE, "log": {"history_size": 5}})


def subscribe(device, auth="admin", **params) -> int:
    return device.ok("/api/log/subscribe", params=params, auth=auth)["id"]


def pull(device, channel: int, timeout: float = 0, auth="admin") -> list[dict]:
    return device.ok("/api/log/pull", params={"id": channel, "timeout": timeout}, auth=auth,
                     timeout=timeout + 10)["events"]


def physical(device, event: str, **params) -> int:
    return device.admin("event", {"event": event, "params": params})["id"]


def pull_in_background(device, channel: int, timeout: float, auth=("admin", "2n")):
    """A long poll on its own connection; returns a future of (seconds it took, events or the error reply)."""
    def run():
        started = time.monotonic()
        response = requests.get(device.url("/api/log/pull"), params={"id": channel, "timeout": timeout},
                                auth=digest(*auth), timeout=timeout + 10)
        body = json_reply(response)
        return time.monotonic() - started, body["result"]["events"] if body["success"] else body

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(run)
    executor.shutdown(wait=False)
    return future


def types(events: list[dict]) -> list[str]:
    return [event["event"] for event in events]


# log/caps ---------------------------------------------------------------------------------------------------

def test_caps_lists_the_event_types_the_device_reports(current_device):
    # 5.10.1: log/caps returns the list of event types the device records
    events = current_device.ok("/api/log/caps")["events"]
    for name in ("DeviceState", "SwitchStateChanged", "InputChanged", "OutputChanged", "CallStateChanged",
                 "RegistrationStateChanged", "DoorStateChanged", "DoorOpenTooLong", "TamperSwitchActivated",
                 "CardEntered", "CodeEntered", "KeyPressed", "MotionDetected", "ConfigurationChanged",
                 "AudioLoopTest"):
        assert name in events
    assert len(events) == len(set(events))


@pytest.mark.parametrize("path", ["/api/log/caps", "/api/log/subscribe", "/api/log/pull", "/api/log/unsubscribe",
                                  "/api/audio/test", "/api/email/send"])
def test_a_2_11_device_does_not_know_the_later_functions(device, path):
    # the 2.11 manual has none of these paths: an invalid request path (2)
    assert_error(device.get(path, params={"id": 1}), 2)


def test_the_admin_event_endpoint_refuses_2_11_devices(device):
    response = device.session.post(device.url("/_emulator/event"), json={"event": "DoorStateChanged",
                                                                         "params": {"state": "opened"}}, timeout=5)
    assert response.status_code == 409 and "Logging service" in response.json()["error"]


# log/subscribe -------------------------------------------------------------------------------------------------

def test_subscribe_by_default_includes_only_new_events(current_device):
    # 5.10.2: include=new (the default) starts the channel's queue empty; events after the subscription arrive
    channel = subscribe(current_device)
    assert isinstance(channel, int) and channel > 0
    assert pull(current_device, channel) == []
    number = physical(current_device, "DoorStateChanged", door=1, state="opened")
    events = pull(current_device, channel)
    assert [(event["id"], event["event"], event["params"]) for event in events] == \
        [(number, "DoorStateChanged", {"door": 1, "state": "opened"})]
    assert pull(current_device, channel) == []  # a pull takes what it answers out of the queue


def test_include_all_gives_the_history_from_the_device_start(current_device):
    # 5.10.2: include=all fills the queue with the device's event history; the device records its start-up
    # (DeviceState startup) and, with SIP account 1 registered, the registration
    events = pull(current_device, subscribe(current_device, include="all"))
    assert events[0]["id"] == 1 and events[0]["event"] == "DeviceState" and events[0]["params"] == {"state": "startup"}
    assert {"event": "RegistrationStateChanged", "params": {"sipAccount": 1, "state": "registered"}}.items() <= \
        {"event": events[1]["event"], "params": events[1]["params"]}.items()


def test_include_minus_seconds_gives_the_recent_history_only(current_device):
    # 5.10.2: include=-t: the events of the last t seconds of the history
    physical(current_device, "MotionDetected", state="in")
    time.sleep(2.5)
    recent = physical(current_device, "MotionDetected", state="out")
    events = pull(current_device, subscribe(current_device, include="-2"))
    assert [event["id"] for event in events] == [recent]


def test_event_records_carry_the_documented_fields(current_device):
    # 5.10.4: each event has id, utcTime, upTime, tzShift, event and params; ids grow by one
    channel = subscribe(current_device)
    first = physical(current_device, "TamperSwitchActivated", state="in")
    physical(current_device, "TamperSwitchActivated", state="out")
    events = pull(current_device, channel)
    assert [event["id"] for event in events] == [first, first + 1]
    for event in events:
        assert set(event) == {"id", "utcTime", "upTime", "tzShift", "event", "params"}
        assert abs(event["utcTime"] - time.time()) < 5
        assert isinstance(event["upTime"], int) and event["upTime"] >= 0
        assert event["tzShift"] == 0
    assert [event["params"] for event in events] == [{"state": "in"}, {"state": "out"}]


def test_filter_keeps_only_the_listed_types(current_device):
    # 5.10.2: filter: the event types the channel receives (comma-separated)
    channel = subscribe(current_device, filter="CodeEntered,CardEntered")
    physical(current_device, "MotionDetected", state="in")
    physical(current_device, "CodeEntered", code="1234", valid=False)
    physical(current_device, "CardEntered", uid="04A1B2C3")
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "on"})
    events = pull(current_device, channel)
    assert types(events) == ["CodeEntered", "CardEntered"]
    assert events[0]["params"] == {"code": "1234", "valid": False}
    assert events[1]["params"] == {"direction": "in", "reader": "internal", "uid": "04A1B2C3", "valid": True}


@pytest.mark.parametrize("params,param", [
    ({"include": "some"}, "include"),
    ({"include": "-x"}, "include"),
    ({"filter": "DoorStateChanged,NoSuchEvent"}, "filter"),
    ({"duration": "0"}, "duration"),
    ({"duration": "ninety"}, "duration"),
])
def test_subscribe_refuses_bad_parameters(current_device, params, param):
    assert_error(current_device.get("/api/log/subscribe", params=params), 12, param)


def test_a_channel_closes_when_not_pulled_for_its_duration(current_device):
    # 5.10.2: duration: a channel not accessed by log/pull for this long closes as if unsubscribed
    kept, dropped = subscribe(current_device, duration=2), subscribe(current_device, duration=1)
    for _ in range(3):
        time.sleep(0.6)
        pull(current_device, kept)  # each pull starts the duration again
    assert_error(current_device.get("/api/log/pull", params={"id": dropped}), 12, "id")
    time.sleep(2.3)
    assert_error(current_device.get("/api/log/pull", params={"id": kept}), 12, "id")
    assert current_device.state()["log"]["channels"] == 0


def test_a_waiting_pull_keeps_its_channel_open(current_device):
    channel = subscribe(current_device, duration=1)
    waited, events = pull_in_background(current_device, channel, 2).result(timeout=10)
    assert events == [] and waited >= 1.9
    assert pull(current_device, channel) == []  # still open: the duration counts from the end of the pull


def test_the_history_is_bounded(small_history):
    # 5.10.2: the device keeps the last N events (the latest edition: 10,000; here the profile's log.history_size)
    device = small_history.devices[0]
    numbers = [physical(device, "KeyPressed", key=str(n)) for n in range(8)]
    events = pull(device, subscribe(device, include="all"))
    assert [event["id"] for event in events] == numbers[-5:]
    assert device.state()["log"]["history"] == 5


# log/pull ------------------------------------------------------------------------------------------------------

def test_pull_waits_for_the_next_event(current_device):
    # 5.10.4: timeout: with an empty queue the reply waits until an event arrives (or the timeout passes)
    channel = subscribe(current_device)
    waiting = pull_in_background(current_device, channel, 10)
    time.sleep(0.5)
    assert not waiting.done()
    number = physical(current_device, "KeyPressed", key="5")
    waited, events = waiting.result(timeout=5)
    assert 0.4 < waited < 3, waited
    assert [event["id"] for event in events] == [number]


def test_pull_answers_an_empty_list_when_the_timeout_passes(current_device):
    channel = subscribe(current_device)
    started = time.monotonic()
    assert pull(current_device, channel, timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


def test_pull_answers_at_once_when_events_wait(current_device):
    channel = subscribe(current_device)
    physical(current_device, "NoiseDetected", state="in")
    started = time.monotonic()
    assert types(pull(current_device, channel, timeout=10)) == ["NoiseDetected"]
    assert time.monotonic() - started < 1


def test_pull_answers_at_most_128_events(current_device):
    channel = subscribe(current_device)
    for n in range(130):
        physical(current_device, "KeyPressed", key=str(n % 10))
    assert len(pull(current_device, channel)) == 128
    assert len(pull(current_device, channel)) == 2


def test_pull_of_an_unknown_channel_is_an_error(current_device):
    assert_error(current_device.get("/api/log/pull", params={"id": 12345}), 12, "id")
    assert_error(current_device.get("/api/log/pull", params={"id": "x"}), 12, "id")
    assert_error(current_device.get("/api/log/pull"), 11, "id")


def test_channels_do_not_share_their_queues(current_device):
    # 5.10.2: each channel has its own event queue
    one, two = subscribe(current_device), subscribe(current_device)
    physical(current_device, "SilentAlarm")
    assert types(pull(current_device, one)) == ["SilentAlarm"]
    assert types(pull(current_device, two)) == ["SilentAlarm"]


# log/unsubscribe -------------------------------------------------------------------------------------------------

def test_unsubscribe_closes_the_channel(current_device):
    # 5.10.3: after unsubscribe every pull or unsubscribe with that id is an error
    channel = subscribe(current_device)
    assert current_device.ok("/api/log/unsubscribe", params={"id": channel}) is None
    assert_error(current_device.get("/api/log/pull", params={"id": channel}), 12, "id")
    assert_error(current_device.get("/api/log/unsubscribe", params={"id": channel}), 12, "id")
    assert_error(current_device.get("/api/log/unsubscribe"), 11, "id")


def test_unsubscribe_ends_a_waiting_pull(current_device):
    channel = subscribe(current_device)
    waiting = pull_in_background(current_device, channel, 10)
    time.sleep(0.3)
    current_device.ok("/api/log/unsubscribe", params={"id": channel})
    waited, body = waiting.result(timeout=5)
    assert waited < 3 and body["error"]["code"] == 12


# privileges ------------------------------------------------------------------------------------------------------

def test_events_need_the_privilege_of_their_type(watchers):
    # 5.10.2: an account never receives the events its privileges do not cover (switch and I/O events: I/O
    # monitoring; keypad events: keypad monitoring; calls: call monitoring; doors and tamper: none)
    device = watchers.devices[0]
    channels = {name: subscribe(device, auth=digest(name, password))
                for name, password in (("door", "d"), ("io", "i"), ("keypad", "k"), ("calls", "c"))}
    device.ok("/api/switch/ctrl", params={"switch": 2, "action": "on"}, auth=digest("door", "d"))
    physical(device, "CodeEntered", code="0000")
    physical(device, "DoorStateChanged", state="opened")
    device.admin("incoming-call", {"number": "5050"})
    seen = {name: types(pull(device, channel, auth=digest(name, {"door": "d", "io": "i", "keypad": "k",
                                                                 "calls": "c"}[name])))
            for name, channel in channels.items()}
    assert seen == {"door": ["DoorStateChanged"], "io": ["SwitchStateChanged", "DoorStateChanged"],
                    "keypad": ["CodeEntered", "DoorStateChanged"], "calls": ["DoorStateChanged", "CallStateChanged"]}


# events from what the device does --------------------------------------------------------------------------------

def test_a_monostable_switch_reports_falling_back_when_it_does(current_device):
    # SwitchStateChanged when the switch turns on, and again when its switchOnDuration (1 s here) ends, without
    # anyone asking for the switch's status
    channel = subscribe(current_device, filter="SwitchStateChanged")
    current_device.ok("/api/switch/ctrl", params={"switch": 1, "action": "on"})
    on = pull(current_device, channel)
    assert [event["params"] for event in on] == [{"switch": 1, "state": True}]
    started = time.monotonic()
    off = pull(current_device, channel, timeout=5)
    assert [event["params"] for event in off] == [{"switch": 1, "state": False}]
    assert 0.5 < time.monotonic() - started < 2


def test_switching_on_again_extends_without_a_second_event(current_device):
    channel = subscribe(current_device, filter="SwitchStateChanged")
    current_device.ok("/api/switch/ctrl", params={"switch": 1, "action": "on"})
    time.sleep(0.6)
    current_device.ok("/api/switch/ctrl", params={"switch": 1, "action": "on"})  # another second from now
    time.sleep(0.6)  # past the first deadline
    assert [event["params"]["state"] for event in pull(current_device, channel)] == [True]
    assert [event["params"]["state"] for event in pull(current_device, channel, timeout=3)] == [False]


def test_bistable_switch_outputs_and_inputs_raise_events(current_device):
    channel = subscribe(current_device)
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "trigger"})
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "off"})
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "off"})  # no change: no event
    current_device.ok("/api/io/ctrl", params={"port": "relay1", "action": "on"})
    current_device.admin("input", {"port": "input1", "state": 1})
    events = pull(current_device, channel)
    assert [(event["event"], event["params"]) for event in events] == [
        ("SwitchStateChanged", {"switch": 2, "state": True}),
        ("SwitchStateChanged", {"switch": 2, "state": False}),
        ("OutputChanged", {"port": "relay1", "state": True}),
        ("InputChanged", {"port": "input1", "state": True}),
    ]


def test_a_locked_switch_is_off_and_refuses_on(current_device):
    # the latest manual: lock deactivates the switch and it cannot be operated (error 14); status shows locked
    channel = subscribe(current_device, filter="SwitchStateChanged")
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "on"})
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "lock"})
    status = current_device.ok("/api/switch/status", params={"switch": 2})["switches"]
    assert status == [{"switch": 2, "active": False, "locked": True, "held": False}]
    assert_error(current_device.get("/api/switch/ctrl", params={"switch": 2, "action": "on"}), 14)
    current_device.ok("/api/switch/ctrl", params={"switch": 2, "action": "unlock"})
    assert [event["params"]["state"] for event in pull(current_device, channel)] == [True, False]
    caps = current_device.ok("/api/switch/caps", params={"switch": 2})["switches"]
    assert caps[0]["locked"] is False


def test_calls_raise_call_state_events(current_device):
    channel = subscribe(current_device, filter="CallStateChanged")
    session = current_device.admin("incoming-call", {"number": "5050"})["session"]
    current_device.ok("/api/call/answer", params={"session": session})
    current_device.ok("/api/call/hangup", params={"session": session})
    events = pull(current_device, channel)
    assert [(event["params"]["direction"], event["params"]["state"], event["params"]["session"])
            for event in events] == [("incoming", "ringing", session), ("incoming", "connected", session),
                                     ("incoming", "terminated", session)]
    assert events[0]["params"]["peer"] == "sip:5050"


def test_an_outgoing_call_rings_and_is_answered_in_time(current_device):
    channel = subscribe(current_device, filter="CallStateChanged")
    session = current_device.ok("/api/call/dial", params={"number": "5051"})["session"]
    ringing = pull(current_device, channel, timeout=3)
    assert [(event["params"]["state"], event["params"]["session"]) for event in ringing] == [("ringing", session)]
    connected = pull(current_device, channel, timeout=5)
    assert [event["params"]["state"] for event in connected] == ["connected"]


def test_a_configuration_upload_raises_configuration_changed_once_applied(current_device):
    channel = subscribe(current_device, filter="ConfigurationChanged")
    root = current_device.config()
    set_text(root, "WebServer/DeviceName", "Gate")
    current_device.put_config(root)
    assert pull(current_device, channel) == []  # not yet: the device applies it 0.3 s later
    events = pull(current_device, channel, timeout=3)
    assert types(events) == ["ConfigurationChanged"] and events[0]["params"] == {}


# the admin endpoint ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,words", [
    ({"event": "Earthquake"}, "unknown event"),
    ({"event": "SwitchStateChanged", "params": {"switch": 1, "state": True}}, "unknown event"),  # the device's own
    ({"event": "DoorStateChanged", "params": {"state": "ajar"}}, '"opened" or "closed"'),
    ({"event": "DoorStateChanged"}, "params.state is required"),
    ({"event": "CardEntered", "params": {"uid": "xyz"}}, "hexadecimal"),
    ({"event": "KeyPressed", "params": {"key": "5", "colour": "red"}}, "unknown params"),
    ({"params": {}}, '"event"'),
])
def test_admin_event_refuses_bad_requests(current_device, body, words):
    response = current_device.session.post(current_device.url("/_emulator/event"), json=body, timeout=5)
    assert response.status_code == 400 and words in response.json()["error"], response.text


def test_admin_event_answers_the_event_id_and_counts_in_the_state(current_device):
    before = current_device.state()["log"]
    number = physical(current_device, "DoorOpenTooLong")
    assert number == before["last_id"] + 1
    after = current_device.state()["log"]
    assert after["last_id"] == number and after["history"] == before["history"] + 1


# restarts ----------------------------------------------------------------------------------------------------------

def test_a_restart_closes_channels_and_ids_start_again(current_device):
    # channels live in RAM: after a restart the id is unknown, and event ids restart at 1 with the start-up
    channel = subscribe(current_device)
    physical(current_device, "SilentAlarm")
    assert types(pull(current_device, channel)) == ["SilentAlarm"]
    waiting = pull_in_background(current_device, channel, 30)
    time.sleep(0.3)
    current_device.ok("/api/system/restart")
    with pytest.raises(requests.ConnectionError):
        waiting.result(timeout=10)  # the waiting pull ends with the connection, not after 30 s
    current_device.wait_down()
    current_device.wait_up()
    assert_error(current_device.get("/api/log/pull", params={"id": channel}), 12, "id")
    events = pull(current_device, subscribe(current_device, include="all"))
    assert events[0]["id"] == 1 and events[0]["event"] == "DeviceState"
    assert "SilentAlarm" not in types(events)


def test_stopping_the_emulator_ends_waiting_pulls(launch):
    emulator = launch(devices=1, profile=CURRENT_PROFILE)
    device = emulator.devices[0]
    waiting = pull_in_background(device, subscribe(device), 60)
    time.sleep(0.3)
    started = time.monotonic()
    assert emulator.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    with pytest.raises(requests.ConnectionError):
        waiting.result(timeout=10)


def test_config_upload_unchanged_on_2_11(device):
    # 2.11 applies an upload at once and raises no events (it has no Logging service)
    root = device.config()
    set_text(root, "WebServer/DeviceName", "Now")
    device.put_config(root)
    assert device.ok("/api/system/info")["deviceName"] == "Now"
    assert "log" not in device.state()
