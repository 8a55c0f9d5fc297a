"""helios_config against emulated intercoms: the configuration document as code."""

from __future__ import annotations

import os
import re
import time

import pytest
import requests
from requests.auth import HTTPDigestAuth

from helios_fleet import ADMIN, FAMILIES, HTTPS_PORT

DESIRED = {'Network': {'Hostname': 'door-a'},
           'Switches': {'Switch': [{'At': 1, 'Mode': 'monostable', 'SwitchOnDuration': 3, 'Code': '4321'}]}}


def device_config(device):
    """The device's document, read over HTTPS with Digest as any client would."""
    reply = requests.get('https://%s:%d/api/config' % (device.address, HTTPS_PORT), verify=device.fleet.ca_path,
                         auth=HTTPDigestAuth(ADMIN['username'], ADMIN['password']), timeout=10)
    assert reply.headers['Content-Type'] == 'application/xml'
    return reply.text


def value(config, tag, at=None):
    """The text of the first <tag> (inside the item At=at when given)."""
    if at is not None:
        config = re.search(r'<%s At="%d">(.*?)</%s>' % (at[0], at[1], at[0]), config, re.S).group(1)
    return re.search(r'<%s>(.*?)</%s>' % (tag, tag), config, re.S).group(1)


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_settings_change_once_then_are_idempotent(device, ansible):
    first = ansible(device, 'config', settings=DESIRED)
    assert first.rc == 0, first.stdout
    result = first.result(device.name)
    assert result['changed'] is True
    assert result['changed_paths'] == ['Network/Hostname', 'Switches/Switch[At=1]/Mode',
                                       'Switches/Switch[At=1]/SwitchOnDuration', 'Switches/Switch[At=1]/Code']
    config = device_config(device)
    assert value(config, 'Hostname') == 'door-a'
    assert value(config, 'Mode', at=('Switch', 1)) == 'monostable'
    second = ansible(device, 'config', settings=DESIRED)
    assert second.rc == 0 and second.result(device.name)['changed'] is False
    assert second.result(device.name)['changed_paths'] == []


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_the_configuration_drives_the_device(device, ansible):
    """An uploaded change changes behaviour: switch 2 becomes monostable and falls back by itself."""
    ansible(device, 'config', settings=DESIRED)
    run = ansible(device, 'switch', switch=2, state='active')
    assert run.result(device.name)['switch']['mode'] == 'monostable'
    assert run.result(device.name)['switch']['switchOnDuration'] == 3


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_reports_the_diff_and_leaves_the_device_alone(device, ansible):
    before = device_config(device)
    run = ansible(device, 'config', check=True, diff=True, settings=DESIRED)
    assert run.rc == 0
    assert run.result(device.name)['changed'] is True
    assert device_config(device) == before
    assert '-    <Hostname>helios-' in run.stdout and '+    <Hostname>door-a</Hostname>' in run.stdout
    # the new switch code is a secret: masked in the diff, and nowhere in the output
    assert re.search(r'^\+      <Code>\*{8} \([0-9a-f]{8}\)</Code>$', run.stdout, re.M)
    assert '4321' not in run.stdout


