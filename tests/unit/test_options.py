"""The checks option specs declare (module_utils/_options.py): ranges, local paths, null bytes."""

from __future__ import annotations

import os

import pytest

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._options import ansible_spec, check_values
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

SECONDS = dict(type='int', range=dict(min=1, max=86400, unit='seconds'))


@pytest.mark.parametrize('spec, value, message', [
    (SECONDS, -5, 'wait_timeout must be between 1 and 86400 (seconds), got -5'),
    (SECONDS, 86401, 'wait_timeout must be between 1 and 86400 (seconds), got 86401'),
    (SECONDS, True, 'wait_timeout must be a number between 1 and 86400 (seconds), got the YAML boolean true'),
    (dict(type='int', range=dict(min=1)), 0, 'wait_timeout must be 1 or more, got 0'),
    (dict(type='float', range=dict(above=0, max=3600)), 0.0, 'wait_timeout must be more than 0 and at most 3600, got 0.0'),
    (dict(type='float', range=dict(above=0, max=3600)), float('nan'), 'got nan'),
    (dict(type='float', range=dict(above=0)), float('inf'), 'wait_timeout must be more than 0, got inf'),
])
def test_numbers_out_of_range_are_refused_naming_the_range(spec, value, message):
    with pytest.raises(HeliosParameterError) as refused:
        check_values(dict(wait_timeout=spec), dict(wait_timeout=value))
    assert message in str(refused.value)


def test_numbers_in_range_and_unset_options_pass():
    check_values(dict(wait_timeout=SECONDS, other=SECONDS), dict(wait_timeout=1, other=None))
    check_values(dict(wait_timeout=SECONDS), dict(wait_timeout=86400))


def test_null_bytes_are_refused_anywhere_in_a_value_without_showing_it():
    with pytest.raises(HeliosParameterError, match=r'^password contains a null byte') as refused:
        check_values(dict(password=dict(type='str', no_log=True)), dict(password='s3cr\x00t'))
    assert 's3cr' not in str(refused.value)
    with pytest.raises(HeliosParameterError, match=r'^settings\.Phone\.Sip\[0\]\.Password contains a null byte'):
        check_values(dict(settings=dict(type='dict')), dict(settings={'Phone': {'Sip': [{'At': 0, 'Password': 'a\x00'}]}}))


def test_local_paths_are_checked_before_any_request(tmp_path):
    a_file = tmp_path / 'a-file'
    a_file.write_text('x')
    cases = [
        ('file', tmp_path / 'missing.fw', 'src: %s does not exist; give the path of an existing file' % (tmp_path / 'missing.fw')),
        ('file', tmp_path, 'src: %s is a directory; give the path of a file' % tmp_path),
        ('output', tmp_path / 'missing' / 'a.jpg', 'src: the directory %s does not exist; create it first' % (tmp_path / 'missing')),
        ('output', tmp_path, 'src: %s is a directory; give the path of the file to write' % tmp_path),
        ('directory', a_file, 'src: %s is a file, not a directory' % a_file),
        ('directory', a_file / 'below', 'src: %s cannot be made: %s is a file, not a directory' % (a_file / 'below', a_file)),
    ]
    for kind, path, message in cases:
        with pytest.raises(HeliosParameterError) as refused:
            check_values(dict(src=dict(type='path', local_path=kind)), dict(src=str(path)))
        assert str(refused.value).startswith(message), (kind, path)
    for kind, path in (('file', a_file), ('output', tmp_path / 'new.jpg'), ('directory', tmp_path / 'new' / 'dir')):
        check_values(dict(src=dict(type='path', local_path=kind)), dict(src=str(path)))
    assert not os.path.exists(tmp_path / 'new')  # checking makes nothing


def test_ansible_never_sees_the_keys_of_these_checks():
    task = HeliosTask(lambda *args: {}, dict(wait_timeout=SECONDS, src=dict(type='path', local_path='file')))
    spec = task.argument_spec
    assert spec['wait_timeout'] == dict(type='int') and spec['src'] == dict(type='path')
    assert 'range' not in spec['port'] and 'range' not in spec['timeout']
    assert ansible_spec(dict(a=dict(type='int', range=dict(min=0)))) == dict(a=dict(type='int'))
