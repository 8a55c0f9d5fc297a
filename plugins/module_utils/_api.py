# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_api: call any HTTP API function of the device by its path, for what no module wraps.

The user says whether the call acts (acts): a read is retried like every read and runs in check mode; a call that
acts is sent once (not repeated once the device may have had it) and never in check mode.

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import hashlib
import os
import re

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosError, HeliosParameterError
from ansible_collections.twon.helios.plugins.module_utils._files import sha256_of_file, write_atomically
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask

METHODS = ('GET', 'POST', 'PUT', 'DELETE')
# What the HTTP API calls a function: names of letters, digits, - and _ between single slashes (system/info).
_FUNCTION = re.compile(r'[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*')
_PARAM_NAME = re.compile(r'[A-Za-z0-9_.-]+')
# Longest path value a message shows whole.
_SHOWN_LENGTH = 100
# Functions this collection knows to act on the device with any method (manual chapter 5, and the latest manual
# for those of current firmware, among them the ones that open doors: access points, lifts): acts=false is refused
# for them, so that check mode never sends them. A safety net, not a complete list: acts is the user's to give.
# PUT and DELETE (configuration, firmware, display image) always act and are refused with acts=false by method.
ACTING_FUNCTIONS = frozenset((
    'system/restart', 'firmware/apply', 'config/factoryreset', 'switch/ctrl', 'io/ctrl', 'call/dial', 'call/answer',
    'call/hangup', 'audio/test', 'email/send', 'log/subscribe', 'log/pull', 'log/unsubscribe',
    'accesspoint/grantaccess', 'accesspoint/blocking/ctrl', 'lift/grantaccess', 'dir/create', 'dir/update',
    'dir/delete', 'pcap/restart', 'pcap/stop',
))
# Why an upload whose reply was lost fails (HeliosClient.upload sends it once).
UPLOAD_OUTCOME_UNKNOWN = ('an upload acts on the device, so it was not repeated: the device may or may not have taken '
                          'it, check it before you run the task again')


def _shown(value):
    return repr(value[:_SHOWN_LENGTH]) + ('...' if len(value) > _SHOWN_LENGTH else '')


def function_of(path):
    """The function a path names (/api/system/info, api/system/info or system/info -> system/info);
    HeliosParameterError for anything else: the path is put after the device's address in the request's URL, so a
    scheme, a host, a query, '..' or an empty segment would change where the request goes."""
    function = path[len('/api/'):] if path.startswith('/api/') else path[len('api/'):] if path.startswith('api/') else path
    if not _FUNCTION.fullmatch(function):
        raise HeliosParameterError(
            'path must name an HTTP API function of the device: /api/ and the function, such as /api/system/info '
            '(letters, digits, - and _ between single slashes; no scheme, host, port, query or ..), got %s'
            % _shown(path))
    return function


def query_of(params):
    """The call's simple parameters as the device reads them: strings, booleans as true and false."""
    query = {}
    for name, value in params.items():
        if not _PARAM_NAME.fullmatch(str(name)):
            raise HeliosParameterError('params: %s is not a parameter name (letters, digits, ., - and _)' % _shown(str(name)))
        if name.startswith('blob-'):
            raise HeliosParameterError('params.%s: a blob- parameter is a file to upload: set src to the file and '
                                       'src_param to %s' % (name, name))
        if isinstance(value, bool):
            query[name] = 'true' if value else 'false'
        elif isinstance(value, (str, int, float)):
            query[name] = str(value)
        else:
            kind = 'null' if value is None else 'a list' if isinstance(value, list) else 'a dict' if isinstance(value, dict) else type(value).__name__
            raise HeliosParameterError('params.%s must be a string, a number or a boolean, got %s' % (name, kind))
    return query


def _checked(params):
    """(function, method, query), or HeliosParameterError naming the option: before any request."""
    function = function_of(params['path'])
    method = params['method'] or ('PUT' if params['src'] else 'GET')
    query = query_of(params['params'] or {})
    if params['src'] is not None:
        if method != 'PUT':
            raise HeliosParameterError('src is uploaded with method PUT, not %s: set method to PUT or leave it out' % method)
        if not params['src_param'].startswith('blob-'):
            raise HeliosParameterError('src_param must be the blob- parameter the function takes the file as, such as '
                                       'blob-cfg, blob-fw or blob-image; got %s' % _shown(params['src_param']))
    if not params['acts']:
        if params['src'] is not None or method in ('PUT', 'DELETE'):
            raise HeliosParameterError('acts must be true for %s: %s changes the device (check mode then sends '
                                       'nothing)' % ('an upload (src)' if params['src'] else 'method ' + method,
                                                     'an upload' if params['src'] else method))
        if function in ACTING_FUNCTIONS:
            raise HeliosParameterError('acts must be true for %s: it acts on the device (check mode then sends '
                                       'nothing, and a call whose reply is lost is not repeated)' % function)
    return function, method, query


def _saved(function, reply, dest, check_mode, sent_acting):
    """The result keys of a reply that is not JSON, written to dest (when it differs) unless in check mode."""
    if dest is None:
        raise HeliosError('%s: the device replied with %s data (%d bytes), not JSON: set dest to save it to a file '
                          '(such a reply is never put in the result: it may hold secrets, as the configuration does)%s'
                          % (function, reply.content_type or 'untyped', len(reply.content),
                             '; the call was sent and has acted' if sent_acting else ''), changed=sent_acting)
    checksum = hashlib.sha256(reply.content).hexdigest()
    written = checksum != sha256_of_file(dest)
    if written and not check_mode:
        write_atomically(dest, reply.content)
    return written, dict(dest=dest, checksum=checksum, size=len(reply.content), content_type=reply.content_type)


def run(params, client, check_mode, diff):
    function, method, query = _checked(params)
    acts = params['acts']
    result = dict(path='/api/' + function, method=method, sent=False)
    if acts and check_mode:
        return dict(result, changed=True)  # what it would do; an acting call is never sent in check mode
    if params['src'] is not None:
        reply_result = client.upload(function, params['src_param'], params['src'], os.path.basename(params['src']),
                                     params['content_type'], unknown_outcome=UPLOAD_OUTCOME_UNKNOWN, params=query)
        return dict(result, changed=True, sent=True, result=reply_result)
    reply = client.call(method, function, acts, query)
    result.update(changed=acts, sent=True)
    if reply.content is None:
        return dict(result, result=reply.result)
    written, saved = _saved(function, reply, params['dest'], check_mode, acts)
    return dict(result, changed=acts or written, **saved)


TASK = HeliosTask(run, dict(
    path=dict(type='str', required=True),
    method=dict(type='str', choices=list(METHODS)),
    params=dict(type='dict', default={}),
    acts=dict(type='bool', required=True),
    src=dict(type='path', local_path='file'),
    src_param=dict(type='str'),
    content_type=dict(type='str', default='application/octet-stream'),
    dest=dict(type='path', local_path='output'),
), required_together=[('src', 'src_param')])
