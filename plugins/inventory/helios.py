# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: helios
short_description: Discover 2N Helios IP intercoms by probing addresses
version_added: 0.1.0
description:
  - Probes explicit hosts and address ranges for 2N Helios IP intercoms through the HTTP API function C(system/info),
    which every account may call and which needs no licence. Each device that answers becomes an inventory host.
  - The addresses are probed concurrently, at most O(max_workers) at a time, each with a short O(connect_timeout),
    so that addresses where nothing listens cost little.
  - An address that answers something other than the HTTP API (another HTTP service, not HTTP at all, a TLS
    failure, refused credentials, a disabled service) is reported as a warning naming the reason and left out. An
    address of a range where nothing answers is a gap and left out silently; a host of O(hosts) that does not answer
    is reported as a warning.
  - 'Each host gets C(ansible_host) (the address it answered at), C(helios_port) and C(helios_protocol), so that the
    collection''s modules and roles reach it, and what the device told: C(helios_model) (C(variant)),
    C(helios_serial_number), C(helios_hw_version), C(helios_sw_version) (the running firmware), C(helios_build_type),
    C(helios_device_name), and C(helios_mac_address) where the firmware reports one. With O(waves), C(helios_wave)
    too.'
  - C(helios_sw_version) is what runs; C(helios_firmware_version) stays the version you want, as the drift playbook
    and the firmware_upgrade role read it.
  - The credentials are not host variables; give the modules theirs as usual (C(helios_username) and
    C(helios_password) in group variables, or C(module_defaults)).
  - The inventory file's name must end in C(helios.yml) or C(helios.yaml).
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; V(twon.helios.helios) marks a file as this plugin's source.
    type: str
    required: true
    choices: [twon.helios.helios]
  hosts:
    description:
      - Hosts to probe, each a DNS name, an IPv4 or an IPv6 address.
      - A host that does not answer is reported as a warning.
    type: list
    elements: str
    default: []
  ranges:
    description:
      - Address ranges to probe, each a CIDR network (V(192.0.2.0/24), V(2001:db8::/120)), two addresses joined by a
        dash, both included (V(192.0.2.10-192.0.2.50), V(2001:db8::10-2001:db8::1f)), or a single address.
      - A network's own address is left out, and an IPv4 network's broadcast address; use the dash form to probe
        every address.
      - At most 65536 addresses in all, so that a mistyped IPv6 prefix cannot start an endless scan.
    type: list
    elements: str
    default: []
  group:
    description:
      - The group every discovered host is put in; the collection's playbooks target V(intercoms) by default.
      - An empty string puts the hosts in no group of their own (only C(all) and the constructed groups).
    type: str
    default: intercoms
  hostname:
    description:
      - A Jinja2 expression (as in O(compose)) over the host variables above that names the host, for example
        V(helios_serial_number) or V("'door-' ~ helios_serial_number").
      - The value is made an inventory name, in lower case, and each run of characters other than letters, digits,
        V(.), V(_) and V(-) made one V(-). When it is empty or cannot be evaluated, the address is the name.
      - Names that several devices would share (intercoms keep their model as their device name until someone
        names them) all get V(-) and the device's serial number appended, whatever order the devices answer in.
    type: str
    default: helios_device_name
  waves:
    description:
      - When more than V(0), each host gets C(helios_wave), a number from V(1) to O(waves) drawn from a hash of its
        serial number. It is the same on every run and every controller and does not change as devices come and
        go, so a roll-out in waves (O(keyed_groups) on C(helios_wave | string)) always starts with the same devices.
      - V(0) to V(1000).
    type: int
    default: 0
  max_workers:
    description: How many addresses are probed at the same time, V(1) to V(1024).
    type: int
    default: 64
  connect_timeout:
    description:
      - Seconds to wait for a connection to an address; more than V(0), at most V(60).
      - Where nothing listens, a network that drops packets makes each such address cost this long; one that
        refuses connections costs less.
    type: float
    default: 1.0
  port:
    description:
      - TCP port of the HTTP API, V(1) to V(65535), on every address.
      - Defaults to V(443) for O(protocol=https) and V(80) for O(protocol=http).
    type: int
    env:
      - name: HELIOS_PORT
  protocol:
    description: Transport of the HTTP API requests.
    type: str
    choices: [https, http]
    default: https
    env:
      - name: HELIOS_PROTOCOL
  username:
    description:
      - Name of an HTTP API account on the devices; C(system/info) needs no privilege beyond a valid account.
      - Required when O(auth_method) is V(digest) or V(basic).
    type: str
    env:
      - name: HELIOS_USERNAME
  password:
    description:
      - Password of the account O(username).
      - May be vaulted (C(!vault)) or a template, for example C("{{ lookup('ansible.builtin.env', 'DOOR_PW') }}").
      - Never a host variable, never shown in warnings, never in the cache.
    type: str
    env:
      - name: HELIOS_PASSWORD
  auth_method:
    description:
      - How requests authenticate, as for the modules; V(digest) is the device's default.
    type: str
    choices: [digest, basic, none, auto]
    default: digest
    env:
      - name: HELIOS_AUTH_METHOD
  allow_basic_over_http:
    description:
      - Whether O(auth_method=auto) may answer a Basic challenge over O(protocol=http), which sends the password in
        clear text.
    type: bool
    default: false
    env:
      - name: HELIOS_ALLOW_BASIC_OVER_HTTP
  validate_certs:
    description:
      - Whether to verify the devices' TLS certificates. A device whose certificate fails is reported as a warning.
    type: bool
    default: true
    env:
      - name: HELIOS_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file with the certificate authorities to verify the devices' certificates with.
    type: path
    env:
      - name: HELIOS_CA_PATH
  timeout:
    description:
      - Seconds to wait for each reply once connected; more than V(0), at most V(3600).
    type: float
    default: 5.0
    env:
      - name: HELIOS_TIMEOUT
  retries:
    description:
      - How many times a probe is repeated after a connection fault or an HTTP 5xx reply, V(0) to V(10).
      - V(0) by default, unlike the modules, so that an address where nothing listens is given up at once.
    type: int
    default: 0
    env:
      - name: HELIOS_RETRIES
