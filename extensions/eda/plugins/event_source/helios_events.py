# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""twon.helios.helios_events: an Event-Driven Ansible source for the events of a fleet of 2N Helios IP intercoms.

One long-poll channel of the device's Logging service (log/subscribe, log/pull) per intercom, all intercoms
concurrently in one event loop, over aiohttp (DigestAuthMiddleware for Digest). Each device's watcher remembers the
boot it saw and the id of the last event it delivered, so a lost channel is subscribed again with the device's
history and nothing is delivered twice or lost while the device still holds it.
"""

from __future__ import annotations

DOCUMENTATION = r'''
---
short_description: Events of 2N Helios IP intercoms (door, tamper, switches, calls, cards) for ansible-rulebook
description:
  - Watches a whole fleet of 2N Helios IP intercoms through the Logging service of their HTTP API
    (C(/api/log/subscribe) and C(/api/log/pull)), concurrently, one long-poll channel per intercom, over HTTPS with
    Digest authentication by default.
  - The intercoms are listed in O(intercoms) or read from an Ansible inventory file (O(inventory)); connection options
    given at the top level apply to each intercom unless the intercom's entry (or its C(helios_*) host variables)
    sets its own, then the C(HELIOS_*) environment variables, then the defaults; the same options, checks and
    environment variables as the collection's modules.
  - A channel that is lost (the device restarted, was unreachable, or forgot the channel) is subscribed again with
    the device's history; the source remembers per intercom the boot it saw (C(utcTime - upTime)) and the id of the
    last event it delivered, so it skips what it already delivered and delivers what the device still holds. A
    restart is told by the device's C(DeviceState) startup event (event ids start again at 1), else by the boot time
    (to two seconds). When the device's history no longer reaches back to the last delivered event, or to the start
    of a new boot (it overflowed), the source puts a C(gap) event on the queue instead of pretending nothing was
    lost.
  - An unreachable intercom is retried with exponential backoff (O(backoff_initial) doubling up to O(backoff_max),
    with jitter); the source reports C(unreachable) once per outage and C(reachable) when it is back.
  - A device whose firmware has no Logging service (2.11 and older answer C(log/subscribe) with error 2) is
    reported once with an C(unsupported) event and no longer watched.
  - Each event is one dictionary under the key C(helios). Device events have C(kind=event), the device (C(name),
    C(host), C(port), C(protocol), C(url)), the event C(type) and C(params) as the device sent them, its C(id),
    C(utc_time), C(up_time), C(tz_shift), C(time) (ISO 8601, UTC), and C(received) (when the source queued it, Unix
    time). The source's own reports have C(kind) V(unsupported), V(unreachable), V(reachable), V(gap) or V(error) and
    a C(message). Passwords never appear in events or logs.
  - Needs aiohttp 3.12 or later in ansible-rulebook's Python (its C(DigestAuthMiddleware)).
author: twon.helios developers
requirements:
  - aiohttp >= 3.12
options:
  intercoms:
    description:
      - The intercoms to watch. Each is a host (DNS name or IP address), or a dictionary with C(host), optionally
        C(name) (the inventory name put in its events; default the host) and any connection option of this source
        for that intercom alone.
      - Either this or O(inventory).
    type: list
    elements: raw
  inventory:
    description:
      - Path of an Ansible inventory (file or directory, any inventory plugin's source) whose hosts are the
        intercoms; the hosts matched by O(hosts). Each host's address is its C(helios_host), else C(ansible_host),
        else its name; its connection options come from its C(helios_*) variables (C(helios_port),
        C(helios_username), C(helios_password), C(helios_ca_path), ...) as for the modules.
      - Vault-encrypted variables are not supported here; give the password through O(password) or
        E(HELIOS_PASSWORD).
    type: str
  hosts:
    description: The inventory host pattern to watch (with O(inventory)).
    type: str
    default: all
  events:
    description:
      - Event types to receive (the device's C(filter)), for example V(UnauthorizedDoorOpen), V(TamperSwitchActivated),
        V(DoorStateChanged). Default all the account may see; each type needs the privilege the vendor's manual names
        (door and tamper events none, switch and I/O events I/O monitoring).
      - The source also subscribes to V(DeviceState), whose startup event tells it that the device restarted; those
        events are delivered only when listed here.
    type: list
    elements: str
  history:
    description:
      - Whether the first channel also delivers the events the device already holds from before the source started.
        By default only events raised after the source started are delivered.
    type: bool
    default: false
  pull_timeout:
    description: Seconds each long poll (C(log/pull)) waits on the device for an event before it asks again.
    type: int
    default: 30
  backoff_initial:
    description: Seconds before the first retry of an unreachable intercom; each failure doubles it.
    type: float
    default: 1.0
  backoff_max:
    description: The most seconds between two retries of an unreachable intercom.
    type: float
    default: 60.0
  port:
    description: The HTTP(S) port of every intercom that does not set its own. Default 443 for https, 80 for http.
    type: int
  protocol:
    description: V(https) (default) or V(http).
    type: str
    choices: [https, http]
    default: https
  username:
    description: Account of the HTTP API; it needs the privileges of the event types it should see.
    type: str
  password:
    description: The account's password; never shown in events or logs.
    type: str
  auth_method:
    description:
      - V(digest) (default), V(basic), V(none), or V(auto) (the scheme of the device's first challenge; never Basic over
        http unless O(allow_basic_over_http)).
    type: str
    choices: [digest, basic, none, auto]
    default: digest
  allow_basic_over_http:
    description: Whether O(auth_method=auto) may answer a Basic challenge over http (the password in clear text).
    type: bool
    default: false
  validate_certs:
    description: Whether to verify the intercoms' TLS certificates.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed the intercoms' certificates.
    type: path
  timeout:
    description: Seconds to connect and get each reply, beyond the long poll's O(pull_timeout).
    type: float
    default: 10.0
notes:
  - Every connection option falls back to its environment variable, C(HELIOS_<OPTION>) (as AWX/AAP credentials
    inject), as for the collection's modules.
  - Each intercom holds one HTTPS connection open, and Python's asyncio allocates a 256 KiB read buffer for each TLS
    connection: watching 1,000 intercoms the source takes about 370 MiB of memory over https (some 330 KiB per
    intercom), about 70 MiB over http.
'''

EXAMPLES = r'''
# A rulebook: every intercom of the inventory, door forced open or tamper
- name: Door alarms from the intercoms
  hosts: all
  sources:
    - twon.helios.helios_events:
        inventory: inventory.yml
        hosts: intercoms
        events: [UnauthorizedDoorOpen, TamperSwitchActivated]
  rules:
    - name: Door forced open
      condition: event.helios.type == "UnauthorizedDoorOpen"
      action:
        run_playbook:
          name: twon.helios.door_alarm

# Three intercoms listed in the rulebook, credentials from HELIOS_USERNAME and HELIOS_PASSWORD
- name: Lobby intercoms
  hosts: all
  sources:
    - twon.helios.helios_events:
        ca_path: /etc/pki/helios-ca.pem
        intercoms:
          - 192.0.2.10
          - {host: 192.0.2.11, name: lobby-west}
          - {host: intercom-3.example.com, port: 8443}
  rules:
    - name: Show every event
      condition: event.helios is defined
      action:
        debug:
'''

import asyncio
import logging
import os
import random
import ssl
import sys
import time
from datetime import datetime, timezone
from typing import Any

try:
    import aiohttp
    HAS_AIOHTTP = hasattr(aiohttp, 'DigestAuthMiddleware')
except ImportError:  # reported by main() with what to install
    aiohttp = None
    HAS_AIOHTTP = False


def _collection_utils():
    """The collection's module_utils (option specs and their checks), importable also when ansible-rulebook runs
    this file by path (runpy) rather than as ansible_collections.twon.helios...: its collections root is then put on
    sys.path, found from this file's own place in <root>/ansible_collections/twon/helios/extensions/eda/plugins/."""
    try:
        from ansible_collections.twon.helios.plugins.module_utils import _connection, _errors, _options
    except ImportError:
        here = os.path.abspath(globals().get('__file__', ''))
        parts = here.split(os.sep)
        if len(parts) < 9 or parts[-8] != 'ansible_collections':
            raise
        sys.path.insert(0, os.sep.join(parts[:-8]) or os.sep)
        from ansible_collections.twon.helios.plugins.module_utils import _connection, _errors, _options
    return _connection, _errors, _options


