"""The inventory plugin twon.helios.helios: real ansible-inventory runs against emulated fleets on loopback ranges with
gaps, a fleet with other credentials, a device that poses as one, an HTTP server that is no intercom and a TCP service
that is not HTTP at all.

Each pytest-xdist worker has its own block 127.0.(70+N).x (N = 0..5); in it:
  .10-.13  four default intercoms (their device name is their model, so they share it)
  .20      a Vario on older firmware, named "Lobby Door", without the licence (system/info needs none)
  .30-.31  two intercoms whose admin has another password
  .40      an HTTP server that is not the HTTP API (on both ports)
  .41      a TCP service that is not HTTP (on both ports)
  .50      an intercom that answers system/info with {"success": true} and nothing else
  .60      an intercom that answers system/info as the current firmware family does, with its MAC address
  the rest is gaps.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading

import pytest
import yaml
from helios_fleet import BIN, HTTP_PORT, HTTPS_PORT, _http_json, spare_blocks

from helios_emulator import tls
from helios_emulator.testing import AddressInUse, EmulatorProcess

PASSWORD = 'Inv-Secret-7'
OTHER_PASSWORD = 'Other-Pass-9'
VARIO = dict(variant='2N Helios IP Vario', swVersion='2.10.0.19.2', hwVersion='535v2', buildType='beta',
             deviceName='Lobby Door', serialNumber='08-1860-0035')
VAULT_PASSWORD = 'inventory-vault-pw'
# system/info of the current firmware family, which also reports the MAC address (the emulator's 2.11 does not)
CURRENT = dict(variant='2N IP Style', serialNumber='54-3011-0007', hwVersion='600v1', swVersion='2.50.0.60.3',
               buildType='', deviceName='Gate', macAddr='7C-1E-B3-01-02-03')


class _NotTheApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'<html><body>Router login</body></html>'
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _NotHttp(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b'SSH-2.0-OpenSSH_9.6\r\n')


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _ServerV6(_Server):
    address_family = socket.AF_INET6


def _serve(server_class, address, port, handler):
    server = server_class((address, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Site:
    """The worker's block: its emulators, its odd servers, and what each address holds."""

    def __init__(self, workdir, block):
        self.block = block
        self.emulators = []
        self.servers = []
        try:
            self._start(workdir)
        except BaseException:
            self.stop()  # what did start, so that the next block can be tried
            raise

    def _start(self, workdir):
        # one CA for every emulator process, as one inventory source verifies them all with one ca_path
        self.ca_path, self._cert, self._key = (str(path) for path in tls.generate(
            workdir / 'tls', [self.address(last) for last in (10, 11, 12, 13, 20, 30, 31, 50, 60)]))
        accounts = [dict(username='admin', password=PASSWORD, privileges=['system.monitoring'])]
        self._emulator(workdir, 'fleet', 10, 4, {'accounts': accounts})
        self._emulator(workdir, 'vario', 20, 1, {'accounts': accounts, 'licence': False, 'device': VARIO})
        self._emulator(workdir, 'others', 30, 2, {'accounts': [dict(accounts[0], password=OTHER_PASSWORD)]})
        self._emulator(workdir, 'poser', 50, 1, {'accounts': accounts, 'faults': {
            'reply': {'success': True}, 'path': '/api/system/info'}})
        self._emulator(workdir, 'current', 60, 1, {'accounts': accounts, 'faults': {
            'reply': {'success': True, 'result': CURRENT}, 'path': '/api/system/info'}})
        for port in (HTTP_PORT, HTTPS_PORT):
            self.servers.append(_serve(_Server, self.address(40), port, _NotTheApi))
            self.servers.append(_serve(_Server, self.address(41), port, _NotHttp))

    def address(self, last):
        return '%s.%d' % (self.block, last)

    def _emulator(self, workdir, name, first, count, profile):
        emulator = EmulatorProcess(workdir, self.address(first), HTTP_PORT, HTTPS_PORT, devices=count, profile=profile,
                                   name=name, cert=self._cert, key=self._key)
        emulator.start()
        self.emulators.append(emulator)

    def requests(self, last):
        """API requests the device at .last has had."""
        return _http_json('http://%s:%d/_emulator/state' % (self.address(last), HTTP_PORT))['traffic']['requests']

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for emulator in self.emulators:
            emulator.stop(timeout=10)


def _start_site(tmp_path_factory):
    """A Site in the first block whose addresses are free."""
    for candidate in spare_blocks():
        try:
            return Site(tmp_path_factory.mktemp('inventory-site'), candidate)
        except (AddressInUse, OSError):  # an emulator, or one of the odd servers, found its port taken
            continue
    raise RuntimeError('no free block in 127.0.70-75.x for the inventory tests')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    started = _start_site(tmp_path_factory)
    yield started
    started.stop()


