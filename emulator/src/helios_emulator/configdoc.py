"""The configuration document (`<DeviceDatabase>`): the device's persistent state.

`factory_document` builds it from a profile; `apply_upload` overlays an uploaded document on the factory
defaults (what an upload lacks takes its default, unknown elements are ignored as the device ignores
settings it does not know, hardware facts cannot be changed); the `read_*` views are what the device's
behaviour is driven by.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .firmware_data import PRIVILEGES, PRIVILEGES_2_11, SERVICES_2_11

MAX_ACCOUNTS = 5
SERVICE_TAGS = {"system": "System", "switch": "Switch", "io": "Io", "camera": "Camera", "display": "Display",
                "phone": "Phone", "audio": "Audio", "email": "Email", "logging": "Logging"}
PRIVILEGE_TAGS = {name: "".join(part.capitalize() for part in name.split(".")) for name in PRIVILEGES}


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _choice(*allowed: str) -> Callable[[str], bool]:
    return lambda value: value in allowed


def _integer(low: int, high: int) -> Callable[[str], bool]:
    return lambda value: value.isdigit() and low <= int(value) <= high


def _text(max_length: int) -> Callable[[str], bool]:
    return lambda value: len(value) <= max_length and "\x00" not in value


def _ipv4_or_empty(value: str) -> bool:
    if not value:
        return True
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_BOOL = _choice("0", "1")

# Allowed values per element path (repeated items without their At index).
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "Network/DhcpEnabled": _BOOL,
    "Network/IpAddress": _ipv4_or_empty,
    "Network/Netmask": _ipv4_or_empty,
    "Network/Gateway": _ipv4_or_empty,
    "Network/Dns1": _ipv4_or_empty,
    "Network/Dns2": _ipv4_or_empty,
    "Network/Hostname": lambda value: bool(_HOSTNAME.match(value)),
    "WebServer/DeviceName": _text(64),
    "WebServer/HttpPort": _integer(1, 65535),
    "WebServer/HttpsPort": _integer(1, 65535),
    "WebServer/AdminUser": _text(32),
    "WebServer/AdminPassword": _text(64),
    "HttpApi/Accounts/Account/Enabled": _BOOL,
    "HttpApi/Accounts/Account/UserName": _text(32),
    "HttpApi/Accounts/Account/Password": _text(64),
    "Switches/Switch/Enabled": _BOOL,
    "Switches/Switch/Mode": _choice("monostable", "bistable"),
    "Switches/Switch/SwitchOnDuration": _integer(1, 3600),
    "Switches/Switch/Type": _choice("normal", "security"),
    "Switches/Switch/Code": lambda value: len(value) <= 16 and (value == "" or value.isdigit()),
    "Phone/Sip/Enabled": _BOOL,
    "Phone/Sip/DisplayName": _text(64),
    "Phone/Sip/PhoneNumber": _text(64),
    "Phone/Sip/Domain": _text(128),
    "Phone/Sip/Registrar": _text(128),
    "Phone/Sip/RegistrarEnabled": _BOOL,
    "Phone/Sip/AuthId": _text(64),
    "Phone/Sip/Password": _text(64),
    "Display/Screen/StandardFunction": _BOOL,
    "Camera/DefaultSource": _choice("internal", "external"),
    "Camera/ExternalCameraUrl": _text(256),
}
for _service_tag in SERVICE_TAGS.values():
    VALIDATORS[f"HttpApi/Services/{_service_tag}/Enabled"] = _BOOL
    VALIDATORS[f"HttpApi/Services/{_service_tag}/Connection"] = _choice("http", "https")
    VALIDATORS[f"HttpApi/Services/{_service_tag}/Auth"] = _choice("none", "basic", "digest")
for _privilege_tag in PRIVILEGE_TAGS.values():
    VALIDATORS[f"HttpApi/Accounts/Account/Privileges/{_privilege_tag}"] = _BOOL

# Facts of the hardware: shown in the document, never changed by an upload.
READ_ONLY = {"Network/MacAddress", "Io/Port/Name", "Io/Port/Type", "Display/Screen/Name", "Display/Screen/Width",
             "Display/Screen/Height"}


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = str(text)
    return element


def factory_document(profile: dict[str, Any], identity: dict[str, str], services: tuple[str, ...] = SERVICES_2_11,
                     privileges: tuple[str, ...] = PRIVILEGES_2_11) -> ET.Element:
    """The document a device has after a factory reset; `identity` holds address, serial and ports; `services`
    and `privileges` are those of the device's firmware family (a 2.11 device has no Logging section)."""
    device = profile["device"]
    root = ET.Element("DeviceDatabase", {"Version": "4"})
    network = _sub(root, "Network")
    _sub(network, "MacAddress", identity["mac"])
    _sub(network, "DhcpEnabled", "0")
    _sub(network, "IpAddress", identity["address"])
    _sub(network, "Netmask", "255.0.0.0")
    _sub(network, "Gateway", "")
    _sub(network, "Dns1", "")
    _sub(network, "Dns2", "")
    _sub(network, "Hostname", "helios-" + identity["serial_number"].replace("-", ""))
    web = _sub(root, "WebServer")
    _sub(web, "DeviceName", device["deviceName"])
    _sub(web, "HttpPort", identity["http_port"])
    _sub(web, "HttpsPort", identity["https_port"])
    _sub(web, "AdminUser", "Admin")
    _sub(web, "AdminPassword", "2n")
    api = _sub(root, "HttpApi")
    sections = _sub(api, "Services")
    for name in services:
        settings = profile["services"][name]
        service = _sub(sections, SERVICE_TAGS[name])
        _sub(service, "Enabled", _flag(settings["enabled"]))
        _sub(service, "Connection", settings["connection"])
        _sub(service, "Auth", settings["auth"])
    accounts = _sub(api, "Accounts")
    for index in range(MAX_ACCOUNTS):
        given = profile["accounts"][index] if index < len(profile["accounts"]) else {}
        account = _sub(accounts, "Account", At=str(index))
        _sub(account, "Enabled", _flag(bool(given.get("username")) and given.get("enabled", True)))
        _sub(account, "UserName", given.get("username", ""))
        _sub(account, "Password", given.get("password", ""))
        granted = _sub(account, "Privileges")
        for name in privileges:
            _sub(granted, PRIVILEGE_TAGS[name], _flag(name in given.get("privileges", ())))
    switches = _sub(root, "Switches")
    for index, given in enumerate(profile["switches"]):
        switch = _sub(switches, "Switch", At=str(index))
        _sub(switch, "Enabled", _flag(given["enabled"]))
        _sub(switch, "Mode", given["mode"])
        _sub(switch, "SwitchOnDuration", given.get("switchOnDuration", 5))
        _sub(switch, "Type", given.get("type", "normal"))
        _sub(switch, "Code", given.get("code", ""))
    io = _sub(root, "Io")
    for index, given in enumerate(profile["ports"]):
        port = _sub(io, "Port", At=str(index))
        _sub(port, "Name", given["port"])
        _sub(port, "Type", given["type"])
    phone = _sub(root, "Phone")
    for index, given in enumerate(profile["sip"]):
        sip = _sub(phone, "Sip", At=str(index))
        _sub(sip, "Enabled", _flag(bool(given.get("number"))))
        _sub(sip, "DisplayName", device["deviceName"] if given.get("number") else "")
        _sub(sip, "PhoneNumber", given.get("number", ""))
        _sub(sip, "Domain", given.get("domain", ""))
        _sub(sip, "Registrar", given.get("registrar", ""))
        _sub(sip, "RegistrarEnabled", _flag(bool(given.get("registrar"))))
        _sub(sip, "AuthId", given.get("number", ""))
        _sub(sip, "Password", given.get("password", ""))
    display = _sub(root, "Display")
    for index, given in enumerate(profile["displays"]):
        screen = _sub(display, "Screen", At=str(index))
        _sub(screen, "Name", given["display"])
        _sub(screen, "Width", given["width"])
        _sub(screen, "Height", given["height"])
        _sub(screen, "StandardFunction", _flag(given.get("standardFunction", False)))
    camera = _sub(root, "Camera")
    _sub(camera, "DefaultSource", profile["camera"]["defaultSource"])
    _sub(camera, "ExternalCameraUrl", "")
    return root


