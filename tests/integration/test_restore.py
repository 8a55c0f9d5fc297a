"""Backups that restore (issue #13, item 4): secrets encrypted with Ansible Vault, fingerprinted masks, the restore
role and playbook, onto the same device after a factory reset and onto a replacement of the same model."""

from __future__ import annotations

import os
import re
import subprocess
import time

import requests
from requests.auth import HTTPDigestAuth

from helios_fleet import ADMIN, BIN, HTTPS_PORT

SECRETS = {'HttpApi': {'Accounts': {'Account': [{'At': 0, 'Password': 'n3w-api-pw'}]}},
           'WebServer': {'AdminPassword': 'n3w-admin-pw', 'DeviceName': 'Back door'},
           'Phone': {'Sip': [{'At': 0, 'Password': 'n3w-sip-pw'}]},
           'Switches': {'Switch': [{'At': 0, 'Code': '97531'}]}}
CLEAR = ['n3w-api-pw', 'n3w-admin-pw', 'n3w-sip-pw', '97531']


def config_of(device, password):
    reply = requests.get('https://%s:%d/api/config' % (device.address, HTTPS_PORT), verify=device.fleet.ca_path,
                         auth=HTTPDigestAuth(ADMIN['username'], password), timeout=10)
    reply.raise_for_status()
    return reply.text


def body(config):
    """The document without its declaration and comment header, whitespace normalised."""
    return re.sub(r'\s+', '', config[config.index('<DeviceDatabase'):])


def vault_password(tmp_path, text='restore vault secret'):
    path = tmp_path / ('vault-password-%d' % len(text))
    path.write_text(text)
    return path


def factory_reset(device, password):
    requests.get('https://%s:%d/api/config/factoryreset' % (device.address, HTTPS_PORT), verify=device.fleet.ca_path,
                 auth=HTTPDigestAuth(ADMIN['username'], password), timeout=10).raise_for_status()
    deadline = time.monotonic() + 30
    time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            config_of(device, ADMIN['password'])
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError('the device did not come back from its factory reset')


def secrets_set(device, ansible):
    run = ansible(device, 'config', settings=SECRETS)
    assert run.rc == 0, run.stdout
    return config_of(device, 'n3w-api-pw')


def test_a_vault_backup_holds_no_clear_secret_and_ansible_vault_opens_it(device, ansible, tmp_path):
    secrets_set(device, ansible)
    password_file = vault_password(tmp_path)
    run = ansible({device.name: device.hostvars(helios_password='n3w-api-pw')},
                  'config', backup=True, backup_dir=str(tmp_path / 'b'), backup_name='door.xml', backup_secrets='vault',
                  vault_password_file=password_file)
    assert run.rc == 0, run.stdout
    path = run.result(device.name)['backup_file']
    saved = open(path).read()
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not [secret for secret in CLEAR + ['>2n<'] if secret in saved], saved
    assert 'Product name: 2N Helios IP Verso' in saved  # the device's header: what restore checks the model by
    vaulted = re.search(r'<AdminPassword>(.*?)</AdminPassword>', saved, re.S).group(1)
    assert vaulted.startswith('$ANSIBLE_VAULT;1.1;AES256\n')
    (tmp_path / 'value').write_text(vaulted + '\n')
    opened = subprocess.run([str(BIN / 'ansible-vault'), 'decrypt', '--vault-password-file', str(password_file),
                             '--output', '-', str(tmp_path / 'value')], capture_output=True, text=True, check=True)
    assert opened.stdout == 'n3w-admin-pw'
    # unchanged device: the same ciphertexts are kept and the file is not rewritten
    stamp = os.stat(path).st_mtime_ns
    again = ansible({device.name: device.hostvars(helios_password='n3w-api-pw')}, 'config', backup=True,
                    backup_dir=str(tmp_path / 'b'), backup_name='door.xml', backup_secrets='vault',
                    vault_password_file=password_file)
    assert again.rc == 0 and os.stat(path).st_mtime_ns == stamp and open(path).read() == saved


def test_backup_secrets_vault_without_a_vault_secret_fails_before_any_request(ansible, tmp_path):
    hosts = {'nowhere': dict(ansible_host='127.0.0.0', helios_port=9, helios_protocol='https',
                             helios_username='admin', helios_password='2n')}
    run = ansible(hosts, 'config', backup=True, backup_dir=str(tmp_path), backup_secrets='vault')
    assert run.rc != 0
    assert run.result('nowhere')['msg'].startswith(
        'backup_secrets: vault needs a vault secret to encrypt with, and the run has none: give one with --vault-id')
    module = ansible(hosts, 'config', backup=True, backup_dir=str(tmp_path), backup_secrets='vault',
                     vault_password_file=vault_password(tmp_path), env={'HELIOS_ACTION_IN_PROCESS': 'false'})
    assert module.result('nowhere')['msg'].startswith(
        'backup_secrets: vault encrypts with the vault secrets of the run, which only the controller holds')


