"""Secrets stay out of every log, result, diff and backup, on every path (issue #12, section 3)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading

import pytest
from helios_fleet import HTTP_PORT

SIP_SECRET = 'sip-secret-4711'
CAMERA_SECRET = 'cam-secret-0815'
CAMERA_URL = 'rtsp://cam-user:%s@camera.example/stream' % CAMERA_SECRET
MASKED_CAMERA_URL = 'rtsp://cam-user:********@camera.example/stream'
NEW_CAMERA_URL = CAMERA_URL.replace('0815', '0816')
CDATA_SECRET = 'cdata-secret-1234'
MODULE_PATH = {'HELIOS_ACTION_IN_PROCESS': 'false'}

# Runs a command in the mount namespace that `unshare -m` made, with a /dev of its own whose /dev/log is the
# test's socket: AnsibleModule logs to syslog (through /dev/log) when systemd's journal module is not importable.
PRIVATE_DEV_LOG = r'''
set -e
work=$1; sink=$2; shift 2
mount --make-rprivate /
mkdir -p "$work/upper" "$work/work" "$work/shm" "$work/pts"
mount --rbind /dev/shm "$work/shm"
mount --rbind /dev/pts "$work/pts"
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$work/upper,workdir=$work/work" /dev
mount --rbind "$work/shm" /dev/shm
mount --rbind "$work/pts" /dev/pts
rm -f /dev/log
ln -s "$sink" /dev/log
exec "$@"
'''


class SyslogSink:
    """A Unix datagram socket that collects what is sent to it, as syslogd would."""

    def __init__(self, path):
        self.path = str(path)
        self.messages = []
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(self.path)
        self._socket.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self):
        while not self._stop.is_set():
            try:
                self.messages.append(self._socket.recv(65536).decode('utf-8', 'replace'))
            except socket.timeout:
                continue

    def close(self):
        self._stop.set()
        self._thread.join()
        self._socket.close()

    @property
    def text(self):
        return '\n'.join(self.messages)


@pytest.fixture
def syslog(tmp_path):
    """(sink, prefix): the ansible fixture's prefix runs the playbook with the sink as its /dev/log."""
    # as the PID-namespace tests of the session server: this machine kind runs its tests as root, with unshare(1)
    assert os.geteuid() == 0 and shutil.which('unshare'), 'needs root and unshare(1) to give the playbook a /dev/log'
    work = tmp_path / 'namespace'
    work.mkdir()
    sink = SyslogSink(tmp_path / 'log.sock')
    yield sink, ['unshare', '-m', 'sh', '-c', PRIVATE_DEV_LOG, 'sh', str(work), sink.path]
    sink.close()


def everything_shown(run, *files):
    """All that a run showed or recorded, and the files it wrote."""
    return '\n'.join([run.stdout, json.dumps(run.records)] + [open(path).read() for path in files])


@pytest.mark.parametrize('option, value, secret', [
    ('settings', {'Phone': {'Sip': [{'At': 0, 'Password': SIP_SECRET}]}, 'Camera': {'ExternalCameraUrl': CAMERA_URL}},
     [SIP_SECRET, CAMERA_SECRET]),
    ('content', '<DeviceDatabase><Phone><Sip At="0"><Password><![CDATA[%s]]></Password></Sip></Phone>'
                '</DeviceDatabase>' % CDATA_SECRET, [CDATA_SECRET]),
])
def test_the_module_path_logs_its_invocation_without_secrets(device, ansible, syslog, option, value, secret):
    sink, prefix = syslog
    run = ansible(device, 'config', env=MODULE_PATH, wrapper=prefix, **{option: value})
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True
    # the invocation was logged (so this test sees the log), masked
    assert re.search(r'ansible-\S*helios_config\S*: Invoked with .*\b%s=' % option, sink.text), sink.text
    assert '********' in sink.text
    for value in secret:
        assert value not in sink.text
        assert value not in everything_shown(run)


def test_a_cdata_password_is_masked_in_invocation_diff_results_and_backups(device, ansible, tmp_path):
    content = ('<DeviceDatabase><Phone><Sip At="0"><Password><![CDATA[%s]]></Password></Sip></Phone>'
               '</DeviceDatabase>' % CDATA_SECRET)
    backups = str(tmp_path / 'backups')
    for env in ({}, MODULE_PATH):
        run = ansible(device, 'config', env=dict(env, ANSIBLE_INJECT_INVOCATION='true'), diff=True, verbosity=1,
                      content=content, backup=True,
                      backup_dir=backups, backup_name='door.xml', return_content=True)
        assert run.rc == 0, run.stdout
        result = run.result(device.name)
        assert result['invocation']['module_args']['content'] == (
            '<DeviceDatabase><Phone><Sip At="0"><Password>********</Password></Sip></Phone></DeviceDatabase>')
        assert CDATA_SECRET not in everything_shown(run, result['backup_file'])
    # the device did take the password (the second run backed up the document holding it)
    assert result['changed'] is False


