"""twon.helios.helios_events driven in asyncio (main(queue, args)) against emulated intercoms over HTTPS + Digest."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from conftest import raise_event, restart, source_args
from helios_fleet import HTTP_PORT, HTTPS_PORT


def wait_subscribed(device, channels=1, timeout=15):
    """Until the device holds the source's channel(s) (the emulator's state counts them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = device.state().get('log') or {}
        if log.get('channels', 0) >= channels:
            return log
        time.sleep(0.05)
    raise AssertionError('%s: the source did not subscribe within %s s' % (device.address, timeout))


def keys(events):
    return [(e['device']['name'], e['id'], e['utc_time'] - e['up_time']) for e in events]


def test_an_event_carries_the_device_its_type_params_and_times(fleets, running_source):
    device = fleets['eda_current'].take()[0]
    with running_source(source_args([device])) as source:
        wait_subscribed(device)
        before = time.time()
        raised = raise_event(device, 'UnauthorizedDoorOpen', door=1)
        event, = source.collect(1)
    assert event['device'] == dict(name=device.name, host=device.address, port=HTTPS_PORT, protocol='https',
                                   url='https://%s:%d' % (device.address, HTTPS_PORT))
    assert (event['type'], event['id']) == ('UnauthorizedDoorOpen', raised)
    assert event['params'].get('door') == 1
    assert abs(event['utc_time'] - before) <= 2 and event['time'].endswith('Z')
    assert event['up_time'] >= 0 and event['received'] >= before
    assert '2n' not in repr(event) and 'password' not in repr(event)


def test_one_source_watches_many_intercoms_at_once(fleets, running_source):
    devices = fleets['eda_current'].take(6)
    with running_source(source_args(devices)) as source:
        for device in devices:
            wait_subscribed(device)
        for device in devices:
            raise_event(device, 'TamperSwitchActivated')
        events = source.collect(6)
    assert sorted(e['device']['name'] for e in events) == sorted(d.name for d in devices)
    assert {e['type'] for e in events} == {'TamperSwitchActivated'}


def test_events_from_before_the_start_only_with_history(fleets, running_source):
    device, other = fleets['eda_current'].take(2)
    old = raise_event(device, 'DoorStateChanged', door=1, state='opened')
    raise_event(other, 'DoorStateChanged', door=1, state='opened')
    with running_source(source_args([device])) as source:
        wait_subscribed(device)
        new = raise_event(device, 'DoorStateChanged', door=1, state='closed')
        events = source.collect(1)
        assert source.quiet(1) == []
    assert [e['id'] for e in events] == [new] and old < new
    with running_source(source_args([other], history=True, events=['DoorStateChanged'])) as source:
        events = source.collect(1)
    assert events[0]['params']['state'] == 'opened'


def test_a_restart_mid_stream_loses_nothing_and_repeats_nothing(fleets, running_source):
    device = fleets['eda_current'].take()[0]
    with running_source(source_args([device])) as source:
        wait_subscribed(device)
        first = [raise_event(device, 'CodeEntered' if i % 2 else 'DoorStateChanged', **(
            dict(code='1234') if i % 2 else dict(door=1, state='opened'))) for i in range(5)]
        got = source.collect(5)
        restart(device)
        # raised at once, before the source can have subscribed again (it backs off at least 50 ms): only the
        # device's history has them
        second = [raise_event(device, 'UnauthorizedDoorOpen', door=1) for dummy in range(5)]
        got += source.collect(7)  # the new boot's DeviceState startup and SIP registration, and the five
        got += source.quiet(1.5)
    events = [e for e in got if e['kind'] == 'event']
    assert len(keys(events)) == len(set(keys(events))), 'delivered twice: %r' % events
    assert [e['id'] for e in events if e['type'] not in ('DeviceState', 'RegistrationStateChanged')] == first + second
    assert [e['params'] for e in events if e['type'] == 'DeviceState'] == [{'state': 'startup'}]


def test_a_lost_channel_is_resubscribed_without_duplicates(fleets, running_source):
    device = fleets['eda_current'].take()[0]
    with running_source(source_args([device])) as source:
        wait_subscribed(device)
        ids = [raise_event(device, 'MotionDetected', state='in')]
        source.collect(1)
        # the connection of every log request is closed: the pending pull ends with the next event, then the
        # channel is lost until the fault is cleared; its events stay in the device's history
        device.faults(drop=-1, path='/api/log')
        ids += [raise_event(device, 'MotionDetected', state='in') for dummy in range(4)]
        time.sleep(1)
        device.faults(drop=0)
        got = source.collect(4, timeout=20)
        got += [e for e in source.quiet(1.5) if e['kind'] == 'event']
    delivered = [e['id'] for e in got]
    assert sorted(delivered) == ids[1:] and len(set(delivered)) == len(delivered)
    kinds = [e['kind'] for e in source.others]
    assert kinds.count('unreachable') == 1 and kinds.count('reachable') == 1


