"""The roles and playbooks (twon.helios.provision, backup, upgrade, drift) against emulated fleets."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests
from requests.auth import HTTPDigestAuth

from helios_fleet import ADMIN, BIN, HTTPS_PORT

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


def recap(run, host):
    line = next(line for line in run.stdout.splitlines() if line.startswith(host + ' '))
    return dict(item.split('=') for item in line.split(':', 1)[1].split())


def test_provision_applies_then_is_idempotent_and_check_mode_touches_nothing(devices, ansible):
    fleet = devices(2)
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
    assert '%s differs from its inventory in WebServer/DeviceName' % tampered.name in drift.stdout
    assert recap(drift, tampered.name)['failed'] == '1'
    assert all(recap(drift, d.name)['failed'] == '0' for d in fleet if d is not tampered)
    assert '-    <DeviceName>Intruder</DeviceName>' in drift.stdout  # the diff shows how it differs


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


def test_collection_playbooks_refuse_to_back_up_into_the_installed_collection(devices, ansible, newer_image):
    fleet = devices(2)
    hosts = inventory(fleet)  # no helios_backup_dir: the roles' default is <playbook_dir>/backups
    for playbook, extra in (('twon.helios.backup', {}),
                            ('twon.helios.upgrade', dict(helios_firmware_src=newer_image, helios_firmware_version=NEWER))):
        run = ansible(hosts, None, playbook=playbook, **extra)
        assert run.rc != 0
        assert "inside this collection's own playbooks directory" in run.stdout, run.stdout
        assert '-e helios_backup_dir=DIRECTORY' in run.stdout
        assert all(recap(run, d.name)['failed'] == '1' and recap(run, d.name)['ok'] == '0' for d in fleet)
    assert all(d.state()['swVersion'] == '2.11.0.22.1' for d in fleet)
    playbooks = os.path.join(os.path.dirname(__file__), '..', '..', 'playbooks')
    assert not any(os.path.exists(os.path.join(playbooks, 'backups', d.name + '.xml')) for d in fleet)


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
    again = ansible(hosts, None, playbook='twon.helios.upgrade', helios_firmware_src=newer_image,
                    helios_firmware_version=NEWER)
    assert again.rc == 0 and '%s already runs %s: nothing to do' % (fleet[2].name, NEWER) in again.stdout
    assert all(recap(again, d.name)['changed'] == '0' for d in fleet)


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
    assert all(d.name not in run.stdout for d in second_wave)
