# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery for the inventory plugin twon.helios.helios: which addresses to probe, probing them concurrently with the
collection's one client (system/info, which needs no licence), and what a found device becomes in the inventory.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import ipaddress
import re
import unicodedata

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.twon.helios.plugins.module_utils._client import DEFAULT_PORTS
from ansible_collections.twon.helios.plugins.module_utils._connection import (
    CONNECTION_OPTIONS,
    CONNECTION_REQUIRED_IF,
    _shown_host,
    check_connection_params,
    client_from_params,
    url_host,
)
from ansible_collections.twon.helios.plugins.module_utils._errors import (
    HeliosConnectError,
    HeliosError,
    HeliosParameterError,
)
from ansible_collections.twon.helios.plugins.module_utils._options import ansible_spec

# At most this many addresses in one inventory source: an IPv6 /64 would otherwise be probed for ever.
MAX_ADDRESSES = 65536

# The plugin's own options that _options.check_values checks (the connection options are checked by the client's).
DISCOVERY_OPTIONS = dict(
    connect_timeout=dict(type='float', range=dict(above=0, max=60, unit='seconds')),
    max_workers=dict(type='int', range=dict(min=1, max=1024)),
    waves=dict(type='int', range=dict(min=0, max=1000)),
)

# What system/info holds -> the host variable it becomes. macAddr only where the firmware reports it.
HOST_VARIABLES = (
    ('variant', 'helios_model'),
    ('serialNumber', 'helios_serial_number'),
    ('hwVersion', 'helios_hw_version'),
    ('swVersion', 'helios_sw_version'),
    ('buildType', 'helios_build_type'),
    ('deviceName', 'helios_device_name'),
    ('macAddr', 'helios_mac_address'),
)

_NOT_IN_NAME = re.compile(r'[^a-z0-9_.-]+')
_SEPARATORS = re.compile(r'[._-]*-[._-]*')


def _range_addresses(text):
    """The addresses of one range: a CIDR network (its hosts), a-b (both ends included), or a single address."""
    first, dash, last = text.partition('-')
    if dash:
        start, end = ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
        if start.version != end.version:
            raise ValueError('its ends are not of one IP version')
        if int(end) < int(start):
            raise ValueError('its end comes before its start')
        return start, int(end) - int(start) + 1
    network = ipaddress.ip_network(text.strip(), strict=False)
    if network.num_addresses <= 2:  # /31, /32, /127, /128: every address is a host
        return network.network_address, network.num_addresses
    if network.version == 4:  # without the network and broadcast addresses
        return network.network_address + 1, network.num_addresses - 2
    return network.network_address + 1, network.num_addresses - 1  # without the subnet-router anycast address


def addresses(hosts, ranges, limit=MAX_ADDRESSES):
    """The hosts and the addresses of the ranges, in order, each once: [(address, explicit)]; HeliosParameterError
    naming the option for a value that is no host or range, or more than limit addresses in all."""
    found, seen = [], set()

    def add(address, explicit):
        if address not in seen:
            seen.add(address)
            found.append((address, explicit))

    for host in hosts or ():
        try:
            url_host(host)
        except HeliosParameterError:
            raise HeliosParameterError('hosts: %s is not a host: each item must be a DNS name, an IPv4 or an IPv6 '
                                       'address, without scheme, port, path or user (address ranges go in the ranges '
                                       'option)' % _shown_host(str(host))) from None
        add(host[1:-1] if host.startswith('[') else host, True)
    for text in ranges or ():
        if not isinstance(text, str):
            raise HeliosParameterError('ranges: %r is not a range: each item must be a string' % (text,))
        try:
            start, count = _range_addresses(text)
        except ValueError as exc:
            raise HeliosParameterError(
                'ranges: %r is not an address range (%s); each item must be a CIDR network (192.0.2.0/24, '
                '2001:db8::/120), two addresses joined by a dash (192.0.2.10-192.0.2.50) or one address'
                % (text, str(exc).rstrip('.'))) from None
        if len(found) + count > limit:
            raise HeliosParameterError('ranges: %r makes more than %d addresses to probe; split the fleet into '
                                       'smaller ranges or inventory sources' % (text, limit))
        for offset in range(count):
            add(str(start + offset), False)
    if len(found) > limit:
        raise HeliosParameterError('hosts and ranges: more than %d addresses to probe' % limit)
    return found


