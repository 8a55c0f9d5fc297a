"""The connection options' documentation for plugins other than modules (the lookup): made from the modules' one,
with each option's host variable and environment variable, which the docsite's environment variable index lists."""

from __future__ import annotations

import yaml

from ansible_collections.twon.helios.plugins.doc_fragments._connection import SAME_IN_MODULES, ModuleDocFragment
from ansible_collections.twon.helios.plugins.module_utils._connection import CONNECTION_OPTIONS


def test_plugin_fragment_names_each_options_variables():
    modules = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    plugins = yaml.safe_load(ModuleDocFragment.PLUGINS)['options']
    assert set(plugins) == set(modules) == set(CONNECTION_OPTIONS)
    for name, option in plugins.items():
        assert option['env'] == [{'name': 'HELIOS_' + name.upper()}]
        assert option['vars'] == [{'name': 'helios_' + name}]
        assert option['description'][:-1] == modules[name]['description']
        assert option['description'][-1] == SAME_IN_MODULES % name
        assert {k: v for k, v in option.items() if k not in ('env', 'vars', 'description')} == {
            k: v for k, v in modules[name].items() if k != 'description'}