class Inventory:
    def __init__(self, rc, stdout, stderr):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr

    @property
    def data(self):
        # ansible-inventory marks the values no template may run from ({"__ansible_unsafe": value})
        return json.loads(self.stdout, object_hook=lambda item: item.get('__ansible_unsafe', item)
                          if len(item) == 1 else item)

    def hosts(self, group='all'):
        data = self.data
        found = []
        pending = [group]
        while pending:
            name = pending.pop()
            found += data.get(name, {}).get('hosts', [])
            pending += data.get(name, {}).get('children', [])
        return sorted(set(found))

    def hostvars(self, host):
        return self.data['_meta']['hostvars'][host]

    @property
    def warnings(self):
        """The warnings about left-out addresses, by address."""
        text = ' '.join(self.stderr.split())  # Ansible wraps long warnings
        found = {}
        for part in text.split('[WARNING]: twon.helios.helios: ')[1:]:
            address, reason = part.split(' left out of the inventory: ', 1)
            found[address] = reason.strip()
        return found


@pytest.fixture
def inventory(collections_path, tmp_path):
    """inventory(source, *ansible_inventory_args, env=None): run ansible-inventory on a helios.yml source."""
    counter = iter(range(100))

    def run(source, *args, env=None, name='fleet.helios.yml', source_dir=None):
        run_dir = tmp_path / ('inv%d' % next(counter))
        run_dir.mkdir()
        path = (source_dir or run_dir) / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(source if isinstance(source, str) else yaml.safe_dump(source))
        environ = {k: v for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_'))}
        environ.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(run_dir / 'home'),
                       ANSIBLE_LOCAL_TEMP=str(run_dir / 'tmp'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                       ANSIBLE_INVENTORY_UNPARSED_FAILED='1', COLUMNS='1000')
        environ.update(env or {})
        command = [str(BIN / 'ansible-inventory'), '-i', str(path)] + list(args or ['--list'])
        done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=120, cwd=run_dir,
                              check=False)
        return Inventory(done.returncode, done.stdout, done.stderr)

    return run


def source(site, **options):
    return dict(dict(plugin='twon.helios.helios', username='admin', password=PASSWORD, ca_path=site.ca_path,
                     port=HTTPS_PORT, ranges=['%s.1-%s.59' % (site.block, site.block)]), **options)


def assert_no_secret(found):
    for text in (found.stdout, found.stderr):
        assert PASSWORD not in text and OTHER_PASSWORD not in text


def fleet_names(site):
    return ['2n-helios-ip-verso-54-2711-%04d' % index for index in range(1, 5)]


def test_a_range_with_gaps_and_strangers_over_https(site, inventory):
    found = inventory(source(site, keyed_groups=[dict(key='helios_model', prefix='model'),
                                                 dict(key='helios_sw_version', prefix='firmware')]))
    assert found.rc == 0, found.stderr
    assert found.hosts() == sorted(fleet_names(site) + ["lobby-door"]), found.stdout + found.stderr
    assert found.hosts('intercoms') == found.hosts()
    assert found.hosts('model_2N_Helios_IP_Verso') == fleet_names(site)
    assert found.hosts('model_2N_Helios_IP_Vario') == ['lobby-door']
    assert found.hosts('firmware_2_11_0_22_1') == fleet_names(site)
    assert found.hosts('firmware_2_10_0_19_2') == ['lobby-door']
    assert found.hostvars('lobby-door') == dict(
        ansible_host=site.address(20), helios_port=HTTPS_PORT, helios_protocol='https', helios_model=VARIO['variant'],
        helios_serial_number=VARIO['serialNumber'], helios_hw_version=VARIO['hwVersion'],
        helios_sw_version=VARIO['swVersion'], helios_build_type='beta', helios_device_name='Lobby Door')
    assert found.hostvars(fleet_names(site)[2])['ansible_host'] == site.address(12)
    # 2.11 firmware reports no MAC address: no variable rather than an empty one
    assert 'helios_mac_address' not in found.hostvars('lobby-door')
    warnings = found.warnings
    assert sorted(warnings) == [site.address(last) for last in (30, 31, 40, 41, 50)], found.stderr
    for last in (30, 31):
        assert warnings[site.address(last)] == (
            'system/info: authentication failed (HTTP 401): user "admin" was refused with digest authentication: '
            'wrong username or password')
    for last in (40, 41):
        assert warnings[site.address(last)].startswith(
            'system/info: TLS connection to https://%s:%d failed: ' % (site.address(last), HTTPS_PORT))
    assert warnings[site.address(50)] == (
        "system/info: the device's reply lacks result.variant: not the reply the HTTP API documents")
    assert_no_secret(found)