def test_url_credentials_are_masked_in_diffs_results_and_backups_unless_asked(device, ansible, tmp_path):
    backups = str(tmp_path / 'backups')
    first = ansible(device, 'config', diff=True, settings={'Camera': {'ExternalCameraUrl': CAMERA_URL}})
    assert first.rc == 0 and first.result(device.name)['changed'] is True
    assert re.search(r'^\+    <ExternalCameraUrl>rtsp://cam-user:\*{8} \([0-9a-f]{8}\)@camera\.example/stream'
                     r'</ExternalCameraUrl>$', first.stdout, re.M), first.stdout
    # a new password: the diff shows that the URL changed (its masks differ), not the passwords
    second = ansible(device, 'config', diff=True, verbosity=1, backup=True, backup_dir=backups, backup_name='door.xml',
                     return_content=True, settings={'Camera': {'ExternalCameraUrl': NEW_CAMERA_URL}},
                     env={'ANSIBLE_INJECT_INVOCATION': 'true'})
    assert second.rc == 0 and second.result(device.name)['changed'] is True
    masks = [re.search(r'^%s    <ExternalCameraUrl>rtsp://cam-user:\*{8} \(([0-9a-f]{8})\)@camera\.example/stream'
                       r'</ExternalCameraUrl>$' % sign, second.stdout, re.M) for sign in ('-', r'\+')]
    assert masks[0] and masks[1] and masks[0].group(1) != masks[1].group(1), second.stdout
    result = second.result(device.name)
    assert result['config']['Camera']['ExternalCameraUrl'] == MASKED_CAMERA_URL
    assert result['invocation']['module_args']['settings'] == {'Camera': {'ExternalCameraUrl': MASKED_CAMERA_URL}}
    assert '<ExternalCameraUrl>%s</ExternalCameraUrl>' % MASKED_CAMERA_URL in open(result['backup_file']).read()
    for run in (first, second):
        shown = everything_shown(run, result['backup_file'])
        assert CAMERA_SECRET not in shown and 'cam-secret-0816' not in shown
    # asked for: shown
    shown = ansible(device, 'config', diff=True, check=True, show_secrets=True,
                    settings={'Camera': {'ExternalCameraUrl': CAMERA_URL}})
    assert '+    <ExternalCameraUrl>%s</ExternalCameraUrl>' % CAMERA_URL in shown.stdout


def test_an_unchanged_backup_that_was_readable_by_others_becomes_private(device, ansible, tmp_path):
    backups = str(tmp_path / 'backups')
    first = ansible(device, 'config', backup=True, backup_dir=backups, backup_name='door.xml')
    path = first.result(device.name)['backup_file']
    os.chmod(path, 0o644)
    again = ansible(device, 'config', backup=True, backup_dir=backups, backup_name='door.xml')
    assert again.rc == 0 and again.result(device.name)['backup_file'] == path
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.parametrize('name', ['../escaped.xml', '{tmp}/escaped.xml', 'sub/../../escaped.xml', '..'])
def test_backup_name_cannot_leave_backup_dir(device, ansible, tmp_path, name):
    name = name.format(tmp=tmp_path)
    backups = tmp_path / 'backups'
    backups.mkdir()
    requests_before = device.state()['traffic']['requests']
    run = ansible(device, 'config', backup=True, backup_dir=str(backups), backup_name=name)
    assert run.rc != 0
    assert run.result(device.name)['msg'] == (
        'backup_name must be a file name inside backup_dir, without a directory part (no "/", not "." or ".."), '
        'got %r' % name)
    assert device.state()['traffic']['requests'] == requests_before  # refused before any request
    assert not (tmp_path / 'escaped.xml').exists() and os.listdir(backups) == []


def cleartext_warning(device):
    return ('[WARNING]: auth_method basic over protocol http sends the password of user "admin" in clear text to '
            'http://%s:%d: set protocol to https' % (device.address, HTTP_PORT))


@pytest.mark.parametrize('path', [{}, MODULE_PATH])
def test_auto_over_http_does_not_answer_basic_unless_allowed(fleets, ansible, path):
    refused, allowed, basic = fleets['basic_only'].take(3)
    http = dict(helios_protocol='http', helios_port=HTTP_PORT)
    hosts = {refused.name: refused.hostvars(helios_auth_method='auto', **http),
             allowed.name: allowed.hostvars(helios_auth_method='auto', helios_allow_basic_over_http=True, **http),
             basic.name: basic.hostvars(helios_auth_method='basic', **http)}
    run = ansible(hosts, 'switch', env=path, switch=2, state='active')
    assert run.result(refused.name)['msg'] == (
        'switch/caps: the service asks for Basic authentication, which over protocol http would send the password in '
        'clear text, so it was not sent; set protocol to https, or allow_basic_over_http to true to send it anyway')
    assert refused.switch_active(2) is False
    assert refused.state()['traffic']['requests'] == 1  # the request without credentials that drew the challenge
    # allowed, or asked for with auth_method basic: done, with a warning
    shown = ' '.join(run.stdout.split())
    for device in (allowed, basic):
        assert run.result(device.name)['changed'] is True and device.switch_active(2) is True
        assert cleartext_warning(device) in shown, run.stdout
    assert cleartext_warning(refused) not in shown


def test_allow_basic_over_http_comes_from_the_environment_too(fleets, ansible):
    device = fleets['basic_only'].take()[0]
    hostvars = device.hostvars(helios_auth_method='auto', helios_protocol='http', helios_port=HTTP_PORT)
    run = ansible({device.name: hostvars}, 'switch', env={'HELIOS_ALLOW_BASIC_OVER_HTTP': 'true'}, switch=2, state='active')
    assert run.rc == 0 and device.switch_active(2) is True
    assert cleartext_warning(device) in ' '.join(run.stdout.split())
