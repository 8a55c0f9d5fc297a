"""The private internals of ansible-core and requests that twon.helios relies on, each read in one place.

Each test fails loudly when a new version changes what that place expects, so that an upgrade is a failed test and
not a silent change of behaviour: replace the internal with public API, or adapt its one place.
"""

from __future__ import annotations

import inspect
import types

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.twon.helios.plugins.module_utils._client import _DigestAuth
from ansible_collections.twon.helios.plugins.module_utils._task import no_log_values


def test_a_validation_result_holds_the_no_log_values():
    spec = dict(username=dict(type='str'), password=dict(type='str', no_log=True))
    validation = ArgumentSpecValidator(spec).validate(dict(username='admin', password='s3cret'))
    assert no_log_values(validation) == {'s3cret'}


def test_action_base_gives_the_task_environment_through_raw_environment_out():
    parameters = inspect.signature(ActionBase._compute_environment_string).parameters
    assert 'raw_environment_out' in parameters


def test_requests_keeps_the_digest_nonce_in_thread_local_state_that_a_client_can_own():
    auth = _DigestAuth('admin', '2n')
    assert isinstance(auth._thread_local, types.SimpleNamespace)
    auth.init_per_thread_state()
    # requests set up its per-thread state on the client's own namespace: the nonce is kept across threads
    assert auth._thread_local.last_nonce == '' and auth._thread_local.nonce_count == 0


def test_the_data_loader_keeps_the_run_s_vault_secrets_in_its_vault_lib():
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultSecret

    from ansible_collections.twon.helios.plugins.plugin_utils._vault import RunVault, loaded_secrets

    loader = DataLoader()
    secrets = [('default', VaultSecret(b'vault secret'))]
    loader.set_vault_secrets(secrets)
    assert loaded_secrets(loader) == secrets
    vault = RunVault.of(loader)
    assert vault.decrypt(vault.encrypt('n3w-pw')) == 'n3w-pw' and len(vault.keys) == 1
