"""The roles and playbooks (twon.helios.provision, backup, upgrade, drift) against emulated fleets."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
import requests
from PIL import Image
from requests.auth import HTTPDigestAuth

from helios_fleet import ADMIN, BIN, FAMILIES, HTTPS_PORT

NEWER = '2.12.0.1.1'


def inventory(devices, **per_device):
    """Role inventory variables for each device: connection over HTTPS with the fleet's CA, plus per_device."""
    return {d.name: d.hostvars(helios_ca_path=d.fleet.ca_path, **per_device.get(d.name, {})) for d in devices}


def desired(name):
    return {'helios_settings': {'Network': {'Hostname': name}, 'WebServer': {'DeviceName': 'Entrance ' + name},
                                'Switches': {'Switch': [{'At': 1, 'Mode': 'bistable'}]}},
            'helios_switches': [{'switch': 2, 'state': 'active'}],
            'helios_outputs': [{'port': 'relay2', 'state': 'active'}]}


def put_config(device, replace_from, replace_to):
    """Change a device behind Ansible's back, through its HTTP API."""
    url = 'https://%s:%d/api/config' % (device.address, HTTPS_PORT)
    auth = HTTPDigestAuth(ADMIN['username'], ADMIN['password'])
    config = requests.get(url, auth=auth, verify=device.fleet.ca_path, timeout=10).text
    assert replace_from in config
    reply = requests.put(url, auth=auth, verify=device.fleet.ca_path, timeout=10,
                         files={'blob-cfg': ('config.xml', config.replace(replace_from, replace_to))})
    assert reply.json() == {'success': True}


def api(device, function, **params):
    """Call the device's HTTP API behind Ansible's back (switch/ctrl, io/ctrl, ...)."""
    reply = requests.get('https://%s:%d/api/%s' % (device.address, HTTPS_PORT, function), params=params, timeout=10,
                         auth=HTTPDigestAuth(ADMIN['username'], ADMIN['password']), verify=device.fleet.ca_path)
    assert reply.json()['success'] is True, reply.text
    return reply.json()


def recap(run, host):
    line = next(line for line in run.stdout.splitlines() if line.startswith(host + ' '))
    return dict(item.split('=') for item in line.split(':', 1)[1].split())


@pytest.mark.parametrize('kind', FAMILIES)
def test_provision_applies_then_is_idempotent_and_check_mode_touches_nothing(fleets, ansible, kind):
    fleet = fleets[kind].take(2)
    hosts = inventory(fleet, **{d.name: desired(d.name) for d in fleet})
    check = ansible(hosts, None, check=True, diff=True, playbook='twon.helios.provision')
    assert check.rc == 0, check.stdout
    assert all(not d.switch_active(2) and d.port_state('relay2') == 0 for d in fleet)
    assert '+    <Hostname>%s</Hostname>' % fleet[0].name in check.stdout

    first = ansible(hosts, None, playbook='twon.helios.provision')
    assert first.rc == 0, first.stdout
    for device in fleet:
        assert int(recap(first, device.name)['changed']) == 3
        assert device.switch_active(2) and device.port_state('relay2') == 1
    second = ansible(hosts, None, playbook='twon.helios.provision')
    assert second.rc == 0 and all(recap(second, d.name)['changed'] == '0' for d in fleet), second.stdout


def test_provision_validates_its_inputs(device, ansible):
    hosts = inventory([device], **{device.name: {'helios_outputs': [{'port': 'relay1', 'state': 'open'}]}})
    run = ansible(hosts, None, playbook='twon.helios.provision')
    assert run.rc != 0
    assert "value of state must be one of: active, inactive, got: open found in helios_outputs" in run.stdout


def test_drift_is_clean_then_reports_a_device_changed_behind_ansibles_back(devices, ansible):
    fleet = devices(3)
    hosts = inventory(fleet, **{d.name: desired(d.name) for d in fleet})
    assert ansible(hosts, None, playbook='twon.helios.provision').rc == 0
    clean = ansible(hosts, None, playbook='twon.helios.drift')
    assert clean.rc == 0, clean.stdout
    assert 'no drift: every device matches its inventory' in clean.stdout

    tampered = fleet[1]
    put_config(tampered, '<DeviceName>Entrance %s</DeviceName>' % tampered.name, '<DeviceName>Intruder</DeviceName>')
    drift = ansible(hosts, None, playbook='twon.helios.drift')
    assert drift.rc != 0
    assert ('%s differs from its inventory: config: WebServer/DeviceName (Intruder -> Entrance %s)'
            % (tampered.name, tampered.name)) in drift.stdout
    assert recap(drift, tampered.name)['failed'] == '1'
    assert all(recap(drift, d.name)['failed'] == '0' for d in fleet if d is not tampered)
    assert '-    <DeviceName>Intruder</DeviceName>' in drift.stdout  # the diff shows how it differs