def test_a_vault_backup_restores_a_factory_reset_device_secrets_included(device, ansible, tmp_path):
    """The issue's test: back up, factory-reset, restore: the document equals the backup's and the collection logs in."""
    before = secrets_set(device, ansible)
    password_file = vault_password(tmp_path)
    hosts = {device.name: device.hostvars(helios_password='n3w-api-pw')}
    backup = ansible(hosts, 'config', backup=True, backup_dir=str(tmp_path / 'b'), backup_name='door.xml',
                     backup_secrets='vault', vault_password_file=password_file)
    assert backup.rc == 0, backup.stdout
    factory_reset(device, 'n3w-api-pw')
    assert body(config_of(device, ADMIN['password'])) != body(before)
    # the factory-reset device answers its factory password; the backup brings the collection's own back
    restore = ansible(hosts, 'config', src=backup.result(device.name)['backup_file'], mode='replace',
                      password=ADMIN['password'], vault_password_file=password_file, diff=True)
    assert restore.rc == 0, restore.stdout
    assert restore.result(device.name)['changed'] is True
    assert not [secret for secret in CLEAR if secret in restore.stdout]
    assert body(config_of(device, 'n3w-api-pw')) == body(before)
    again = ansible(hosts, 'config', src=backup.result(device.name)['backup_file'], mode='replace',
                    vault_password_file=password_file)
    assert again.rc == 0 and again.result(device.name)['changed'] is False, again.stdout


def test_a_masked_backup_restores_while_its_masks_match_the_devices_secrets(device, ansible, tmp_path):
    """Masks carry a fingerprint keyed by the vault secret: a mask that still matches keeps the device's secret."""
    before = secrets_set(device, ansible)
    password_file = vault_password(tmp_path)
    hosts = {device.name: device.hostvars(helios_password='n3w-api-pw')}
    backup = ansible(hosts, 'config', backup=True, backup_dir=str(tmp_path / 'b'), backup_name='door.xml',
                     vault_password_file=password_file)
    path = backup.result(device.name)['backup_file']
    saved = open(path).read()
    assert re.search(r'<AdminPassword>\*{8} \(hmac:[0-9a-f]{12}\)</AdminPassword>', saved), saved
    assert not [secret for secret in CLEAR if secret in saved]
    assert ansible(hosts, 'config', settings={'WebServer': {'DeviceName': 'Renamed'}}).rc == 0
    restore = ansible(hosts, 'config', src=path, mode='replace', vault_password_file=password_file)
    assert restore.rc == 0, restore.stdout
    assert restore.result(device.name)['changed_paths'] == ['WebServer/DeviceName']
    assert body(config_of(device, 'n3w-api-pw')) == body(before)
    # once a secret changed, its mask no longer matches: refused, naming it, and nothing is uploaded
    assert ansible(hosts, 'config', settings={'WebServer': {'AdminPassword': 'changed-since'}}).rc == 0
    changed = config_of(device, 'n3w-api-pw')
    refused = ansible(hosts, 'config', src=path, mode='replace', vault_password_file=password_file)
    assert refused.rc != 0
    assert refused.result(device.name)['msg'].startswith(
        "src: WebServer/AdminPassword hold masks that do not match the device's current secrets")
    assert config_of(device, 'n3w-api-pw') == changed
    # without the vault secrets of the backup, no mask can be shown to match
    other = ansible(hosts, 'config', src=path, mode='replace', vault_password_file=vault_password(tmp_path, 'x'))
    assert other.rc != 0 and 'hold masks that do not match' in other.result(device.name)['msg']


def test_the_restore_playbook_brings_back_a_reset_device_and_a_replacement_and_refuses_another_model(devices, ansible,
                                                                                                     tmp_path):
    original, replacement = devices(2)
    before = secrets_set(original, ansible)
    password_file = vault_password(tmp_path)
    backups = tmp_path / 'backups'
    hosts = {'door': original.hostvars(helios_password='n3w-api-pw', helios_ca_path=original.fleet.ca_path)}
    backup = ansible(hosts, None, playbook='twon.helios.backup', helios_backup_dir=str(backups),
                     helios_backup_secrets='vault', vault_password_file=password_file)
    assert backup.rc == 0, backup.stdout
    assert not [secret for secret in CLEAR if secret in (backups / 'door.xml').read_text()]
    factory_reset(original, 'n3w-api-pw')
    restore = ansible(hosts, None, playbook='twon.helios.restore', helios_backup_dir=str(backups),
                      helios_restore_password=ADMIN['password'], vault_password_file=password_file)
    assert restore.rc == 0, restore.stdout
    assert body(config_of(original, 'n3w-api-pw')) == body(before)
    assert not [secret for secret in CLEAR if secret in restore.stdout]
    # a replacement unit of the same model, fresh from the factory, at another address, with another MAC address
    new_hosts = {'door': replacement.hostvars(helios_password='n3w-api-pw', helios_ca_path=replacement.fleet.ca_path)}
    onto = ansible(new_hosts, None, playbook='twon.helios.restore', helios_backup_dir=str(backups),
                   helios_restore_password=ADMIN['password'], vault_password_file=password_file)
    assert onto.rc == 0, onto.stdout
    restored = config_of(replacement, 'n3w-api-pw')
    mac = re.search(r'<MacAddress>(.*?)</MacAddress>', restored).group(1)
    assert mac != re.search(r'<MacAddress>(.*?)</MacAddress>', before).group(1)
    assert body(restored) == body(before.replace(re.search(r'<MacAddress>(.*?)</MacAddress>', before).group(1), mac))
    # a backup of another model is refused before anything is uploaded
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'door.xml').write_text((backups / 'door.xml').read_text().replace(
        'Product name: 2N Helios IP Verso', 'Product name: 2N IP Style'))
    refused = ansible(new_hosts, None, playbook='twon.helios.restore', helios_backup_dir=str(other),
                      vault_password_file=password_file)
    assert refused.rc != 0
    assert ('door is a 2N Helios IP Verso, and %s is a backup of a 2N IP Style: a configuration of another model does '
            'not fit this device' % (other / 'door.xml')) in refused.stdout
