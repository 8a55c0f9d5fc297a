# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_config: the device's configuration document as code (manual 5.6).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import re
import stat
import tempfile
import time

from ansible_collections.twon.helios.plugins.module_utils import _config_document as document
from ansible_collections.twon.helios.plugins.module_utils._connection import client_from_params
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosAuthError, HeliosError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._files import sha256_of_file, write_atomically
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask


def desired_document(params, vault=None):
    """The desired document from content, src or settings (None: back up only), and the values of settings that
    YAML typed (see document.check_yaml_types); HeliosParameterError before any request.

    Ansible Vault values (a backup written with backup_secrets=vault) are decrypted with vault (the action plugin's,
    holding the run's vault secrets; None in a module process, which has none). A mask without a fingerprint is
    refused here; a fingerprinted one is judged against the device's document by planned().
    """
    if all(params[name] is None for name in ('content', 'src', 'settings')):
        if not params['backup']:
            raise HeliosParameterError('one of content, src or settings is required (or backup=true alone, to only '
                                       'back up the configuration)')
        return None, []
    option = _given_option(params)
    typed = []
    try:
        if params['settings'] is not None:
            desired = document.from_settings(params['settings'], typed)
            check_yaml_types(typed)
        elif params['src'] is not None:
            try:
                with open(params['src'], 'rb') as stream:
                    desired = document.parse(stream.read())
            except (IOError, OSError) as exc:
                raise HeliosParameterError('src: cannot read %s: %s' % (params['src'], exc.strerror or exc))
        else:
            desired = document.parse(params['content'])
        vaulted = document.vaulted_paths(desired)
        if vaulted and vault is None:
            raise HeliosParameterError(
                '%s: %s hold Ansible Vault encrypted values, which only the controller can decrypt: run the task on '
                'the controller (connection local or delegate_to localhost, without become)' % (option, _some(vaulted)))
        if vaulted:
            document.decrypt_values(desired, vault.decrypt)
    except document.ConfigDocumentError as exc:
        raise HeliosParameterError('%s: %s' % (option, exc))
    masks = document.plain_masked_paths(desired)
    if masks:
        # Uploaded, the mask would become the password: the accounts it guards would be locked out.
        raise HeliosParameterError('%s: %s hold the mask %s, not a secret (copied from a masked backup or result?); '
                                   'give the real values, from your vault, or leave them out with mode merge; a '
                                   'backup written with backup_secrets=vault restores them'
                                   % (option, ', '.join(masks), document.MASK))
    return desired, typed


def _given_option(params):
    return next((name for name in ('settings', 'src', 'content') if params.get(name) is not None), 'settings')


# How many paths a message names before it says how many more there are.
NAMED_PATHS = 10


def _some(paths):
    named = ', '.join(paths[:NAMED_PATHS])
    return named if len(paths) <= NAMED_PATHS else '%s and %d more' % (named, len(paths) - NAMED_PATHS)


def planned(device, desired, mode, allow_new, option='settings', keys=()):
    """(the document the device should hold, new_paths): desired overlaid on the device's document (merge), or
    desired as the whole document (replace).

    A fingerprinted mask in desired (a masked backup or result) stands for the device's current secret when its
    fingerprint under one of keys matches that secret; any other mask is refused, naming its path, because uploaded
    it would become the secret. The device's identity (DEVICE_FACTS: its MAC address) stays the device's own. Both
    change desired in place, so that the read-back after an upload compares with what was uploaded.

    replace takes a whole configuration only: a document that lacks values the device has is refused, naming
    them, because the device would set each to its factory default, a value git does not hold, and every later
    run would find them different again. Raises HeliosParameterError (after reading the device, before any
    change).
    """
    unmatched = document.unmatched_masks(desired, device, keys)
    if unmatched:
        raise HeliosParameterError(
            '%s: %s hold masks that do not match the device\'s current secrets (changed since the backup, another '
            'device, or masked without the vault secrets of this run); uploaded, a mask would become the secret and '
            'lock the accounts out: give the real values, from your vault, or restore a backup written with '
            'backup_secrets=vault' % (option, _some(unmatched)))
    document.keep_device_facts(desired, device)
    try:
        merged, new_paths = document.overlay(device, desired, allow_new=allow_new)
    except document.ConfigDocumentError as exc:
        raise HeliosParameterError('%s: %s' % (option, exc))
    if mode == 'replace':
        missing = document.missing_paths(desired, device)
        if missing:
            raise HeliosParameterError(
                'mode replace: %s is not the whole configuration, it lacks %d values the device has: %s. replace '
                'makes %s the whole configuration, and the device would set each value it lacks to its factory '
                'default, so give every value (start from the device\'s own: helios_config with return_content, or '
                'a backup, with the secrets filled in from your vault), or use mode merge to change only the values '
                'given' % (option, len(missing), _some(missing), option))
        merged = document.copy(desired)
        for name, value in device.attrib.items():
            merged.attrib.setdefault(name, value)  # e.g. Version, which a YAML tree cannot carry
    return merged, new_paths


