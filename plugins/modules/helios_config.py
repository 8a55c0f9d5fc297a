#!/usr/bin/python
# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: helios_config
short_description: Keep the configuration of a 2N Helios IP intercom as code
version_added: 0.1.0
description:
  - Reads the device's configuration document (C(<DeviceDatabase>), HTTP API function C(config)), overlays the
    desired configuration on it and uploads the result only when it differs.
  - The desired configuration is a full or partial C(<DeviceDatabase>) document (O(content) or O(src)), or the same
    tree as YAML (O(settings)), so host_vars and group_vars can hold it.
  - Documents are compared in canonical form, keeping the device's element order and ignoring whitespace and the
    comment header. Equal documents mean no change and no upload.
  - After an upload the document is read back; the task fails naming every desired setting the device did not take.
  - Current firmware (2.13 and later) applies an uploaded configuration about 15 s after its reply, and meanwhile
    still shows (and runs) the configuration it had. While the read-back shows that, it is read again every half
    second, for up to O(apply_timeout) seconds and no longer than the task runs (its C(timeout)); the task returns
    once the device shows the upload, so a restart or firmware step after it cannot cut the apply short. When the
    device still shows the old configuration after that, the task fails saying so (and reports C(changed), as the
    upload was taken). 2.11 firmware applies an upload before its reply and is read back once.
  - The upload is sent once. When its reply is lost (the connection closed or timed out after the device may have
    had it), it is not repeated and the task fails saying the device may or may not have applied the
    configuration; running the task again compares the device with the desired configuration and uploads only what
    differs.
  - Repeated items (switches, accounts, SIP accounts) are addressed by their C(At) index, for example
    C(<Switch At="1">) in XML or an C(At) key in YAML.
  - Values of secret elements (passwords, switch codes, PINs, keys), and the password in any URL value (for example
    C(rtsp://user:password@camera/stream) shows as C(rtsp://user:********@camera/stream)), are masked in diffs,
    results, backups and the logged invocation unless O(show_secrets=true). When the run has an Ansible Vault secret,
    masks in backups and in RV(config) carry a fingerprint, C(******** (hmac:0123456789ab)), an HMAC of the secret
    under a key derived from the vault secret, which tells nothing about the secret to anyone without the vault
    secret.
  - A desired document may hold such masks (a masked backup or result given back); a mask stands for the device's
    current secret, which is kept, only while its fingerprint matches that secret under the run's vault secrets.
    Any other mask (a plain C(********), a diff's, a secret changed since the backup, another device's, no vault
    secret) is refused, naming its path, before anything is uploaded (uploaded, the mask would become the password
    and lock the accounts out).
  - Values written as Ansible Vault strings (a backup with O(backup_secrets=vault), or a value from
    C(ansible-vault encrypt_string)) are decrypted with the run's vault secrets before they are compared or uploaded.
    Only the action plugin on the controller holds them; run as a module (delegated, C(become)), such a document is
    refused. In such a backup a value with a URL password in it is encrypted whole.
  - When the upload changes the password of the account the task logs in as (O(username)), the read-back logs in
    with the new password, proving it works.
  - The device's identity (its MAC address) is never taken from the desired document, so a backup restores onto a
    replacement device of the same model.
  - Factory reset is M(twon.helios.helios_system)'s job; this module has no O(ignore:state).
  - Needs the Enhanced Integration licence and an account with the System Control privilege.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection
  - twon.helios._attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff is of the device's document before and after, secrets masked.
  idempotent:
    support: full
options:
  content:
    description:
      - The desired configuration as a C(<DeviceDatabase>) XML document, full or partial, at most 32 levels deep.
        A DOCTYPE or entity declarations are refused.
      - One of O(content), O(src) and O(settings) is required, unless O(backup=true) alone asks only for a backup.
    type: str
  src:
    description:
      - Path of a file on the controller holding the desired C(<DeviceDatabase>) XML document.
      - The file must exist and be readable; otherwise the task fails before any request.
    type: path
  settings:
    description:
      - The desired configuration as a tree, for example C(Network) mapping to C(Hostname) V(door-1).
      - A section is a mapping; repeated items are a list of mappings, each with an C(At) key holding the item's
        index (see the examples).
      - A value is best quoted. YAML changes some values before this module sees them (V(0123) becomes 83,
        V(1:20) becomes 80, V(1.10) becomes 1.1, V(no) becomes false), so the module takes a value unquoted in YAML
        only where that cannot have changed it, and otherwise fails before anything is uploaded, naming the value's
        path (for example C(settings.Switches.Switch[At=0].Code)) and asking for quotes.
      - Strings are taken as written.
      - A boolean is taken only for a flag, a setting whose value on the device is V(0) or V(1); it becomes V(1)
        or V(0), as the device writes flags.
      - A whole number is taken only for a setting whose value on the device is a plain decimal number without
        leading zeros (such as C(SwitchOnDuration) V(5)), and is sent in its decimal form, which the diff shows.
        Such a setting is a number either way, so a YAML octal such as V(010) is sent there as 8; quote it to send
        V(010). A whole number is never taken for a secret (a switch code, a password) or for a setting the device
        does not have (O(allow_new=true)).
      - A fraction (V(1.5)) is never taken. C(At) indices may be whole numbers.
      - Quote every value that is a string of digits, such as a phone number; where the device's value is a plain
        number, an unquoted V(0123) would be sent as 83. A template that renders a number gives a number too; add
        C(| string) to it.
      - At most 32 levels deep (the device's configuration has four).
    type: dict
  mode:
    description:
      - V(merge) overlays the desired settings on the device's configuration; everything else stays as it is.
      - V(replace) makes the desired document the whole configuration. It must hold every value the device
        has; a document that lacks some is refused, naming them, before anything is changed (the device would
        reset each to its factory default, which the document does not hold, so every later run would find them
        different again). Start from the device's own document, for example a backup or RV(config), with the
        secrets filled in; a secret that is still the mask C(********) is refused.
    type: str
    choices: [merge, replace]
    default: merge
  allow_new:
    description:
      - A desired element that the device's document does not have is taken for a typo, and the task fails naming
        its path. Set to V(true) to add such elements anyway.
    type: bool
    default: false
  show_secrets:
    description:
      - Show the values of secret elements and the passwords in URLs in diffs, results and backups instead of
        masking them.
    type: bool
    default: false
  backup:
    description:
      - Write the device's document, as it was before the task, to O(backup_dir) (atomically, mode 0600), with the
        device's comment header (model, serial number, versions) that the C(twon.helios.restore) role checks.
      - An existing backup with the same content is left untouched, so backups kept in git change only when the
        device did; only its mode is set to 0600 if it was another.
      - With none of O(content), O(src) and O(settings), the task only backs up.
    type: bool
    default: false
  backup_dir:
    description:
      - Directory on the controller for O(backup). Required when O(backup=true).
      - Made when missing; the task fails before any request when it cannot be (a file is in its place, or the
        directory it would be made in is not writable).
    type: path
  backup_name:
    description:
      - File name of the backup in O(backup_dir). Defaults to O(host) with the suffix C(.xml).
      - A file name only, so that the backup stays in O(backup_dir), not a path; a name with C(/), or V(.) or V(..),
        fails the task before any request to the device.
    type: str
  backup_secrets:
    description:
      - How O(backup) writes secret values.
      - V(mask) masks them (fingerprinted when the run has a vault secret), unless O(show_secrets=true).
      - V(vault) writes each as an Ansible Vault value encrypted with the run's vault secret (C(--vault-id),
        C(--vault-password-file), C(ANSIBLE_VAULT_IDENTITY_LIST), C(ANSIBLE_VAULT_PASSWORD_FILE);
        C(ANSIBLE_VAULT_ENCRYPT_IDENTITY) picks one of several), never in clear text, even with O(show_secrets=true).
        C(ansible-vault decrypt) reads each value; O(src) restores the backup, secrets included. Values of an
        unchanged secret keep their ciphertext, so an unchanged backup is not rewritten. Fails before any request
        without a vault secret, or when the task runs as a module (delegated, C(become)).
    type: str
    choices: [mask, vault]
    default: mask
  return_content:
    description:
      - Return the device's configuration after the task, as a tree like O(settings), in RV(config).
    type: bool
    default: false
  apply_timeout:
    description:
      - Seconds to wait after an upload for a device with current firmware to show the uploaded configuration
        (see the description); V(1) to V(3600), checked before any request. Not used with 2.11 firmware.
    type: int
    default: 60
seealso:
  - module: twon.helios.helios_info
  - module: twon.helios.helios_system
'''

EXAMPLES = r'''
- name: Configure the intercoms from host_vars
  hosts: intercoms
  connection: local
  gather_facts: false
  # every connection option comes from the inventory: helios_* host variables, else HELIOS_* environment variables
  tasks:
    - name: Set the hostname and make switch 2 bistable
      twon.helios.helios_config:
        settings:
          Network:
            Hostname: "{{ inventory_hostname }}"
          Switches:
            Switch:
              - At: 1
                Mode: bistable

    - name: Apply a configuration file, keeping a backup of the one it replaces
      twon.helios.helios_config:
        src: "configs/{{ inventory_hostname }}.xml"
        backup: true
        backup_dir: backups/
        backup_name: "{{ inventory_hostname }}.xml"

    - name: Back up with the secrets encrypted by the run's vault secret (ansible-playbook --vault-id ...)
      twon.helios.helios_config:
        backup: true
        backup_dir: backups/
        backup_name: "{{ inventory_hostname }}.xml"
        backup_secrets: vault

    - name: Restore that backup, secrets included, as the whole configuration
      twon.helios.helios_config:
        src: "backups/{{ inventory_hostname }}.xml"
        mode: replace

    - name: Restrict the System API to HTTPS (XML form)
      twon.helios.helios_config:
        content: |
          <DeviceDatabase>
            <HttpApi><Services><System><Connection>https</Connection></System></Services></HttpApi>
          </DeviceDatabase>
'''

RETURN = r'''
changed_paths:
  description: Paths of the settings that differ (or would differ) between the device's document and the desired one.
  returned: success
  type: list
  elements: str
  sample: [Network/Hostname, "Switches/Switch[At=1]/Mode"]
new_paths:
  description: Paths of desired elements the device did not have (added only with O(allow_new=true)).
  returned: success
  type: list
  elements: str
  sample: []
backup_file:
  description: Path of the backup written.
  returned: when O(backup=true)
  type: str
  sample: backups/door-1.xml
config:
  description: The device's configuration after the task as a tree like O(settings), secrets masked unless
    O(show_secrets=true). In check mode, the configuration the device would have.
  returned: when O(return_content=true)
  type: dict
  sample: {Network: {Hostname: door-1}}
error:
  description: The device's error reply, when the task failed on one.
  returned: failure on a device error reply
  type: dict
  sample: {function: config, code: 12, description: invalid parameter value, param: blob-cfg}
'''

from ansible_collections.twon.helios.plugins.module_utils._config import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import run_as_module


def main():
    run_as_module(TASK)


if __name__ == '__main__':
    main()
