"""In-process unit tests of the emulator's pure pieces (no HTTP): Digest nonce expiry, images, documents, profiles.

Only here is anything patched: the nonce lifetime of an Authenticator, to reach the stale path without waiting
five minutes.
"""

from __future__ import annotations

import base64
import copy
import io
import time

import pytest
from harness import Challenge, digest_header, gif, parse_challenge

from helios_emulator import auth, configdoc, firmware, media, profile
from helios_emulator.configdoc import Account
from helios_emulator.errors import ApiError
from helios_emulator.firmware_data import FAMILIES, FUNCTIONS_2_11, PRIVILEGES, family_for, version_tuple

ADMIN = Account("admin", "2n", frozenset(PRIVILEGES))
PATH = "/api/system/status"


def challenge_of(authenticator: auth.Authenticator, stale: bool = False) -> Challenge:
    return parse_challenge(authenticator.challenge("digest", stale=stale))


def answer(authenticator, challenge, password="2n", nc=1, method="GET", uri=PATH, request_uri=PATH):
    header = digest_header(challenge, "admin", password, method, uri, nc)
    return authenticator.check("digest", header, method, [ADMIN], uri=request_uri)


def test_digest_accepts_a_correct_answer():
    authenticator = auth.Authenticator()
    result = answer(authenticator, challenge_of(authenticator))
    assert result.account == ADMIN and not result.stale and not result.wrong_method


def test_expired_nonce_is_stale():
    authenticator = auth.Authenticator()
    challenge = challenge_of(authenticator)
    assert answer(authenticator, challenge).account == ADMIN
    authenticator.nonce_lifetime = 0.0
    time.sleep(0.01)
    result = answer(authenticator, challenge, nc=2)
    assert result.account is None and result.stale is True  # right password, old nonce
    assert answer(authenticator, challenge, password="wrong", nc=3).stale is False  # wrong password: not stale
    assert "stale=true" in authenticator.challenge("digest", stale=True)
    authenticator.nonce_lifetime = 300.0
    fresh = challenge_of(authenticator)
    assert answer(authenticator, fresh).account == ADMIN  # a new nonce works again


def test_nonce_lifetime_constant():
    assert 30 <= auth.NONCE_LIFETIME_S <= 3600


def test_stale_challenge_is_understood_by_requests():
    authenticator = auth.Authenticator()
    header = authenticator.challenge("digest", stale=True)
    challenge = parse_challenge(header)
    assert challenge.stale and challenge.qop == "auth" and challenge.algorithm == "MD5"
    assert parse_challenge(authenticator.challenge("digest")).stale is False


def test_nonce_counts_must_grow():
    authenticator = auth.Authenticator()
    challenge = challenge_of(authenticator)
    assert answer(authenticator, challenge, nc=1).account == ADMIN
    assert answer(authenticator, challenge, nc=1).account is None
    assert answer(authenticator, challenge, nc=3).account == ADMIN
    assert answer(authenticator, challenge, nc=2).account is None
    other = challenge_of(authenticator)  # counts are per nonce
    assert answer(authenticator, other, nc=1).account == ADMIN


def test_digest_is_bound_to_method_and_resource():
    authenticator = auth.Authenticator()
    challenge = challenge_of(authenticator)
    header = digest_header(challenge, "admin", "2n", "GET", PATH, 1)
    assert authenticator.check("digest", header, "POST", [ADMIN], uri=PATH).account is None
    assert authenticator.check("digest", header, "GET", [ADMIN], uri="/api/config").account is None
    header = digest_header(challenge, "admin", "2n", "GET", PATH + "?x=1", 2)
    assert authenticator.check("digest", header, "GET", [ADMIN], uri=PATH + "?x=1").account == ADMIN


def test_nonces_issued_in_the_same_millisecond_differ():
    authenticator = auth.Authenticator()
    nonces = {authenticator.new_nonce() for _ in range(200)}
    assert len(nonces) == 200


def test_nonces_are_per_authenticator():
    one, other = auth.Authenticator(), auth.Authenticator()
    assert answer(other, challenge_of(one)).account is None


def test_rfc2069_answer_without_qop():
    authenticator = auth.Authenticator()
    challenge = challenge_of(authenticator)
    ha1 = auth._md5(f"admin:{auth.REALM}:2n")
    ha2 = auth._md5(f"GET:{PATH}")
    response = auth._md5(f"{ha1}:{challenge.nonce}:{ha2}")
    header = f'Digest username="admin", realm="{auth.REALM}", nonce="{challenge.nonce}", uri="{PATH}", ' \
             f'response="{response}"'
    assert authenticator.check("digest", header, "GET", [ADMIN], uri=PATH).account == ADMIN


