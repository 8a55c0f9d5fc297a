"""What each firmware family knows, as data.

The HTTP layer and the device read these tables; a newer firmware (more system/info fields, a switch
`locked` flag, /api/log/* functions) is a new entry here plus the handlers it names, not a rewrite.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Function:
    path: str
    methods: frozenset[str]
    service: str
    privilege: str | None  # None: any authenticated user (system/info: "regardless of access rights")
    licensed: bool
    handler: str  # name of the Device method that executes it


def _functions(*rows: tuple[str, str, str, str | None, bool, str]) -> dict[str, Function]:
    return {
        path: Function(path, frozenset(methods.split("/")), service, privilege, licensed, handler)
        for path, methods, service, privilege, licensed, handler in rows
    }


# Manual chapter 5, table "Overview of HTTP API Functions".
FUNCTIONS_2_11 = _functions(
    ("/api/system/info", "GET/POST", "system", None, False, "system_info"),
    ("/api/system/status", "GET/POST", "system", "system.control", True, "system_status"),
    ("/api/system/restart", "GET/POST", "system", "system.control", True, "system_restart"),
    ("/api/firmware", "PUT", "system", "system.control", True, "firmware_upload"),
    ("/api/firmware/apply", "GET/POST", "system", "system.control", True, "firmware_apply"),
    ("/api/config", "GET/POST/PUT", "system", "system.control", True, "config"),
    ("/api/config/factoryreset", "GET/POST", "system", "system.control", True, "config_factoryreset"),
    ("/api/switch/caps", "GET/POST", "switch", "switch.monitoring", True, "switch_caps"),
    ("/api/switch/status", "GET/POST", "switch", "switch.monitoring", True, "switch_status"),
    ("/api/switch/ctrl", "GET/POST", "switch", "switch.control", True, "switch_ctrl"),
    ("/api/io/caps", "GET/POST", "io", "io.monitoring", True, "io_caps"),
    ("/api/io/status", "GET/POST", "io", "io.monitoring", True, "io_status"),
    ("/api/io/ctrl", "GET/POST", "io", "io.control", True, "io_ctrl"),
    ("/api/phone/status", "GET/POST", "phone", "phone.monitoring", True, "phone_status"),
    ("/api/call/status", "GET/POST", "phone", "phone.monitoring", True, "call_status"),
    ("/api/call/dial", "GET/POST", "phone", "phone.control", True, "call_dial"),
    ("/api/call/answer", "GET/POST", "phone", "phone.control", True, "call_answer"),
    ("/api/call/hangup", "GET/POST", "phone", "phone.control", True, "call_hangup"),
    ("/api/camera/caps", "GET/POST", "camera", "camera.monitoring", False, "camera_caps"),
    ("/api/camera/snapshot", "GET/POST", "camera", "camera.monitoring", False, "camera_snapshot"),
    ("/api/display/caps", "GET/POST", "display", "display.control", True, "display_caps"),
    ("/api/display/image", "PUT/DELETE", "display", "display.control", True, "display_image"),
)

SERVICES = ("system", "switch", "io", "camera", "display", "phone")

PRIVILEGES = (
    "system.monitoring",
    "system.control",
    "phone.monitoring",
    "phone.control",
    "io.monitoring",
    "io.control",
    "switch.monitoring",
    "switch.control",
    "camera.monitoring",
    "display.control",
)


@dataclass(frozen=True)
class FirmwareFamily:
    """API surface of one firmware line (matched on the first two parts of swVersion)."""

    name: str
    functions: dict[str, Function]
    system_info_extra: tuple[str, ...] = ()  # further system/info keys, read from the profile's `device`
    switch_caps_extra: tuple[str, ...] = ()  # further switch/caps keys per enabled switch
    limits: dict[str, int] = field(default_factory=dict)


FAMILIES = {
    "2.11": FirmwareFamily(
        name="2.11",
        functions=FUNCTIONS_2_11,
        limits={"blob-cfg": 8 * 1024 * 1024, "blob-image": 1024 * 1024, "blob-fw": 512 * 1024 * 1024},
    ),
}


@functools.lru_cache(maxsize=64)  # asked on every request; FAMILIES is fixed
def family_for(sw_version: str) -> FirmwareFamily:
    """The newest family not newer than `sw_version` (older firmware answers like 2.11 here)."""
    wanted = version_tuple(sw_version)[:2]
    known = sorted(FAMILIES, key=version_tuple)
    best = known[0]
    for name in known:
        if version_tuple(name) <= wanted:
            best = name
    return FAMILIES[best]


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)