def check_yaml_types(typed, device=None):
    """HeliosParameterError for the settings values whose YAML type may have changed what was written."""
    try:
        document.check_yaml_types(typed, device)
    except document.ConfigDocumentError as exc:
        raise HeliosParameterError(str(exc)) from None


def read_device_document(client):
    return read_device(client)[0]


def read_device(client):
    """(the device's document, the comment header it came with: model, serial number, versions)"""
    text = client.download('config')
    try:
        return document.parse(text), document.header(text)
    except document.ConfigDocumentError as exc:
        raise HeliosError('config: the device sent a configuration that cannot be read: %s' % exc)


def backup_name(host):
    """A stable file name per device (roles pass the inventory hostname as backup_name instead)."""
    return '%s.xml' % host.replace(':', '_').replace('/', '_')


def check_backup_name(name):
    """HeliosParameterError unless name is a file name, so that the backup stays inside backup_dir."""
    if name is not None and (name in ('', '.', '..') or '/' in name or '\0' in name):
        raise HeliosParameterError('backup_name must be a file name inside backup_dir, without a directory part '
                                   '(no "/", not "." or ".."), got %r' % name)


def write_backup(directory, name, device, show_secrets, mask=None, comment=None):
    """Write the device's document (secrets masked by mask unless asked) to directory/name, atomically, mode 0600."""
    path = os.path.join(directory, name)
    content = document.render(device, show_secrets, mask, comment).encode('utf-8')
    try:
        # exist_ok: the hosts of a play back up into the same new directory at the same time
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if _is_regular_file(path) and sha256_of_file(path) == hashlib.sha256(content).hexdigest():
            # unchanged: leave the file (and its timestamp, and git) alone, but private as a new one would be
            if os.lstat(path).st_mode & 0o7777 != 0o600:
                os.chmod(path, 0o600)
            return path
        write_atomically(path, content, mode=0o600)
    except (IOError, OSError) as exc:
        raise HeliosError('backup_dir: cannot write %s: %s' % (path, exc.strerror or exc))
    return path


# Why an upload whose reply was lost fails (HeliosClient.upload sends it once).
UPLOAD_OUTCOME_UNKNOWN = ('the upload was not repeated: the device may or may not have applied the configuration. Run '
                          'the task again to compare the device with the desired configuration (with --check --diff '
                          'to only look)')