def test_drift_catches_a_switch_turned_off_behind_ansibles_back(device, ansible):
    hosts = inventory([device], **{device.name: desired(device.name)})
    assert ansible(hosts, None, playbook='twon.helios.provision').rc == 0
    api(device, 'switch/ctrl', switch=2, action='off')
    drift = ansible(hosts, None, playbook='twon.helios.drift')
    assert drift.rc != 0
    assert 'no drift' not in drift.stdout
    assert '%s differs from its inventory: switch: 2 (inactive -> active)' % device.name in drift.stdout
    assert recap(drift, device.name)['failed'] == '1'


def test_backup_writes_one_masked_file_per_host_and_rewrites_nothing_unchanged(devices, ansible, tmp_path):
    fleet = devices(2)
    backups = tmp_path / 'backups'
    hosts = inventory(fleet, **{d.name: {'helios_backup_dir': str(backups)} for d in fleet})
    first = ansible(hosts, None, playbook='twon.helios.backup')
    assert first.rc == 0, first.stdout
    files = sorted(os.listdir(backups))
    assert files == sorted('%s.xml' % d.name for d in fleet)
    saved = (backups / files[0]).read_text()
    assert '<DeviceDatabase Version="4">' in saved and '<Password>********</Password>' in saved
    assert '>%s<' % ADMIN['password'] not in saved
    stamps = [os.stat(backups / name).st_mtime_ns for name in files]
    again = ansible(hosts, None, playbook='twon.helios.backup')
    assert again.rc == 0 and [os.stat(backups / name).st_mtime_ns for name in files] == stamps


def test_backups_go_beside_the_inventory_by_default(devices, ansible, newer_image, tmp_path):
    """No helios_backup_dir: backup and upgrade write backups/ beside the inventory (the fixture's run directory)."""
    fleet = devices(2)
    hosts = inventory(fleet)
    run = ansible(hosts, None, playbook='twon.helios.backup')
    assert run.rc == 0, run.stdout
    assert sorted(os.listdir(tmp_path / 'run0' / 'backups')) == sorted('%s.xml' % d.name for d in fleet)
    upgrade = ansible(hosts, None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                      helios_firmware_version=NEWER)
    assert upgrade.rc == 0, upgrade.stdout
    assert sorted(os.listdir(tmp_path / 'run1' / 'backups')) == sorted('%s.xml' % d.name for d in fleet)
    assert all(d.state()['swVersion'] == NEWER for d in fleet)


def test_collection_playbooks_refuse_to_back_up_into_the_installed_collection(devices, ansible, newer_image):
    fleet = devices(2)
    playbooks = os.path.join(os.path.dirname(__file__), '..', '..', 'playbooks')
    # inside the collection: set so, or the roles' fallback without an inventory file (-i HOST,HOST,)
    hosts = inventory(fleet, **{d.name: {'helios_backup_dir': os.path.join(playbooks, 'backups')} for d in fleet})
    for playbook, extra in (('twon.helios.backup', {}),
                            ('twon.helios.upgrade', dict(helios_firmware_src=newer_image, helios_firmware_version=NEWER))):
        run = ansible(hosts, None, playbook=playbook, **extra)
        assert run.rc != 0
        assert "inside this collection's own playbooks directory" in run.stdout, run.stdout
        assert '-e helios_backup_dir=DIRECTORY' in run.stdout
        assert all(recap(run, d.name)['failed'] == '1' for d in fleet)
    assert all(d.state()['swVersion'] == '2.11.0.22.1' for d in fleet)
    assert not any(os.path.exists(os.path.join(playbooks, 'backups', d.name + '.xml')) for d in fleet)


