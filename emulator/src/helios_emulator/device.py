"""One emulated intercom: its configuration document, runtime state and the API functions' behaviour.

The HTTP layer (server.py) has already checked path, method, service, transport, authentication, privileges
and licence; a handler here only sees the function's parameters and raises ApiError for bad ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import configdoc, media
from .errors import ApiError
from .eventlog import DEFAULT_DURATION, EventLog
from .firmware import FirmwareError, FirmwareImage, read_image
from .firmware_data import FirmwareFamily, family_for, version_tuple

OUTGOING_CONNECTING_S = 0.5  # an outgoing call is "connecting" this long, then "ringing"
OUTGOING_ANSWERED_S = 3.0  # ... and the far end answers after this long
MAX_CALLS = 8
MAX_FPS = 30
AUDIO_TEST_S = 1.0  # an audio loop test takes this long; its result then arrives as an AudioLoopTest event
MAX_EMAILS_KEPT = 100  # sent e-mails shown in /_emulator/state
_UINT32 = re.compile(r"^\d{1,10}$")
_INCLUDE = re.compile(r"^(new|all|-\d{1,10})$")
_ADDRESS = re.compile(r"^[^@\s,;]+@[^@\s,;]+$")


class Blob:
    """An uploaded large parameter, spooled to disk by the HTTP layer."""

    def __init__(self, path: Path, size: int):
        self.path = path
        self.size = size

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Reply:
    """What a handler answers: JSON (`result` or none), a body with a content type, or an MJPEG stream."""

    result: dict[str, Any] | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    mjpeg: dict[str, Any] | None = None
    restart: bool = False  # restart the device once the reply is sent
    # a reply that is not ready yet (a long poll): the HTTP layer awaits this coroutine function for the Reply
    pending: Any = None


@dataclass
class Call:
    session: int
    direction: str
    number: str
    started: float
    connected_at: float | None = None

    def state(self, now: float) -> str:
        if self.connected_at is not None and now >= self.connected_at:
            return "connected"
        if self.direction == "outgoing" and now - self.started < OUTGOING_CONNECTING_S:
            return "connecting"
        return "ringing"


@dataclass
class Request:
    method: str
    params: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, Blob] = field(default_factory=dict)
    # the account's privileges (None: the service asks for no authentication, so nothing is held back)
    privileges: frozenset[str] | None = None


def _switch_number(value: str | None, count: int, param: str = "switch") -> int:
    if value is None:
        raise ApiError(11, param)
    if not value.strip().isdigit() or not 1 <= int(value) <= count:
        raise ApiError(12, param)
    return int(value)


class Device:
    def __init__(self, index: int, profile: dict[str, Any], address: str, http_port: int, https_port: int,
                 state_dir: Path | None = None):
        self.index = index
        self.profile = profile
        self.address = address
        self.http_port = http_port
        self.https_port = https_port
        hardware = profile["device"]
        serial_pattern = hardware.get("serialNumber") or "54-2711-{index:04d}"
        self.serial_number = serial_pattern.format(index=index) if "{" in serial_pattern else serial_pattern
        self.mac = f"7C-1E-B3-{(index >> 16) & 0xFF:02X}-{(index >> 8) & 0xFF:02X}-{index & 0xFF:02X}"
        self.variant = hardware["variant"]
        self.hw_version = hardware["hwVersion"]
        self.sw_version = hardware["swVersion"]
        self.build_type = hardware.get("buildType", "")
        self.licence = bool(profile["licence"])
        self.restart_time = float(profile["restart_time"])
        self.clock_offset = float(profile.get("clock_offset", 0))
        self.faults: dict[str, Any] = dict(profile.get("faults") or {})
        self.state_dir = state_dir / self.serial_number if state_dir else None
        self.log: EventLog | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self.pending_config: ET.Element | None = None  # an uploaded configuration not applied yet
        self.emails: list[dict[str, Any]] = []  # what email/send sent (current firmware)
        self._load_state()
        self.restarting = False
        self.pending_firmware: FirmwareImage | None = None
        self.pending_firmware_applied = False  # firmware/apply confirmed the pending image
        self.camera_frozen_at: float | None = None  # test hook: the camera shows a still picture
        # what the device saw on its API ports since the emulator started (restarts included): lets tests tell
        # whether clients reuse connections and Digest nonces
        self.traffic = {"connections": 0, "requests": 0, "challenges": 0}
        self._reset_runtime()

    # identity, persistence, restarts ------------------------------------------------------------------

    @property
    def identity(self) -> dict[str, str]:
        return {"address": self.address, "serial_number": self.serial_number, "mac": self.mac,
                "http_port": str(self.http_port), "https_port": str(self.https_port)}

    @property
    def family(self) -> FirmwareFamily:
        return family_for(self.sw_version)

    def factory_config(self) -> ET.Element:
        family = self.family
        return configdoc.factory_document(self.profile, self.identity, family.services, family.privileges)

    def _load_state(self) -> None:
        config_file = self.state_dir / "config.xml" if self.state_dir else None
        device_file = self.state_dir / "device.json" if self.state_dir else None
        if device_file is not None and device_file.exists():
            saved = json.loads(device_file.read_text())
            self.sw_version = saved.get("swVersion", self.sw_version)
            self.build_type = saved.get("buildType", self.build_type)
        self.document = self.factory_config()  # of the firmware the device runs
        if config_file is not None and config_file.exists():
            saved_document = configdoc.parse_upload(config_file.read_bytes())
            self.document = configdoc.apply_upload(self.factory_config(), saved_document)

    def save_state(self) -> None:
        if self.state_dir is None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for name, data in (("config.xml", self.config_xml()),
                           ("device.json", json.dumps({"swVersion": self.sw_version,
                                                       "buildType": self.build_type}).encode())):
            temporary = self.state_dir / (name + ".tmp")
            temporary.write_bytes(data)
            os.replace(temporary, self.state_dir / name)

    def _reset_runtime(self) -> None:
        self._power_off()
        self.boot_monotonic = time.monotonic()
        self.boot_time = self.now()
        self.switch_active_until: dict[int, float] = {}  # switch -> monotonic deadline (inf: bistable on)
        self.switch_locked: set[int] = set()  # current firmware: switch/ctrl lock ... unlock
        self.switch_held: set[int] = set()  # current firmware: switch/ctrl hold ... release
        self.port_levels: dict[str, int] = {}
        self.calls: dict[int, Call] = {}
        self.next_session = 1
        self.display_images: dict[str, str] = {}  # display -> sha256 of the uploaded GIF
        self.snapshot_frames = 0
        family = self.family
        # the Logging service (current firmware): a fresh history whose first events are the start-up's
        self.log = EventLog(int(self.profile["log"]["history_size"])) if family.events else None
        self.event("DeviceState", {"state": "startup"})
        for account in configdoc.read_sip_accounts(self.document):
            if self._sip_registered(account):
                self.event("RegistrationStateChanged", {"sipAccount": account["account"], "state": "registered"})

    def _power_off(self) -> None:
        """What a restart or power loss ends: timers, channels and waiting pulls, a configuration not applied."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self.log is not None:
            self.log.close_all()
        # the latest manual: do not restart while a configuration is being applied; here it is then lost
        self.pending_config = None

    # events and timers (current firmware) -------------------------------------------------------------------

    def event(self, event_type: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Record an event in the Logging service (nothing on firmware without one)."""
        if self.log is None:
            return None
        return self.log.emit(event_type, params, self.now(), self.uptime())

    def _later(self, delay: float, callback) -> bool:
        """Run `callback` after `delay` seconds unless the device restarts first; whether it could be scheduled
        (only inside the event loop: a Device used without one, as in unit tests, has no timers)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False

        def run() -> None:
            self._timers.discard(handle)
            callback()

        handle = loop.call_later(max(0.0, delay), run)
        self._timers.add(handle)
        return True

    def now(self) -> float:
        return time.time() + self.clock_offset

    def restart_downtime(self) -> float:
        return self.restart_time + float(self.faults.get("restart_extra", 0) or 0)

    def begin_restart(self) -> float:
        self.restarting = True
        self._power_off()
        return self.restart_downtime()

    def boot(self) -> None:
        """Come back from a restart: pending firmware becomes the running one, runtime state starts over."""
        if self.pending_firmware is not None and self.pending_firmware_applied:
            old_family = self.family
            self.sw_version = self.pending_firmware.version
            self.build_type = self.pending_firmware.build_type
            if self.family is not old_family:
                # another firmware line: its configuration has other sections (an upgrade to current firmware
                # adds the Audio, Email and Logging services and privileges at their defaults, a downgrade drops
                # them); the values both know are kept
                self.document = configdoc.apply_upload(self.factory_config(), self.document)
        # an uploaded image that was not applied is gone after a restart, as from a device's RAM
        self.pending_firmware = None
        self.pending_firmware_applied = False
        self.restarting = False
        self._reset_runtime()
        self.save_state()

    # views -----------------------------------------------------------------------------------------------

    @property
    def document(self) -> ET.Element:
        """The configuration document; replaced as a whole (never edited in place) when the configuration changes."""
        return self._document

    @document.setter
    def document(self, value: ET.Element) -> None:
        self._document = value
        self._policy: tuple[dict[str, configdoc.ServicePolicy], tuple[configdoc.Account, ...]] | None = None

    def _access_policy(self) -> tuple[dict[str, configdoc.ServicePolicy], tuple[configdoc.Account, ...]]:
        # read on every request, so read once per document
        if self._policy is None:
            self._policy = (configdoc.read_services(self._document), tuple(configdoc.read_accounts(self._document)))
        return self._policy

    def services(self) -> dict[str, configdoc.ServicePolicy]:
        return dict(self._access_policy()[0])

    def accounts(self) -> list[configdoc.Account]:
        return list(self._access_policy()[1])

    def config_header(self) -> dict[str, str]:
        displays = configdoc.read_displays(self.document)
        return {
            "Product name": self.variant,
            "Serial number": self.serial_number,
            "Software version": self.sw_version,
            "Hardware version": self.hw_version,
            "Bootloader version": self.profile["device"].get("bootloaderVersion", self.sw_version),
            "Display": "Yes" if displays else "No",
            "Card reader": "No",
        }

    def config_xml(self) -> bytes:
        return configdoc.serialize(self.document, self.config_header())

    def runtime_state(self) -> dict[str, Any]:
        state = {
            "serialNumber": self.serial_number,
            "macAddress": self.mac,
            "swVersion": self.sw_version,
            "upTime": self.uptime(),
            "restarting": self.restarting,
            "switches": self._switch_states(),
            "ports": self._port_states(),
            "calls": self._call_states(),
            "displayImages": dict(self.display_images),
            "cameraFrozen": self.camera_frozen_at is not None,
            "pendingFirmware": self.pending_firmware.version if self.pending_firmware else None,
            "faults": dict(self.faults),
            "traffic": dict(self.traffic),
        }
        if self.log is not None:
            state["log"] = self.log.summary()
        if self.family.config_apply_delay:
            state["pendingConfig"] = self.pending_config is not None
        if "/api/email/send" in self.family.functions:
            state["emails"] = [dict(mail) for mail in self.emails]
        return state

    def uptime(self) -> int:
        return int(time.monotonic() - self.boot_monotonic)

    # system ---------------------------------------------------------------------------------------------

    def system_info(self, request: Request) -> Reply:
        result = {
            "variant": self.variant,
            "serialNumber": self.serial_number,
            "hwVersion": self.hw_version,
            "swVersion": self.sw_version,
            "buildType": self.build_type,
            "deviceName": configdoc.read_device_name(self.document),
        }
        extra = self.family.system_info_extra
        if not extra:
            return Reply(result)
        values = {key: self.profile["device"].get(key) for key in extra}
        if "macAddr" in values:
            values["macAddr"] = self.mac
        build_type = self.build_type
        if not build_type and version_tuple(self.sw_version) >= (2, 33, 2):
            # the latest manual: from 2.33.2 on an official build says "release" (earlier ones: empty)
            build_type = "release"
        # the latest manual's order
        ordered = {"devType": values.get("devType"), "variant": self.variant, "variantId": values.get("variantId"),
                   "customerId": values.get("customerId"), "serialNumber": self.serial_number,
                   "macAddr": values.get("macAddr"), "hwVersion": self.hw_version, "swVersion": self.sw_version,
                   "buildType": build_type, "firmwarePackage": values.get("firmwarePackage"),
                   "deviceName": result["deviceName"]}
        return Reply({key: value for key, value in ordered.items() if key in result or key in extra})

    def system_status(self, request: Request) -> Reply:
        return Reply({"systemTime": int(self.now()), "upTime": self.uptime()})

    def system_restart(self, request: Request) -> Reply:
        return Reply(restart=True)

    def firmware_upload(self, request: Request) -> Reply:
        blob = self._blob(request, "blob-fw")
        try:
            with blob.open() as stream:
                image = read_image(stream)
        except FirmwareError as exc:
            raise ApiError(12, "blob-fw") from exc
        if image.variant != self.variant:
            raise ApiError(12, "blob-fw")  # not intended for this device
        self.pending_firmware = image
        downgrade = version_tuple(image.version) < version_tuple(self.sw_version)
        return Reply({"version": image.version, "downgrade": downgrade})

    def firmware_apply(self, request: Request) -> Reply:
        if self.pending_firmware is None:
            raise ApiError(14)  # nothing uploaded to confirm
        self.pending_firmware_applied = True
        return Reply(restart=True)

    def config(self, request: Request) -> Reply:
        if request.method != "PUT":
            return Reply(body=self.config_xml(), content_type="application/xml")
        blob = self._blob(request, "blob-cfg")
        document = configdoc.apply_upload(self.factory_config(), configdoc.parse_upload(blob.read()))
        delay = float(self.profile["config_apply_delay"]) if self.family.config_apply_delay else 0.0
        if delay <= 0:
            self._apply_config(document)
            return Reply()
        # current firmware answers at once and runs the new configuration about 15 s later (the latest manual);
        # a later upload replaces one still waiting, a restart meanwhile loses it (see _power_off)
        self.pending_config = document
        if not self._later(delay, lambda: self._apply_config(document) if self.pending_config is document else None):
            self._apply_config(document)
        return Reply()

    def _apply_config(self, document: ET.Element) -> None:
        before = self._registrations()
        self.pending_config = None
        self.document = document
        self.save_state()
        self.event("ConfigurationChanged", {})
        for account, registered in self._registrations().items():
            if registered != before.get(account, False):
                # a SIP account switched on or off, or given or relieved of its registrar, (un)registers at once
                self.event("RegistrationStateChanged",
                           {"sipAccount": account, "state": "registered" if registered else "unregistered"})

    def _registrations(self) -> dict[int, bool]:
        if self.log is None:
            return {}
        return {item["account"]: self._sip_registered(item) for item in configdoc.read_sip_accounts(self.document)}

    def config_factoryreset(self, request: Request) -> Reply:
        self.document = self.factory_config()
        self.save_state()
        return Reply(restart=True)

    def _blob(self, request: Request, name: str) -> Blob:
        blob = request.blobs.get(name)
        if blob is None:
            raise ApiError(11, name)
        if blob.size > self.family.limits.get(name, 1 << 62):
            raise ApiError(13, name)
        return blob

    # switches ---------------------------------------------------------------------------------------------

    def _switches(self) -> list[dict[str, Any]]:
        return configdoc.read_switches(self.document)

    def _is_active(self, switch: int) -> bool:
        if switch in self.switch_locked:
            return False  # locking wins over holding (the latest manual)
        if switch in self.switch_held:
            return True
        return time.monotonic() < self.switch_active_until.get(switch, 0.0)

    def _switch_states(self) -> list[dict[str, Any]]:
        if self.family.switch_locks:
            return [{"switch": item["switch"], "active": self._is_active(item["switch"]),
                     "locked": item["switch"] in self.switch_locked, "held": item["switch"] in self.switch_held}
                    for item in self._switches()]
        return [{"switch": item["switch"], "active": self._is_active(item["switch"])} for item in self._switches()]

    def _switch_change(self, number: int, change) -> None:
        """Make a change to a switch's state, raising SwitchStateChanged when its activity changes."""
        before = self._is_active(number)
        change()
        after = self._is_active(number)
        if before != after:
            self.event("SwitchStateChanged", {"switch": number, "state": after})

    def _switch_on_until(self, number: int, until: float) -> None:
        self.switch_active_until[number] = until
        if until != float("inf") and self.log is not None:
            # the switch falls back by itself: its event comes when it does, not when someone looks
            self._later(until - time.monotonic(), lambda: self._switch_fell_back(number, until))

    def _switch_fell_back(self, number: int, until: float) -> None:
        if self.switch_active_until.get(number) != until:
            return  # switched off, or on again with a later deadline, meanwhile
        del self.switch_active_until[number]
        if number not in self.switch_locked and number not in self.switch_held:
            self.event("SwitchStateChanged", {"switch": number, "state": False})

    def _selected(self, items: list[dict[str, Any]], key: str, request: Request) -> list[dict[str, Any]]:
        value = request.params.get(key)
        if value is None:
            return items
        chosen = [item for item in items if str(item[key]) == value.strip()]
        if not chosen:
            raise ApiError(12, key)
        return chosen

    def switch_caps(self, request: Request) -> Reply:
        caps = []
        for item in self._selected(self._switches(), "switch", request):
            if not item["enabled"]:
                caps.append({"switch": item["switch"], "enabled": False})
                continue
            entry = {"switch": item["switch"], "enabled": True, "mode": item["mode"]}
            if item["mode"] == "monostable":
                entry["switchOnDuration"] = item["switchOnDuration"]
            entry["type"] = item["type"]
            if self.family.switch_locks:
                entry["locked"] = item["switch"] in self.switch_locked
            caps.append(entry)
        return Reply({"switches": caps})

    def switch_status(self, request: Request) -> Reply:
        return Reply({"switches": self._selected(self._switch_states(), "switch", request)})

    def switch_ctrl(self, request: Request) -> Reply:
        switches = self._switches()
        number = _switch_number(request.params.get("switch"), len(switches))
        action = request.params.get("action")
        if action is None:
            raise ApiError(11, "action")
        actions = ("on", "off", "trigger") + (("lock", "unlock", "hold", "release") if self.family.switch_locks else ())
        if action not in actions:
            raise ApiError(12, "action")
        switch = switches[number - 1]
        if not switch["enabled"]:
            raise ApiError(12, "switch")  # a disabled switch cannot be controlled
        if action in ("lock", "unlock", "hold", "release"):
            # the latest manual: a locked switch is off and a held one on, and neither can be operated
            chosen = self.switch_locked if action in ("lock", "unlock") else self.switch_held

            def change() -> None:
                if action == "lock":
                    self.switch_active_until.pop(number, None)  # off, and it stays off when unlocked
                (chosen.add if action in ("lock", "hold") else chosen.discard)(number)

            self._switch_change(number, change)
            return Reply()
        if action == "trigger":
            action = "off" if self._is_active(number) else "on"
        if (number in self.switch_locked and action == "on") or (number in self.switch_held and action == "off"):
            raise ApiError(14)  # the latest manual: the action failed
        if action == "off":
            self._switch_change(number, lambda: self.switch_active_until.pop(number, None))
        elif switch["mode"] == "monostable":
            self._switch_change(number, lambda: self._switch_on_until(
                number, time.monotonic() + switch["switchOnDuration"]))
        else:
            self._switch_change(number, lambda: self._switch_on_until(number, float("inf")))
        return Reply()

    # inputs and outputs -----------------------------------------------------------------------------------

    def _ports(self) -> list[dict[str, str]]:
        return configdoc.read_ports(self.document)

    def _port_states(self) -> list[dict[str, Any]]:
        return [{"port": item["port"], "state": self.port_levels.get(item["port"], 0)} for item in self._ports()]

    def _port_param(self, request: Request) -> Request:
        # the manual spells the io/caps parameter "Port"; accept both spellings everywhere
        if "port" not in request.params and "Port" in request.params:
            request.params["port"] = request.params["Port"]
        return request

    def io_caps(self, request: Request) -> Reply:
        return Reply({"ports": self._selected(self._ports(), "port", self._port_param(request))})

    def io_status(self, request: Request) -> Reply:
        return Reply({"ports": self._selected(self._port_states(), "port", self._port_param(request))})

    def io_ctrl(self, request: Request) -> Reply:
        request = self._port_param(request)
        name = request.params.get("port")
        if name is None:
            raise ApiError(11, "port")
        action = request.params.get("action")
        if action is None:
            raise ApiError(11, "action")
        port = next((item for item in self._ports() if item["port"] == name), None)
        if port is None or port["type"] != "output":
            raise ApiError(12, "port")  # unknown, or an input: inputs cannot be controlled
        if action not in ("on", "off"):
            raise ApiError(12, "action")
        self._set_level(name, 1 if action == "on" else 0, "OutputChanged")
        return Reply()

    def _set_level(self, name: str, level: int, event_type: str) -> None:
        if self.port_levels.get(name, 0) != level:
            self.event(event_type, {"port": name, "state": bool(level)})
        self.port_levels[name] = level

    def set_input(self, name: str, level: int) -> None:
        port = next((item for item in self._ports() if item["port"] == name), None)
        if port is None or port["type"] != "input":
            raise ValueError(f"{name} is not an input")
        self._set_level(name, 1 if level else 0, "InputChanged")

    # phone and calls --------------------------------------------------------------------------------------

    def phone_status(self, request: Request) -> Reply:
        accounts = []
        register_time = int(self.boot_time) + 1
        for item in configdoc.read_sip_accounts(self.document):
            registered = self._sip_registered(item)
            entry = {"account": item["account"], "sipNumber": item["sipNumber"], "registered": registered}
            if registered:
                entry["registerTime"] = register_time
            accounts.append(entry)
        return Reply({"accounts": self._selected(accounts, "account", request)})

    @staticmethod
    def _sip_registered(item: dict[str, Any]) -> bool:
        return item["enabled"] and item["registrarEnabled"] and bool(item["sipNumber"] and item["registrar"])

    def _call_event(self, call: Call, state: str) -> None:
        peer = call.number if ":" in call.number else f"sip:{call.number}"
        self.event("CallStateChanged", {"direction": call.direction, "state": state, "peer": peer,
                                        "session": call.session, "call": 1})

    def _call_event_later(self, call: Call, delay: float, state: str) -> None:
        self._later(delay, lambda: self._call_event(call, state) if self.calls.get(call.session) is call else None)

    def _call_states(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [{"session": call.session, "direction": call.direction, "state": call.state(now)}
                for call in self.calls.values()]

    def call_status(self, request: Request) -> Reply:
        return Reply({"sessions": self._selected(self._call_states(), "session", request)})

    def _new_call(self, direction: str, number: str) -> Call:
        if len(self.calls) >= MAX_CALLS:
            raise ApiError(14)
        now = time.monotonic()
        call = Call(self.next_session, direction, number, now,
                    connected_at=now + OUTGOING_ANSWERED_S if direction == "outgoing" else None)
        self.calls[call.session] = call
        self.next_session += 1
        if self.log is not None:
            if direction == "incoming":
                self._call_event(call, "ringing")
            else:
                self._call_event_later(call, OUTGOING_CONNECTING_S, "ringing")
                self._call_event_later(call, OUTGOING_ANSWERED_S, "connected")
        return call

    def call_dial(self, request: Request) -> Reply:
        number = request.params.get("number")
        if number is None:
            raise ApiError(11, "number")
        number = number.strip()
        if not number or any(ch.isspace() for ch in number) or len(number) > 256:
            raise ApiError(12, "number")
        return Reply({"session": self._new_call("outgoing", number).session})

    def incoming_call(self, number: str) -> int:
        return self._new_call("incoming", number).session

    def _session(self, request: Request) -> Call:
        value = request.params.get("session")
        if value is None:
            raise ApiError(11, "session")
        call = self.calls.get(int(value)) if value.strip().isdigit() else None
        if call is None:
            raise ApiError(12, "session")
        return call

    def call_answer(self, request: Request) -> Reply:
        call = self._session(request)
        if call.direction != "incoming" or call.state(time.monotonic()) != "ringing":
            raise ApiError(12, "session")  # only a ringing incoming call can be answered
        call.connected_at = time.monotonic()
        self._call_event(call, "connected")
        return Reply()

    def call_hangup(self, request: Request) -> Reply:
        call = self.calls.pop(self._session(request).session)
        self._call_event(call, "terminated")
        return Reply()

    # camera ------------------------------------------------------------------------------------------------

    def camera_caps(self, request: Request) -> Reply:
        camera = self.profile["camera"]
        return Reply({
            "jpegResolution": [{"width": width, "height": height} for width, height in camera["resolutions"]],
            "sources": [{"source": source} for source in camera["sources"]],
        })

    def camera_snapshot(self, request: Request) -> Reply:
        params = request.params
        for name in ("width", "height"):
            if name not in params:
                raise ApiError(11, name)
            if not params[name].strip().isdigit():
                raise ApiError(12, name)
        size = [int(params["width"]), int(params["height"])]
        if size not in [list(pair) for pair in self.profile["camera"]["resolutions"]]:
            raise ApiError(12, "width")
        source = params.get("source", configdoc.read_default_source(self.document))
        if source not in self.profile["camera"]["sources"]:
            raise ApiError(12, "source")
        fps = params.get("fps", "0").strip()
        if not fps.isdigit() or int(fps) > MAX_FPS:
            raise ApiError(12, "fps")
        if int(fps) >= 1:
            return Reply(mjpeg={"width": size[0], "height": size[1], "source": source, "fps": int(fps)})
        return Reply(body=self.snapshot(size[0], size[1], source), content_type="image/jpeg")

    def snapshot(self, width: int, height: int, source: str) -> bytes:
        if self.camera_frozen_at is not None:
            # a still picture (a camera showing a fixed "no signal" image): every snapshot the same
            return media.snapshot_jpeg(width, height, source=source, serial=self.serial_number,
                                       now=self.camera_frozen_at, frame=0)
        self.snapshot_frames += 1
        return media.snapshot_jpeg(width, height, source=source, serial=self.serial_number, now=self.now(),
                                   frame=self.snapshot_frames)

    def freeze_camera(self, frozen: bool) -> None:
        self.camera_frozen_at = self.now() if frozen else None

    # display -----------------------------------------------------------------------------------------------

    def display_caps(self, request: Request) -> Reply:
        return Reply({"displays": [
            {"display": item["display"], "resolution": {"width": item["width"], "height": item["height"]}}
            for item in configdoc.read_displays(self.document)
        ]})

    def display_image(self, request: Request) -> Reply:
        name = request.params.get("display")
        if name is None:
            raise ApiError(11, "display")
        display = next((item for item in configdoc.read_displays(self.document) if item["display"] == name), None)
        if display is None:
            raise ApiError(12, "display")
        if display["standardFunction"]:
            raise ApiError(1)  # available only with the standard display function disabled
        if request.method == "DELETE":
            self.display_images.pop(name, None)
            return Reply()
        data = self._blob(request, "blob-image").read()
        if media.gif_size(data) != (display["width"], display["height"]):
            raise ApiError(12, "blob-image")
        self.display_images[name] = hashlib.sha256(data).hexdigest()
        return Reply()

    # audio and e-mail (current firmware) --------------------------------------------------------------------

    def audio_test(self, request: Request) -> Reply:
        # the loop test plays a sound and listens for it; its outcome comes later as an AudioLoopTest event
        self._later(AUDIO_TEST_S, lambda: self.event("AudioLoopTest", {"result": "passed"}))
        return Reply()

    def email_send(self, request: Request) -> Reply:
        params = request.params
        for name in ("to", "subject"):
            if name not in params:
                raise ApiError(11, name)
        to = params["to"].strip()
        if not to or not all(_ADDRESS.match(part.strip()) for part in re.split(r"[,;]", to)):
            raise ApiError(12, "to")
        pictures = params.get("pictureCount", "0").strip()
        if not pictures.isdigit() or int(pictures) > 5:
            raise ApiError(12, "pictureCount")
        time_span = params.get("timeSpan", "0").strip()
        if not _UINT32.match(time_span):
            raise ApiError(12, "timeSpan")
        size = None
        if "width" in params or "height" in params:
            width, height = params.get("width", "").strip(), params.get("height", "").strip()
            if not (width.isdigit() and height.isdigit()) or \
                    [int(width), int(height)] not in [list(pair) for pair in self.profile["camera"]["resolutions"]]:
                raise ApiError(12, "width")  # images must have one of the camera's resolutions (camera/caps)
            size = [int(width), int(height)]
        self.emails.append({"to": to, "subject": params["subject"], "body": params.get("body", ""),
                            "pictureCount": int(pictures), "timeSpan": int(time_span), "resolution": size,
                            "utcTime": int(self.now())})
        del self.emails[:-MAX_EMAILS_KEPT]
        return Reply()

    # the Logging service (current firmware) ------------------------------------------------------------------

    def log_caps(self, request: Request) -> Reply:
        return Reply({"events": list(self.family.events)})

    def _log(self) -> EventLog:
        if self.log is None:  # not reached: only families with events route the log functions here
            raise ApiError(1)
        return self.log

    def log_subscribe(self, request: Request) -> Reply:
        log = self._log()
        params = request.params
        include = params.get("include", "new").strip()
        if not _INCLUDE.match(include):
            raise ApiError(12, "include")
        types = None
        if params.get("filter", "").strip():
            types = frozenset(part.strip() for part in params["filter"].split(",") if part.strip())
            if not types <= set(self.family.events):
                raise ApiError(12, "filter")  # a type the device does not report (see log/caps)
        duration = params.get("duration", str(DEFAULT_DURATION)).strip()
        if not _UINT32.match(duration) or not 1 <= int(duration) <= 0xFFFFFFFF:
            raise ApiError(12, "duration")
        channel = log.subscribe(include, types, request.privileges, float(duration))
        return Reply({"id": channel.id})

    def _channel(self, request: Request):
        value = request.params.get("id")
        if value is None:
            raise ApiError(11, "id")
        value = value.strip()
        channel = self._log().channel(int(value)) if _UINT32.match(value) else None
        if channel is None:
            raise ApiError(12, "id")  # no such channel (never opened, unsubscribed, expired, or before a restart)
        return channel

    def log_pull(self, request: Request) -> Reply:
        channel = self._channel(request)
        timeout = request.params.get("timeout", "0").strip()
        if not _UINT32.match(timeout):
            raise ApiError(12, "timeout")
        log = self._log()
        if channel.queue or int(timeout) == 0:
            channel.last_used = time.monotonic()
            return Reply({"events": log.take(channel)})

        async def wait() -> Reply:
            # a long poll: the reply leaves when an event reaches the channel or the timeout passes
            await log.wait(channel, int(timeout))
            if channel.closed:
                raise ApiError(12, "id")  # unsubscribed or expired meanwhile (a restart drops the connection)
            return Reply({"events": log.take(channel)})

        return Reply(pending=wait)

    def log_unsubscribe(self, request: Request) -> Reply:
        self._log().unsubscribe(self._channel(request))
        return Reply()

    def physical_event(self, event_type: str, params: Any) -> dict[str, Any]:
        """What the physical world does to the device (doors, tamper switch, cards, keys, motion ...): the admin
        endpoint's event. Raises ValueError for an unknown type or bad parameters."""
        schema = PHYSICAL_EVENTS.get(event_type)
        if schema is None:
            raise ValueError(f"unknown event {event_type!r}; allowed: {', '.join(sorted(PHYSICAL_EVENTS))}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ValueError("params must be a JSON object")
        unknown = set(params) - set(schema)
        if unknown:
            raise ValueError(f"{event_type}: unknown params {sorted(unknown)}; allowed: {', '.join(schema)}")
        result = {}
        for name, (check, default, meaning) in schema.items():
            if name not in params:
                if default is _REQUIRED:
                    raise ValueError(f"{event_type}: params.{name} is required ({meaning})")
                result[name] = default
                continue
            if not check(params[name]):
                raise ValueError(f"{event_type}: params.{name} must be {meaning}")
            result[name] = params[name]
        record = self.event(event_type, result)
        assert record is not None  # noqa: S101 - the caller checked the family
        return record


_REQUIRED = object()


def _one_of(*allowed: str):
    return lambda value: value in allowed


def _door(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool) and value >= 1) or \
        (isinstance(value, str) and 0 < len(value) <= 64)


def _text(pattern: str):
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and bool(compiled.match(value))


_IN_OUT = (_one_of("in", "out"), "in", '"in" (it begins) or "out" (it ends)')
_DOOR = (_door, 1, "a door number from 1 or a name")

# Events that need the physical world, raised through POST /_emulator/event: param -> (check, default or
# _REQUIRED, what it must be). Parameter names and values as the latest manual's log/caps table lists them.
PHYSICAL_EVENTS: dict[str, dict[str, tuple]] = {
    "DoorStateChanged": {"door": _DOOR, "state": (_one_of("opened", "closed"), _REQUIRED, '"opened" or "closed"')},
    "DoorOpenTooLong": {"door": _DOOR, "state": _IN_OUT},
    "UnauthorizedDoorOpen": {"door": _DOOR, "state": _IN_OUT},
    "TamperSwitchActivated": {"state": _IN_OUT},
    "SilentAlarm": {"state": _IN_OUT},
    "MotionDetected": {"state": _IN_OUT},
    "NoiseDetected": {"state": _IN_OUT},
    "CardEntered": {"direction": (_one_of("in", "out"), "in", '"in" or "out"'),
                    "reader": (_text(r"^\S{1,64}$"), "internal", "a reader name"),
                    "uid": (_text(r"^[0-9A-Fa-f]{2,64}$"), _REQUIRED, "the card's UID in hexadecimal"),
                    "valid": (lambda value: isinstance(value, bool), True, "true or false")},
    "CodeEntered": {"code": (_text(r"^\d{1,16}$"), _REQUIRED, "1 to 16 digits"),
                    "valid": (lambda value: isinstance(value, bool), True, "true or false")},
    "KeyPressed": {"key": (_text(r"^([0-9*#]|%\d{1,3})$"), _REQUIRED, 'a key: 0-9, "*", "#", or "%N" for button N')},
    "KeyReleased": {"key": (_text(r"^([0-9*#]|%\d{1,3})$"), _REQUIRED, 'a key: 0-9, "*", "#", or "%N" for button N')},
}
