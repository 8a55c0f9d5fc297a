# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_info: everything the device can tell, by subset.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosApiError, HeliosError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._functions import INVALID_PATH, lacking_functions, lacking_reason
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

try:
    import jmespath
except ImportError:
    # Only query needs it; reported when query is used.
    HAS_JMESPATH = False
else:
    HAS_JMESPATH = True

# Device error codes that make a subset unavailable rather than the task failed:
# not supported, service disabled, licence missing, privilege missing.
UNAVAILABLE_CODES = (1, 4, 5, 10)


def _merged(caps, status, key):
    """caps and status lists joined on key (switch number, port name), caps order kept."""
    status_by_key = dict((item[key], item) for item in status)
    return [dict(item, **status_by_key.get(item[key], {})) for item in caps]


def _switches(client):
    return _merged(client.get('switch/caps')['switches'], client.get('switch/status')['switches'], 'switch')


def _ports(client):
    return _merged(client.get('io/caps')['ports'], client.get('io/status')['ports'], 'port')


# subset -> (key in info, reader)
SUBSETS = {
    'system': ('system', lambda client: client.get('system/info')),
    'status': ('status', lambda client: client.get('system/status')),
    'switches': ('switches', _switches),
    'ports': ('ports', _ports),
    'phone': ('accounts', lambda client: client.get('phone/status')['accounts']),
    'calls': ('calls', lambda client: client.get('call/status')['sessions']),
    'camera': ('camera', lambda client: client.get('camera/caps')),
    'display': ('displays', lambda client: client.get('display/caps')['displays']),
}


def _chosen_subsets(gather_subset):
    if 'all' in gather_subset:
        return list(SUBSETS)
    return [name for name in SUBSETS if name in gather_subset]


def _compiled_query(expression):
    """The JMESPath query, compiled before any request so a typo fails fast."""
    if not expression:
        return None
    if not HAS_JMESPATH:
        raise HeliosError(missing_required_lib('jmespath'))
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise HeliosParameterError('query is not a valid JMESPath expression: %s' % exc) from None
    except RecursionError:
        # jmespath parses recursively: ((((...)))) thousands deep exhausts the stack
        raise HeliosParameterError('query is nested too deeply to be parsed; simplify the JMESPath expression') from None


def run(params, client, check_mode, diff):
    query = _compiled_query(params['query'])
    info, unavailable = {}, {}
    for subset in _chosen_subsets(params['gather_subset']):
        key, read = SUBSETS[subset]
        try:
            info[key] = read(client)
        except HeliosApiError as exc:
            if exc.code not in UNAVAILABLE_CODES:
                raise
            unavailable[subset] = dict(code=exc.code, reason=str(exc))
    lacking = lacking_functions(client)
    if lacking:
        version = (info.get('system') or client.get('system/info'))['swVersion']
        unavailable.update((function, dict(code=INVALID_PATH, reason=lacking_reason(function, version)))
                           for function in lacking)
    result = dict(changed=False, info=info, unavailable=unavailable)
    if params['as_facts']:
        # A play gathers once; later tasks, templates and reports read ansible_facts.helios without registering.
        result['ansible_facts'] = dict(helios=dict(info, unavailable=unavailable))
    if query is not None:
        result['query_result'] = query.search(info)
    return result


TASK = HeliosTask(run, dict(
    gather_subset=dict(type='list', elements='str', default=['all'], choices=['all'] + list(SUBSETS)),
    query=dict(type='str'),
    as_facts=dict(type='bool', default=False),
))