def test_return_content_gives_the_configuration_after_the_task_with_secrets_masked(device, ansible):
    # In check mode: the configuration the device would have.
    predicted = ansible(device, 'config', check=True, settings=DESIRED, return_content=True)
    assert predicted.rc == 0, predicted.stdout
    config = predicted.result(device.name)['config']
    assert config['Network']['Hostname'] == 'door-a'
    switch = next(item for item in config['Switches']['Switch'] if str(item['At']) == '1')
    assert switch['Mode'] == 'monostable' and switch['Code'] != '4321'  # the switch code is a secret
    assert '4321' not in predicted.stdout
    assert value(device_config(device), 'Hostname') != 'door-a'  # check mode left the device alone
    # For real: the device's configuration after the upload, the same tree.
    applied = ansible(device, 'config', settings=DESIRED, return_content=True)
    assert applied.rc == 0 and applied.result(device.name)['changed'] is True
    assert applied.result(device.name)['config'] == config
    shown = ansible(device, 'config', settings=DESIRED, return_content=True, show_secrets=True).result(device.name)
    assert next(item for item in shown['config']['Switches']['Switch'] if str(item['At']) == '1')['Code'] == '4321'


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_diff_masks_secrets_unless_asked(device, ansible):
    masked = ansible(device, 'config', diff=True, check=True,
                     settings={'HttpApi': {'Accounts': {'Account': [{'At': 1, 'UserName': 'ops', 'Password': 's3cr3t'}]}}})
    # a changed secret shows as changed (its mask differs), an unchanged one as unchanged; no value shows
    before, after = (re.search(r'^%s        <Password>\*{8} \(([0-9a-f]{8})\)</Password>$' % sign, masked.stdout, re.M)
                     for sign in ('-', r'\+'))
    assert before and after and before.group(1) != after.group(1)
    assert 's3cr3t' not in masked.stdout and 'look-only' not in masked.stdout
    shown = ansible(device, 'config', diff=True, check=True, show_secrets=True,
                    settings={'HttpApi': {'Accounts': {'Account': [{'At': 1, 'Password': 's3cr3t'}]}}})
    assert '+        <Password>s3cr3t</Password>' in shown.stdout


def test_xml_content_and_src_file(device, ansible, tmp_path):
    content = '<DeviceDatabase><WebServer><DeviceName>Lobby</DeviceName></WebServer></DeviceDatabase>'
    assert ansible(device, 'config', content=content).result(device.name)['changed'] is True
    assert value(device_config(device), 'DeviceName') == 'Lobby'
    source = tmp_path / 'lobby.xml'
    source.write_text('<?xml version="1.0"?>\n<!-- from git -->\n<DeviceDatabase>\n  <WebServer>\n'
                      '    <DeviceName>Lobby</DeviceName>\n  </WebServer>\n</DeviceDatabase>\n')
    assert ansible(device, 'config', src=str(source)).result(device.name)['changed'] is False


def test_a_whole_device_document_round_trips_unchanged(device, ansible, tmp_path):
    source = tmp_path / 'device.xml'
    source.write_text(device_config(device))
    run = ansible(device, 'config', src=str(source), mode='replace')
    assert run.rc == 0 and run.result(device.name)['changed'] is False


def test_replace_refuses_a_partial_document_and_changes_nothing(device, ansible):
    """replace makes the document the whole configuration: one that lacks values would reset them to factory
    values git does not hold, and every later run would find them different again."""
    before = device_config(device)
    run = ansible(device, 'config', mode='replace', settings={'Network': {'Hostname': 'lobby'}})
    assert run.rc != 0
    message = run.result(device.name)['msg']
    assert message.startswith('mode replace: settings is not the whole configuration, it lacks ')
    assert 'Network/MacAddress, Network/DhcpEnabled, ' in message and ' more. replace makes settings the whole' in message
    assert message.endswith('or use mode merge to change only the values given')
    assert device_config(device) == before


def test_replace_with_a_whole_document_applies_it_then_changes_nothing(device, ansible, tmp_path):
    source = tmp_path / 'device.xml'
    source.write_text(device_config(device).replace('<DeviceName>2N Helios IP Verso</DeviceName>',
                                                    '<DeviceName>Lobby</DeviceName>'))
    first = ansible(device, 'config', src=str(source), mode='replace')
    assert first.rc == 0, first.stdout
    assert first.result(device.name)['changed_paths'] == ['WebServer/DeviceName']
    assert value(device_config(device), 'DeviceName') == 'Lobby'
    second = ansible(device, 'config', src=str(source), mode='replace')
    assert second.rc == 0 and second.result(device.name)['changed'] is False


