"""helios_api's checks of its path and parameters: what reaches the URL is a function of the device's HTTP API."""

from __future__ import annotations

import pytest

from ansible_collections.twon.helios.plugins.module_utils._api import _checked, function_of, query_of
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError


@pytest.mark.parametrize('path, function', [
    ('/api/system/info', 'system/info'), ('api/system/info', 'system/info'), ('system/info', 'system/info'),
    ('/api/config/factoryreset', 'config/factoryreset'), ('/api/log_x-y/a1', 'log_x-y/a1'),
])
def test_a_function_path(path, function):
    assert function_of(path) == function


@pytest.mark.parametrize('path', [
    '', '/api/', '/api', 'http://evil/api/system/info', '//evil/api/x', '/api//system', '/api/../x', '/api/./x',
    '/api/system/info?switch=1', '/api/system/info#x', '/api/system info', '/api/system/info/', '/api/%2e%2e/x',
    '/api/system/\ninfo', 'api/ä',
])
def test_anything_else_is_refused(path):
    with pytest.raises(HeliosParameterError, match='^path must name an HTTP API function of the device'):
        function_of(path)


def test_parameters_are_strings_booleans_as_the_device_writes_them():
    assert query_of({'switch': 1, 'action': 'on', 'enabled': True, 'off': False, 'ratio': 0.5}) == {
        'switch': '1', 'action': 'on', 'enabled': 'true', 'off': 'false', 'ratio': '0.5'}
    for value, kind in (([1], 'a list'), ({'a': 1}, 'a dict'), (None, 'null')):
        with pytest.raises(HeliosParameterError, match='params.x must be a string, a number or a boolean, got %s' % kind):
            query_of({'x': value})
    with pytest.raises(HeliosParameterError, match='is not a parameter name'):
        query_of({'a b': 1})


def _params(**given):
    return dict(dict(path='/api/system/info', method=None, params={}, acts=False, src=None, src_param=None,
                     content_type='application/octet-stream', dest=None), **given)


@pytest.mark.parametrize('given, message', [
    (dict(path='/api/switch/ctrl'), 'acts must be true for switch/ctrl: it acts on the device'),
    (dict(path='/api/system/restart', method='POST'), 'acts must be true for system/restart'),
    (dict(method='PUT'), 'acts must be true for method PUT: PUT changes the device'),
    (dict(src='/etc/hostname', src_param='blob-cfg'), 'acts must be true for an upload (src)'),
    (dict(src='/etc/hostname', src_param='blob-cfg', acts=True, method='POST'), 'src is uploaded with method PUT, not POST'),
    (dict(src='/etc/hostname', src_param='cfg', acts=True), "src_param must be the blob- parameter"),
])
def test_calls_that_act_must_say_so(given, message):
    with pytest.raises(HeliosParameterError, match='^' + message.replace('(', r'\(').replace(')', r'\)')):
        _checked(_params(**given))


def test_method_defaults():
    assert _checked(_params())[:2] == ('system/info', 'GET')
    assert _checked(_params(src='/etc/hostname', src_param='blob-cfg', acts=True, path='config'))[:2] == ('config', 'PUT')
