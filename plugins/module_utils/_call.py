# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""helios_call: dial, answer and hang up calls (manual 5.15-5.18).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError, HeliosUnknownOutcome
from ansible_collections.twon.helios.plugins.module_utils._task import HeliosTask, with_diff


def _sessions(client):
    return client.get('call/status')['sessions']


def _act_on(client, function, call, done):
    """Send function for the call once; when its reply is lost, the device's calls tell whether it acted.

    Sent again only when it did not: a second answer or hang-up of the same call is refused by the device.
    """
    try:
        client.act(function, session=call['session'])
    except HeliosUnknownOutcome:
        if not done(next((s for s in _sessions(client) if s['session'] == call['session']), None)):
            client.act(function, repeatable=True, session=call['session'])


def _describe(sessions):
    return ', '.join('%s (%s, %s)' % (s['session'], s['direction'], s['state']) for s in sessions) or 'none'


def _dial(params, client, check_mode, sessions):
    # call/status does not tell whom a call is to, so a dial cannot know it was already done: it always acts.
    if check_mode:
        return True, None, sessions + [dict(session=None, direction='outgoing', state='connecting')]
    number = client.act('call/dial', number=params['number'])['session']
    after = _sessions(client)
    return True, next((s for s in after if s['session'] == number), dict(session=number)), after


def _answer(params, client, check_mode, sessions):
    call = next((s for s in sessions if s['session'] == params['session']), None)
    if call is None:
        raise HeliosParameterError('session %d is not an active call; active calls: %s' % (params['session'], _describe(sessions)))
    if call['direction'] != 'incoming':
        raise HeliosParameterError('session %d is an outgoing call; only incoming calls can be answered' % call['session'])
    if call['state'] == 'connected':
        return False, call, sessions
    if check_mode:
        answered = dict(call, state='connected')
        return True, answered, [answered if s is call else s for s in sessions]
    _act_on(client, 'call/answer', call, lambda now: now is not None and now['state'] == 'connected')
    after = _sessions(client)
    return True, next((s for s in after if s['session'] == call['session']), dict(call, state='connected')), after


def _hang_up(params, client, check_mode, sessions):
    """Hang up the session, or every active call when no session is given; a call already gone is no change."""
    targets = [s for s in sessions if params['session'] in (None, s['session'])]
    if check_mode or not targets:
        return bool(targets), None, [s for s in sessions if s not in targets]
    for call in targets:
        _act_on(client, 'call/hangup', call, lambda now: now is None)
    return True, None, _sessions(client)


ACTIONS = {'dialed': _dial, 'answered': _answer, 'hung_up': _hang_up}


def _check_options(params):
    if params['number'] is not None and params['state'] != 'dialed':
        raise HeliosParameterError('number applies to state=dialed only, not state=%s' % params['state'])
    if params['session'] is not None and params['state'] == 'dialed':
        raise HeliosParameterError('session applies to state=answered and state=hung_up, not state=dialed')


def run(params, client, check_mode, diff):
    _check_options(params)
    before = _sessions(client)
    changed, session, after = ACTIONS[params['state']](params, client, check_mode, before)
    result = dict(changed=changed, session=session, sessions=after)
    return with_diff(result, diff, dict(sessions=before), dict(sessions=after))


TASK = HeliosTask(run, dict(
    state=dict(type='str', required=True, choices=list(ACTIONS)),
    number=dict(type='str'),
    session=dict(type='int', range=dict(min=1)),
), required_if=[('state', 'dialed', ('number',)), ('state', 'answered', ('session',))])
