# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP API client (manual, chapter 2): a keep-alive session per device.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import functools
import json
import os
import re
import ssl
import time
import types
import warnings
from urllib.parse import urlsplit

from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosApiError,
    HeliosAuthError,
    HeliosConnectError,
    HeliosTaskEnded,
    HeliosTransportError,
    HeliosUnknownOutcome,
)
from ansible_collections.twon.helios.plugins.module_utils._multipart import MultipartBody

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_environ_proxies, prepend_scheme_if_needed, select_proxy
    from urllib3.exceptions import ConnectTimeoutError, InsecureRequestWarning
    from urllib3.util.ssl_ import create_urllib3_context
except ImportError:
    # Reported as a failed task by client_from_params(), so module_utils import without requests (sanity, docs).
    HAS_REQUESTS = False
else:
    HAS_REQUESTS = True

DEFAULT_PORTS = {'https': 443, 'http': 80}

# Upper bound of one pause between retries, in seconds.
MAX_BACKOFF = 5.0

# Why a call that acts each time it is made (see HeliosClient.act) failed rather than being made again.
UNKNOWN_OUTCOME = ('the call acts on the device each time it is made, so it was not repeated: the device may or '
                   'may not have acted, check it before you run the task again')
# The same for an upload (configuration, firmware, image), unless the caller says what it means there.
UNKNOWN_UPLOAD_OUTCOME = ('an upload acts on the device, so it was not repeated: the device may or may not have taken '
                          'it, check it before you run the task again')


# What the result of each function the collection reads holds by the manual (chapter 5): a field, or with list[].field
# a field of every item of a list. A reply without one of them is not the device's, or not its reply to this call.
# Functions documented to reply without a result (switch/ctrl, io/ctrl, system/restart, ...) need only success.
RESULT_FIELDS = {
    'system/info': ('variant', 'serialNumber', 'hwVersion', 'swVersion'),
    'system/status': ('systemTime', 'upTime'),
    'firmware': ('version',),
    'switch/caps': ('switches[].switch', 'switches[].enabled'),
    'switch/status': ('switches[].switch', 'switches[].active'),
    'io/caps': ('ports[].port', 'ports[].type'),
    'io/status': ('ports[].port', 'ports[].state'),
    'phone/status': ('accounts[].account', 'accounts[].registered'),
    'call/status': ('sessions[].session', 'sessions[].direction', 'sessions[].state'),
    'call/dial': ('session',),
    'camera/caps': ('jpegResolution[].width', 'jpegResolution[].height', 'sources[].source'),
    'display/caps': ('displays[].display', 'displays[].resolution.width', 'displays[].resolution.height'),
    'log/caps': ('events',),
}
# A function of RESULT_FIELDS called with one of these parameters replies with just one item in the list.
ONE_ITEM_LISTS = {'switch': 'switches', 'port': 'ports', 'account': 'accounts', 'session': 'sessions'}
NOT_DOCUMENTED = 'not the reply the HTTP API documents'


def _holds(value, path):
    """Whether value holds the field path of RESULT_FIELDS (not null)."""
    if not path:
        return value is not None
    head, _dot, rest = path.partition('.')
    if head.endswith('[]'):
        items = value.get(head[:-2]) if isinstance(value, dict) else None
        return isinstance(items, list) and all(_holds(item, rest) for item in items)
    return isinstance(value, dict) and _holds(value.get(head), rest)


def _checked_result(function, params, payload):
    """The result of a successful reply to function called with params; HeliosTransportError unless it holds what
    the manual documents for it."""
    result = payload.get('result')
    for path in RESULT_FIELDS.get(function, ()):
        if not _holds(result, path):
            raise HeliosTransportError("%s: the device's reply lacks result.%s: %s" % (function, path, NOT_DOCUMENTED))
    if function in RESULT_FIELDS:
        for param, key in ONE_ITEM_LISTS.items():
            if param in params and isinstance(result.get(key), list) and len(result[key]) != 1:
                raise HeliosTransportError("%s: the device's reply holds %d items in result.%s for %s=%s, not one: %s"
                                           % (function, len(result[key]), key, param, params[param], NOT_DOCUMENTED))
    return result if isinstance(result, dict) else {}


class ApiReply:
    """HeliosClient.call()'s answer: the result of a JSON reply, or the content and Content-Type of any other."""

    def __init__(self, result, content, content_type):
        self.result = result
        self.content = content
        self.content_type = content_type