_connection, _errors, _options = _collection_utils()

logger = logging.getLogger('twon.helios.helios_events')

# The connection options of the modules this source takes (retries has no meaning here: it retries with backoff).
CONNECTION_NAMES = ('port', 'protocol', 'username', 'password', 'auth_method', 'allow_basic_over_http',
                    'validate_certs', 'ca_path', 'timeout')
SOURCE_OPTIONS = dict(
    intercoms=dict(type='list', elements='raw'),
    inventory=dict(type='str'),
    hosts=dict(type='str', default='all'),
    events=dict(type='list', elements='str'),
    history=dict(type='bool', default=False),
    pull_timeout=dict(type='int', default=30, range=dict(min=1, max=3600, unit='seconds')),
    backoff_initial=dict(type='float', default=1.0, range=dict(above=0, max=3600, unit='seconds')),
    backoff_max=dict(type='float', default=60.0, range=dict(above=0, max=86400, unit='seconds')),
)
# The device answers log/subscribe with one of these when it has no Logging service (2.11: invalid request path).
UNSUPPORTED_CODES = (1, 2)
# Seconds two estimates of a boot time (utcTime - upTime, both whole seconds) may differ for the same boot.
BOOT_TOLERANCE = 2


class SourceError(ValueError):
    """Bad arguments: the message names the option and what it allows."""