def test_a_history_that_overflowed_is_reported_as_a_gap(fleets, running_source):
    device = fleets['eda_short_history'].take()[0]  # the device keeps its last 5 events
    with running_source(source_args([device])) as source:
        wait_subscribed(device)
        device.faults(drop=-1, path='/api/log')
        last = raise_event(device, 'SilentAlarm', state='in')
        assert source.collect(1)[0]['id'] == last
        lost = [raise_event(device, 'SilentAlarm', state='in') for dummy in range(8)]
        time.sleep(0.5)
        device.faults(drop=0)
        gap, = source.collect(1, kind='gap')
        kept = source.collect(5)
    assert (gap['first_missing_id'], gap['last_missing_id']) == (last + 1, lost[2])
    assert 'may be lost' in gap['message']
    assert [e['id'] for e in kept] == lost[3:]


def test_a_restart_whose_first_events_overflowed_is_reported_as_a_gap(fleets, running_source):
    device = fleets['eda_short_history'].take()[0]  # the device keeps its last 5 events
    # the source retries 1.5-3 s after the restart cut its long poll: the device is back after 0.5 s
    with running_source(source_args([device], backoff_initial=3, backoff_max=3)) as source:
        wait_subscribed(device)
        before = raise_event(device, 'SilentAlarm', state='in')
        assert source.collect(1)[0]['id'] == before
        # a real intercom's restart takes tens of seconds: its boots are told apart by time (utcTime - upTime) even
        # when the new boot's DeviceState startup is no longer in the history; here the old boot lasts 4 s at least
        while device.state()['upTime'] < 4:
            time.sleep(0.2)
        restart(device)
        # the new boot: DeviceState startup (1), SIP registration (2), then these; the history keeps the last 5
        ids = [raise_event(device, 'SilentAlarm', state='in') for dummy in range(6)]
        gap, = source.collect(1, kind='gap', timeout=20)
        kept = source.collect(5)
    assert (gap['first_missing_id'], gap['last_missing_id']) == (1, ids[1] - 1)
    assert 'restarted' in gap['message']
    assert [e['id'] for e in kept] == ids[1:]


def test_firmware_without_the_logging_service_is_reported_once_and_left_alone(fleets, running_source):
    device = fleets['eda_legacy'].take()[0]  # 2.11: log/subscribe answers error 2
    with running_source(source_args([device])) as source:
        report = source.get(15)['helios']
        requests_then = device.state()['traffic']['requests']
        assert source.quiet(1.5) == []
        assert device.state()['traffic']['requests'] == requests_then
    assert report['kind'] == 'unsupported' and report['device']['name'] == device.name
    assert 'no Logging service' in report['message'] and 'error 2' in report['message']


def test_an_unreachable_intercom_is_retried_with_backoff(running_source):
    # something that accepts connections and closes them at once: each attempt is counted
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(64)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    attempts, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, dummy = listener.accept()
            except OSError:
                continue
            attempts.append(time.monotonic())
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    args = dict(intercoms=[dict(host='127.0.0.1', name='flaky', port=port)], protocol='http', username='admin',
                password='2n', backoff_initial=0.2, backoff_max=0.8)
    try:
        with running_source(args) as source:
            report = source.get(10)['helios']
            more = source.quiet(3)
    finally:
        stop.set()
        thread.join(2)
        listener.close()
    assert report['kind'] == 'unreachable' and report['device']['name'] == 'flaky'
    assert more == []  # reported once per outage
    # aiohttp tries a request whose connection was closed at once a second time: one attempt, two connections
    attempts = [at for index, at in enumerate(attempts) if index == 0 or at - attempts[index - 1] > 0.05]
    # 0.2 s doubling to at most 0.8 s, each 50-100 % of it: 4 to 10 attempts in about 3 s; no retry storm
    assert 3 <= len(attempts) <= 12, attempts
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    assert max(gaps) >= 0.35 and min(gaps) >= 0.09, gaps