def test_roles_take_the_address_from_helios_host_in_the_environment(device, ansible):
    """The roles restate no connection option: HELIOS_HOST reaches the modules, as the guide says."""
    hostvars = device.hostvars(helios_ca_path=device.fleet.ca_path, **desired('lobby'))
    del hostvars['ansible_host']  # the inventory name, lobby, resolves nowhere
    run = ansible({'lobby': hostvars}, None, playbook='twon.helios.provision', env={'HELIOS_HOST': device.address})
    assert run.rc == 0, run.stdout
    assert recap(run, 'lobby')['changed'] != '0'
    assert device.switch_active(2)


@pytest.fixture(scope='module')
def newer_image(tmp_path_factory):
    path = tmp_path_factory.mktemp('upgrade') / 'newer.fw'
    subprocess.run([str(BIN / 'helios-emulator'), 'firmware', '--version', NEWER, '--output', str(path)], check=True)
    return str(path)


def test_upgrade_rolls_out_and_skips_devices_already_there(devices, ansible, newer_image, tmp_path):
    fleet = devices(3)
    hosts = inventory(fleet, **{d.name: {'helios_backup_dir': str(tmp_path / 'backups')} for d in fleet})
    run = ansible(hosts, None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                  helios_firmware_version=NEWER, helios_wave_size=2)
    assert run.rc == 0, run.stdout
    assert all(d.state()['swVersion'] == NEWER for d in fleet)
    assert '%s: 2.11.0.22.1 -> %s in' % (fleet[0].name, NEWER) in run.stdout
    assert 'waiting up to 600 s for the restart' in run.stdout
    assert sorted(os.listdir(tmp_path / 'backups')) == sorted('%s.xml' % d.name for d in fleet)
    # each wave says which it is, and the run ends with what happened to every device
    assert '"msg": "wave 1/2: %s, %s"' % (fleet[0].name, fleet[1].name) in run.stdout
    assert '"msg": "wave 2/2: %s"' % fleet[2].name in run.stdout
    assert summary(run) == ['upgraded: 3 - %s' % ', '.join(d.name for d in fleet), 'failed: 0', 'skipped: 0',
                            'not started: 0']
    again = ansible(hosts, None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                    helios_firmware_version=NEWER)
    assert again.rc == 0 and '%s already runs %s: nothing to do' % (fleet[2].name, NEWER) in again.stdout
    assert all(recap(again, d.name)['changed'] == '0' for d in fleet)
    assert '"msg": "wave 1/1: %s"' % ', '.join(d.name for d in fleet) in again.stdout
    assert summary(again)[2] == 'skipped: 3 - %s' % ', '.join(d.name for d in fleet)


def test_upgrade_in_check_mode_touches_no_device_and_says_what_it_would_do(devices, ansible, newer_image, tmp_path):
    fleet = devices(3)
    hosts = inventory(fleet, **{d.name: {'helios_backup_dir': str(tmp_path / 'backups')} for d in fleet})
    traffic = [d.state()['traffic']['requests'] for d in fleet]
    run = ansible(hosts, None, playbook='twon.helios.upgrade', check=True, diff=True, helios_firmware_src=newer_image,
                  helios_firmware_version=NEWER, helios_wave_size=2)
    assert run.rc == 0, run.stdout
    assert all(d.state()['swVersion'] == '2.11.0.22.1' and not d.state()['restarting'] for d in fleet)
    assert all(d.state().get('pendingFirmware') is None for d in fleet)
    firmware = [r for r in run.records if r['task'].endswith('Upload, apply and wait for the restart')]
    assert sorted(r['host'] for r in firmware if r['result'].get('changed')) == sorted(d.name for d in fleet), run.stdout
    assert '"msg": "wave 1/2: %s, %s"' % (fleet[0].name, fleet[1].name) in run.stdout
    assert summary(run)[1:] == ['failed: 0', 'skipped: 0', 'not started: 0']
    # the device was only read: its configuration backed up (the backup role reads in check mode too, by design)
    assert sorted(os.listdir(tmp_path / 'backups')) == sorted('%s.xml' % d.name for d in fleet)
    assert all(d.state()['traffic']['requests'] > before for d, before in zip(fleet, traffic))


def summary(run):
    """The lines of the upgrade playbook's closing summary."""
    records = [r for r in run.records if r['task'] == 'Summarise the roll-out']
    assert len(records) == 1, run.stdout
    return records[0]['result']['msg']