def _key(element: ET.Element) -> tuple[str, str | None]:
    return element.tag, element.get("At")


def parse_upload(data: bytes) -> ET.Element:
    """Parse an uploaded document; anything but a well-formed `<DeviceDatabase>` is code 12."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ApiError(12, "blob-cfg")  # no entity expansion on a device
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ApiError(12, "blob-cfg") from exc
    if root.tag != "DeviceDatabase":
        raise ApiError(12, "blob-cfg")
    return root


def apply_upload(factory: ET.Element, upload: ET.Element) -> ET.Element:
    """A new document: the factory defaults with the upload's known values over them, validated."""
    result = ET.fromstring(ET.tostring(factory))
    _overlay(result, upload, "")
    return result


def _overlay(base: ET.Element, upload: ET.Element, path: str) -> None:
    children = {_key(child): child for child in base}
    for given in upload:
        if not isinstance(given.tag, str):
            continue  # comments and processing instructions
        target = children.get(_key(given))
        if target is None:
            continue
        child_path = f"{path}/{given.tag}" if path else given.tag
        if len(target):
            if (given.text or "").strip():
                raise ApiError(12, "blob-cfg")  # text where the device has a section
            _overlay(target, given, child_path)
            continue
        if len(given):
            raise ApiError(12, "blob-cfg")  # a section where the device has a value
        value = (given.text or "").strip()
        if child_path in READ_ONLY:
            continue
        validator = VALIDATORS.get(child_path)
        if validator is not None and not validator(value):
            raise ApiError(12, "blob-cfg")
        target.text = value