def test_not_http_not_the_api_and_a_silent_host_over_http(site, inventory):
    found = inventory(source(site, protocol='http', port=HTTP_PORT, ranges=[], hosts=[
        site.address(40), site.address(41), site.address(10), site.address(99)]))
    assert found.rc == 0, found.stderr
    # the one device named after its model: no other shares the name, so no serial number is appended
    assert found.hosts() == ['2n-helios-ip-verso']
    assert found.hostvars('2n-helios-ip-verso')['helios_port'] == HTTP_PORT
    assert found.hostvars('2n-helios-ip-verso')['helios_protocol'] == 'http'
    warnings = found.warnings
    assert warnings[site.address(40)] == (
        'system/info: http://%s:%d answered HTTP 200 OK, not an HTTP API reply' % (site.address(40), HTTP_PORT))
    assert warnings[site.address(41)].startswith(
        'system/info: the connection to http://%s:%d closed before the reply: ' % (site.address(41), HTTP_PORT))
    # a host named in hosts is missed when it does not answer; an address of a range is a gap
    assert warnings[site.address(99)] == (
        'system/info: cannot connect to http://%s:%d: Connection refused' % (site.address(99), HTTP_PORT))
    assert len(warnings) == 3


def test_an_ipv6_host(inventory):
    server = _serve(_ServerV6, '::1', 0, _NotTheApi)
    try:
        port = server.server_address[1]
        found = inventory(dict(plugin='twon.helios.helios', hosts=['::1'], ranges=['::1-::1'], protocol='http',
                               port=port, auth_method='none'))
    finally:
        server.shutdown()
        server.server_close()
    assert found.rc == 0, found.stderr
    assert found.warnings == {'::1': 'system/info: http://[::1]:%d answered HTTP 200 OK, not an HTTP API reply' % port}


def test_names_waves_and_constructed_groups(site, inventory):
    found = inventory(source(site, hostname="'door-' ~ helios_serial_number", waves=3, group='doors',
                             keyed_groups=[dict(key='helios_wave | string', prefix='wave')],
                             groups=dict(beta="helios_build_type == 'beta'"),
                             compose=dict(site_name="'hq'"), strict=True))
    assert found.rc == 0, found.stderr
    serials = ['54-2711-%04d' % index for index in range(1, 5)] + [VARIO['serialNumber']]
    names = ['door-' + serial for serial in serials]
    assert found.hosts() == sorted(names)
    assert found.hosts('doors') == sorted(names)
    assert found.hosts('beta') == ['door-08-1860-0035']
    for name, serial in zip(names, serials):
        wave = int(hashlib.sha256(serial.encode()).hexdigest(), 16) % 3 + 1
        assert found.hostvars(name)['helios_wave'] == wave
        assert name in found.hosts('wave_%d' % wave)
        assert found.hostvars(name)['site_name'] == 'hq'


def test_a_vaulted_password(site, inventory, tmp_path):
    vault_file = tmp_path / 'vault-pw'
    vault_file.write_text(VAULT_PASSWORD)
    encrypted = subprocess.run([str(BIN / 'ansible-vault'), 'encrypt_string', '--vault-password-file', str(vault_file),
                                PASSWORD, '--name', 'password'], capture_output=True, text=True, check=True,
                               env={k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}).stdout
    text = 'plugin: twon.helios.helios\nusername: admin\nca_path: %s\nport: %d\nhosts: [%s, %s]\n%s' % (
        site.ca_path, HTTPS_PORT, site.address(10), site.address(20), encrypted)
    found = inventory(text, '--list', '--vault-password-file', str(vault_file))
    assert found.rc == 0, found.stderr
    assert found.hosts() == ['2n-helios-ip-verso', 'lobby-door']
    assert_no_secret(found)


def test_a_templated_password(site, inventory):
    text = ("plugin: twon.helios.helios\nusername: admin\nca_path: %s\nport: %d\nhosts: [%s]\n"
            "password: \"{{ lookup('ansible.builtin.env', 'DOOR_PW') }}\"\n" % (site.ca_path, HTTPS_PORT, site.address(20)))
    found = inventory(text, env={'DOOR_PW': PASSWORD})
    assert found.rc == 0, found.stderr
    assert found.hosts() == ['lobby-door']


def test_the_environment_gives_the_connection_options(site, inventory):
    found = inventory(dict(plugin='twon.helios.helios', hosts=[site.address(20)]), env={
        'HELIOS_USERNAME': 'admin', 'HELIOS_PASSWORD': PASSWORD, 'HELIOS_PROTOCOL': 'http',
        'HELIOS_PORT': str(HTTP_PORT)})
    assert found.rc == 0, found.stderr
    assert found.hosts() == ['lobby-door']
    assert found.hostvars('lobby-door')['helios_port'] == HTTP_PORT


