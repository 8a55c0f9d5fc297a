"""TLS for the fleet: a self-signed CA, and for each device a certificate of its own that names its address.

A real intercom presents a certificate naming itself; so does each emulated device (its address and `localhost` as
subject alternative names), all signed by the fleet's CA, whose PEM (`ca.pem`) clients trust. The leaves share one
EC key: generating and signing a thousand of them takes a fraction of a second. `generate` writes one certificate
naming every address instead (for emulators started with `--cert`, e.g. several processes one client trusts).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "helios-emulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class _Authority:
    """The fleet's CA and the leaves it signs."""

    def __init__(self) -> None:
        now = datetime.datetime.now(datetime.timezone.utc)
        self.valid = {"not_valid_before": now - datetime.timedelta(days=1),
                      "not_valid_after": now + datetime.timedelta(days=825)}
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            x509.CertificateBuilder(subject_name=_name("helios-emulator CA"), issuer_name=_name("helios-emulator CA"),
                                    public_key=self.key.public_key(), serial_number=x509.random_serial_number(),
                                    **self.valid)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM)
        self._key_identifier = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())

    def leaf(self, common_name: str, addresses: list[str], key: ec.EllipticCurvePrivateKey) -> bytes:
        """PEM of a server certificate for `localhost` and `addresses`, followed by the CA's (the chain)."""
        names: list[x509.GeneralName] = [x509.DNSName("localhost")]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in dict.fromkeys(addresses)]
        cert = (
            x509.CertificateBuilder(subject_name=_name(common_name), issuer_name=self.cert.subject,
                                    public_key=key.public_key(), serial_number=x509.random_serial_number(),
                                    **self.valid)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(self._key_identifier, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM) + self.pem


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(_pem_key(key))


def generate(directory: Path, addresses: list[str]) -> tuple[Path, Path, Path]:
    """Write ca.pem, cert.pem (one leaf naming every address, + CA chain) and key.pem into `directory`; return their
    paths. For an emulator started with `--cert` (a certificate several emulator processes share)."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = _Authority()
    key = ec.generate_private_key(ec.SECP256R1())
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_path.write_bytes(authority.pem)
    cert_path.write_bytes(authority.leaf("helios-emulator", addresses, key))
    _write_key(key_path, key)
    return ca_path, cert_path, key_path


def generate_per_device(directory: Path, addresses: list[str]) -> tuple[Path, dict[str, Path], Path]:
    """Write ca.pem, key.pem (the leaves' shared key) and devices/<address>.pem (each device's certificate naming
    `localhost` and its own address, + CA chain) into `directory`; return (ca.pem, {address: its cert}, key.pem)."""
    certs_dir = directory / "devices"
    certs_dir.mkdir(parents=True, exist_ok=True)
    authority = _Authority()
    key = ec.generate_private_key(ec.SECP256R1())
    ca_path, key_path = directory / "ca.pem", directory / "key.pem"
    ca_path.write_bytes(authority.pem)
    _write_key(key_path, key)
    certs = {}
    for address in dict.fromkeys(addresses):
        certs[address] = certs_dir / f"{address}.pem"
        certs[address].write_bytes(authority.leaf(f"helios-emulator {address}", [address], key))
    return ca_path, certs, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
