"""Device profiles: the starting state of an emulated intercom.

A profile names only what differs from DEFAULT_PROFILE; mappings merge key by key, lists replace.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from .firmware_data import PRIVILEGES, SERVICES

DEFAULT_PROFILE: dict[str, Any] = {
    "licence": True,
    "device": {
        "variant": "2N Helios IP Verso",
        "serialNumber": None,  # derived from the device's index in the fleet
        "hwVersion": "535v1",
        "swVersion": "2.11.0.22.1",
        "buildType": "",
        "deviceName": "2N Helios IP Verso",
        "bootloaderVersion": "2.11.0.22.1",
        # system/info fields of current firmware (the latest manual's example values; macAddr is the device's own)
        "devType": "2-14-0-0",
        "variantId": 14,
        "customerId": 0,
        "firmwarePackage": "verso",
    },
    "services": {name: {"enabled": True, "connection": "http", "auth": "digest"} for name in SERVICES},
    "accounts": [{"username": "admin", "password": "2n", "privileges": list(PRIVILEGES)}],
    "switches": [
        {"enabled": True, "mode": "monostable", "switchOnDuration": 5, "type": "normal", "code": "00000000"},
        {"enabled": True, "mode": "bistable", "switchOnDuration": 5, "type": "normal", "code": ""},
        {"enabled": False, "mode": "monostable", "switchOnDuration": 5, "type": "normal", "code": ""},
        {"enabled": False, "mode": "monostable", "switchOnDuration": 5, "type": "normal", "code": ""},
    ],
    "ports": [
        {"port": "relay1", "type": "output"},
        {"port": "relay2", "type": "output"},
        {"port": "input1", "type": "input"},
        {"port": "input2", "type": "input"},
    ],
    "displays": [{"display": "internal", "width": 320, "height": 240, "standardFunction": False}],
    "camera": {
        "resolutions": [[160, 120], [176, 144], [320, 240], [352, 272], [352, 288], [640, 480]],
        "sources": ["internal", "external"],
        "defaultSource": "internal",
    },
    "sip": [
        {"number": "5046", "domain": "sip.example.test", "registrar": "sip.example.test", "password": "sipsecret"},
        {"number": "", "domain": "", "registrar": "", "password": ""},
    ],
    "restart_time": 2.0,
    "nonce_lifetime": 300.0,  # seconds a Digest nonce is accepted; then the device answers stale=true
    "clock_offset": 0,
    # how long the device and the network between it and the client take, in seconds; all 0 by default (the
    # emulator answers as fast as loopback allows), REALISTIC_TIMING below for an intercom on a real network
    "timing": {"round_trip": 0.0, "tls_handshake": 0.0, "processing": 0.0},
    "faults": {},
    # current firmware only: the Logging service's history queue (the latest manual: the last 10,000 events; the
    # 2.16 edition: 500)
    "log": {"history_size": 10000},
    # current firmware only: seconds after a PUT /api/config's reply until the device runs the new configuration
    # (the latest manual: about 15 s, during which the device must not be restarted); tests shorten it
    "config_apply_delay": 15.0,
}

# An intercom as a controller in a data centre reaches it over a site VPN (`helios-emulator serve --realistic`):
# - round_trip 0.010 s: a regional WAN or site-to-site VPN (in-building LANs are under 1 ms, cross-country links
#   30-60 ms). A new connection pays 1 round trip for TCP and 2 more for a full TLS 1.2 handshake.
# - tls_handshake 0.025 s: the device's CPU for a full handshake with its RSA-2048 certificate: OpenSSL signs
#   40-100 times a second on a 1 GHz Cortex-A8/A9 class SoC (10-25 ms), plus the ECDHE key exchange (3-5 ms).
# - processing 0.010 s: the device's web server parsing, checking the Digest response and answering one API
#   call, on a single-core SoC that is also running SIP, audio and video.
REALISTIC_TIMING: dict[str, float] = {"round_trip": 0.010, "tls_handshake": 0.025, "processing": 0.010}


class ProfileError(ValueError):
    pass


def merge(base: Any, override: Any) -> Any:
    """Deep merge: mappings key by key, everything else (lists included) replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def load_profile(path: str | Path | None) -> dict[str, Any]:
    """The default profile with the file's keys (JSON or YAML) merged over it."""
    if path is None:
        return validate(copy.deepcopy(DEFAULT_PROFILE))
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: not valid JSON/YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a mapping, got {type(data).__name__}")
    return validate(merge(DEFAULT_PROFILE, data))


def validate(profile: dict[str, Any]) -> dict[str, Any]:
    unknown = set(profile) - set(DEFAULT_PROFILE)
    if unknown:
        raise ProfileError(f"unknown profile keys: {', '.join(sorted(unknown))}")
    for name, service in profile["services"].items():
        if name not in SERVICES:
            raise ProfileError(f"services.{name}: unknown service (expected one of {', '.join(SERVICES)})")
        if service.get("connection") not in ("http", "https"):
            raise ProfileError(f"services.{name}.connection must be http or https")
        if service.get("auth") not in ("none", "basic", "digest"):
            raise ProfileError(f"services.{name}.auth must be none, basic or digest")
    if len(profile["accounts"]) > 5:
        raise ProfileError("accounts: at most five accounts")
    for account in profile["accounts"]:
        bad = set(account.get("privileges", [])) - set(PRIVILEGES)
        if bad:
            raise ProfileError(f"accounts: unknown privileges {sorted(bad)}; allowed: {', '.join(PRIVILEGES)}")
    for key, seconds in profile["timing"].items():
        if key not in DEFAULT_PROFILE["timing"]:
            raise ProfileError(f"timing.{key}: unknown (expected one of {', '.join(DEFAULT_PROFILE['timing'])})")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ProfileError(f"timing.{key} must be a number of seconds, 0 or more")
    log = profile["log"]
    history_size = log.get("history_size") if isinstance(log, dict) else None
    if not isinstance(log, dict) or set(log) - {"history_size"} or not isinstance(history_size, int) \
            or isinstance(history_size, bool) or not 1 <= history_size <= 1_000_000:
        raise ProfileError("log: only history_size, a whole number of events from 1 to 1000000")
    delay = profile["config_apply_delay"]
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        raise ProfileError("config_apply_delay must be a number of seconds, 0 or more")
    for switch in profile["switches"]:
        if switch.get("mode") not in ("monostable", "bistable"):
            raise ProfileError("switches: mode must be monostable or bistable")
    for port in profile["ports"]:
        if port.get("type") not in ("input", "output"):
            raise ProfileError("ports: type must be input or output")
    return profile
