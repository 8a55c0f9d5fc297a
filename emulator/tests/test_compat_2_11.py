"""The 2.11 family answers exactly as the emulator did before the current-firmware family existed.

golden_2_11/ holds the replies (status line, Content-Type, body) of a default device of the emulator at commit
afb720f, the last one with only the 2.11 family, to the requests below: every read of the manual, the paths that
current firmware adds (error 2 on 2.11), an unknown path, a bad parameter and a request without credentials. The
device's address is written {address}, its ports {http_port} and {https_port}, and times {time}; everything else
must match byte for byte.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

GOLDEN = Path(__file__).resolve().parent / "golden_2_11"
CALLS = ["system/info", "system/status", "switch/caps", "switch/status", "io/caps", "io/status", "phone/status",
         "call/status", "camera/caps", "display/caps", "config", "log/caps", "log/subscribe", "log/pull",
         "log/unsubscribe", "audio/test", "email/send", "nonexistent", "switch/ctrl?switch=9&action=on"]
TIMES = re.compile(rb'("(?:systemTime|registerTime|upTime)" : )\d+')


def golden_name(call: str) -> str:
    return call.replace("/", "_").replace("?", "_").replace("&", "_").replace("=", "-") + ".txt"


def as_recorded(device, response: requests.Response, header: str) -> bytes:
    text = f"{response.status_code} {header}\n".encode() + response.content
    text = text.replace(device.address.encode(), b"{address}")
    text = text.replace(f"<HttpPort>{device.http_port}<".encode(), b"<HttpPort>{http_port}<")
    text = text.replace(f"<HttpsPort>{device.https_port}<".encode(), b"<HttpsPort>{https_port}<")
    return TIMES.sub(rb"\1{time}", text)


@pytest.fixture(scope="module")
def device(launch):
    emulator = launch(devices=1)
    yield emulator.take()
    emulator.stop()


@pytest.mark.parametrize("call", CALLS)
def test_a_2_11_device_answers_as_before(device, call):
    response = device.get("/api/" + call)
    expected = (GOLDEN / golden_name(call)).read_bytes()
    assert as_recorded(device, response, response.headers.get("Content-Type")) == expected


def test_a_2_11_device_challenges_as_before(device):
    response = device.get("/api/system/info", auth=None)
    expected = (GOLDEN / "unauth.txt").read_bytes()
    assert as_recorded(device, response, response.headers.get("WWW-Authenticate", "")[:6]) == expected