# What the device answered instead of a result: an error reply (the HTTP API's code, description and param), or no
# reply of the HTTP API at all; the collection's own error model, as the modules report them.
DeviceError = (_errors.HeliosApiError, _errors.HeliosTransportError)


class AuthFailed(Exception):
    """The device refused the account (HTTP 401 after the credentials were sent)."""


class ChannelLost(Exception):
    """The channel is gone (the device forgot it or answered its pull with an error)."""


def _validate(spec, params, where):
    """Ansible's own argument spec validation (types, choices, defaults, HELIOS_* fallbacks), then the collection's
    range and path checks; SourceError naming the option."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    result = ArgumentSpecValidator(_options.ansible_spec(spec)).validate(params)
    if result.error_messages:
        raise SourceError('%s: %s' % (where, '; '.join(result.error_messages)))
    validated = result.validated_parameters
    try:
        _options.check_values(spec, validated)
    except _errors.HeliosParameterError as exc:
        raise SourceError('%s: %s' % (where, exc)) from None
    return validated


def _connection_spec(with_defaults):
    spec = {name: dict(_connection.CONNECTION_OPTIONS[name]) for name in ('host',) + CONNECTION_NAMES}
    if not with_defaults:
        for option in spec.values():
            option.pop('default', None)
            option.pop('fallback', None)
    return spec


def _intercom_entries(args):
    """[(name, {option: value})] from intercoms or inventory, before the shared options and defaults."""
    intercoms, inventory = args.get('intercoms'), args.get('inventory')
    if bool(intercoms) == bool(inventory):
        raise SourceError('twon.helios.helios_events: set exactly one of intercoms (a list of hosts or of dictionaries '
                          'with host) and inventory (the path of an Ansible inventory)')
    if inventory:
        return _inventory_entries(inventory, args.get('hosts') or 'all')
    entries = []
    for index, item in enumerate(intercoms):
        if isinstance(item, str):
            item = dict(host=item)
        if not isinstance(item, dict):
            raise SourceError('intercoms[%d] must be a host or a dictionary with host, got %s' % (
                index, type(item).__name__))
        item = dict(item)
        if not item.get('host'):
            raise SourceError('intercoms[%d] has no host: give each intercom its host (a DNS name or IP address)'
                              % index)
        name = item.pop('name', None) or item.get('host')
        allowed = ('host',) + CONNECTION_NAMES
        unknown = sorted(set(item) - set(allowed))
        if unknown:
            raise SourceError('intercoms[%d]: unknown option %s; an intercom takes name and %s' % (
                index, ', '.join(unknown), ', '.join(allowed)))
        entries.append((str(name), item))
    return entries


def _inventory_entries(path, pattern):
    """The inventory's hosts matching pattern, each with its helios_* connection variables (templated)."""
    if not os.path.exists(path):
        raise SourceError('inventory: %s does not exist; give the path of an Ansible inventory file or directory' % path)
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[path])
    variables = VariableManager(loader=loader, inventory=manager)
    hosts = manager.get_hosts(pattern)
    if not hosts:
        raise SourceError('inventory: no host of %s matches hosts %r' % (path, pattern))
    entries = []
    for host in hosts:
        host_vars = variables.get_vars(host=host)
        templar = Templar(loader=loader, variables=host_vars)
        options = {}
        for variable, name in [('helios_' + name, name) for name in ('host',) + CONNECTION_NAMES] + [
                ('ansible_host', 'host')]:
            value = host_vars.get(variable)
            if value is None or options.get(name) is not None:
                continue
            try:
                options[name] = templar.template(value)
            except Exception as exc:  # pylint: disable=broad-except  # Ansible's errors: undefined, vaulted
                raise SourceError('inventory host %s: its variable %s cannot be read (%s); vault-encrypted values '
                                  'are not supported here' % (host.name, variable, type(exc).__name__)) from None
        options.setdefault('host', host.name)
        if options['host'] is None:
            options['host'] = host.name
        entries.append((host.name, options))
    return entries


