"""Test harness: real `helios-emulator serve` processes and a raw HTTP(S) client for them.

Nothing here mocks anything: an `Emulator` is a subprocess listening on loopback addresses, and a `Dev`
speaks HTTP/HTTPS to one of its devices with `requests` (Digest/Basic auth from requests itself).
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import os
import signal
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import requests
from PIL import Image
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from requests.utils import parse_dict_header

from helios_emulator.testing import EmulatorProcess, free_port_pair, port_is_free

ADMIN = ("admin", "2n")
JSON = "application/json"

# Manual chapter 5: path -> (methods, service, privilege, licensed)
FUNCTIONS: dict[str, tuple[tuple[str, ...], str, str | None, bool]] = {
    "/api/system/info": (("GET", "POST"), "system", None, False),
    "/api/system/status": (("GET", "POST"), "system", "system.control", True),
    "/api/system/restart": (("GET", "POST"), "system", "system.control", True),
    "/api/firmware": (("PUT",), "system", "system.control", True),
    "/api/firmware/apply": (("GET", "POST"), "system", "system.control", True),
    "/api/config": (("GET", "POST", "PUT"), "system", "system.control", True),
    "/api/config/factoryreset": (("GET", "POST"), "system", "system.control", True),
    "/api/switch/caps": (("GET", "POST"), "switch", "switch.monitoring", True),
    "/api/switch/status": (("GET", "POST"), "switch", "switch.monitoring", True),
    "/api/switch/ctrl": (("GET", "POST"), "switch", "switch.control", True),
    "/api/io/caps": (("GET", "POST"), "io", "io.monitoring", True),
    "/api/io/status": (("GET", "POST"), "io", "io.monitoring", True),
    "/api/io/ctrl": (("GET", "POST"), "io", "io.control", True),
    "/api/phone/status": (("GET", "POST"), "phone", "phone.monitoring", True),
    "/api/call/status": (("GET", "POST"), "phone", "phone.monitoring", True),
    "/api/call/dial": (("GET", "POST"), "phone", "phone.control", True),
    "/api/call/answer": (("GET", "POST"), "phone", "phone.control", True),
    "/api/call/hangup": (("GET", "POST"), "phone", "phone.control", True),
    "/api/camera/caps": (("GET", "POST"), "camera", "camera.monitoring", False),
    "/api/camera/snapshot": (("GET", "POST"), "camera", "camera.monitoring", False),
    "/api/display/caps": (("GET", "POST"), "display", "display.control", True),
    "/api/display/image": (("PUT", "DELETE"), "display", "display.control", True),
}

# Manual 2.3
DESCRIPTIONS = {
    1: "function is not supported",
    2: "invalid request path",
    3: "invalid request method",
    4: "function is disabled",
    5: "function is licensed",
    7: "invalid connection type",
    8: "invalid authentication method",
    9: "authorisation required",
    10: "insufficient user privileges",
    11: "missing mandatory parameter",
    12: "invalid parameter value",
    13: "parameter data too big",
    14: "unspecified processing error",
}


# addresses -------------------------------------------------------------------------------------------------

class AddressPool:
    """Loopback addresses for one test process: 127.0.10.x-127.0.19.x split between xdist workers.

    Ports are picked per session (a random pair in 18080-18379 / 18480-18779 that is free), so two sessions of this
    suite on one machine (a developer's and CI's) rarely meet; `take` skips addresses something already listens on.
    """

    def __init__(self, worker: int, workers: int, seed: int | None = None):
        per_worker = max(1, 10 // max(1, workers))
        first_octet = 10 + (worker * per_worker) % 10
        self.octets = [first_octet + i for i in range(per_worker) if first_octet + i <= 19]
        probe = f"127.0.{self.octets[0]}.254"
        self.http_port, self.https_port = free_port_pair([probe], 18080, 18379,
                                                         seed=seed if seed is not None else os.getpid())
        self._octet = 0
        self._next = 1

    def _advance(self, count: int) -> str:
        while self._next + count - 1 > 253:  # .254 is the port probe's
            self._octet += 1
            self._next = 1
            if self._octet >= len(self.octets):
                raise RuntimeError("address pool exhausted: give the tests fewer emulators")
        first = f"127.0.{self.octets[self._octet]}.{self._next}"
        self._next += count
        return first

    def take(self, count: int) -> str:
        """The first of `count` consecutive unused addresses where both ports are free."""
        while True:
            first = self._advance(count)
            start = ipaddress.IPv4Address(first)
            ports = (self.http_port, self.https_port)
            if all(port_is_free(str(start + n), port) for n in range(count) for port in ports):
                return first


# the emulator process ----------------------------------------------------------------------------------------

class Emulator(EmulatorProcess):
    """One `helios-emulator serve` process, handing out its devices as `Dev` clients."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.devices: list[Dev] = []
        self._taken = 0

    def start(self, timeout: float = 30.0) -> Emulator:
        super().start(timeout)
        self.devices = [Dev(entry, self.ca_path) for entry in self.ready["devices"]]
        return self

    def untaken(self) -> int:
        return len(self.devices) - self._taken

    def take(self) -> Dev:
        """A device no other test has used yet."""
        if self._taken >= len(self.devices):
            raise RuntimeError(f"{self.name}: all {len(self.devices)} devices are used; start more")
        device = self.devices[self._taken]
        self._taken += 1
        return device

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `signum`, wait for the exit and return the exit code (failing if it had to be killed)."""
        for device in self.devices:
            device.close()
        code = super().stop(signum, timeout)
        if code == -9:
            raise AssertionError(f"{self.name} did not exit within {timeout} s of signal {signum}")
        return code


# the client side -------------------------------------------------------------------------------------------

class Dev:
    """A client for one emulated device (its own keep-alive session)."""

    def __init__(self, entry: dict[str, Any], ca_path: str | None):
        self.address = entry["address"]
        self.http_port = entry["http_port"]
        self.https_port = entry["https_port"]
        self.serial = entry["serial_number"]
        self.ca_path = ca_path
        self.session = new_session()
        self.digest = HTTPDigestAuth(*ADMIN)

    def close(self) -> None:
        self.session.close()

    def url(self, path: str, https: bool = False) -> str:
        if https:
            return f"https://{self.address}:{self.https_port}{path}"
        return f"http://{self.address}:{self.http_port}{path}"

    def request(self, method: str, path: str, *, https: bool = False, auth: Any = "admin", timeout: float = 10,
                **kwargs: Any) -> requests.Response:
        """`auth`: "admin" (Digest admin/2n), None (no credentials), or any requests auth object."""
        if auth == "admin":
            auth = self.digest
        if https:
            kwargs.setdefault("verify", self.ca_path)
        return self.session.request(method, self.url(path, https), auth=auth, timeout=timeout, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def ok(self, path: str, method: str = "GET", **kwargs: Any) -> dict[str, Any] | None:
        """Call a function that must succeed; return its `result` (None for replies without one)."""
        response = self.request(method, path, **kwargs)
        body = json_reply(response)
        assert body["success"] is True, f"{method} {path}: {body}"
        return body.get("result")

    def error(self, path: str, code: int, param: str | None = None, method: str = "GET", status: int = 200,
              **kwargs: Any) -> requests.Response:
        response = self.request(method, path, **kwargs)
        assert_error(response, code, param, status)
        return response

    # admin endpoints (no auth, outside /api)
    def admin(self, action: str, body: dict[str, Any] | None = None) -> Any:
        url = self.url(f"/_emulator/{action}")
        response = self.session.post(url, json=body, timeout=10) if body is not None or action.endswith("clear") \
            else self.session.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.admin("state")

    # restarts
    def listening(self, port: int | None = None) -> bool:
        try:
            with socket.create_connection((self.address, port or self.http_port), timeout=0.5):
                return True
        except OSError:
            return False

    def wait_down(self, timeout: float = 5.0) -> float:
        """Wait until connections are refused; return when that was first seen (monotonic)."""
        deadline = time.monotonic() + timeout
        while self.listening():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.address} still listening {timeout} s after a restart was asked for")
            time.sleep(0.01)
        return time.monotonic()

    def wait_up(self, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        # a device listens on its HTTP port first, then on its HTTPS port: back means both
        while not (self.listening() and self.listening(self.https_port)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.address} not back within {timeout} s")
            time.sleep(0.01)
        return time.monotonic()

    def config(self) -> ET.Element:
        response = self.get("/api/config")
        assert response.headers["Content-Type"] == "application/xml", response.headers
        return ET.fromstring(response.content)

    def put_config(self, root: ET.Element | bytes, raw: bool = False) -> requests.Response:
        data = root if isinstance(root, bytes) else ET.tostring(root, encoding="UTF-8", xml_declaration=True)
        if raw:
            return self.request("PUT", "/api/config", data=data,
                                headers={"Content-Type": "application/octet-stream"})
        return self.request("PUT", "/api/config", files={"blob-cfg": ("config.xml", data, "application/xml")})


def new_session() -> requests.Session:
    session = requests.Session()
    # no proxies or CA bundles from the environment (psf/requests#3829): every request says what it verifies
    session.trust_env = False
    return session


def json_reply(response: requests.Response) -> dict[str, Any]:
    assert response.headers.get("Content-Type") == JSON, (response.status_code, response.headers, response.text)
    return response.json()


def assert_error(response: requests.Response, code: int, param: str | None = None, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = json_reply(response)
    assert body["success"] is False, body
    error = body["error"]
    assert error["code"] == code, body
    assert error["description"] == DESCRIPTIONS[code], body
    if param is not None:
        assert error.get("param") == param, body
    return error


# digest by hand (for replay and wrong-method tests) -------------------------------------------------------------

def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 2617 Digest


@dataclass
class Challenge:
    realm: str
    nonce: str
    qop: str
    opaque: str
    algorithm: str
    stale: bool


def parse_challenge(header: str) -> Challenge:
    scheme, _, rest = header.partition(" ")
    assert scheme == "Digest", header
    params = parse_dict_header(rest)
    return Challenge(params["realm"], params["nonce"], params["qop"], params.get("opaque", ""),
                     params.get("algorithm", "MD5"), params.get("stale", "false").lower() == "true")


def digest_header(challenge: Challenge, username: str, password: str, method: str, uri: str, nc: int,
                  cnonce: str = "0a4f113b") -> str:
    ha1 = md5(f"{username}:{challenge.realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    count = f"{nc:08x}"
    response = md5(f"{ha1}:{challenge.nonce}:{count}:{cnonce}:auth:{ha2}")
    return (f'Digest username="{username}", realm="{challenge.realm}", nonce="{challenge.nonce}", uri="{uri}", '
            f'algorithm=MD5, qop=auth, nc={count}, cnonce="{cnonce}", response="{response}", '
            f'opaque="{challenge.opaque}"')


# media -------------------------------------------------------------------------------------------------------

def gif(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30), fmt: str = "GIF") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt)
    return out.getvalue()


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


def basic(username: str, password: str) -> HTTPBasicAuth:
    return HTTPBasicAuth(username, password)


def digest(username: str, password: str) -> HTTPDigestAuth:
    return HTTPDigestAuth(username, password)


def worker_index() -> tuple[int, int]:
    """(index, count) of this xdist worker; (0, 1) without xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0, count