def test_upgrade_summary_counts_a_device_that_did_not_come_back_as_failed_after_the_firmware_was_applied(
        devices, ansible, newer_image):
    stuck, fine = devices(2)
    stuck.faults(restart_extra=1000)
    run = ansible(inventory([stuck, fine]), None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                  helios_firmware_version=NEWER, helios_firmware_backup=False, helios_firmware_wait_timeout=5,
                  helios_max_fail_percentage=100)
    assert run.rc != 0
    firmware = [r for r in run.results(stuck.name) if r['task'].endswith('Upload, apply and wait for the restart')]
    assert firmware and firmware[-1]['result']['changed'] is True and firmware[-1]['status'] == 'failed', run.stdout
    assert summary(run) == ['upgraded: 1 - %s' % fine.name, 'failed: 1 - %s (firmware applied)' % stuck.name,
                            'skipped: 0', 'not started: 0']


def test_a_wave_with_too_many_failures_stops_the_roll_out(devices, ansible, newer_image):
    fleet = devices(10)
    for broken in fleet[:2]:
        broken.faults(http_error=503, http_error_count=-1, path='/api/firmware')
    hosts = inventory(fleet)
    run = ansible(hosts, None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                  helios_firmware_version=NEWER, helios_firmware_backup=False, helios_wave_size=5,
                  helios_max_fail_percentage=20)
    assert run.rc != 0
    first_wave, second_wave = fleet[:5], fleet[5:]
    assert [d.state()['swVersion'] for d in first_wave] == ['2.11.0.22.1'] * 2 + [NEWER] * 3
    assert all(d.state()['swVersion'] == '2.11.0.22.1' for d in second_wave)
    assert 'roll-out stopped: 2 of 5 devices of the previous wave failed' in run.stdout
    assert summary(run) == ['upgraded: 3 - %s' % ', '.join(d.name for d in fleet[2:5]),
                            'failed: 2 - %s' % ', '.join(d.name for d in fleet[:2]), 'skipped: 0',
                            'not started: 5 - %s' % ', '.join(d.name for d in second_wave)]


def test_a_wave_where_every_device_fails_still_ends_with_the_summary_and_fails_the_run(devices, ansible, newer_image):
    fleet = devices(4)
    first_wave, second_wave = fleet[:2], fleet[2:]
    for broken in first_wave:
        broken.faults(http_error=503, http_error_count=-1, path='/api/firmware')
    run = ansible(inventory(fleet), None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                  helios_firmware_version=NEWER, helios_firmware_backup=False, helios_wave_size=2)
    assert run.rc != 0, run.stdout
    assert all(d.state()['swVersion'] == '2.11.0.22.1' for d in fleet)
    # the failures stay visible: the task that failed, each device's recap and the run's closing error
    firmware = [r for r in run.records if r['task'].endswith('Upload, apply and wait for the restart')]
    assert sorted(r['host'] for r in firmware if r['status'] == 'failed') == [d.name for d in first_wave], run.stdout
    assert '"msg": "wave 2/2: %s"' % ', '.join(d.name for d in second_wave) in run.stdout
    assert 'roll-out stopped: 2 of 2 devices of the previous wave failed' in run.stdout
    assert summary(run) == ['upgraded: 0', 'failed: 2 - %s' % ', '.join(d.name for d in first_wave), 'skipped: 0',
                            'not started: 2 - %s' % ', '.join(d.name for d in second_wave)]
    assert all(recap(run, d.name)['failed'] == '1' for d in first_wave), run.stdout
    assert all(recap(run, d.name)['failed'] == '0' for d in second_wave), run.stdout
    assert 'the upgrade of %s failed: see its failed task above' % first_wave[0].name in run.stdout


def test_the_upgrade_summary_and_failure_under_limit(devices, ansible, newer_image):
    broken, fine, left_out = devices(3)
    broken.faults(http_error=503, http_error_count=-1, path='/api/firmware')
    prepared = ansible(inventory([broken, fine, left_out]), None, playbook='twon.helios.upgrade',
                       helios_firmware_src=newer_image, helios_firmware_version=NEWER, helios_firmware_backup=False,
                       helios_max_fail_percentage=100, prepared=True)
    completed = subprocess.run(prepared.command + ['--limit', '%s,%s' % (broken.name, fine.name)], env=prepared.env,
                               cwd=prepared.cwd, capture_output=True, text=True, timeout=300, check=False)
    run = prepared.finished(completed.returncode, completed.stdout + completed.stderr)
    assert run.rc != 0, run.stdout
    assert [d.state()['swVersion'] for d in (broken, fine, left_out)] == ['2.11.0.22.1', NEWER, '2.11.0.22.1']
    assert summary(run) == ['upgraded: 1 - %s' % fine.name, 'failed: 1 - %s' % broken.name, 'skipped: 0',
                            'not started: 0']
    assert recap(run, broken.name)['failed'] == '1' and recap(run, fine.name)['failed'] == '0', run.stdout