def devices_from_args(args):
    """[(name, connection params)] for every intercom; SourceError for the first bad value, before any request."""
    args = dict(args or {})
    source_args = {name: args.pop(name) for name in list(args) if name in SOURCE_OPTIONS}
    shared = {name: args.pop(name) for name in list(args) if name in CONNECTION_NAMES}
    if args:
        raise SourceError('twon.helios.helios_events: unknown option %s; the options are %s' % (
            ', '.join(sorted(args)), ', '.join(sorted(list(SOURCE_OPTIONS) + list(CONNECTION_NAMES)))))
    settings = _validate(SOURCE_OPTIONS, source_args, 'twon.helios.helios_events')
    if settings['backoff_max'] < settings['backoff_initial']:
        raise SourceError('backoff_max (%s) must be at least backoff_initial (%s)' % (
            settings['backoff_max'], settings['backoff_initial']))
    shared = {name: value for name, value in shared.items() if value is not None}
    _validate(_connection_spec(False), shared, 'twon.helios.helios_events')
    devices, seen = [], set()
    for name, own in _intercom_entries(settings):
        where = 'intercom %s' % name
        params = _validate(_connection_spec(True), dict(shared, **{k: v for k, v in own.items() if v is not None}),
                           where)
        try:
            _connection.check_connection_values(params, _connection_spec(True))
        except _errors.HeliosParameterError as exc:
            raise SourceError('%s: %s' % (where, exc)) from None
        if params['port'] is None:
            params['port'] = 443 if params['protocol'] == 'https' else 80
        key = (params['host'], params['port'])
        if key in seen:
            raise SourceError('%s: %s port %s is listed twice; watch each intercom once' % (
                where, params['host'], params['port']))
        seen.add(key)
        devices.append((name, params))
    return settings, devices


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class _TlsContexts:
    """One SSL context per CA file (a thousand intercoms share a handful)."""

    def __init__(self):
        self.contexts = {}

    def get(self, params):
        if params['protocol'] != 'https':
            return True  # aiohttp's default; no TLS on http
        if not params['validate_certs']:
            return False
        key = params.get('ca_path')
        if key not in self.contexts:
            self.contexts[key] = ssl.create_default_context(cafile=key)
        return self.contexts[key]