class RelayUnavailable(Exception):
    """The process a client relays its calls through cannot take them; the client calls the device itself."""


class RelayLost(RelayUnavailable):
    """The relay went away after it was handed a call: whether the call reached the device is unknown."""


class Reply:
    """An HTTP reply relayed from another process: the part of a requests.Response that HeliosClient reads."""

    def __init__(self, status_code, reason, headers, content):
        self.status_code = status_code
        self.reason = reason
        self.headers = CaseInsensitiveDict(headers)
        self.content = content

    def json(self):
        return json.loads(self.content.decode('utf-8'))


def _auth_for(scheme, username, password):
    scheme = scheme.lower()
    if scheme == 'digest':
        return _DigestAuth(username or '', password or '')
    if scheme == 'basic':
        return HTTPBasicAuth(username or '', password or '')
    return None


def _causes(exc):
    """exc and the exceptions it wraps: requests and urllib3 wrap the real cause two or three levels deep."""
    chain = []
    current = exc
    while current is not None and all(current is not link for link in chain):
        chain.append(current)
        nested = getattr(current, 'reason', None)
        if not isinstance(nested, BaseException):
            nested = next((arg for arg in getattr(current, 'args', ()) if isinstance(arg, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    return chain


def _may_have_reached_the_device(exc):
    """Whether a request that failed with a connection fault or timeout may have been received: unless it failed
    to connect (refused, unreachable, timed out connecting), the device may have had the whole request."""
    return not any(isinstance(link, (requests.exceptions.ConnectTimeout, ConnectTimeoutError)) for link in _causes(exc))


def _root_cause(exc):
    """The useful text of a requests/urllib3 exception."""
    chain = _causes(exc)
    for link in chain:
        # e.g. ConnectionRefusedError, or ssl.SSLCertVerificationError with the verification failure
        if isinstance(link, OSError) and link.strerror:
            return str(link.strerror)
    # urllib3 prefixes its messages with the repr of a connection object; it tells the user nothing.
    return re.sub(r'^<[^>]+>: ', '', str(chain[-1]))


if HAS_REQUESTS:
    class _DigestAuth(HTTPDigestAuth):
        """requests' Digest auth with its nonce state kept per client instead of per thread.

        The session server (plugin_utils/_session_server.py) calls one device from several threads, one call at a
        time; keeping the nonce between them is the point of keeping the session. requests keeps that state in the
        private attribute _thread_local: tests/unit/test_private_internals.py fails loudly should it change (this
        would then fall back to per-thread state: slower, still correct).
        """

        def __init__(self, username, password):
            super().__init__(username, password)
            self._thread_local = types.SimpleNamespace()

    class _TlsContextAdapter(HTTPAdapter):
        """Hands urllib3 one SSL context per client.

        Without one, urllib3 builds a context per connection and loads the system CA store into it (~20 ms),
        even when certificates are not verified: that alone would double the cost of a task.
        """

        def __init__(self, ssl_context):
            self._ssl_context = ssl_context
            super().__init__()

        def init_poolmanager(self, *args, **kwargs):
            kwargs['ssl_context'] = self._ssl_context
            super().init_poolmanager(*args, **kwargs)


def request_environment(url, verify):
    """What requests takes from this process's environment for a call to url: proxies, and the CA bundle
    (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) when verify is True; as Session.merge_environment_settings does."""
    if verify is True:
        verify = os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
    return dict(proxies=get_environ_proxies(url), verify=verify)


@functools.lru_cache(maxsize=16)
def _ssl_context(verify):
    """One SSL context per verify setting (False, True or a CA file) for all the clients of a process.

    Making one costs about half a millisecond, which the session server would otherwise pay for every device.
    Sharing is safe because the key is everything the context is set up from: urllib3 only ever loads this
    setting's CA file into it, and sets the same verify mode.
    """
    context = create_urllib3_context()
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    # Otherwise requests passes the CA file (ca_path, or its default bundle) and urllib3 loads it into the context.
    return context


class HeliosClient:
    """Calls HTTP API functions (e.g. 'switch/ctrl') on one device.

    Simple parameters go in the URI query (manual 2.2, method 1); blob- parameters as multipart/form-data.
    A negative reply raises HeliosApiError; anything that is not an HTTP API reply raises HeliosTransportError.
    Connection faults and HTTP 5xx are retried with exponential backoff; device error replies never are.

    Which calls act on the device is known here alone: act(), delete() and upload() make them, get() and
    download() only read. A call that acts is sent only while act_guard (a function returning why not, or None)
    allows it: whoever runs the client sets it to say when the task that asked has ended.

    With a relay (the session server's link), calls without a body go through it and reuse a session kept across
    tasks; uploads, and every call once the relay is unavailable, go from this process.
    """

    def __init__(self, host, port=None, protocol='https', username=None, password=None, auth_method='digest',
                 allow_basic_over_http=False, validate_certs=True, ca_path=None, timeout=10.0, retries=3, backoff=0.25,
                 relay=None, environment=None, connect_timeout=None):
        self.protocol = protocol
        self.username = username
        self.auth_method = auth_method
        # auth_method auto answers a Basic challenge over http only when allowed: it would send the password in clear.
        self.allow_basic_over_http = allow_basic_over_http
        self.timeout = timeout
        # Seconds to wait for a connection, when shorter than timeout (discovery: a dead address should cost little).
        self.connect_timeout = connect_timeout or timeout
        self.retries = retries
        self.backoff = backoff
        # The one check of the host (a name or an address and nothing else), also for clients made directly; imported
        # here because _connection imports this module.
        from ansible_collections.twon.helios.plugins.module_utils._connection import url_host
        self.base_url = '%s://%s:%d' % (protocol, url_host(host), port or DEFAULT_PORTS[protocol])
        # verify is passed with every request: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE silently override
        # Session.verify (psf/requests#3829) but not a per-request value other than True.
        self.verify = (ca_path or True) if validate_certs else False
        self._password = password
        # What identifies the device session (the session server keys its sessions by it).
        self.connection = dict(host=host, port=port, protocol=protocol, username=username, password=password,
                               auth_method=auth_method, allow_basic_over_http=allow_basic_over_http,
                               validate_certs=validate_certs, ca_path=ca_path)
        # requests' settings from the environment (request_environment): this process's unless given, as the
        # session server is given the worker's, so that it never reads its own
        self._environment = environment
        self.act_guard = None
        self._relay = relay
        self._own_session = None
        self._request_settings = {}
        # auth_method auto starts without credentials and picks the scheme of the first challenge.
        self._awaiting_challenge = auth_method == 'auto'

    def open_session(self):
        """Set up this client's own requests session now; otherwise it is made for the first call not relayed."""
        return self._session

    @property
    def _session(self):
        # Made on first use: a relayed client never needs one, and making one costs a worker milliseconds.
        if self._own_session is None:
            session = requests.Session()
            if self.protocol == 'https':
                session.mount('https://', _TlsContextAdapter(_ssl_context(self.verify)))
            if not self._awaiting_challenge:
                session.auth = _auth_for(self.auth_method, self.username, self._password)
            # requests reads proxies and the CA bundle (REQUESTS_CA_BUNDLE) from the environment on every request,
            # which costs more than the rest of a call on a keep-alive connection; read them once instead.
            session.trust_env = False
            self._request_settings = dict(self.environment)
            if self.verify is False:
                # The user chose not to verify; urllib3 would warn on every single request. The filter is for the
                # whole process, which is ours alone: a module, a task's worker, or the session server.
                warnings.filterwarnings('ignore', category=InsecureRequestWarning)
            self._own_session = session
        return self._own_session

    @property
    def environment(self):
        if self._environment is None:
            self._environment = request_environment(self.base_url, self.verify)
        return self._environment

    def close(self):
        if self._own_session is not None:
            self._own_session.close()
        if self._relay is not None:
            self._relay.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # The API's functions, by HTTP method and payload.

    def get(self, function, **params):
        """Call a GET function; return its result object ({} for replies without parameters)."""
        return self._json_result(function, params, self._request('GET', function, params))

    def act(self, function, repeatable=False, **params):
        """Call a GET function that acts on the device (a switch, an output, a call, a restart), as get() does.

        repeatable: a second identical call changes nothing (switch on, output off), so one whose reply was lost is
        made again. Otherwise the call acts each time it is made (a trigger, a dial, a restart): a fault once the
        device may have had it (no reply in time, the connection closed before the reply) is not retried, and
        HeliosUnknownOutcome says the device may or may not have acted. Failures to connect are retried as for
        any call.
        """
        return self._json_result(function, params, self._request('GET', function, params, acts=True,
                                                                 once=not repeatable))

    def delete(self, function, **params):
        """Call a DELETE function (it acts, and deleting twice is the same as once)."""
        return self._json_result(function, params, self._request('DELETE', function, params, acts=True))

    def upload(self, function, blob_name, path, filename, content_type, unknown_outcome=UNKNOWN_UPLOAD_OUTCOME,
               params=None, **more):
        """PUT a file from disk as the blob parameter blob_name, streamed, with the simple parameters params and more
        (params: a dict, for names that are arguments of this method, as any may be in helios_api's).

        An upload acts (the device applies a configuration, stores an image): as with act(), a fault once the device
        may have had it is not retried but raises HeliosUnknownOutcome, whose message ends in unknown_outcome.
        """
        params = dict(params or {}, **more)
        return self._json_result(function, params, self._request(
            'PUT', function, params, acts=True,
            body_factory=lambda: MultipartBody(files={blob_name: (filename, path, content_type)}),
            once=unknown_outcome))

    def download(self, function, **params):
        """Call a function that replies with binary data (camera/snapshot); return the bytes."""
        response = self._request('GET', function, params)
        if response.status_code == 200 and not response.headers.get('Content-Type', '').startswith('application/json'):
            return response.content
        self._json_result(function, params, response)
        raise HeliosTransportError('%s: the device sent a JSON reply instead of data' % function)

    def call(self, method, function, acts, params):
        """Call any function with any HTTP method (helios_api: what no module wraps); an ApiReply.

        acts false: a read, retried as get() is. acts true: the call acts each time it is made, as act() without
        repeatable: not repeated once the device may have had it (HeliosUnknownOutcome). A JSON reply gives its
        result (as get() does, with the same errors); any other reply with HTTP 200 (a JPEG, the configuration XML)
        gives its bytes and Content-Type. params: a dict (any name, none an argument of this method). Uploads go
        through upload().
        """
        response = self._request(method, function, params, acts=acts, once=acts)
        content_type = response.headers.get('Content-Type', '')
        if response.status_code == 200 and not content_type.startswith('application/json'):
            return ApiReply(None, response.content, content_type)
        return ApiReply(self._json_result(function, params, response), None, 'application/json')

    # Transport.

    def _request(self, method, function, params, body_factory=None, acts=False, once=False):
        if self._relay is not None and body_factory is None:
            try:
                reply, self.auth_method = self._relay.request(
                    dict(self.connection, environment=self.environment),
                    dict(timeout=self.timeout, retries=self.retries), method, function, params, acts, once)
                return reply
            except RelayLost as exc:
                self._relay = None  # from now on this client calls the device itself
                if once:
                    # The relay may have made the call: a call that acts each time is not made a second time.
                    outcome = once if isinstance(once, str) else UNKNOWN_OUTCOME
                    raise HeliosUnknownOutcome('%s: %s; %s' % (function, exc, outcome)) from None
            except RelayUnavailable:
                self._relay = None
        return self.send(method, function, params, body_factory, acts, once)

    def send(self, method, function, params, body_factory=None, acts=False, once=False):
        """One API call from this process, retried as the class says; the HTTP response.

        acts: the call acts on the device, and is sent (each attempt) only while act_guard allows.
        once: the call acts each time it is made; see act(). A string instead of True says what a lost reply means.
        """
        url = '%s/api/%s' % (self.base_url, function)
        attempt = 0
        while True:
            refusal = self.act_guard() if acts and self.act_guard is not None else None
            if refusal:
                raise HeliosTaskEnded('%s: not sent, because %s' % (function, refusal))
            body = body_factory() if body_factory else None
            headers = {'Content-Type': body.content_type} if body is not None else None
            try:
                response = self._send(method, url, params, body, headers)
            except requests.exceptions.SSLError as exc:
                # A certificate does not get better by asking again.
                raise HeliosTransportError(
                    '%s: TLS connection to %s failed: %s; set ca_path to the CA that signed the device certificate, '
                    'or validate_certs to false' % (function, self.base_url, _root_cause(exc))) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if once and _may_have_reached_the_device(exc):
                    message = self._fault_message(function, exc, attempt)
                    outcome = once if isinstance(once, str) else UNKNOWN_OUTCOME
                    raise HeliosUnknownOutcome('%s; %s' % (message, outcome)) from None
                if attempt < self.retries:
                    attempt = self._pause(attempt)
                    continue
                error = HeliosTransportError if _may_have_reached_the_device(exc) else HeliosConnectError
                raise error(self._fault_message(function, exc, attempt)) from None
            finally:
                if body is not None:
                    body.close()
            if response.status_code == 401 and self._awaiting_challenge:
                self._answer_challenge(response, function)
                continue
            if response.status_code >= 500 and attempt < self.retries:
                attempt = self._pause(attempt)
                continue
            return response

    def _send(self, method, url, params, body, headers):
        session = self._session
        # Session.request() would merge the session's and the environment's settings into every call; they are fixed
        # for a client, so prepare the request from them directly (requests' "prepared requests").
        prepared = requests.Request(method, url, params=params or None, data=body, auth=session.auth,
                                    headers=dict(session.headers, **(headers or {}))).prepare()
        timeout = self.timeout if self.connect_timeout == self.timeout else (self.connect_timeout, self.timeout)
        return session.send(prepared, timeout=timeout, allow_redirects=False, **self._request_settings)

    def _answer_challenge(self, response, function):
        """auth_method auto: adopt the scheme named in the first WWW-Authenticate challenge (adopted_auth_scheme)."""
        from ansible_collections.twon.helios.plugins.module_utils._connection import adopted_auth_scheme
        scheme = adopted_auth_scheme(response.headers.get('WWW-Authenticate', ''), self.protocol,
                                     self.allow_basic_over_http, function)
        self._awaiting_challenge = False
        self._session.auth = _auth_for(scheme or '', self.username, self._password)
        if scheme is not None:
            self.auth_method = scheme

    def cleartext_password_warning(self):
        """A warning if this client sent (or will send) the password over http with Basic authentication, else None."""
        if self.protocol == 'http' and self.auth_method == 'basic' and self._password:
            return ('auth_method basic over protocol http sends the password of user "%s" in clear text to %s: set '
                    'protocol to https' % (self.username, self.base_url))
        return None

    def _pause(self, attempt):
        time.sleep(min(MAX_BACKOFF, self.backoff * (2 ** attempt)))
        return attempt + 1

    def _fault_message(self, function, exc, attempts):
        tries = ' (after %d retries)' % attempts if attempts else ''
        if isinstance(exc, requests.exceptions.ProxyError):
            return '%s: cannot connect to %s through the proxy %s: %s%s' % (
                function, self.base_url, self._proxy_shown(), _root_cause(exc), tries)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return '%s: connecting to %s timed out after %s s%s' % (function, self.base_url, self.connect_timeout, tries)
        if isinstance(exc, requests.exceptions.Timeout):
            return '%s: no reply from %s within %s s%s' % (function, self.base_url, self.timeout, tries)
        if _may_have_reached_the_device(exc):
            return '%s: the connection to %s closed before the reply: %s%s' % (
                function, self.base_url, _root_cause(exc), tries)
        return '%s: cannot connect to %s: %s%s' % (function, self.base_url, _root_cause(exc), tries)

    def _proxy_shown(self):
        """The proxy of this client's calls, as scheme://host:port: never with the credentials its URL may hold."""
        proxy = select_proxy(self.base_url, self._request_settings.get('proxies')) or ''
        # requests reads a proxy given without a scheme (proxy:3128) as http.
        parts = urlsplit(prepend_scheme_if_needed(proxy, 'http'))
        return '%s://%s' % (parts.scheme, parts.netloc.rpartition('@')[2])

    def _json_result(self, function, params, response):
        try:
            payload = response.json()
        except ValueError:
            payload = None
        error = payload.get('error') if isinstance(payload, dict) else None
        if isinstance(error, dict) and error.get('code') not in (None, 9):
            raise HeliosApiError(function, error.get('code'), error.get('description'), error.get('param'))
        if response.status_code == 401 or isinstance(error, dict):
            raise HeliosAuthError(function, self.username, self.auth_method, response.headers.get('WWW-Authenticate', ''))
        if not isinstance(payload, dict) or payload.get('success') is not True:
            raise HeliosTransportError('%s: %s answered HTTP %d %s, not an HTTP API reply%s' % (
                function, self.base_url, response.status_code, response.reason,
                ' (after %d retries)' % self.retries if response.status_code >= 500 and self.retries else ''))
        return _checked_result(function, params, payload)
