# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_config: the device's configuration document as code (manual 5.6).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from ansible_collections.twon.helios.plugins.module_utils import _config_document as document
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._files import sha256_of_file, write_atomically
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask


def desired_document(params):
    """The desired document from content, src or settings (None: back up only), and the values of settings that
    YAML typed (see document.check_yaml_types); HeliosParameterError before any request."""
    if all(params[name] is None for name in ('content', 'src', 'settings')):
        if not params['backup']:
            raise HeliosParameterError('one of content, src or settings is required (or backup=true alone, to only '
                                       'back up the configuration)')
        return None, []
    typed = []
    try:
        if params['settings'] is not None:
            desired = document.from_settings(params['settings'], typed)
            check_yaml_types(typed)
            return desired, typed
        if params['src'] is not None:
            try:
                with open(params['src'], 'rb') as stream:
                    return document.parse(stream.read()), typed
            except (IOError, OSError) as exc:
                raise HeliosParameterError('src: cannot read %s: %s' % (params['src'], exc.strerror or exc))
        return document.parse(params['content']), typed
    except document.ConfigDocumentError as exc:
        option = next(name for name in ('settings', 'src', 'content') if params[name] is not None)
        raise HeliosParameterError('%s: %s' % (option, exc))


def check_yaml_types(typed, device=None):
    """HeliosParameterError for the settings values whose YAML type may have changed what was written."""
    try:
        document.check_yaml_types(typed, device)
    except document.ConfigDocumentError as exc:
        raise HeliosParameterError(str(exc)) from None


def read_device_document(client):
    try:
        return document.parse(client.download('config'))
    except document.ConfigDocumentError as exc:
        raise HeliosError('config: the device sent a configuration that cannot be read: %s' % exc)


def backup_name(host):
    """A stable file name per device (roles pass the inventory hostname as backup_name instead)."""
    return '%s.xml' % host.replace(':', '_').replace('/', '_')


def write_backup(directory, name, device, show_secrets):
    """Write the device's document (secrets masked unless asked) to directory/name, atomically, mode 0600."""
    path = os.path.join(directory, name)
    content = document.render(device, show_secrets).encode('utf-8')
    try:
        # exist_ok: the hosts of a play back up into the same new directory at the same time
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if sha256_of_file(path) == hashlib.sha256(content).hexdigest():
            return path  # unchanged: leave the file (and its timestamp, and git) alone
        write_atomically(path, content, mode=0o600)
    except (IOError, OSError) as exc:
        raise HeliosError('backup_dir: cannot write %s: %s' % (path, exc.strerror or exc))
    return path


# Why an upload whose reply was lost fails (HeliosClient.upload sends it once).
UPLOAD_OUTCOME_UNKNOWN = ('the upload was not repeated: the device may or may not have applied the configuration. Run '
                          'the task again to compare the device with the desired configuration (with --check --diff '
                          'to only look)')


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


def check_backup_name(name):
    """A backup_name is a file name in backup_dir, not a path: refused before any request otherwise."""
    if name is not None and (not name or '/' in name or name in ('.', '..')):
        raise HeliosParameterError('backup_name must be a file name without "/" (the file goes in backup_dir), got "%s"'
                                   % name)


def run(params, client, check_mode, diff):
    check_backup_name(params['backup_name'])
    desired, typed = desired_document(params)
    device = read_device_document(client)
    check_yaml_types(typed, device)
    if desired is None:
        merged, new_paths = device, []
    elif params['mode'] == 'replace':
        merged, new_paths = desired, []
        for name, value in device.attrib.items():
            merged.attrib.setdefault(name, value)  # e.g. Version, which a YAML tree cannot carry
    else:
        try:
            merged, new_paths = document.overlay(device, desired, allow_new=params['allow_new'])
        except document.ConfigDocumentError as exc:
            raise HeliosParameterError(str(exc))
    show_secrets = params['show_secrets']
    paths = document.changed_paths(device, merged)
    changed = bool(paths)
    result = dict(changed=changed, changed_paths=paths, new_paths=new_paths)
    if params['backup']:
        result['backup_file'] = write_backup(params['backup_dir'], params['backup_name'] or backup_name(params['host']),
                                             device, show_secrets)
    if changed and not check_mode:
        upload(client, merged)
        after = read_device_document(client)
        missing = document.mismatches(desired, after) if desired is not None else []
        if missing:
            raise HeliosError('config: the device did not take these settings: %s' % ', '.join(missing))
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
        result['config'] = document.to_settings(document.masked(after, show_secrets))
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
    return_content=dict(type='bool', default=False),
), mutually_exclusive=[('content', 'src', 'settings')],
    required_if=[('backup', True, ('backup_dir',))], shown_params=shown_params,
    # parsing and diffing a configuration document is CPU work: done in the session server, it would hold up the
    # other tasks there, so it stays in the task's own worker
    in_session_server=False)
