"""HTTP authentication as the intercom does it (RFC 2617, RFC 7616): Basic, and Digest with MD5 and
qop=auth, nonces that expire (a stale nonce is answered with `stale=true`) and nonce counts that must grow."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from .configdoc import Account

REALM = "HTTP API"
NONCE_LIFETIME_S = 300.0
_MAX_TRACKED_NONCES = 4096


@dataclass(frozen=True)
class AuthResult:
    account: Account | None = None
    wrong_method: bool = False  # credentials were sent with another scheme than the service wants
    stale: bool = False


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - Digest MD5 is what the device speaks


# one `key=value` pair: separators, the key (up to the "="), then a quoted value (backslash escapes; an unterminated
# quote runs to the end) or a bare value (up to the next comma)
_DIGEST_PARAM = re.compile(r'[ ,\t]*([^=]*)=(?:"((?:[^"\\]|\\.|\\$)*)"?|([^,]*))', re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)


def parse_digest_params(value: str) -> dict[str, str]:
    """Parse `k=v, k="quoted, value"` pairs of a Digest header."""
    params: dict[str, str] = {}
    for match in _DIGEST_PARAM.finditer(value):
        key, quoted, bare = match.groups()
        params[key.strip().lower()] = _ESCAPED.sub(r"\1", quoted) if quoted is not None else bare.strip()
    return params


class Authenticator:
    """Per-device authentication state: the nonce secret and the nonce counts seen."""

    def __init__(self, nonce_lifetime: float = NONCE_LIFETIME_S) -> None:
        self.nonce_lifetime = nonce_lifetime
        self._secret = os.urandom(16)
        self._counts: OrderedDict[str, int] = OrderedDict()

    def new_nonce(self) -> str:
        # a random part: two clients challenged within the same millisecond get distinct nonces (and nonce counts)
        issued = f"{time.time():.3f}:{os.urandom(6).hex()}"
        mac = hmac.new(self._secret, issued.encode(), hashlib.sha256).hexdigest()[:32]
        return base64.b64encode(f"{issued}:{mac}".encode()).decode()

    def _nonce_age(self, nonce: str) -> float | None:
        """Seconds since we issued `nonce`, or None if we did not issue it."""
        try:
            issued, mac = base64.b64decode(nonce.encode(), validate=True).decode().rsplit(":", 1)
            stamp = issued.split(":", 1)[0]
            expected = hmac.new(self._secret, issued.encode(), hashlib.sha256).hexdigest()[:32]
            if not hmac.compare_digest(mac, expected):
                return None
            return time.time() - float(stamp)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None

    def challenge(self, scheme: str, stale: bool = False) -> str:
        if scheme == "basic":
            return f'Basic realm="{REALM}"'
        header = (f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{self.new_nonce()}", '
                  f'opaque="{os.urandom(8).hex()}"')
        return header + (", stale=true" if stale else "")

    def check(self, scheme: str, header: str | None, method: str, accounts: list[Account],
              uri: str | None = None) -> AuthResult:
        """`uri`: the request target; a Digest answer computed for another resource is refused (RFC 7616 3.4.6)."""
        if not header:
            return AuthResult()
        sent, _, credentials = header.strip().partition(" ")
        sent = sent.lower()
        if sent not in ("basic", "digest"):
            return AuthResult()
        if sent != scheme:
            return AuthResult(wrong_method=True)
        if scheme == "basic":
            return AuthResult(account=self._check_basic(credentials.strip(), accounts))
        return self._check_digest(parse_digest_params(credentials), method, accounts, uri)

    @staticmethod
    def _check_basic(credentials: str, accounts: list[Account]) -> Account | None:
        try:
            username, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        for account in accounts:
            if hmac.compare_digest(account.username, username) and hmac.compare_digest(account.password, password):
                return account
        return None

    def _check_digest(self, params: dict[str, str], method: str, accounts: list[Account],
                      uri: str | None = None) -> AuthResult:
        required = ("username", "realm", "nonce", "uri", "response")
        if any(key not in params for key in required) or params["realm"] != REALM:
            return AuthResult()
        if uri is not None and params["uri"].split("?")[0] != uri.split("?")[0]:
            return AuthResult()  # an answer for another resource
        if params.get("algorithm", "MD5").upper() != "MD5":
            return AuthResult()
        age = self._nonce_age(params["nonce"])
        if age is None:
            return AuthResult()
        account = next((item for item in accounts if item.username == params["username"]), None)
        if account is None:
            return AuthResult()
        ha1 = _md5(f"{account.username}:{REALM}:{account.password}")
        ha2 = _md5(f"{method}:{params['uri']}")
        qop = params.get("qop")
        if qop == "auth":
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            expected = _md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        elif qop is None:  # RFC 2069 compatibility
            nc = None
            expected = _md5(f"{ha1}:{params['nonce']}:{ha2}")
        else:
            return AuthResult()
        if not hmac.compare_digest(expected, params["response"].lower()):
            return AuthResult()
        if age > self.nonce_lifetime:
            return AuthResult(stale=True)  # right password, old nonce: the client retries with a new one
        if nc is not None and not self._count_is_new(params["nonce"], nc):
            return AuthResult()  # a replayed request
        return AuthResult(account=account)

    def _count_is_new(self, nonce: str, nc: str) -> bool:
        try:
            count = int(nc, 16)
        except ValueError:
            return False
        if count <= self._counts.get(nonce, 0):
            return False
        self._counts[nonce] = count
        self._counts.move_to_end(nonce)
        while len(self._counts) > _MAX_TRACKED_NONCES:
            self._counts.popitem(last=False)
        return True