def test_wrong_scheme_and_garbage():
    authenticator = auth.Authenticator()
    basic_header = "Basic " + base64.b64encode(b"admin:2n").decode()
    assert authenticator.check("digest", basic_header, "GET", [ADMIN]).wrong_method is True
    assert authenticator.check("basic", 'Digest username="admin"', "GET", [ADMIN]).wrong_method is True
    assert authenticator.check("basic", basic_header, "GET", [ADMIN]).account == ADMIN
    assert authenticator.check("basic", "Basic !!!", "GET", [ADMIN]).account is None
    assert authenticator.check("digest", "Digest nonsense", "GET", [ADMIN]).account is None
    assert authenticator.check("digest", "Bearer token", "GET", [ADMIN]) == auth.AuthResult()
    assert authenticator.check("digest", None, "GET", [ADMIN]) == auth.AuthResult()


def test_parse_digest_params_quoting():
    params = auth.parse_digest_params('username="a, \\"b\\"", nc=00000001, qop=auth, uri="/x?y=1,2"')
    assert params == {"username": 'a, "b"', "nc": "00000001", "qop": "auth", "uri": "/x?y=1,2"}


# firmware images ---------------------------------------------------------------------------------------------

def test_firmware_round_trip(tmp_path):
    path = firmware.write_image(tmp_path / "fw.bin", "2.12.0.1.1", "2N Helios IP Verso", size=3 * 1024 * 1024 + 5,
                                build_type="beta")
    with path.open("rb") as stream:
        image = firmware.read_image(stream)
    assert image == firmware.FirmwareImage("2N Helios IP Verso", "2.12.0.1.1", "beta", 3 * 1024 * 1024 + 5)


def test_firmware_payloads_differ_per_version(tmp_path):
    one = firmware.write_image(tmp_path / "a.bin", "2.12.0.1.1", "v", size=2000).read_bytes()
    two = firmware.write_image(tmp_path / "b.bin", "2.12.0.1.2", "v", size=2000).read_bytes()
    assert one.split(b"\n", 2)[2] != two.split(b"\n", 2)[2]


@pytest.mark.parametrize("data", [b"", b"2N-HELIOS-FW/1\n", b"2N-HELIOS-FW/1\n{}\n", b"MZ\x90\x00" * 10])
def test_firmware_corrupt(data):
    with pytest.raises(firmware.FirmwareError):
        firmware.read_image(io.BytesIO(data))


def test_versions_and_families():
    assert version_tuple("2.11.0.22.1") > version_tuple("2.10.0.19.2")
    assert version_tuple("2.11.0.22.1") < version_tuple("2.11.0.22.10")
    assert version_tuple("2.11.0.22.1-beta") == (2, 11, 0, 22, 1)
    assert family_for("2.11.0.22.1") is FAMILIES["2.11"]
    assert family_for("2.10.0.19.2") is FAMILIES["2.11"]  # older firmware answers like 2.11 here
    assert len(FUNCTIONS_2_11) == 22
    assert FAMILIES["2.11"].limits["blob-cfg"] == 8 * 1024 * 1024


# configuration documents -------------------------------------------------------------------------------------

IDENTITY = {"address": "127.0.0.9", "serial_number": "54-2711-0009", "mac": "7C-1E-B3-00-00-09",
            "http_port": "80", "https_port": "443"}


def factory():
    return configdoc.factory_document(profile.load_profile(None), IDENTITY)


def test_factory_document_views():
    root = factory()
    assert configdoc.read_services(root)["io"] == configdoc.ServicePolicy(True, "http", "digest")
    assert [a.username for a in configdoc.read_accounts(root)] == ["admin"]
    assert configdoc.read_switches(root)[0]["switchOnDuration"] == 5
    assert configdoc.read_displays(root) == [
        {"display": "internal", "width": 320, "height": 240, "standardFunction": False}]


def test_upload_overlays_and_validates():
    upload = configdoc.parse_upload(b"<DeviceDatabase><Switches><Switch At='1'><Mode>monostable</Mode></Switch>"
                                    b"<Switch At='9'><Mode>bistable</Mode></Switch></Switches>"
                                    b"<Unknown>ignored</Unknown></DeviceDatabase>")
    result = configdoc.apply_upload(factory(), upload)
    assert [item["mode"] for item in configdoc.read_switches(result)] == ["monostable", "monostable", "monostable",
                                                                          "monostable"]
    with pytest.raises(ApiError) as error:
        configdoc.apply_upload(factory(), configdoc.parse_upload(
            b"<DeviceDatabase><Network><Hostname>-bad-</Hostname></Network></DeviceDatabase>"))
    assert (error.value.code, error.value.param) == (12, "blob-cfg")