class DeviceWatcher:
    """One intercom: its channel, what was delivered from it, and its reports."""

    def __init__(self, name, params, settings, queue, connector, tls):
        self.name, self.params, self.settings, self.queue = name, params, settings, queue
        self.connector, self.ssl = connector, tls.get(params)
        self.base = '%s://%s:%d' % (params['protocol'], _connection.url_host(params['host']), params['port'])
        self.device = dict(name=name, host=params['host'], port=params['port'], protocol=params['protocol'],
                           url=self.base)
        self.auth_method = params['auth_method']
        self.session = None
        self.channel = None
        # What was delivered: the boot (utcTime - upTime) and the last id, upTime of the newest event; None until
        # the source knows where this device's new events begin.
        self.boot = self.last_id = self.last_up = None
        self.boot_mark = None  # (id, utcTime, upTime) of the DeviceState startup event of that boot, once seen
        self.known = False
        self.resuming = False
        self.outage = False
        self.reported_errors = set()
        self.delivered = 0

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _open_session(self):
        middlewares, auth = (), None
        username, password = self.params['username'], self.params['password']
        if self.auth_method == 'digest':
            middlewares = (aiohttp.DigestAuthMiddleware(username or '', password or ''),)
        elif self.auth_method == 'basic':
            auth = aiohttp.BasicAuth(username or '', password or '')
        self.session = aiohttp.ClientSession(connector=self.connector, connector_owner=False, middlewares=middlewares,
                                             auth=auth, raise_for_status=False)

    async def close(self):
        if self.session is not None:
            if self.channel is not None:
                try:
                    await self._call('log/unsubscribe', self.params['timeout'], id=self.channel)
                except Exception:  # pylint: disable=broad-except
                    pass  # best effort: the device closes an unused channel by itself
            await self.session.close()
            self.session = None

    async def _call(self, function, seconds, **params):
        if self.session is None:
            self._open_session()
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=self.params['timeout'])
        async with self.session.get(self.base + '/api/' + function, params=params, ssl=self.ssl,
                                    timeout=timeout) as reply:
            if reply.status == 401:
                challenge = reply.headers.get('WWW-Authenticate', '')
                if self.auth_method == 'auto' and challenge:
                    await self._adopt(challenge, function)
                    return await self._call(function, seconds, **params)
                raise AuthFailed('the device refused the account %r (HTTP 401, auth_method %s)' % (
                    self.params['username'], self.auth_method))
            try:
                body = await reply.json(content_type=None)
            except ValueError:
                raise _errors.HeliosTransportError('%s: %s answered HTTP %d, not an HTTP API reply (the reply is not '
                                                   'JSON)' % (function, self.base, reply.status)) from None
        if not isinstance(body, dict) or not body.get('success'):
            error = body.get('error', {}) if isinstance(body, dict) else {}
            raise _errors.HeliosApiError(function, error.get('code'), error.get('description'), error.get('param'))
        return body.get('result') or {}

    async def _adopt(self, challenge, function):
        """auth_method auto: the scheme of the first challenge, as the modules' client adopts it."""
        try:
            scheme = _connection.adopted_auth_scheme(challenge, self.params['protocol'],
                                                     self.params['allow_basic_over_http'], function)
        except _errors.HeliosParameterError as exc:
            raise AuthFailed(str(exc)) from None
        if scheme is None:
            raise AuthFailed('the device asks for %s authentication, which the source does not speak'
                             % challenge.split(None, 1)[0].lower())
        self.auth_method = scheme
        await self.session.close()
        self.session = None

    # --- channel -----------------------------------------------------------------------------------------------

    async def _subscribe(self, include):
        params = dict(include=include, duration=self.settings['pull_timeout'] + 60)
        if self.settings['events']:
            # DeviceState too: its startup event tells a restart (it is delivered only when listed)
            params['filter'] = ','.join(sorted(set(self.settings['events']) | {'DeviceState'}))
        try:
            result = await self._call('log/subscribe', self.params['timeout'], **params)
        except _errors.HeliosApiError as exc:
            if exc.code in UNSUPPORTED_CODES:
                raise Unsupported(exc) from None
            raise
        return result['id']

    async def _pull(self, channel, wait):
        try:
            result = await self._call('log/pull', wait + self.params['timeout'], id=channel, timeout=wait)
        except DeviceError as exc:
            raise ChannelLost(str(exc)) from None
        return result.get('events') or []

    async def _open_channel(self):
        """A channel whose events continue where the last one's ended; events already pulled from it are offered."""
        if self.known:
            self.channel = await self._subscribe('all')
            self.resuming = True
            return []
        if self.settings['history']:
            self.channel = await self._subscribe('all')
            self.known = True
            return []
        # Where do new events begin? A channel of new events first, then one with the history: every history event
        # the first channel does not also hold came before the source started. Nothing raised in between is lost.
        live = await self._subscribe('new')
        try:
            history_channel = await self._subscribe('all')
            history = []
            while True:
                batch = await self._pull(history_channel, 0)
                history.extend(batch)
                if not batch:
                    break
            try:
                await self._call('log/unsubscribe', self.params['timeout'], id=history_channel)
            except DeviceError:
                pass
            fresh = await self._pull(live, 0)
        except BaseException:
            self.channel = live  # unsubscribed by close(), or left to expire
            raise
        # Every history event raised after the first channel opened is in it too: fresh starts where the past ends.
        before = [e for e in history if not fresh or e['id'] < fresh[0]['id']]
        if before:
            newest = before[-1]
            self.boot, self.last_id, self.last_up = _boot(newest), newest['id'], newest['upTime']
            for event in before:
                if event.get('event') == 'DeviceState' and (event.get('params') or {}).get('state') == 'startup':
                    self.boot_mark = (event['id'], event['utcTime'], event['upTime'])
        self.known = True
        self.channel = live
        return fresh

    # --- delivery ------------------------------------------------------------------------------------------------

    async def offer(self, event):
        """Deliver the device's event unless it was delivered (or came before the source started)."""
        try:
            boot, number, up = _boot(event), int(event['id']), event['upTime']
        except (KeyError, TypeError, ValueError):
            logger.warning('%s: an event without id, utcTime or upTime was skipped: %r', self.name, event)
            return
        mark = (number, event['utcTime'], up)
        startup = event.get('event') == 'DeviceState' and (event.get('params') or {}).get('state') == 'startup'
        if self.boot is None:
            verdict = 'new'
        elif startup:
            # The device's first event of each boot marks it: one not seen before starts a new boot, even when the
            # device restarted within the seconds that utcTime - upTime cannot tell apart.
            verdict = 'old' if mark == self.boot_mark else 'boot'
        elif abs(boot - self.boot) <= BOOT_TOLERANCE:
            verdict = 'new' if number > self.last_id else 'old'
        elif boot > self.boot:
            verdict = 'boot'  # the device restarted (or its clock was set forward: ids and upTime then go on)
        elif number > self.last_id and up >= self.last_up:
            verdict = 'new'  # the clock was set back: the same boot, ids and upTime go on
        else:
            verdict = 'old'  # an earlier boot
        if self.resuming and self.boot is not None and (verdict == 'boot' or abs(boot - self.boot) <= BOOT_TOLERANCE):
            # The first event of the resumed channel from the delivered boot: the history starts with it. If the last
            # delivered event (which matched the filter too) is not there, the history overflowed past it.
            self.resuming = False
            if verdict == 'new' and number > self.last_id + 1:
                await self._report('gap', 'the device no longer holds the events after id %d (its history overflowed '
                                   'while the channel was lost): up to %d events of this boot may be lost'
                                   % (self.last_id, number - self.last_id - 1),
                                   first_missing_id=self.last_id + 1, last_missing_id=number - 1)
            elif verdict == 'boot' and not startup and number > 1:
                # every boot's first event is DeviceState startup, which the channel always asks for
                await self._report('gap', 'the device restarted and no longer holds the first events of its new boot '
                                   '(its history overflowed while the channel was lost): up to %d events may be lost'
                                   % (number - 1), first_missing_id=1, last_missing_id=number - 1)
        if verdict == 'old':
            return
        self.boot, self.last_id, self.last_up = boot, number, up
        if startup:
            self.boot_mark = mark
        if self.settings['events'] and event.get('event') not in self.settings['events']:
            return  # DeviceState, asked for to see restarts, not delivered unless listed
        self.delivered += 1
        await self.queue.put({'helios': dict(
            kind='event', device=self.device, type=event.get('event'), params=event.get('params') or {}, id=number,
            utc_time=event['utcTime'], up_time=up, tz_shift=event.get('tzShift', 0), time=_iso(event['utcTime']),
            received=time.time())})

    async def _report(self, kind, message, **details):
        logger.warning('%s (%s): %s', self.name, self.base, message)
        await self.queue.put({'helios': dict(kind=kind, device=self.device, message=message, received=time.time(),
                                             **details)})

    def _backoff(self, failures):
        """Exponential backoff with a cap, and jitter (half to all of it) so a fleet does not retry in step."""
        delay = min(self.settings['backoff_max'], self.settings['backoff_initial'] * 2 ** min(failures, 30))
        return delay * random.uniform(0.5, 1.0)

    async def run(self):
        failures = 0
        lost_in_a_row = 0
        try:
            while True:
                try:
                    if self.channel is None:
                        for event in await self._open_channel():
                            await self.offer(event)
                    batch = await self._pull(self.channel, self.settings['pull_timeout'])
                    if self.outage:
                        self.outage = False
                        await self._report('reachable', 'the intercom answers again')
                    failures = lost_in_a_row = 0
                    self.reported_errors.clear()
                    for event in batch:
                        await self.offer(event)
                except Unsupported as exc:
                    await self._report('unsupported', 'the intercom has no Logging service (its firmware answers '
                                       'log/subscribe with error %s, %s): it is not watched; firmware 2.13 or later '
                                       'has it' % (exc.cause.code, exc.cause.description))
                    self.channel = None
                    return
                except ChannelLost as exc:
                    logger.info('%s: channel %s lost (%s): subscribing again', self.name, self.channel, exc)
                    self.channel = None
                    lost_in_a_row += 1
                    if lost_in_a_row > 1:  # lost again at once: not a restart, something answers oddly
                        await asyncio.sleep(self._backoff(lost_in_a_row - 2))
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    self.channel = None
                    if not self.outage:
                        self.outage = True
                        await self._report('unreachable', 'the intercom cannot be reached (%s): retrying with '
                                           'backoff' % (_describe(exc),))
                    await asyncio.sleep(self._backoff(failures))
                    failures += 1
                except (AuthFailed, *DeviceError) as exc:
                    self.channel = None
                    if str(exc) not in self.reported_errors:
                        self.reported_errors.add(str(exc))
                        await self._report('error', '%s: retrying with backoff' % exc)
                    await asyncio.sleep(self._backoff(failures))
                    failures += 1
        finally:
            await self.close()