# The provision role's tasks (check mode: what they would change) and the drift kind each one manages.
KIND_OF_TASK = {'Apply the desired configuration': 'config', 'Put the switches into their states': 'switch',
                'Put the outputs into their states': 'output', 'Show the display image': 'display'}


@pytest.fixture
def gifs(tmp_path):
    paths = {}
    for colour in ('red', 'blue'):
        paths[colour] = str(tmp_path / (colour + '.gif'))
        Image.new('RGB', (320, 240), colour).save(paths[colour], 'GIF')
    return paths


def test_drift_and_provision_check_diff_agree_on_every_kind(devices, ansible, gifs, tmp_path):
    """One device per kind drifts (and one does not): provision --check --diff and drift tell the same kinds."""
    fleet = devices(6)
    clean, config, switch, output, display, firmware = fleet
    env = {'HOME': str(tmp_path)}  # the display image markers, shared by the runs of this test only
    wanted = {d.name: dict(desired(d.name), helios_display_image=gifs['red'], helios_firmware_version='2.11.0.22.1')
              for d in fleet}
    assert ansible(inventory(fleet, **wanted), None, playbook='twon.helios.provision', env=env).rc == 0

    put_config(config, '<DeviceName>Entrance %s</DeviceName>' % config.name, '<DeviceName>Intruder</DeviceName>')
    api(switch, 'switch/ctrl', switch=2, action='off')  # turned off behind Ansible's back
    api(output, 'io/ctrl', port='relay2', action='off')
    wanted[display.name]['helios_display_image'] = gifs['blue']  # git now wants another image
    wanted[firmware.name]['helios_firmware_version'] = NEWER  # and another firmware
    hosts = inventory(fleet, **wanted)
    check = ansible(hosts, None, check=True, diff=True, playbook='twon.helios.provision', env=env)
    assert check.rc == 0, check.stdout
    report = tmp_path / 'drift.json'
    drift = ansible(hosts, None, playbook='twon.helios.drift', env=env, helios_drift_json=str(report))
    assert drift.rc != 0
    devices_report = json.loads(report.read_text())['devices']

    expected = [(clean, set()), (config, {'config'}), (switch, {'switch'}), (output, {'output'}),
                (display, {'display'}), (firmware, {'firmware'})]
    for device, kinds in expected:
        checked = {KIND_OF_TASK[r['task'].split(' : ')[-1]] for r in check.results(device.name)
                   if r['task'].split(' : ')[-1] in KIND_OF_TASK and r['result'].get('changed')}
        drifted = {d['kind'] for d in devices_report[device.name].get('differences', [])}
        assert drifted == kinds, (device.name, devices_report[device.name])
        assert checked == kinds - {'firmware'}, device.name  # the provision role does not install firmware
        assert recap(drift, device.name)['failed'] == ('1' if kinds else '0'), drift.stdout
    assert devices_report[clean.name] == {'status': 'clean', 'differences': [], 'report': []}
    for line in ('%s: config: WebServer/DeviceName (Intruder -> Entrance %s)' % (config.name, config.name),
                 '%s: switch: 2 (inactive -> active)' % switch.name,
                 '%s: output: relay2 (inactive -> active)' % output.name,
                 '%s: display: internal (sha256:' % display.name,
                 '%s: firmware: version (2.11.0.22.1 -> %s)' % (firmware.name, NEWER)):
        assert line in drift.stdout, drift.stdout
    assert '%s differs from its inventory: switch: 2 (inactive -> active)' % switch.name in drift.stdout
    assert 'no drift' not in drift.stdout