@pytest.mark.parametrize("data", [b"<a/>", b"<DeviceDatabase>", b'<!DOCTYPE x><DeviceDatabase/>', b"\xff\xfe"])
def test_parse_upload_refuses(data):
    with pytest.raises(ApiError) as error:
        configdoc.parse_upload(data)
    assert error.value.code == 12


def test_serialize_has_declaration_and_header():
    text = configdoc.serialize(factory(), {"Product name": "X", "Serial number": "1"}).decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!--\n    Product name: X\n'
                           '    Serial number: 1\n-->\n<DeviceDatabase Version="4">')


# profiles ----------------------------------------------------------------------------------------------------

def test_merge_maps_key_by_key_and_replaces_lists():
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2, 3]}
    merged = profile.merge(base, {"a": {"y": 5}, "l": [9]})
    assert merged == {"a": {"x": 1, "y": 5}, "l": [9]}
    assert base == {"a": {"x": 1, "y": 2}, "l": [1, 2, 3]}


def test_default_profile_matches_the_issue():
    default = profile.load_profile(None)
    assert default["licence"] is True and default["restart_time"] == 2.0
    assert all(s == {"enabled": True, "connection": "http", "auth": "digest"} for s in default["services"].values())
    assert default["accounts"] == [{"username": "admin", "password": "2n", "privileges": list(PRIVILEGES)}]


@pytest.mark.parametrize("override,message", [
    ({"licences": True}, "unknown profile keys"),
    ({"services": {"door": {"enabled": True}}}, "unknown service"),
    ({"services": {"io": {"connection": "tls"}}}, "connection must be http or https"),
    ({"services": {"io": {"auth": "ntlm"}}}, "auth must be none, basic or digest"),
    ({"accounts": [{"username": f"u{n}", "password": "p"} for n in range(6)]}, "at most five accounts"),
    ({"accounts": [{"username": "u", "password": "p", "privileges": ["door.open"]}]}, "unknown privileges"),
    ({"switches": [{"enabled": True, "mode": "astable"}]}, "monostable or bistable"),
    ({"ports": [{"port": "x", "type": "analog"}]}, "input or output"),
    ({"log": {"history_size": 0}}, "history_size"),
    ({"log": {"history": 5}}, "history_size"),
    ({"config_apply_delay": -1}, "config_apply_delay"),
    ({"config_apply_delay": "15"}, "config_apply_delay"),
])
def test_invalid_profiles(override, message):
    with pytest.raises(profile.ProfileError, match=message):
        profile.validate(profile.merge(copy.deepcopy(profile.DEFAULT_PROFILE), override))


def test_empty_and_non_mapping_profiles(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    assert profile.load_profile(tmp_path / "empty.yaml") == profile.load_profile(None)
    (tmp_path / "list.yaml").write_text("- licence\n")
    with pytest.raises(profile.ProfileError, match="a profile is a mapping"):
        profile.load_profile(tmp_path / "list.yaml")


def test_profile_files(tmp_path):
    (tmp_path / "p.yaml").write_text("licence: false\nrestart_time: 0.5\n")
    (tmp_path / "p.json").write_text('{"licence": false, "restart_time": 0.5}')
    assert profile.load_profile(tmp_path / "p.yaml") == profile.load_profile(tmp_path / "p.json")
    (tmp_path / "bad.json").write_text("{licence: false")
    with pytest.raises(profile.ProfileError, match="not valid JSON/YAML"):
        profile.load_profile(tmp_path / "bad.json")


# media -------------------------------------------------------------------------------------------------------

def test_gif_size():
    assert media.gif_size(gif(320, 240)) == (320, 240)
    assert media.gif_size(gif(320, 240, fmt="PNG")) is None
    assert media.gif_size(b"GIF89a\x00") is None


def test_snapshot_jpeg():
    one = media.snapshot_jpeg(176, 144, source="internal", serial="a", now=1000.0, frame=1)
    assert one[:2] == b"\xff\xd8"
    assert one != media.snapshot_jpeg(176, 144, source="internal", serial="b", now=1000.0, frame=1)
    assert one != media.snapshot_jpeg(176, 144, source="internal", serial="a", now=1000.5, frame=2)