def serialize(root: ET.Element, header: dict[str, str]) -> bytes:
    """The document as the device sends it: declaration, comment header, one element per line."""
    tree = ET.fromstring(ET.tostring(root))
    ET.indent(tree, space="")
    lines = "\n".join(f"    {name}: {value}" for name, value in header.items())
    body = ET.tostring(tree, encoding="unicode", short_empty_elements=False)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!--\n{lines}\n-->\n{body}\n'.encode()


# Views the behaviour reads -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServicePolicy:
    enabled: bool
    connection: str
    auth: str


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    privileges: frozenset[str]


def _text_of(element: ET.Element, path: str, default: str = "") -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else default


def _items(root: ET.Element, path: str) -> list[ET.Element]:
    return sorted(root.findall(path), key=lambda item: int(item.get("At", "0")))


def read_services(root: ET.Element) -> dict[str, ServicePolicy]:
    result = {}
    for name, tag in SERVICE_TAGS.items():
        base = f"HttpApi/Services/{tag}/"
        result[name] = ServicePolicy(
            enabled=_text_of(root, base + "Enabled") == "1",
            connection=_text_of(root, base + "Connection", "http"),
            auth=_text_of(root, base + "Auth", "digest"),
        )
    return result


def read_accounts(root: ET.Element) -> list[Account]:
    accounts = []
    for item in _items(root, "HttpApi/Accounts/Account"):
        username = _text_of(item, "UserName")
        if _text_of(item, "Enabled") != "1" or not username:
            continue
        granted = frozenset(name for name, tag in PRIVILEGE_TAGS.items() if _text_of(item, f"Privileges/{tag}") == "1")
        accounts.append(Account(username, _text_of(item, "Password"), granted))
    return accounts


def read_switches(root: ET.Element) -> list[dict[str, Any]]:
    return [
        {
            "switch": int(item.get("At", "0")) + 1,
            "enabled": _text_of(item, "Enabled") == "1",
            "mode": _text_of(item, "Mode"),
            "switchOnDuration": int(_text_of(item, "SwitchOnDuration", "5")),
            "type": _text_of(item, "Type"),
        }
        for item in _items(root, "Switches/Switch")
    ]


def read_ports(root: ET.Element) -> list[dict[str, str]]:
    return [{"port": _text_of(item, "Name"), "type": _text_of(item, "Type")} for item in _items(root, "Io/Port")]


def read_sip_accounts(root: ET.Element) -> list[dict[str, Any]]:
    return [
        {
            "account": int(item.get("At", "0")) + 1,
            "enabled": _text_of(item, "Enabled") == "1",
            "sipNumber": _text_of(item, "PhoneNumber"),
            "registrar": _text_of(item, "Registrar"),
            "registrarEnabled": _text_of(item, "RegistrarEnabled") == "1",
        }
        for item in _items(root, "Phone/Sip")
    ]


def read_displays(root: ET.Element) -> list[dict[str, Any]]:
    return [
        {
            "display": _text_of(item, "Name"),
            "width": int(_text_of(item, "Width", "0")),
            "height": int(_text_of(item, "Height", "0")),
            "standardFunction": _text_of(item, "StandardFunction") == "1",
        }
        for item in _items(root, "Display/Screen")
    ]


def read_device_name(root: ET.Element) -> str:
    return _text_of(root, "WebServer/DeviceName")


def read_default_source(root: ET.Element) -> str:
    return _text_of(root, "Camera/DefaultSource", "internal")