def connection_params(options):
    """The connection options of the modules, validated as the modules validate them (types, choices, the
    credentials that auth_method needs, ranges): the parameters for client_from_params() less host."""
    # unset options are absent, as in a task's arguments (required_if takes an explicit None for a value)
    params = dict((name, options[name]) for name in CONNECTION_OPTIONS if options.get(name) is not None)
    params.pop('host', None)
    validator = ArgumentSpecValidator(ansible_spec(dict((name, spec) for name, spec in CONNECTION_OPTIONS.items()
                                                        if name != 'host')),
                                      required_if=CONNECTION_REQUIRED_IF)
    result = validator.validate(params)
    if result.error_messages:
        raise HeliosParameterError(result.error_messages[0])
    validated = result.validated_parameters
    # What the client would refuse for every address (no requests, a ca_path that is not there), refused once now.
    check_connection_params(dict(validated, host='localhost'))
    return validated


def probe(address, params, connect_timeout):
    """system/info of the device at address (HeliosError unless it answers as the HTTP API documents)."""
    with client_from_params(dict(params, host=address)) as client:
        client.connect_timeout = min(connect_timeout, client.timeout)
        return client.get('system/info')


def discover(targets, params, connect_timeout, max_workers):
    """Probe every (address, explicit) of targets, at most max_workers at a time.

    Returns (found, problems): found [{address, port, protocol, info}] in the order of targets; problems
    [(address, reason)] for addresses that answered something other than the HTTP API (or, for explicit hosts, did
    not answer at all). Addresses of ranges that did not answer are gaps, not problems.
    """
    port = params['port'] or DEFAULT_PORTS[params['protocol']]

    def one(target):
        address, explicit = target
        try:
            return address, probe(address, params, connect_timeout), None
        except HeliosConnectError as exc:
            return address, None, str(exc) if explicit else None
        except HeliosError as exc:
            return address, None, str(exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # one odd address never fails the inventory
            return address, None, 'unexpected %s while probing: %s' % (type(exc).__name__, exc)

    found, problems = [], []
    workers = max(1, min(max_workers, len(targets)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix='helios-discovery') as pool:
        for address, info, problem in pool.map(one, targets):
            if info is not None:
                found.append(dict(address=address, port=port, protocol=params['protocol'], info=info))
            elif problem:
                problems.append((address, problem))
    return found, problems


def wave(serial_number, waves):
    """The roll-out wave (1 to waves) of a device: a stable hash of its serial number, the same on every run and
    every controller, independent of the other devices."""
    digest = hashlib.sha256(str(serial_number).encode('utf-8')).hexdigest()
    return int(digest, 16) % waves + 1


def host_variables(device, waves=0):
    """The host variables of a found device."""
    info = device['info']
    variables = dict(ansible_host=device['address'], helios_port=device['port'], helios_protocol=device['protocol'])
    for key, variable in HOST_VARIABLES:
        if info.get(key) is not None:
            variables[variable] = info[key]
    if waves:
        variables['helios_wave'] = wave(info['serialNumber'], waves)
    return variables


def sanitised(name):
    """A name as an inventory host name: lower case letters (accents dropped), digits, '.', '_' and '-', runs of
    anything else as one '-'; '' when nothing is left."""
    text = unicodedata.normalize('NFKD', str(name or '')).encode('ascii', 'ignore').decode('ascii')
    return _SEPARATORS.sub('-', _NOT_IN_NAME.sub('-', text.strip().lower())).strip('-._')


def host_names(devices, wanted):
    """The inventory name of each device: wanted(device) sanitised, else its address. Names that several devices
    would share all get '-' and the device's serial number appended, whatever order the devices came in."""
    names = [sanitised(wanted(device)) or device['address'] for device in devices]
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return [name if counts[name] == 1 else '%s-%s' % (name, sanitised(device['info']['serialNumber']))
            for name, device in zip(names, devices)]