def test_a_typo_fails_naming_the_path_and_changes_nothing(device, ansible):
    before = device_config(device)
    run = ansible(device, 'config', settings={'Network': {'Hostnme': 'door-a'}, 'Switches': {'Switch': [{'At': 9}]}})
    assert run.rc != 0
    message = run.result(device.name)['msg']
    assert 'the device has no such setting: Network/Hostnme, Switches/Switch[At=9]' in message
    assert 'allow_new' in message
    assert device_config(device) == before


@pytest.mark.parametrize('option, given, message', [
    ('content', '<DeviceDatabase><Network>', 'content: the configuration is not well-formed XML: no element found'),
    ('content', '<Configuration/>', 'content: the configuration root element must be <DeviceDatabase>, got <Configuration>'),
    ('settings', {'Switches': {'Switch': [{'Mode': 'bistable'}]}}, 'settings: Switches/Switch: every repeated item needs an At key'),
    ('content', '<DeviceDatabase><WebServer><AdminPassword>********</AdminPassword></WebServer></DeviceDatabase>',
     'content: WebServer/AdminPassword hold the mask ********, not a secret (copied from a masked backup or result?)'),
])
def test_bad_documents_fail_before_any_request(ansible, option, given, message):
    # 127.0.0.0:9 answers nothing: a failure about the document proves no request was made first
    hosts = {'nowhere': dict(ansible_host='127.0.0.0', helios_port=9, helios_protocol='https',
                             helios_username='admin', helios_password='2n')}
    run = ansible(hosts, 'config', **{option: given})
    assert run.rc != 0
    assert run.result('nowhere')['msg'].startswith(message)


def test_a_value_the_device_refuses_surfaces_its_error(device, ansible):
    before = device_config(device)
    run = ansible(device, 'config', settings={'Switches': {'Switch': [{'At': 0, 'Mode': 'sometimes'}]}})
    assert run.rc != 0
    result = run.result(device.name)
    assert result['msg'] == 'config: invalid parameter value (code 12, param "blob-cfg")'
    assert result['error'] == {'function': 'config', 'code': 12, 'description': 'invalid parameter value',
                               'param': 'blob-cfg'}
    assert device_config(device) == before


def test_backup_is_masked_stable_private_and_not_rewritten(device, ansible, tmp_path):
    backups = tmp_path / 'backups'
    first = ansible(device, 'config', backup=True, backup_dir=str(backups), backup_name='door.xml', settings=DESIRED)
    path = first.result(device.name)['backup_file']
    assert path == str(backups / 'door.xml')
    assert os.stat(path).st_mode & 0o777 == 0o600
    saved = open(path).read()
    assert '<Hostname>helios-' in saved  # the document from before the change
    assert '<Password>********</Password>' in saved and '>2n<' not in saved
    # back up only: the device changed, so the backup changes; then a run without change leaves the file alone
    ansible(device, 'config', backup=True, backup_dir=str(backups), backup_name='door.xml')
    assert '<Hostname>door-a</Hostname>' in open(path).read()
    stamp = os.stat(path).st_mtime_ns
    again = ansible(device, 'config', backup=True, backup_dir=str(backups), backup_name='door.xml')
    assert again.rc == 0 and again.result(device.name)['changed'] is False
    assert os.stat(path).st_mtime_ns == stamp


def test_allow_new_sends_new_elements_and_the_read_back_tells_what_did_not_take(device, ansible):
    check = ansible(device, 'config', allow_new=True, check=True,
                    settings={'WebServer': {'DeviceName': 'Gate'}, 'Network': {'NtpServer': 'ntp.example.test'}})
    assert check.rc == 0 and check.result(device.name)['new_paths'] == ['Network/NtpServer']
    run = ansible(device, 'config', allow_new=True,
                  settings={'WebServer': {'DeviceName': 'Gate'}, 'Network': {'NtpServer': 'ntp.example.test'}})
    # this device ignores settings it does not know: the read-back shows it, and the task fails saying so
    assert run.rc != 0
    assert run.result(device.name)['msg'] == 'config: the device did not take these settings: Network/NtpServer'
    assert value(device_config(device), 'DeviceName') == 'Gate'