def test_drift_reports_unreachable_devices_masks_secrets_and_writes_json_and_junit(devices, ansible, tmp_path):
    fleet = devices(3)
    clean, drifted, dropping = fleet
    secret = {'HttpApi': {'Accounts': {'Account': [{'At': 1, 'Password': 'look-only'}]}}}
    wanted = {d.name: dict(helios_settings=secret, helios_outputs=[{'port': 'relay2', 'state': 'inactive'}])
              for d in fleet}
    hosts = inventory(fleet, **wanted)
    nowhere = 'door-nowhere'  # an address where nothing listens
    hosts[nowhere] = dict(hosts[clean.name], ansible_host='127.0.19.254')
    put_config(drifted, '<Password>look-only</Password>', '<Password>stolen-secret</Password>')
    api(drifted, 'io/ctrl', port='relay2', action='on')
    dropping.faults(drop=-1)
    json_path, junit_path = tmp_path / 'reports' / 'drift.json', tmp_path / 'drift.xml'
    (tmp_path / 'reports').mkdir()
    run = ansible(hosts, None, playbook='twon.helios.drift', helios_drift_json=str(json_path),
                  helios_drift_junit=str(junit_path))
    assert run.rc != 0
    assert 'no drift' not in run.stdout
    assert recap(run, clean.name)['failed'] == '0'
    assert all(recap(run, name)['failed'] == '1' for name in (drifted.name, dropping.name, nowhere)), run.stdout
    assert '%s cannot be reached, so its drift is unknown' % nowhere in run.stdout, run.stdout
    assert '%s cannot be reached, so its drift is unknown' % dropping.name in run.stdout
    assert ('%s differs from its inventory: config: HttpApi/Accounts/Account[At=1]/Password (******** -> ********); '
            'output: relay2 (active -> inactive)' % drifted.name) in run.stdout

    report = json.loads(json_path.read_text())
    assert report['summary'] == {'devices': 4, 'clean': 1, 'drifted': 1, 'unreachable': 2, 'error': 0}
    assert report['devices'][drifted.name]['differences'] == [
        {'kind': 'config', 'what': 'HttpApi/Accounts/Account[At=1]/Password', 'device': '********', 'desired': '********'},
        {'kind': 'output', 'what': 'relay2', 'device': 'active', 'desired': 'inactive'}]
    assert report['devices'][nowhere]['status'] == 'unreachable' and report['devices'][nowhere]['error']

    suite = ET.parse(junit_path).getroot()
    assert (suite.get('tests'), suite.get('failures'), suite.get('errors')) == ('4', '1', '2')
    cases = {case.get('name'): case for case in suite.iter('testcase')}
    assert sorted(cases) == sorted([d.name for d in fleet] + [nowhere])
    assert list(cases[clean.name]) == []
    assert cases[drifted.name].find('failure').text.splitlines() == report['devices'][drifted.name]['report']
    assert cases[nowhere].find('error').get('type') == 'unreachable'
    for text in (run.stdout, json_path.read_text(), junit_path.read_text()):
        assert 'stolen-secret' not in text and 'look-only' not in text


def test_provision_fails_a_device_that_does_not_keep_its_state(devices, ansible):
    """Each device answers success but does not act: the read-back after provisioning fails it, naming what."""
    fleet = devices(2)
    switch, output = fleet
    switch.faults(reply={'success': True}, path='/api/switch/ctrl')
    output.faults(reply={'success': True}, path='/api/io/ctrl')
    run = ansible(inventory(fleet, **{d.name: desired(d.name) for d in fleet}), None, playbook='twon.helios.provision')
    assert run.rc != 0
    assert all(recap(run, d.name)['failed'] == '1' for d in fleet), run.stdout
    assert run.result(switch.name)['report'] == ['switch: 2 (inactive -> active)']
    assert run.result(output.name)['report'] == ['output: relay2 (inactive -> active)']
    assert '1 difference from the desired state: switch: 2 (inactive -> active)' in run.stdout


def test_provision_refuses_replace_with_a_partial_configuration(device, ansible):
    hosts = inventory([device], **{device.name: dict(desired(device.name), helios_config_mode='replace')})
    run = ansible(hosts, None, playbook='twon.helios.provision')
    assert run.rc != 0
    assert 'mode replace: settings is not the whole configuration, it lacks' in run.stdout
    assert 'use mode merge to change only the values given' in run.stdout
    assert not device.switch_active(2)  # it stopped at the configuration