def _is_regular_file(path):
    """Whether path is a file itself, not a link to one (a link is replaced by the backup, never followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def upload(client, merged):
    """PUT the document as blob-cfg, from a temporary file (the client streams uploads from disk), once."""
    fd, temporary = tempfile.mkstemp(prefix='helios-config-', suffix='.xml')
    try:
        with os.fdopen(fd, 'wb') as stream:
            stream.write(document.serialize(merged))
        client.upload('config', 'blob-cfg', temporary, 'config.xml', 'application/xml',
                      unknown_outcome=UPLOAD_OUTCOME_UNKNOWN)
    finally:
        os.unlink(temporary)


def _vault_for_backup(params, vault):
    """HeliosParameterError unless backup_secrets=vault can encrypt (before any request)."""
    if not params['backup'] or params['backup_secrets'] != 'vault':
        return
    if vault is None:
        raise HeliosParameterError(
            'backup_secrets: vault encrypts with the vault secrets of the run, which only the controller holds: run the '
            'task on the controller (connection local or delegate_to localhost, without become), or use '
            'backup_secrets=mask')
    if not vault.keys:
        raise HeliosParameterError(
            'backup_secrets: vault needs a vault secret to encrypt with, and the run has none: give one with '
            '--vault-id, --vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE or ANSIBLE_VAULT_IDENTITY_LIST (with several, '
            'ANSIBLE_VAULT_ENCRYPT_IDENTITY names the one to encrypt with)')


def _backup_mask(params, vault, path):
    """How the backup writes each secret: encrypted (reusing the ciphertexts of an unchanged backup, so that it is
    not rewritten), fingerprinted, or plainly masked."""
    if params['backup_secrets'] == 'vault':
        known = _ciphertexts(path, vault)

        def encrypted(value):
            return known.get(value) or vault.encrypt(value)
        encrypted.encrypts = True  # a value with a URL password in it is encrypted whole (document.render)
        return encrypted
    return _mask(vault)


def _mask(vault):
    return document.fingerprint_mask(vault.keys[0]) if vault is not None and vault.keys else None


def _ciphertexts(path, vault):
    """{secret: its Ansible Vault text} from the backup already at path, as far as vault decrypts it."""
    try:
        with open(path, 'rb') as stream:
            previous = document.parse(stream.read())
    except (IOError, OSError, document.ConfigDocumentError):
        return {}
    known = {}
    for vaulttext in document.leaves(previous).values():
        if vaulttext.startswith(document.VAULT_HEADER):
            try:
                known.setdefault(vault.decrypt(vaulttext), vaulttext)
            except ValueError:
                pass
    return known


def own_password(params, element):
    """The password that the document gives the HTTP API account this task logs in as, or None."""
    for account in element.findall('HttpApi/Accounts/Account'):
        if (account.findtext('UserName') or '').strip() == params['username'] and params['username']:
            return (account.findtext('Password') or '').strip()
    return None


def read_back(client, params, device, merged):
    """The device's document after an upload. When the upload changed the password of the account this task logs
    in as, it is read with the new one, which proves that password works (the old one no longer does)."""
    new = own_password(params, merged)
    if new is None or new == own_password(params, device) or params['auth_method'] not in ('digest', 'basic', 'auto'):
        return read_device_document(client)
    with client_from_params(dict(params, password=new)) as renewed:
        return read_device_document(renewed)


# Current firmware (2.13 and later) applies an uploaded configuration about 15 s after its reply (the latest manual);
# until then the device still shows, and runs, the configuration from before the upload. 2.11 applies it at once.
DELAYED_APPLY_SINCE = (2, 13)
APPLY_POLL_INTERVAL = 0.5
_SOFTWARE_VERSION = re.compile(r'Software version:\s*(\d+)\.(\d+)')


def applies_later(header):
    """Whether the device's firmware (from the header of its configuration document) applies an upload only after a
    delay; True when the header does not tell."""
    match = _SOFTWARE_VERSION.search(header or '')
    return match is None or (int(match.group(1)), int(match.group(2))) >= DELAYED_APPLY_SINCE


def _read_after_upload(client, params, device, merged):
    """read_back(); while an upload that changes this account's password waits to be applied, the new password is
    refused and the old one still works."""
    try:
        return read_back(client, params, device, merged)
    except HeliosAuthError:
        if own_password(params, merged) in (None, own_password(params, device)):
            raise
        return read_device_document(client)


def wait_until_applied(client, params, device, merged, desired, timeout, clock=time.monotonic):
    """The device's document after an upload, once it holds desired; HeliosError (changed) naming what it does not.

    While the device still shows the document it had before the upload (every changed path at its old value) it has
    not applied the upload yet: it is read again every APPLY_POLL_INTERVAL for up to timeout seconds, and no longer
    once the task has ended (client.act_guard: the task's own timeout). Once it shows anything new it has applied
    the upload, and what it does not hold it did not take. With timeout 0 (firmware that applies an upload before
    its reply) the first read tells.
    """
    started = clock()
    while True:
        after = _read_after_upload(client, params, device, merged)
        missing = document.mismatches(desired, after)
        if not missing:
            return after
        if document.changed_paths(device, after) or not timeout:
            raise HeliosError('config: the device did not take these settings: %s' % ', '.join(missing), changed=True)
        waited = clock() - started
        ended = client.act_guard() if client.act_guard is not None else None
        if waited >= timeout or ended:
            raise HeliosError(
                'config: the device took the upload but still shows the configuration it had before it, %s s after '
                'the upload%s (current firmware applies an upload about 15 s after its reply; raise apply_timeout to '
                'wait longer, or read it later with --check --diff); settings not shown yet: %s'
                % (round(waited, 1), ', and the wait stopped because ' + ended if ended else '', ', '.join(missing)),
                changed=True)
        time.sleep(APPLY_POLL_INTERVAL)


def run(params, client, check_mode, diff, vault=None):
    """vault: the run's Ansible Vault secrets (plugin_utils/_vault.py), given only by the action plugin."""
    check_backup_name(params['backup_name'])
    _vault_for_backup(params, vault)
    desired, typed = desired_document(params, vault)
    device, header = read_device(client)
    check_yaml_types(typed, device)
    if desired is None:
        merged, new_paths = device, []
    else:
        merged, new_paths = planned(device, desired, params['mode'], params['allow_new'], _given_option(params),
                                    keys=vault.keys if vault is not None else ())
    show_secrets = params['show_secrets']
    paths = document.changed_paths(device, merged)
    changed = bool(paths)
    result = dict(changed=changed, changed_paths=paths, new_paths=new_paths)
    if params['backup']:
        name = params['backup_name'] or backup_name(params['host'])
        vaulted = params['backup_secrets'] == 'vault'
        result['backup_file'] = write_backup(
            params['backup_dir'], name, device, show_secrets and not vaulted,
            _backup_mask(params, vault, os.path.join(params['backup_dir'], name)), header)
    if changed and not check_mode:
        upload(client, merged)
        after = wait_until_applied(client, params, device, merged, desired,
                                   params['apply_timeout'] if applies_later(header) else 0)
    else:
        after = merged
    if diff:
        mask = document.diff_mask(os.urandom(16))
        result['diff'] = dict(
            before=document.render(device, show_secrets, mask),
            after=document.render(after, show_secrets, mask),
            before_header='%s (device)' % params['host'],
            after_header='%s (%s)' % (params['host'], 'desired' if check_mode else 'device after upload'))
    if params['return_content']:
        result['config'] = document.to_settings(document.masked(after, show_secrets, _mask(vault)))
    return result


def shown_params(params):
    """The parameters for results and logs: secret values in settings and content masked unless show_secrets."""
    if params.get('show_secrets'):
        return params
    shown = dict(params)
    if shown.get('settings') is not None:
        shown['settings'] = document.masked_settings(shown['settings'])
    if shown.get('content') is not None:
        shown['content'] = document.masked_text(shown['content'])
    return shown


TASK = HeliosTask(run, dict(
    content=dict(type='str'),
    src=dict(type='path', local_path='file'),
    settings=dict(type='dict'),
    mode=dict(type='str', default='merge', choices=['merge', 'replace']),
    allow_new=dict(type='bool', default=False),
    show_secrets=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path', local_path='directory'),
    backup_name=dict(type='str'),
    backup_secrets=dict(type='str', default='mask', choices=['mask', 'vault']),
    return_content=dict(type='bool', default=False),
    apply_timeout=dict(type='int', default=60, range=dict(min=1, max=3600, unit='seconds')),
), mutually_exclusive=[('content', 'src', 'settings')],
    required_if=[('backup', True, ('backup_dir',))], shown_params=shown_params)


def with_vault(vault):
    """TASK, its logic given the run's Ansible Vault secrets (the action plugin's; a module process has none)."""
    task = copy.copy(TASK)
    task.run = functools.partial(run, vault=vault)
    return task