def wait_for(predicate, timeout: float, interval: float = 0.02, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; bounded."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout} s")
        time.sleep(interval)


def set_text(root: ET.Element, path: str, value: str) -> None:
    element = root.find(path)
    assert element is not None, path
    element.text = value


def fleet_fixture(devices: int = 1, profile: dict[str, Any] | None = None, scope: str = "module",
                  profile_format: str = "json"):
    """A pytest fixture that runs one emulator for its scope and asserts it exits cleanly (code 0) on SIGTERM."""
    import pytest

    @pytest.fixture(scope=scope)
    def _fleet(launch):
        emulator = launch(devices=devices, profile=profile, profile_format=profile_format)
        yield emulator
        code = emulator.stop(signal.SIGTERM)
        assert code == 0, f"emulator exited with {code}:\n{emulator.log_text()}"

    return _fleet


def background(jpeg: bytes) -> tuple[int, ...]:
    """The dominant colour of a snapshot (per-band median)."""
    from PIL import ImageStat

    with Image.open(io.BytesIO(jpeg)) as image:
        return tuple(ImageStat.Stat(image.convert("RGB")).median)


def same_colour(one: tuple[int, ...], other: tuple[int, ...], tolerance: int = 8) -> bool:
    """Equal but for JPEG noise."""
    return all(abs(a - b) <= tolerance for a, b in zip(one, other, strict=True))


@dataclass
class Timed:
    """A call with the monotonic times it was sent and its reply received: the server acted in between."""

    sent: float
    value: Any
    received: float


def timed(call) -> Timed:
    sent = time.monotonic()
    value = call()
    return Timed(sent, value, time.monotonic())


def poll(call, seconds: float, interval: float = 0.05) -> list[Timed]:
    """Call repeatedly for `seconds` (bounded), keeping each result with its timing."""
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append(timed(call))
        time.sleep(interval)
    return results