def test_dropped_upload_applies_nothing_and_a_rerun_converges(device, ansible):
    before = device_config(device)
    device.faults(drop=1, path='/api/config', method='PUT')
    failed = ansible(device, 'config', settings=DESIRED, helios_retries=0)
    assert failed.rc != 0
    assert failed.result(device.name)['msg'].startswith(
        'config: the connection to https://%s:%d closed before the reply: ' % (device.address, HTTPS_PORT))
    assert device_config(device) == before
    rerun = ansible(device, 'config', settings=DESIRED)
    assert rerun.rc == 0 and rerun.result(device.name)['changed'] is True
    assert ansible(device, 'config', settings=DESIRED).result(device.name)['changed'] is False


def test_a_dropped_upload_is_not_repeated_even_with_retries(device, ansible):
    # A connection closed before the reply may have carried the whole upload (see the lost reply in
    # test_bad_input.py): an upload acts, so it is sent once; the next run compares and uploads what differs.
    device.faults(drop=1, path='/api/config', method='PUT')
    run = ansible(device, 'config', settings=DESIRED, helios_retries=3)
    assert run.rc != 0
    assert 'the upload was not repeated: the device may or may not have applied the configuration' in (
        run.result(device.name)['msg'])
    assert value(device_config(device), 'Hostname') != 'door-a'
    rerun = ansible(device, 'config', settings=DESIRED)
    assert rerun.rc == 0 and rerun.result(device.name)['changed'] is True


def test_current_firmware_is_read_back_until_it_shows_the_upload_and_the_task_says_when_it_does_not(fleets, ansible):
    # these devices apply an upload 4 s after its reply; until then they show (and run) the configuration before it
    waits, gives_up = fleets['current_slow'].take(2)
    run = ansible(waits, 'config', settings=DESIRED)
    assert run.rc == 0 and run.result(waits.name)['changed'] is True, run.stdout
    assert value(device_config(waits), 'Hostname') == 'door-a'  # applied when the task returned
    run = ansible(gives_up, 'config', settings=DESIRED, apply_timeout=1)
    assert run.rc != 0
    result = run.result(gives_up.name)
    assert re.fullmatch(
        r'config: the device took the upload but still shows the configuration it had before it, 1\.\d s after the '
        r'upload \(current firmware applies an upload about 15 s after its reply; raise apply_timeout to wait longer, '
        r'or read it later with --check --diff\); settings not shown yet: Network/Hostname, Switches/Switch\[At=1\]/Mode, '
        r'Switches/Switch\[At=1\]/SwitchOnDuration, Switches/Switch\[At=1\]/Code', result['msg']), result['msg']
    assert result['changed'] is True and gives_up.state()['pendingConfig'] is True
    # once applied, the same task finds nothing to change
    deadline = time.monotonic() + 10
    while gives_up.state()['pendingConfig'] and time.monotonic() < deadline:
        time.sleep(0.2)
    again = ansible(gives_up, 'config', settings=DESIRED)
    assert again.rc == 0 and again.result(gives_up.name)['changed'] is False, again.stdout


@pytest.mark.parametrize('device', ['current'], indirect=True)
def test_a_new_password_for_the_account_itself_is_proven_once_current_firmware_applies_it(device, ansible):
    settings = {'HttpApi': {'Accounts': {'Account': [{'At': 0, 'Password': 'n3w-s3cret'}]}}}
    run = ansible(device, 'config', settings=settings)
    assert run.rc == 0 and run.result(device.name)['changed'] is True, run.stdout
    reply = requests.get('https://%s:%d/api/system/status' % (device.address, HTTPS_PORT), verify=device.fleet.ca_path,
                         auth=HTTPDigestAuth(ADMIN['username'], 'n3w-s3cret'), timeout=10)
    assert reply.status_code == 200 and reply.json()['success'] is True
