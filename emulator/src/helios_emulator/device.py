"""One emulated intercom: its configuration document, runtime state and the API functions' behaviour.

The HTTP layer (server.py) has already checked path, method, service, transport, authentication, privileges
and licence; a handler here only sees the function's parameters and raises ApiError for bad ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import configdoc, media
from .errors import ApiError
from .firmware import FirmwareError, FirmwareImage, read_image
from .firmware_data import FirmwareFamily, family_for, version_tuple

OUTGOING_CONNECTING_S = 0.5  # an outgoing call is "connecting" this long, then "ringing"
OUTGOING_ANSWERED_S = 3.0  # ... and the far end answers after this long
MAX_CALLS = 8
MAX_FPS = 30


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
        self.document = self.factory_config()
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
        return configdoc.factory_document(self.profile, self.identity)

    def _load_state(self) -> None:
        if self.state_dir is None:
            return
        config_file = self.state_dir / "config.xml"
        device_file = self.state_dir / "device.json"
        if config_file.exists():
            saved_document = configdoc.parse_upload(config_file.read_bytes())
            self.document = configdoc.apply_upload(self.factory_config(), saved_document)
        if device_file.exists():
            saved = json.loads(device_file.read_text())
            self.sw_version = saved.get("swVersion", self.sw_version)
            self.build_type = saved.get("buildType", self.build_type)

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
        self.boot_monotonic = time.monotonic()
        self.boot_time = self.now()
        self.switch_active_until: dict[int, float] = {}  # switch -> monotonic deadline (inf: bistable on)
        self.port_levels: dict[str, int] = {}
        self.calls: dict[int, Call] = {}
        self.next_session = 1
        self.display_images: dict[str, str] = {}  # display -> sha256 of the uploaded GIF
        self.snapshot_frames = 0

    def now(self) -> float:
        return time.time() + self.clock_offset

    def restart_downtime(self) -> float:
        return self.restart_time + float(self.faults.get("restart_extra", 0) or 0)

    def begin_restart(self) -> float:
        self.restarting = True
        return self.restart_downtime()

    def boot(self) -> None:
        """Come back from a restart: pending firmware becomes the running one, runtime state starts over."""
        if self.pending_firmware is not None and self.pending_firmware_applied:
            self.sw_version = self.pending_firmware.version
            self.build_type = self.pending_firmware.build_type
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
        return {
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
        for key in self.family.system_info_extra:
            result[key] = self.profile["device"].get(key)
        return Reply(result)

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
        self.document = configdoc.apply_upload(self.factory_config(), configdoc.parse_upload(blob.read()))
        self.save_state()
        return Reply()

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
        return time.monotonic() < self.switch_active_until.get(switch, 0.0)

    def _switch_states(self) -> list[dict[str, Any]]:
        return [{"switch": item["switch"], "active": self._is_active(item["switch"])} for item in self._switches()]

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
        if action not in ("on", "off", "trigger"):
            raise ApiError(12, "action")
        switch = switches[number - 1]
        if not switch["enabled"]:
            raise ApiError(12, "switch")  # a disabled switch cannot be controlled
        if action == "trigger":
            action = "off" if self._is_active(number) else "on"
        if action == "off":
            self.switch_active_until.pop(number, None)
        elif switch["mode"] == "monostable":
            self.switch_active_until[number] = time.monotonic() + switch["switchOnDuration"]
        else:
            self.switch_active_until[number] = float("inf")
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
        self.port_levels[name] = 1 if action == "on" else 0
        return Reply()

    def set_input(self, name: str, level: int) -> None:
        port = next((item for item in self._ports() if item["port"] == name), None)
        if port is None or port["type"] != "input":
            raise ValueError(f"{name} is not an input")
        self.port_levels[name] = 1 if level else 0

    # phone and calls --------------------------------------------------------------------------------------

    def phone_status(self, request: Request) -> Reply:
        accounts = []
        register_time = int(self.boot_time) + 1
        for item in configdoc.read_sip_accounts(self.document):
            registered = item["enabled"] and item["registrarEnabled"] and bool(item["sipNumber"] and item["registrar"])
            entry = {"account": item["account"], "sipNumber": item["sipNumber"], "registered": registered}
            if registered:
                entry["registerTime"] = register_time
            accounts.append(entry)
        return Reply({"accounts": self._selected(accounts, "account", request)})

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
        return Reply()

    def call_hangup(self, request: Request) -> Reply:
        del self.calls[self._session(request).session]
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
