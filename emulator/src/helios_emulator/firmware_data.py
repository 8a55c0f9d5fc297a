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

# Functions the later manuals add (editions 2.13 to "latest"), as a current device answers them. The Logging
# service's functions need no privilege of their own: what a channel receives depends on the account's privileges
# (EVENT_PRIVILEGES below). Audio and e-mail need their control privileges.
FUNCTIONS_CURRENT = {
    **FUNCTIONS_2_11,
    **_functions(
        ("/api/audio/test", "GET/POST", "audio", "audio.control", True, "audio_test"),
        ("/api/email/send", "GET/POST", "email", "email.control", True, "email_send"),
        ("/api/log/caps", "GET/POST", "logging", None, True, "log_caps"),
        ("/api/log/subscribe", "GET/POST", "logging", None, True, "log_subscribe"),
        ("/api/log/pull", "GET/POST", "logging", None, True, "log_pull"),
        ("/api/log/unsubscribe", "GET/POST", "logging", None, True, "log_unsubscribe"),
    ),
}

SERVICES_2_11 = ("system", "switch", "io", "camera", "display", "phone")
SERVICES_CURRENT = SERVICES_2_11 + ("audio", "email", "logging")
SERVICES = SERVICES_CURRENT  # every service any family knows (what a profile may name)

PRIVILEGES_2_11 = (
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
# the later manuals' user accounts add audio and e-mail control, and keypad and card (UID) monitoring, which
# decide who sees the keypad and card events of the Logging service
PRIVILEGES_CURRENT = PRIVILEGES_2_11 + ("audio.control", "email.control", "keypad.monitoring", "card.monitoring")
PRIVILEGES = PRIVILEGES_CURRENT

# Event types a current device reports (/api/log/caps) and the privilege an account needs to receive each, per the
# latest manual's table in /api/log/subscribe (None: every account). The 2.16 edition's table has fewer types
# (no DoorStateChanged, SilentAlarm or ConfigurationChanged) and the same privileges for those it has.
EVENT_PRIVILEGES: dict[str, str | None] = {
    "DeviceState": None,
    "AudioLoopTest": None,
    "MotionDetected": None,
    "NoiseDetected": None,
    "TamperSwitchActivated": None,
    "UnauthorizedDoorOpen": None,
    "DoorOpenTooLong": None,
    "DoorStateChanged": None,
    "SilentAlarm": None,
    "ConfigurationChanged": None,
    "KeyPressed": "keypad.monitoring",
    "KeyReleased": "keypad.monitoring",
    "CodeEntered": "keypad.monitoring",
    "CardEntered": "card.monitoring",
    "InputChanged": "io.monitoring",
    "OutputChanged": "io.monitoring",
    "SwitchStateChanged": "io.monitoring",
    "CallStateChanged": "phone.monitoring",
    "RegistrationStateChanged": "phone.monitoring",
}

LIMITS = {"blob-cfg": 8 * 1024 * 1024, "blob-image": 1024 * 1024, "blob-fw": 512 * 1024 * 1024}


@dataclass(frozen=True)
class FirmwareFamily:
    """API surface of one firmware line (matched on the first two parts of swVersion)."""

    name: str
    functions: dict[str, Function]
    system_info_extra: tuple[str, ...] = ()  # further system/info keys, read from the profile's `device`
    switch_caps_extra: tuple[str, ...] = ()  # further switch/caps keys per enabled switch
    limits: dict[str, int] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES_2_11  # the services (and configuration sections) it has
    privileges: tuple[str, ...] = PRIVILEGES_2_11  # the account privileges it has
    events: tuple[str, ...] = ()  # event types of its Logging service (none: no Logging service)
    switch_locks: bool = False  # switch/caps and switch/status report `locked` (and status `held`)
    config_apply_delay: bool = False  # PUT /api/config takes effect after the profile's config_apply_delay


FAMILIES = {
    "2.11": FirmwareFamily(
        name="2.11",
        functions=FUNCTIONS_2_11,
        limits=LIMITS,
    ),
    # every firmware from 2.13 on answers as the latest manual describes
    "2.13": FirmwareFamily(
        name="current",
        functions=FUNCTIONS_CURRENT,
        # system/info of the latest manual, in its order; the profile's `device` gives the values
        system_info_extra=("devType", "variantId", "customerId", "macAddr", "firmwarePackage"),
        limits=LIMITS,
        services=SERVICES_CURRENT,
        privileges=PRIVILEGES_CURRENT,
        events=tuple(EVENT_PRIVILEGES),
        switch_locks=True,
        config_apply_delay=True,
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
