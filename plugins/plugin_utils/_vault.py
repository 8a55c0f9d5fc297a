# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run's Ansible Vault secrets, as helios_config uses them on the controller: encrypting the secrets of a backup
(backup_secrets=vault), decrypting them to restore it, and keying the fingerprints of masked secrets.

The secrets are those ansible-playbook loaded from --vault-id, --vault-password-file, --ask-vault-pass,
ANSIBLE_VAULT_IDENTITY_LIST or ANSIBLE_VAULT_PASSWORD_FILE; ANSIBLE_VAULT_ENCRYPT_IDENTITY picks the one to encrypt
with, as for ansible-vault. The values written are the ones `ansible-vault encrypt_string` writes and
`ansible-vault decrypt` reads.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import functools
import hashlib

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, match_encrypt_secret

# The fingerprint key is derived from the vault secret as slowly as ansible-vault derives its keys (PBKDF2-SHA256,
# 10,000 rounds), so a fingerprint of a known secret is no faster a way to guess the vault password than the vault
# values themselves.
FINGERPRINT_SALT = b'twon.helios mask fingerprint v1'
FINGERPRINT_ROUNDS = 10000


def loaded_secrets(loader):
    """The vault secrets of the run: [(vault id, VaultSecret)], best first.

    ansible-core keeps them in the DataLoader's private _vault (a VaultLib); this is the one place that reads it,
    and tests/unit/test_private_internals.py fails loudly should a version of ansible-core change it.
    """
    vault = getattr(loader, '_vault', None)
    return list(getattr(vault, 'secrets', None) or [])


class RunVault:
    """encrypt, decrypt and keys (the fingerprint keys, the encrypting secret's first) over the run's secrets."""

    def __init__(self, secrets, encrypt_vault_id=None):
        self._lib = VaultLib(secrets)
        self._encrypt = None
        if secrets:
            try:
                self._encrypt = match_encrypt_secret(secrets, encrypt_vault_id or C.DEFAULT_VAULT_ENCRYPT_IDENTITY)
            except AnsibleError:
                self._encrypt = None  # ANSIBLE_VAULT_ENCRYPT_IDENTITY names no loaded vault id: nothing to encrypt with
        self._secrets = secrets

    @functools.cached_property
    def keys(self):
        """Fingerprint keys, the encrypting secret's first; none when there is no secret to encrypt with."""
        if self._encrypt is None:
            return []
        ordered = [self._encrypt[1]] + [secret for _vault_id, secret in self._secrets if secret is not self._encrypt[1]]
        return [hashlib.pbkdf2_hmac('sha256', secret.bytes, FINGERPRINT_SALT, FINGERPRINT_ROUNDS) for secret in ordered]

    @classmethod
    def of(cls, loader):
        return cls(loaded_secrets(loader))

    def encrypt(self, text):
        vault_id, secret = self._encrypt
        return to_text(self._lib.encrypt(text, secret=secret, vault_id=vault_id)).strip()

    def decrypt(self, vaulttext):
        """The plain text; ValueError (without the text) when no secret of the run opens it."""
        try:
            return to_text(self._lib.decrypt(to_bytes(vaulttext.strip())))
        except AnsibleError:
            raise ValueError('cannot decrypt') from None
