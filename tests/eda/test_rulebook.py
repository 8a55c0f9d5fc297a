"""The real ansible-rulebook with the example rulebook twon.helios.door_alarm: an intercom's door is forced open,
the source delivers the event, the rule runs the collection's playbook, and the intercom shows that it ran."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time

import requests
from conftest import HERE, raise_event, restart
from helios_fleet import ADMIN, BIN, HTTPS_PORT
from requests.auth import HTTPDigestAuth
from test_source import wait_subscribed


def api(device, function, **params):
    reply = requests.get('https://%s:%d/api/%s' % (device.address, HTTPS_PORT, function), params=params,
                         auth=HTTPDigestAuth(ADMIN['username'], ADMIN['password']), verify=device.fleet.ca_path,
                         timeout=10)
    body = reply.json()
    assert body['success'], body
    return body.get('result')


def rulebook_environment(collections_path, home):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(('HELIOS_', 'ANSIBLE_'))}
    environ.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(home), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCAL_TEMP=str(home / 'tmp'), PATH='%s:%s' % (BIN, environ.get('PATH', '')))
    return environ


@contextlib.contextmanager
def rulebook_running(arguments, collections_path, tmp_path):
    """ansible-rulebook with these arguments, its output in tmp_path/rulebook.log; stopped at the end."""
    log = tmp_path / 'rulebook.log'
    with log.open('w') as output:
        process = subprocess.Popen([str(BIN / 'ansible-rulebook')] + arguments,
                                   env=rulebook_environment(collections_path, tmp_path / 'home'), cwd=tmp_path,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_door_forced_open_runs_the_playbook(fleets, collections_path, tmp_path):
    device, bystander = fleets['eda_current'].take(2)
    for door in (device, bystander):
        api(door, 'switch/ctrl', switch=2, action='on')  # switch 2 (bistable) holds the door unlocked
    snapshots = tmp_path / 'snapshots'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps({'intercoms': {
        'hosts': {d.name: {'ansible_host': d.address} for d in (device, bystander)},
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'helios_port': HTTPS_PORT, 'helios_username': ADMIN['username'], 'helios_password': ADMIN['password'],
                 'helios_ca_path': device.fleet.ca_path, 'helios_alarm_switch': 2,
                 'helios_alarm_snapshot_dir': str(snapshots), 'helios_alarm_snapshot_width': 320,
                 'helios_alarm_snapshot_height': 240}}}))
    variables = tmp_path / 'vars.yml'
    variables.write_text(json.dumps({'helios_inventory': str(inventory)}))
    arguments = ['--rulebook', 'twon.helios.door_alarm', '-i', str(inventory), '--vars', str(variables),
                 '--print-events']
    with rulebook_running(arguments, collections_path, tmp_path) as (process, log):
        wait_subscribed(device, timeout=90)
        assert process.poll() is None, log.read_text()
        raised = raise_event(device, 'UnauthorizedDoorOpen', door=1)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if device.switch_active(2) is False and list(snapshots.glob('*.jpg')):
                break
            time.sleep(0.25)
        output = log.read_text()
        assert device.switch_active(2) is False, 'the switch was not made safe:\n' + output[-6000:]
        pictures = list(snapshots.glob('*.jpg'))
        assert [p.name for p in pictures] == ['%s-UnauthorizedDoorOpen-%d.jpg' % (device.name, raised)], output[-6000:]
        assert pictures[0].read_bytes()[:2] == b'\xff\xd8'  # a JPEG
        assert bystander.switch_active(2) is True  # only the intercom whose door was forced
        assert ADMIN['password'] + '"' not in output and "'%s'" % ADMIN['password'] not in output


def test_a_restart_mid_stream_loses_and_repeats_no_event_in_the_rulebook(fleets, collections_path, tmp_path):
    """The real ansible-rulebook with a rulebook that prints each code entered: codes entered before a restart and
    right after it (before the source can subscribe again: only the new boot's history holds them) each reach a rule
    exactly once."""
    device = fleets['eda_current'].take()[0]
    variables = tmp_path / 'vars.yml'
    variables.write_text(json.dumps(dict(
        helios_test_intercoms=[dict(host=device.address, name=device.name)], helios_test_port=HTTPS_PORT,
        helios_test_username=ADMIN['username'], helios_test_password=ADMIN['password'],
        helios_test_ca_path=device.fleet.ca_path)))
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps({'all': {'hosts': {'localhost': {'ansible_connection': 'local'}}}}))
    marker = re.compile(r'counted %s (\d+)' % re.escape(device.name))

    def counted(expected, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            codes = marker.findall(log.read_text())
            if len(codes) >= expected:
                return codes
            time.sleep(0.2)
        raise AssertionError('%d of %d codes counted:\n%s' % (
            len(marker.findall(log.read_text())), expected, log.read_text()[-6000:]))

    arguments = ['--rulebook', str(HERE / 'rulebooks' / 'count_codes.yml'), '-i', str(inventory), '--vars',
                 str(variables)]
    with rulebook_running(arguments, collections_path, tmp_path) as (process, log):
        wait_subscribed(device, timeout=90)
        before = ['%d' % code for code in range(1001, 1006)]
        for code in before:
            raise_event(device, 'CodeEntered', code=code)
        counted(len(before))
        restart(device)
        after = ['%d' % code for code in range(1006, 1011)]
        for code in after:
            raise_event(device, 'CodeEntered', code=code)
        counted(len(before) + len(after))
        time.sleep(2)  # a duplicate would come now, with the source's next pulls
        assert marker.findall(log.read_text()) == before + after, log.read_text()[-6000:]
        assert process.poll() is None, log.read_text()[-6000:]