class Unsupported(Exception):
    def __init__(self, cause):
        super().__init__(str(cause))
        self.cause = cause


def _boot(event):
    return int(round(event['utcTime'] - event['upTime']))


def _describe(exc):
    """What went wrong, in a line: no object reprs, no credentials (aiohttp's messages hold neither)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        text = 'cannot connect to port %s: %s' % (exc.port, getattr(cause, 'strerror', None) or cause)
    elif isinstance(exc, asyncio.TimeoutError):
        text = 'no reply in time'
    else:
        text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + '...'


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Watch every intercom the arguments name until cancelled; events go on queue."""
    if not HAS_AIOHTTP:
        raise SourceError('twon.helios.helios_events needs aiohttp 3.12 or later (DigestAuthMiddleware) in the Python '
                          'that runs ansible-rulebook: pip install "aiohttp>=3.12"')
    settings, devices = devices_from_args(args)
    tls = _TlsContexts()
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=4)
    watchers = [DeviceWatcher(name, params, settings, queue, connector, tls) for name, params in devices]
    logger.info('watching %d intercoms', len(watchers))
    try:
        await asyncio.gather(*(watcher.run() for watcher in watchers))
        # Every intercom was reported unsupported. Ending the source would end the whole rulebook (and its other
        # sources): stay, watching nothing, until ansible-rulebook stops.
        logger.warning('no intercom left to watch: none has the Logging service')
        await asyncio.Event().wait()
    finally:
        await connector.close()


if __name__ == '__main__':
    class _PrintQueue:
        async def put(self, event):
            print(event, flush=True)

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(_PrintQueue(), dict(intercoms=sys.argv[1:])))