notes:
  - The connection options mean what they mean for the modules, and take the same E(HELIOS_*) environment variables
    (the way AWX and AAP credentials hand them over); the modules' host variables (C(helios_password), ...) do not
    exist yet when the inventory is made, so they are not read here.
  - With O(cache=true) the devices found are kept by the cache plugin (O(cache_plugin)) for O(cache_timeout) seconds;
    ansible-inventory C(--flush-cache) probes again. The cache holds what the devices told, never the password.
requirements:
  - requests >= 2.28
seealso:
  - name: Inventory plugins
    description: How to use inventory plugins, their caching and constructed groups.
    link: https://docs.ansible.com/ansible/latest/plugins/inventory.html
'''

EXAMPLES = r'''
# intercoms.helios.yml: every intercom of two sites, grouped by model and firmware
plugin: twon.helios.helios
ranges:
  - 192.0.2.0/24
  - 198.51.100.10-198.51.100.60
hosts:
  - door-lobby.example.com
username: admin
# password: from HELIOS_PASSWORD in the environment, or a vaulted value here, as
# `ansible-vault encrypt_string --name password` prints it
ca_path: /etc/pki/intercoms-ca.pem
keyed_groups:
  - key: helios_model
    prefix: model
  - key: helios_sw_version
    prefix: firmware
groups:
  beta_firmware: helios_build_type == 'beta'


# Another inventory file, rollout.helios.yml: named by serial number, in four stable waves for the upgrade playbook
# (ansible-playbook -i rollout.helios.yml twon.helios.upgrade -e helios_target=wave_1 ...):
#   plugin: twon.helios.helios
#   ranges: [10.20.0.0/22]
#   hostname: "'door-' ~ helios_serial_number"
#   waves: 4
#   keyed_groups:
#     - key: helios_wave | string  # keyed_groups takes strings
#       prefix: wave
#   cache: true
#   cache_plugin: ansible.builtin.jsonfile
#   cache_connection: ~/.cache/helios-inventory
#   cache_timeout: 3600
'''

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.template import trust_as_template

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError
from ansible_collections.twon.helios.plugins.module_utils._options import check_values
from ansible_collections.twon.helios.plugins.plugin_utils import _discovery

CONNECTION_OPTION_NAMES = ('port', 'protocol', 'username', 'password', 'auth_method', 'allow_basic_over_http',
                           'validate_certs', 'ca_path', 'timeout', 'retries')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'twon.helios.helios'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('helios.yml', 'helios.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            targets, params, own = self._checked_options()
        except HeliosError as exc:
            raise AnsibleParserError('%s: %s' % (path, exc)) from None

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        devices = None
        if use_cache:
            try:
                devices = self._cache[cache_key]
            except KeyError:
                devices = None
        if devices is None:
            devices, problems = _discovery.discover(targets, params, own['connect_timeout'], own['max_workers'])
            for address, reason in problems:
                self.display.warning('twon.helios.helios: %s left out of the inventory: %s' % (address, reason))
            if self.get_option('cache'):
                self._cache[cache_key] = devices
        self._populate(devices, own['waves'])

    def _checked_options(self):
        """(targets, connection parameters, own options), checked before any request."""
        options = dict((name, self.get_option(name)) for name in CONNECTION_OPTION_NAMES)
        options['password'] = self._password(options['password'])
        params = _discovery.connection_params(options)
        own = dict((name, self.get_option(name)) for name in _discovery.DISCOVERY_OPTIONS)
        check_values(_discovery.DISCOVERY_OPTIONS, own)
        targets = _discovery.addresses(self.get_option('hosts'), self.get_option('ranges'))
        return targets, params, own

    def _password(self, value):
        """The password as text: a vaulted value decrypted, a template rendered."""
        if value is None:
            return None
        if isinstance(value, str) and self.templar.is_template(value):
            value = self.templar.template(value)
        return to_text(value)

    def _populate(self, devices, waves):
        group = self.get_option('group')
        if group:
            group = self.inventory.add_group(group)
        strict = self.get_option('strict')
        expression = trust_as_template(self.get_option('hostname'))
        found = [dict(device, variables=_discovery.host_variables(device, waves)) for device in devices]

        def wanted(device):
            try:
                return self._compose(expression, device['variables'])
            except Exception:  # pylint: disable=broad-exception-caught  # the address is the name then
                return ''

        placed = set()
        for name, device in zip(_discovery.host_names(found, wanted), found):
            variables = device['variables']
            if name in placed:
                # the same serial number at two addresses (a DNS name and an address of a range, say)
                self.display.warning('twon.helios.helios: %s left out of the inventory: it is the device %s (serial '
                                     'number %s), found at another address already'
                                     % (device['address'], name, variables['helios_serial_number']))
                continue
            placed.add(name)
            self.inventory.add_host(name, group=group or None)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option('compose'), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, name, strict=strict)
