"""helios_call against emulated intercoms."""

from __future__ import annotations

import pytest
from helios_fleet import FAMILIES, UNKNOWN_OUTCOME


def _calls(device):
    return device.state()['calls']


def test_dial_then_hang_up(device, ansible):
    dialed = ansible(device, 'call', state='dialed', number='sip:1234@10.0.23.194')
    assert dialed.rc == 0, dialed.stdout
    session = dialed.result(device.name)['session']
    assert session['direction'] == 'outgoing' and isinstance(session['session'], int)
    assert [c['session'] for c in _calls(device)] == [session['session']]

    hung_up = ansible(device, 'call', diff=True, state='hung_up', session=session['session'])
    assert hung_up.rc == 0 and hung_up.result(device.name)['changed'] is True
    assert hung_up.result(device.name)['sessions'] == []
    assert '"direction": "outgoing"' in hung_up.stdout and '+    "sessions": []' in hung_up.stdout
    assert _calls(device) == []

    again = ansible(device, 'call', state='hung_up', session=session['session'])
    assert again.rc == 0 and again.result(device.name)['changed'] is False


def test_a_dial_whose_reply_is_lost_is_not_dialled_again(device, ansible):
    device.faults(drop_reply=1, path='/api/call/dial')
    run = ansible(device, 'call', state='dialed', number='5046')
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith('call/dial: the connection to https://')
    assert run.result(device.name)['msg'].endswith(UNKNOWN_OUTCOME)
    assert len(_calls(device)) == 1  # one call placed, not two


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_answer_an_incoming_call_once(device, ansible):
    session = device.incoming_call('5046')
    answered = ansible(device, 'call', state='answered', session=session)
    assert answered.rc == 0, answered.stdout
    assert answered.result(device.name)['changed'] is True
    assert answered.result(device.name)['session'] == {'session': session, 'direction': 'incoming', 'state': 'connected'}
    again = ansible(device, 'call', state='answered', session=session)
    assert again.rc == 0 and again.result(device.name)['changed'] is False


@pytest.mark.parametrize('fault', ['drop_reply', 'drop'])
def test_an_answer_or_hang_up_whose_reply_is_lost_is_confirmed_by_the_call_list(device, ansible, fault):
    # drop_reply: the device acted, and a second request would be refused (code 12). drop: it did not, and the
    # request is sent again.
    session = device.incoming_call('5046')
    device.faults(**{fault: 1, 'path': '/api/call/answer'})
    answered = ansible(device, 'call', state='answered', session=session)
    assert answered.rc == 0, answered.stdout
    assert answered.result(device.name)['session']['state'] == 'connected'
    device.faults(**{fault: 1, 'path': '/api/call/hangup'})
    hung_up = ansible(device, 'call', state='hung_up', session=session)
    assert hung_up.rc == 0 and hung_up.result(device.name)['changed'] is True, hung_up.stdout
    assert _calls(device) == []


@pytest.mark.parametrize('device', FAMILIES, indirect=True)
def test_check_mode_neither_dials_nor_answers_nor_hangs_up(device, ansible):
    session = device.incoming_call('5046')
    for args in ({'state': 'dialed', 'number': '1234'}, {'state': 'answered', 'session': session}, {'state': 'hung_up'}):
        run = ansible(device, 'call', check=True, **args)
        assert run.rc == 0 and run.result(device.name)['changed'] is True, args
    assert [(c['session'], c['state']) for c in _calls(device)] == [(session, 'ringing')]


def test_hang_up_without_session_ends_every_call(device, ansible):
    device.incoming_call('1')
    ansible(device, 'call', state='dialed', number='2')
    run = ansible(device, 'call', state='hung_up')
    assert run.rc == 0 and run.result(device.name)['changed'] is True
    assert _calls(device) == []


def test_bad_sessions_and_options_are_refused(devices, ansible):
    unknown, outgoing, mixed = devices(3)
    ansible(outgoing, 'call', state='dialed', number='2')
    hosts = {unknown.name: unknown.hostvars(state='answered', session=7),
             outgoing.name: outgoing.hostvars(state='answered', session=_calls(outgoing)[0]['session']),
             mixed.name: mixed.hostvars(state='hung_up', number='5')}
    run = ansible(hosts, 'call')
    assert run.rc != 0
    assert run.result(unknown.name)['msg'] == 'session 7 is not an active call; active calls: none'
    assert run.result(outgoing.name)['msg'].endswith('is an outgoing call; only incoming calls can be answered')
    assert run.result(mixed.name)['msg'] == 'number applies to state=dialed only, not state=hung_up'
    missing = ansible(unknown, 'call', state='dialed')
    assert 'state is dialed but all of the following are missing: number' in missing.result(unknown.name)['msg']