def test_the_cache_spares_the_devices(site, inventory, tmp_path):
    options = source(site, hosts=[site.address(10)], ranges=[], cache=True, cache_plugin='ansible.builtin.jsonfile',
                     cache_connection=str(tmp_path / 'cache'), cache_timeout=600)
    same = tmp_path / 'source'  # the cache is keyed by the source's path
    first = inventory(options, source_dir=same)
    assert first.rc == 0, first.stderr
    requests = site.requests(10)
    again = inventory(options, source_dir=same)
    assert again.rc == 0, again.stderr
    assert again.data == first.data
    assert site.requests(10) == requests
    cached = ' '.join(path.read_text() for path in (tmp_path / 'cache').iterdir())
    assert site.address(10) in cached and PASSWORD not in cached
    flushed = inventory(options, '--list', '--flush-cache', source_dir=same)
    assert flushed.rc == 0, flushed.stderr
    assert site.requests(10) > requests


@pytest.mark.parametrize('options, message', [
    (dict(ranges=['%(block)s.13-%(block)s.10']), "ranges: '%(block)s.13-%(block)s.10' is not an address range (its "
                                                 "end comes before its start)"),
    (dict(hosts=['https://%(block)s.10']), "hosts: 'https://%(block)s.10' is not a host"),
    (dict(max_workers=0), 'max_workers must be between 1 and 1024, got 0'),
    (dict(connect_timeout=0), 'connect_timeout must be more than 0 and at most 60 (seconds), got 0'),
    (dict(waves=-1), 'waves must be between 0 and 1000, got -1'),
    (dict(port=0), 'port must be between 1 and 65535, got 0'),
    (dict(password=None), 'auth_method is digest but all of the following are missing: password'),
])
def test_bad_options_fail_before_any_request(site, inventory, options, message):
    before = site.requests(10)
    options = dict((key, [item % dict(block=site.block) for item in value] if isinstance(value, list) else value)
                   for key, value in options.items())
    options = dict(source(site, hosts=[site.address(10)]), **options)
    found = inventory(dict((key, value) for key, value in options.items() if value is not None))
    assert found.rc != 0
    assert message % dict(block=site.block) in ' '.join(found.stderr.split())
    assert site.requests(10) == before


def test_the_mac_address_where_the_firmware_reports_it(site, inventory):
    found = inventory(source(site, ranges=[], hosts=[site.address(60)]))
    assert found.rc == 0, found.stderr
    assert found.hosts() == ['gate']
    assert found.hostvars('gate')['helios_mac_address'] == '7C-1E-B3-01-02-03'
    assert found.hostvars('gate')['helios_model'] == '2N IP Style'


def test_playbooks_reach_the_discovered_intercoms(site, inventory, collections_path, tmp_path):
    """The host variables the plugin sets are all a task needs besides the credentials of group_vars."""
    inventory_dir = tmp_path / 'inventory'
    (inventory_dir / 'group_vars').mkdir(parents=True)
    (inventory_dir / 'fleet.helios.yml').write_text(yaml.safe_dump(source(site, waves=2, keyed_groups=[
        dict(key='helios_wave | string', prefix='wave')])))
    (inventory_dir / 'group_vars' / 'intercoms.yml').write_text(yaml.safe_dump(dict(
        helios_username='admin', helios_password=PASSWORD, helios_ca_path=site.ca_path, helios_validate_certs=True,
        ansible_connection='local', ansible_python_interpreter=sys.executable)))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_'))}
    environ.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / 'home'),
                   ANSIBLE_NOCOLOR='1', ANSIBLE_INVENTORY_UNPARSED_FAILED='1')
    playbook = tmp_path / 'read.yml'
    playbook.write_text(yaml.safe_dump([{
        'name': 'Read the discovered intercoms of one wave', 'hosts': 'intercoms', 'gather_facts': False,
        'tasks': [{'name': 'Read', 'twon.helios.helios_info': {'gather_subset': ['system'], 'as_facts': True}},
                  {'name': 'Compare', 'ansible.builtin.assert': {'that': [
                      'ansible_facts.helios.system.serialNumber == helios_serial_number']}}]}]))
    done = subprocess.run([str(BIN / 'ansible-playbook'), '-i', str(inventory_dir), str(playbook)], env=environ,
                          capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    recap = done.stdout[done.stdout.index('PLAY RECAP'):]
    assert recap.count('ok=2') == 5 and 'failed=0' in recap, recap
