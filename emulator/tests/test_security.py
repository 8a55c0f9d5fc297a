"""Manual chapters 3-5: per-service enable/transport/auth, Digest and Basic, five accounts with privileges,
the licence, HTTPS with the generated CA or --cert/--key. Error codes 1, 4, 5, 7, 8, 9, 10."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness import (
    ADMIN,
    FUNCTIONS,
    assert_error,
    basic,
    digest,
    digest_header,
    fleet_fixture,
    gif,
    new_session,
    parse_challenge,
)

ALL_PRIVILEGES = ["system.monitoring", "system.control", "phone.monitoring", "phone.control", "io.monitoring",
                  "io.control", "switch.monitoring", "switch.control", "camera.monitoring", "display.control"]

# one service per combination the manual allows, and the standard display function on
SECURITY_PROFILE = {
    "services": {
        "system": {"connection": "http", "auth": "digest"},
        "switch": {"connection": "http", "auth": "basic"},
        "io": {"connection": "https", "auth": "digest"},
        "camera": {"connection": "http", "auth": "none"},
        "display": {"connection": "https", "auth": "basic"},
        "phone": {"enabled": False},
    },
    "displays": [{"display": "internal", "width": 320, "height": 240, "standardFunction": True}],
}

ACCOUNTS = {
    "admin": ("2n", ALL_PRIVILEGES),
    "operator": ("op-pass", ["system.monitoring", "system.control"]),
    "reception": ("rec-pass", ["phone.monitoring", "phone.control"]),
    "doors": ("door-pass", ["switch.monitoring", "switch.control", "io.monitoring", "io.control"]),
    "viewer": ("view-pass", ["system.monitoring", "phone.monitoring", "io.monitoring", "switch.monitoring",
                             "camera.monitoring", "display.control"]),
}
PRIVILEGES_PROFILE = {"accounts": [{"username": name, "password": password, "privileges": privileges}
                                   for name, (password, privileges) in ACCOUNTS.items()]}

secure = fleet_fixture(devices=4, profile=SECURITY_PROFILE)
privileged = fleet_fixture(devices=2, profile=PRIVILEGES_PROFILE)
unlicensed = fleet_fixture(devices=2, profile={"licence": False})
short_nonces = fleet_fixture(devices=1, profile={"nonce_lifetime": 0.5})


# HTTPS -------------------------------------------------------------------------------------------------------

def test_https_verifies_with_the_generated_ca(device):
    response = device.get("/api/system/info", https=True, verify=device.ca_path)
    assert response.json()["result"]["serialNumber"] == device.serial


def test_https_certificate_is_not_publicly_trusted(device):
    with pytest.raises(requests.exceptions.SSLError):
        device.get("/api/system/info", https=True, verify=True)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_without_verification(device):
    assert device.get("/api/system/info", https=True, verify=False).json()["success"] is True


def test_each_device_presents_a_certificate_naming_its_own_address_only(secure):
    # as a real intercom does: the fleet's CA signs each device's own certificate
    ca = x509.load_pem_x509_certificate(open(secure.ca_path, "rb").read())
    addresses = [device.address for device in secure.devices]
    serials = set()
    for device in secure.devices:
        leaf = x509.load_pem_x509_certificate(
            ssl.get_server_certificate((device.address, device.https_port)).encode())
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(device.address)]
        assert names.get_values_for_type(x509.DNSName) == ["localhost"]
        assert leaf.issuer == ca.subject
        leaf.verify_directly_issued_by(ca)
        serials.add(leaf.serial_number)
        context = ssl.create_default_context(cafile=secure.ca_path)
        for other in addresses:
            with socket.create_connection((device.address, device.https_port), timeout=10) as raw:
                if other == device.address:
                    with context.wrap_socket(raw, server_hostname=other) as tls:
                        assert tls.version()
                else:  # the device's certificate does not name the others: a client asking for them refuses it
                    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
                        context.wrap_socket(raw, server_hostname=other)
    assert len(serials) == len(secure.devices)


def test_https_with_own_certificate(launch, pool, tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    valid = {"not_valid_before": now - datetime.timedelta(hours=1), "not_valid_after": now + datetime.timedelta(days=1)}
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "own test CA")])
    ca = (x509.CertificateBuilder(subject_name=ca_name, issuer_name=ca_name, public_key=ca_key.public_key(),
                                  serial_number=x509.random_serial_number(), **valid)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    first = pool.take(2)
    addresses = [first, str(ipaddress.IPv4Address(first) + 1)]
    leaf = (x509.CertificateBuilder(subject_name=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "own intercom")]),
                                    issuer_name=ca_name, public_key=key.public_key(), serial_number=4242, **valid)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path, cert_path, key_path = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    emulator = launch(devices=2, address=first, cert=cert_path, key=key_path)
    try:
        assert emulator.ready["ca_path"] == str(cert_path)
        for device in emulator.devices:
            assert device.get("/api/system/info", https=True, verify=str(ca_path)).json()["success"] is True
            presented = ssl.get_server_certificate((device.address, device.https_port))
            assert x509.load_pem_x509_certificate(presented.encode()).serial_number == 4242
            with pytest.raises(requests.exceptions.SSLError):  # not the generated CA, not a public one
                device.get("/api/system/info", https=True, verify=True)
    finally:
        assert emulator.stop() == 0


# per-service policy ------------------------------------------------------------------------------------------

PHONE_FUNCTIONS = sorted(path for path, (_, service, *_rest) in FUNCTIONS.items() if service == "phone")


@pytest.mark.parametrize("path", PHONE_FUNCTIONS)
def test_4_disabled_service(secure, path):
    device = secure.devices[0]
    assert_error(device.get(path), 4)
    assert_error(device.get(path, auth=None), 4)  # disabled comes before authentication: no 401
    assert_error(device.get(path, https=True), 4)


def test_https_only_service_over_http_is_7(secure):
    device = secure.devices[0]
    assert_error(device.get("/api/io/status"), 7)
    assert_error(device.get("/api/io/status", auth=None), 7)  # transport comes before authentication
    assert_error(device.get("/api/display/caps", auth=basic(*ADMIN)), 7)


def test_https_only_service_over_https(secure):
    device = secure.devices[0]
    assert device.ok("/api/io/status", https=True)["ports"][0]["port"] == "relay1"
    assert device.ok("/api/display/caps", https=True, auth=basic(*ADMIN))["displays"][0]["display"] == "internal"


def test_http_service_answers_over_both_transports(secure):
    device = secure.devices[0]
    assert device.ok("/api/system/info")["serialNumber"] == device.serial
    assert device.ok("/api/system/info", https=True)["serialNumber"] == device.serial


def test_8_basic_sent_to_a_digest_service(secure):
    device = secure.devices[0]
    assert_error(device.get("/api/system/info", auth=basic(*ADMIN)), 8)
    assert_error(device.get("/api/io/status", https=True, auth=basic(*ADMIN)), 8)


def test_8_digest_sent_to_a_basic_service(secure, device):
    basic_device = secure.devices[0]
    # a well-formed Digest answer to a real challenge (of a digest device), sent to the basic switch service
    challenge = parse_challenge(device.get("/api/switch/caps", auth=None).headers["WWW-Authenticate"])
    header = digest_header(challenge, *ADMIN, "GET", "/api/switch/caps", nc=1)
    response = basic_device.get("/api/switch/caps", auth=None, headers={"Authorization": header})
    assert_error(response, 8)


def test_basic_service(secure):
    device = secure.devices[0]
    assert device.ok("/api/switch/caps", auth=basic(*ADMIN))["switches"][0]["switch"] == 1
    response = device.get("/api/switch/caps", auth=None)
    assert_error(response, 9, status=401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="HTTP API"'
    assert_error(device.get("/api/switch/caps", auth=basic("admin", "nope")), 9, status=401)
    assert_error(device.get("/api/switch/caps", auth=basic("ghost", "2n")), 9, status=401)


def test_no_authentication_service(secure):
    device = secure.devices[0]
    assert device.ok("/api/camera/caps", auth=None)["sources"]
    response = device.get("/api/camera/snapshot", auth=None, params={"width": "160", "height": "120"})
    assert response.headers["Content-Type"] == "image/jpeg"
    # credentials sent anyway do not matter
    assert device.ok("/api/camera/caps", auth=basic("ghost", "whatever"))["sources"]


def test_1_standard_display_function_on(secure):
    device = secure.devices[1]
    files = {"blob-image": ("image.gif", gif(320, 240))}
    response = device.request("PUT", "/api/display/image", https=True, auth=basic(*ADMIN),
                              params={"display": "internal"}, files=files)
    assert_error(response, 1)
    response = device.request("DELETE", "/api/display/image", https=True, auth=basic(*ADMIN),
                              params={"display": "internal"})
    assert_error(response, 1)
    assert device.state()["displayImages"] == {}


def test_policy_is_in_the_configuration_document(secure):
    root = secure.devices[0].config()
    services = {tag: tuple(root.findtext(f"HttpApi/Services/{tag}/{key}") for key in ("Enabled", "Connection", "Auth"))
                for tag in ("System", "Switch", "Io", "Camera", "Display", "Phone")}
    assert services == {"System": ("1", "http", "digest"), "Switch": ("1", "http", "basic"),
                        "Io": ("1", "https", "digest"), "Camera": ("1", "http", "none"),
                        "Display": ("1", "https", "basic"), "Phone": ("0", "http", "digest")}


# Digest ------------------------------------------------------------------------------------------------------

def test_digest_keep_alive_session_with_requests(device):
    auth = digest(*ADMIN)
    session = new_session()
    challenged = 0
    for _ in range(30):
        response = session.get(device.url("/api/system/status"), auth=auth, timeout=10)
        assert response.json()["success"] is True
        challenged += len(response.history)  # a 401 answered by requests' HTTPDigestAuth
    assert challenged == 1  # one challenge, then the nonce is reused with a growing nonce count
    session.close()


def test_traffic_counts_connections_requests_and_challenges(device):
    before = device.state()["traffic"]
    session = new_session()
    auth = digest(*ADMIN)
    for _ in range(3):
        assert session.get(device.url("/api/system/status"), auth=auth, timeout=10).json()["success"] is True
    session.close()
    second = new_session()
    assert second.get(device.url("/api/system/info"), auth=digest(*ADMIN), timeout=10).json()["success"] is True
    second.close()
    after = device.state()["traffic"]
    # a keep-alive connection per session; each session is challenged once, then answers with its nonce;
    # admin calls are not API traffic
    assert {key: after[key] - before[key] for key in after} == {"connections": 2, "requests": 6, "challenges": 2}


def test_digest_expired_nonce_is_stale_and_requests_recovers(short_nonces):
    device = short_nonces.take()
    auth = digest(*ADMIN)
    session = new_session()
    assert session.get(device.url("/api/system/status"), auth=auth, timeout=10).json()["success"] is True
    time.sleep(0.7)  # the profile's nonce_lifetime is 0.5 s
    response = session.get(device.url("/api/system/status"), auth=auth, timeout=10)
    assert response.json()["success"] is True
    assert [r.status_code for r in response.history] == [401]  # refused once, answered with the new nonce
    stale = parse_challenge(response.history[0].headers["WWW-Authenticate"])
    assert stale.stale is True and stale.nonce
    session.close()


def test_digest_over_https(device):
    response = new_session().get(device.url("/api/system/status", https=True), auth=digest(*ADMIN),
                                 verify=device.ca_path, timeout=10)
    assert response.json()["success"] is True


def fresh_challenge(device, path="/api/system/info"):
    response = device.get(path, auth=None)
    assert response.status_code == 401
    return parse_challenge(response.headers["WWW-Authenticate"])


def test_digest_nonce_count_replay_is_refused(device):
    path = "/api/system/status"
    challenge = fresh_challenge(device)

    def send(nc):
        return device.get(path, auth=None, headers={"Authorization": digest_header(challenge, *ADMIN, "GET", path, nc)})

    assert send(1).json()["success"] is True
    assert_error(send(1), 9, status=401)  # the very same request again
    assert send(2).json()["success"] is True
    assert send(7).json()["success"] is True
    assert_error(send(5), 9, status=401)  # a count lower than one already seen
    replay = send(7)
    assert_error(replay, 9, status=401)
    assert parse_challenge(replay.headers["WWW-Authenticate"]).stale is False


def test_digest_answer_is_bound_to_the_method(device):
    path = "/api/system/status"
    challenge = fresh_challenge(device)
    header = digest_header(challenge, *ADMIN, "GET", path, nc=1)
    assert_error(device.request("POST", path, auth=None, headers={"Authorization": header}), 9, status=401)


def test_digest_answer_is_bound_to_the_resource(device):
    challenge = fresh_challenge(device)
    header = digest_header(challenge, *ADMIN, "GET", "/api/system/info", nc=1)
    # the answer for system/info does not open system/status (RFC 7616 3.4.6)
    assert_error(device.get("/api/system/status", auth=None, headers={"Authorization": header}), 9, status=401)
    # the query is part of the request target requests' HTTPDigestAuth answers for
    session = new_session()
    response = session.get(device.url("/api/switch/status?switch=2"), auth=digest(*ADMIN), timeout=10)
    assert response.json()["result"]["switches"] == [{"switch": 2, "active": False}]


def test_digest_nonce_of_another_device_is_refused(fleet):
    one, other = fleet.take(), fleet.take()
    challenge = fresh_challenge(one)
    header = digest_header(challenge, *ADMIN, "GET", "/api/system/info", nc=1)
    assert_error(other.get("/api/system/info", auth=None, headers={"Authorization": header}), 9, status=401)
    assert one.get("/api/system/info", auth=None, headers={"Authorization": header}).json()["success"] is True


def test_digest_forged_nonce_is_refused(device):
    challenge = fresh_challenge(device)
    challenge.nonce = "MTcwMDAwMDAwMC4wMDA6MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="
    header = digest_header(challenge, *ADMIN, "GET", "/api/system/info", nc=1)
    assert_error(device.get("/api/system/info", auth=None, headers={"Authorization": header}), 9, status=401)


def test_digest_wrong_password_gets_a_new_challenge(device):
    challenge = fresh_challenge(device)
    header = digest_header(challenge, "admin", "guess", "GET", "/api/system/info", nc=1)
    response = device.get("/api/system/info", auth=None, headers={"Authorization": header})
    assert_error(response, 9, status=401)
    again = parse_challenge(response.headers["WWW-Authenticate"])
    assert again.nonce and again.stale is False


# accounts and privileges -------------------------------------------------------------------------------------

# (path, method, params, code when allowed: None = success); none of these changes the device for good
PROBES = [
    ("/api/system/info", "GET", {}, None),
    ("/api/system/status", "GET", {}, None),
    ("/api/config", "GET", {}, None),
    ("/api/firmware", "PUT", {}, 11),
    ("/api/firmware/apply", "GET", {}, 14),
    ("/api/switch/caps", "GET", {}, None),
    ("/api/switch/status", "GET", {}, None),
    ("/api/switch/ctrl", "GET", {"switch": "2", "action": "off"}, None),
    ("/api/io/caps", "GET", {}, None),
    ("/api/io/status", "GET", {}, None),
    ("/api/io/ctrl", "GET", {"port": "relay1", "action": "off"}, None),
    ("/api/phone/status", "GET", {}, None),
    ("/api/call/status", "GET", {}, None),
    ("/api/call/dial", "GET", {}, 11),
    ("/api/call/answer", "GET", {"session": "99"}, 12),
    ("/api/call/hangup", "GET", {"session": "99"}, 12),
    ("/api/camera/caps", "GET", {}, None),
    ("/api/camera/snapshot", "GET", {"width": "160", "height": "120"}, None),
    ("/api/display/caps", "GET", {}, None),
    ("/api/display/image", "DELETE", {"display": "internal"}, None),
]


def test_probes_cover_the_privileges():
    covered = {FUNCTIONS[path][2] for path, *_ in PROBES} - {None}
    assert covered == set(ALL_PRIVILEGES) - {"system.monitoring"}  # no 2.11 function asks for System Monitoring


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_10_five_accounts_with_distinct_privileges(privileged, username):
    device = privileged.devices[0]
    password, privileges = ACCOUNTS[username]
    auth = digest(username, password)
    for path, method, params, code in PROBES:
        privilege = FUNCTIONS[path][2]
        response = device.request(method, path, auth=auth, params=params)
        if privilege is not None and privilege not in privileges:
            assert_error(response, 10)
        elif code is None:
            assert response.status_code == 200
            if response.headers["Content-Type"] == "application/json":
                assert response.json()["success"] is True, (username, path, response.text)
        else:
            assert_error(response, code)


def test_accounts_are_in_the_configuration_document(privileged):
    root = privileged.devices[1].config()
    accounts = root.findall("HttpApi/Accounts/Account")
    assert [item.get("At") for item in accounts] == ["0", "1", "2", "3", "4"]  # five slots
    assert [item.findtext("UserName") for item in accounts] == list(ACCOUNTS)
    doors = accounts[3]
    granted = {child.tag for child in doors.find("Privileges") if child.text == "1"}
    assert granted == {"SwitchMonitoring", "SwitchControl", "IoMonitoring", "IoControl"}


def test_each_account_has_its_own_password(privileged):
    device = privileged.devices[1]
    assert_error(device.get("/api/system/status", auth=digest("operator", "2n")), 9, status=401)
    assert_error(device.get("/api/system/status", auth=digest("admin", "op-pass")), 9, status=401)
    assert device.ok("/api/system/status", auth=digest("operator", "op-pass"))


# licence -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(FUNCTIONS))
def test_5_licence_gates_what_the_table_marks(unlicensed, path):
    device = unlicensed.devices[0]
    methods, _, _, licensed = FUNCTIONS[path]
    method = methods[0]
    params = {"width": "160", "height": "120"} if path == "/api/camera/snapshot" else {}
    response = device.request(method, path, params=params)
    if licensed:
        assert_error(response, 5)
    else:
        assert response.status_code == 200
        if path != "/api/camera/snapshot":
            assert response.json()["success"] is True
        else:
            assert response.headers["Content-Type"] == "image/jpeg"


def test_5_comes_after_authentication(unlicensed):
    device = unlicensed.devices[1]
    assert_error(device.get("/api/switch/caps", auth=None), 9, status=401)
    assert_error(device.get("/api/switch/caps", auth=digest("admin", "bad")), 9, status=401)
