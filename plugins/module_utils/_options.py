# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of option values that Ansible's argument spec cannot state, declared in the option specs themselves.

An option spec (connection options in _connection.py, a task's own in its HeliosTask) may carry, besides Ansible's
keys:

- range: dict(min=, max=, above=, unit=): the bounds of a numeric option (min and max inclusive, above exclusive);
  a YAML boolean given for a number (yes is 1 to Ansible) is refused as well.
- local_path: what a path option names on the host the task runs on: 'file' (a file to read), 'output' (a file to
  write, in a directory that exists), 'directory' (a directory, made when missing).

Every string in every option is refused when it holds a null byte. Ansible never sees these keys (ansible_spec());
check_values() applies them, before any request to the device. Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import math
import os

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError

# The keys of an option spec that are ours, not Ansible's.
OWN_KEYS = ('range', 'local_path')


def ansible_spec(options):
    """The options as Ansible's argument spec validation wants them: without our keys."""
    return dict((name, dict((key, value) for key, value in spec.items() if key not in OWN_KEYS))
                for name, spec in options.items())


def check_values(options, params):
    """HeliosParameterError naming the option when a validated value breaks what its spec declares."""
    for name, spec in options.items():
        value = params.get(name)
        if value is None:
            continue
        _check_null_bytes(name, value)
        if spec.get('range'):
            check_range(name, value, **spec['range'])
        if spec.get('local_path'):
            check_local_path(name, value, spec['local_path'])


def _check_null_bytes(name, value):
    """Refuse a null byte in any string of the value, naming where (settings.Network.Hostname); never the value."""
    pending = [(name, value)]
    while pending:  # no recursion: a tree thousands of levels deep gets the same answer
        where, item = pending.pop()
        if isinstance(item, str):
            if '\0' in item:
                raise HeliosParameterError('%s contains a null byte (\\0), which no device setting, path or name may '
                                           'hold: remove it' % where)
        elif isinstance(item, dict):
            for key, child in item.items():
                below = '%s.%s' % (where, str(key).replace('\0', '\\0'))
                pending.extend(((below, key), (below, child)))
        elif isinstance(item, (list, tuple)):
            pending.extend(('%s[%d]' % (where, index), child) for index, child in enumerate(item))


def describe_range(min=None, max=None, above=None, unit=None):  # pylint: disable=redefined-builtin
    """'between 1 and 65535', 'more than 0 and at most 3600 (seconds)', '0 or more'."""
    if min is not None and max is not None:
        text = 'between %s and %s' % (min, max)
    elif above is not None:
        text = 'more than %s' % above + (' and at most %s' % max if max is not None else '')
    elif min is not None:
        text = '%s or more' % min
    else:
        text = 'at most %s' % max
    return text + (' (%s)' % unit if unit else '')


def check_range(name, value, min=None, max=None, above=None, unit=None):  # pylint: disable=redefined-builtin
    if isinstance(value, bool):
        raise HeliosParameterError('%s must be a number %s, got the YAML boolean %s (yes, no, on and off are read as '
                                   'booleans)' % (name, describe_range(min, max, above, unit), str(value).lower()))
    # Written so that NaN, which compares false with everything, fails each bound.
    inside = ((min is None or value >= min) and (max is None or value <= max) and (above is None or value > above)
              and not (isinstance(value, float) and not math.isfinite(value)))
    if not inside:
        raise HeliosParameterError('%s must be %s, got %s' % (name, describe_range(min, max, above, unit), value))


def check_local_path(name, path, kind):
    """Refuse a path that cannot work, before any request: a missing or unreadable file, a missing directory."""
    if kind == 'file':
        if not os.path.exists(path):
            raise HeliosParameterError('%s: %s does not exist; give the path of an existing file' % (name, path))
        if os.path.isdir(path):
            raise HeliosParameterError('%s: %s is a directory; give the path of a file' % (name, path))
        if not os.access(path, os.R_OK):
            raise HeliosParameterError('%s: %s cannot be read (permission denied); make it readable for the user '
                                       'that runs the task' % (name, path))
    elif kind == 'output':
        if os.path.isdir(path):
            raise HeliosParameterError('%s: %s is a directory; give the path of the file to write' % (name, path))
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise HeliosParameterError('%s: the directory %s does not exist; create it first (for example with '
                                       'ansible.builtin.file state=directory)' % (name, directory))
        if not os.access(directory, os.W_OK | os.X_OK):
            raise HeliosParameterError('%s: the directory %s is not writable for the user that runs the task'
                                       % (name, directory))
    elif kind == 'directory':
        existing = os.path.abspath(path)
        while not os.path.exists(existing):
            existing = os.path.dirname(existing)
        if existing == os.path.abspath(path) and not os.path.isdir(existing):
            raise HeliosParameterError('%s: %s is a file, not a directory; give the path of a directory' % (name, path))
        if not os.path.isdir(existing):
            raise HeliosParameterError('%s: %s cannot be made: %s is a file, not a directory' % (name, path, existing))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise HeliosParameterError('%s: the directory %s is not writable for the user that runs the task'
                                       % (name, existing))
    else:
        raise ValueError('unknown local_path kind %r of option %s' % (kind, name))