@pytest.mark.parametrize('args, message', [
    (dict(intercoms=['127.0.0.1'], port=70000), 'port must be between 1 and 65535, got 70000'),
    (dict(intercoms=['http://127.0.0.1']), 'host must be a DNS name'),
    (dict(intercoms=['127.0.0.1'], protocol='ftp'), 'protocol must be one of: https, http'),
    (dict(intercoms=['127.0.0.1'], inventory='x.yml'), 'set exactly one of intercoms'),
    (dict(intercoms=['127.0.0.1'], ca_path='/nonexistent/ca.pem', password='s3cr3t'), 'ca_path: /nonexistent'),
    (dict(intercoms=['127.0.0.1'], pulltimeout=3), 'unknown option pulltimeout'),
    (dict(intercoms=[{'address': '127.0.0.1'}]), 'intercoms[0] has no host'),
])
def test_bad_arguments_are_refused_naming_the_option(helios_events, args, message):
    with pytest.raises(helios_events.SourceError) as refused:
        helios_events.devices_from_args(args)
    assert message in str(refused.value)
    assert 's3cr3t' not in str(refused.value)


def test_an_inventory_names_the_intercoms_and_their_connection(helios_events, tmp_path, monkeypatch):
    (tmp_path / 'group_vars').mkdir()
    (tmp_path / 'hosts.yml').write_text(
        'intercoms:\n  hosts:\n    door-1: {ansible_host: 127.0.0.5}\n    door-2: {helios_host: 127.0.0.6, '
        'helios_port: 8443}\nothers:\n  hosts:\n    printer: {ansible_host: 127.0.0.9}\n')
    (tmp_path / 'group_vars' / 'intercoms.yml').write_text(
        'helios_username: monitor\nhelios_password: "{{ \'p\' ~ \'w\' }}"\nhelios_validate_certs: false\n')
    monkeypatch.setenv('HELIOS_TIMEOUT', '4')
    settings, devices = helios_events.devices_from_args(dict(inventory=str(tmp_path / 'hosts.yml'), hosts='intercoms'))
    assert [(name, p['host'], p['port'], p['username'], p['password'], p['validate_certs'], p['timeout'])
            for name, p in devices] == [('door-1', '127.0.0.5', 443, 'monitor', 'pw', False, 4.0),
                                        ('door-2', '127.0.0.6', 8443, 'monitor', 'pw', False, 4.0)]


def test_a_refused_account_is_reported_once_without_its_password(fleets, running_source):
    device = fleets['eda_current'].take()[0]
    with running_source(source_args([device], password='not-the-password')) as source:
        report = source.get(15)['helios']
        assert source.quiet(1.5) == []
    assert report['kind'] == 'error' and report['device']['name'] == device.name
    assert "refused the account 'admin'" in report['message']
    assert 'not-the-password' not in repr(report)


def test_auth_method_auto_adopts_the_devices_scheme(fleets, running_source):
    device = fleets['eda_current'].take()[0]
    with running_source(source_args([device], auth_method='auto')) as source:
        wait_subscribed(device)
        raised = raise_event(device, 'TamperSwitchActivated')
        event, = source.collect(1)
    assert event['id'] == raised


def test_auth_method_auto_sends_no_password_in_clear_text_unless_allowed(fleets, running_source):
    device, allowed = fleets['eda_basic'].take(2)
    http = dict(auth_method='auto', protocol='http', port=HTTP_PORT)
    with running_source(source_args([device], **http)) as source:
        report = source.get(15)['helios']
        assert source.quiet(1) == []
    assert report['kind'] == 'error' and 'would send the password in clear text, so it was not sent' in report['message']
    assert device.state()['log']['channels'] == 0
    with running_source(source_args([allowed], allow_basic_over_http=True, **http)) as source:
        wait_subscribed(allowed)
        raised = raise_event(allowed, 'TamperSwitchActivated')
        event, = source.collect(1)
    assert event['id'] == raised


def test_an_inventory_variable_that_cannot_be_read_is_named(helios_events, tmp_path):
    (tmp_path / 'hosts.yml').write_text(
        'intercoms:\n  hosts:\n    door-1: {ansible_host: 127.0.0.5, helios_password: "{{ nowhere_defined }}"}\n')
    with pytest.raises(helios_events.SourceError) as refused:
        helios_events.devices_from_args(dict(inventory=str(tmp_path / 'hosts.yml')))
    assert 'inventory host door-1: its variable helios_password cannot be read' in str(refused.value)
