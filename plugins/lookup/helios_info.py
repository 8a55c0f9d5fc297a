# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: helios_info
short_description: Read a 2N Helios IP intercom's information in a template
version_added: 0.1.0
description:
  - Reads what the module M(twon.helios.helios_info) reads, as RV(twon.helios.helios_info#module:info), for use in a
    template, a variable or a condition, without a task of its own.
  - The terms are the subsets to read (O(twon.helios.helios_info#module:gather_subset)); none reads every subset.
  - The connection options come from the same places as the modules' do. The option given to the lookup, else the host
    variable C(helios_<option>) of the host the task is for, else the environment variable C(HELIOS_<OPTION>) of the
    controller (a task's C(environment) does not apply to lookups), else the default; the address falls back to the
    host's C(ansible_host), else C(inventory_hostname).
  - Runs on the controller, like every lookup.
author:
  - twon.helios developers (@twon)
extends_documentation_fragment:
  - twon.helios._connection.plugins
options:
  _terms:
    description:
      - The subsets to read, as O(twon.helios.helios_info#module:gather_subset) of the module; V(all) or none reads
        every subset.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression applied to the information; the lookup returns its value instead.
      - Checked before any request is sent.
    type: str
seealso:
  - module: twon.helios.helios_info
'''

EXAMPLES = r'''
- name: Name each intercom's serial number in a message
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is {{ lookup('twon.helios.helios_info', 'system').system.serialNumber }}"

- name: Trigger only switches that are enabled
  twon.helios.helios_switch:
    switch: 1
    state: triggered
  when: 1 in lookup('twon.helios.helios_info', 'switches', query='switches[?enabled].switch')
'''

RETURN = r'''
_raw:
  description:
    - The information read, as RV(twon.helios.helios_info#module:info) of the module; with O(query), the query's value.
    - A subset the device refuses (service disabled, licence missing, privilege missing) is left out.
  type: list
  elements: raw
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.twon.helios.plugins.module_utils._info import TASK
from ansible_collections.twon.helios.plugins.module_utils._task import execute, run_validated
from ansible_collections.twon.helios.plugins.plugin_utils._action import inventory_defaults


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        # The modules' own resolution: the lookup's options, the host's helios_* variables, then (in the validation)
        # the HELIOS_* environment variables and the defaults.
        args = inventory_defaults(dict(kwargs, gather_subset=list(terms) or ['all']), {}, variables or {},
                                  self._templar)
        result = run_validated(TASK, args, 'twon.helios.helios_info lookup',
                               lambda params: execute(TASK, params, check_mode=False, diff=False))
        if result.get('failed'):
            raise AnsibleLookupError('twon.helios.helios_info: %s' % result['msg'])
        return [result['query_result'] if kwargs.get('query') is not None else result['info']]
