
# --- twon.helios: appended to the conf.py that `antsibull-docs sphinx-init` writes (see the Makefile's docs) ---
# The build runs offline: intersphinx reads no inventory from the internet. The few labels of the Ansible
# documentation that the generated pages refer to come from a local inventory written here, so they still
# link to docs.ansible.com and an unknown reference still fails the build (-W).
import os as _os
import zlib as _zlib

_ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
_ANSIBLE_LABELS = [
    ('action_plugins', 'plugins/action.html#action-plugins', 'Action plugins'),
    ('ansible_configuration_settings', 'reference_appendices/config.html#ansible-configuration-settings',
     'Ansible Configuration Settings'),
    ('common_return_values', 'reference_appendices/common_return_values.html#common-return-values',
     'Return Values'),
]
# Environment variables of Ansible's configuration that plugin pages name (the inventory cache options of the
# inventory plugin twon.helios.helios, from ansible-core's inventory_cache fragment).
_ANSIBLE_ENVVARS = ['ANSIBLE_CACHE_PLUGIN', 'ANSIBLE_CACHE_PLUGIN_CONNECTION', 'ANSIBLE_CACHE_PLUGIN_PREFIX',
                    'ANSIBLE_CACHE_PLUGIN_TIMEOUT']
_inventory = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'ansible_devel.inv')
with open(_inventory, 'wb') as _handle:
    _handle.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                  b'# The remainder of this file is compressed using zlib.\n')
    _handle.write(_zlib.compress((''.join('%s std:label -1 %s %s\n' % label for label in _ANSIBLE_LABELS) + ''.join(
        '%s std:envvar -1 reference_appendices/config.html#envvar-%s -\n' % (name, name)
        for name in _ANSIBLE_ENVVARS)).encode()))
intersphinx_mapping = {'ansible_devel': (_ANSIBLE_DOCS, _inventory)}
