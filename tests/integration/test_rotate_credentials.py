"""twon.helios.rotate_credentials (issue #13, item 5): the collection's own password changes in waves, proven by a
login with the new one, and every device stays reachable with the old or the new password, never neither."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from requests.auth import HTTPDigestAuth

from helios_fleet import ADMIN, FAMILIES, HTTPS_PORT, VIEWER

NEW = 'r0tated-pw'


def logs_in(device, password, username=ADMIN['username']):
    """Whether a Digest login over HTTPS with this password is accepted (None: the device does not answer)."""
    try:
        reply = requests.get('https://%s:%d/api/system/info' % (device.address, HTTPS_PORT), verify=device.fleet.ca_path,
                             auth=HTTPDigestAuth(username, password), timeout=5)
    except requests.RequestException:
        return None
    return reply.status_code == 200 and reply.json().get('success') is True


def hosts_of(*devices):
    return {d.name: d.hostvars(helios_ca_path=d.fleet.ca_path) for d in devices}


def rotate(ansible, hosts, **extra):
    return ansible(hosts, None, playbook='twon.helios.rotate_credentials', helios_rotate_password=NEW,
                   helios_rotate_wait_timeout=20, **extra)


@pytest.mark.parametrize('kind', FAMILIES)
def test_rotation_proves_the_new_password_and_is_idempotent(fleets, ansible, kind):
    fleet = fleets[kind].take(2)
    run = rotate(ansible, hosts_of(*fleet), helios_rotate_accounts=[{'username': VIEWER['username'], 'password': 'v13wer'}])
    assert run.rc == 0, run.stdout
    for device in fleet:
        assert logs_in(device, NEW) is True and logs_in(device, ADMIN['password']) is False
        assert logs_in(device, 'v13wer', VIEWER['username']) is True
        assert '%s: the new password of admin is in force, proven by logging in with it' % device.name in run.stdout
    assert NEW not in run.stdout and 'v13wer' not in run.stdout
    again = rotate(ansible, hosts_of(*fleet))
    assert again.rc == 0 and 'is in force (it already was)' in again.stdout


def test_a_lost_reply_to_the_upload_still_ends_with_the_new_password_proven(device, ansible):
    device.faults(drop_reply=1, path='/api/config', method='PUT')
    run = rotate(ansible, hosts_of(device))
    assert run.rc == 0, run.stdout
    assert logs_in(device, NEW) is True and logs_in(device, ADMIN['password']) is False
    assert NEW not in run.stdout


def test_a_refused_upload_keeps_the_old_password_and_says_so(device, ansible):
    device.faults(http_error=503, path='/api/config', method='PUT')
    run = rotate(ansible, hosts_of(device))
    assert run.rc != 0
    assert logs_in(device, ADMIN['password']) is True and logs_in(device, NEW) is False
    assert '%s: the old password of admin is still in force (the new one is refused)' % device.name in run.stdout
    assert NEW not in run.stdout


def test_a_restart_in_the_middle_is_waited_out_and_one_password_works(device, ansible):
    """The upload is applied, its reply lost, and the device restarts before the role can check."""
    device.faults(drop_reply=1, path='/api/config', method='PUT', restart_extra=2)
    restarted = []

    def restart_once_changed():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not restarted:
            if logs_in(device, NEW):
                requests.get('https://%s:%d/api/system/restart' % (device.address, HTTPS_PORT),
                             verify=device.fleet.ca_path, auth=HTTPDigestAuth(ADMIN['username'], NEW), timeout=5)
                restarted.append(time.monotonic())
            time.sleep(0.01)

    watcher = threading.Thread(target=restart_once_changed)
    watcher.start()
    run = rotate(ansible, hosts_of(device))
    watcher.join()
    assert restarted, 'the device was not restarted in the middle'
    assert run.rc == 0, run.stdout
    # the watcher may have restarted the device only as the role ended: wait until it answers again
    deadline = time.monotonic() + 20
    while logs_in(device, NEW) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert logs_in(device, NEW) is True and logs_in(device, ADMIN['password']) is False


def test_a_refusal_in_one_wave_stops_the_next_wave(devices, ansible):
    first, second = devices(2)
    first.faults(http_error=503, path='/api/config', method='PUT')
    run = rotate(ansible, hosts_of(first, second), helios_wave_size=1)
    assert run.rc != 0
    assert logs_in(first, ADMIN['password']) is True and logs_in(second, ADMIN['password']) is True
    assert logs_in(second, NEW) is False


def test_the_account_may_come_from_the_environment_as_for_the_modules(devices, ansible):
    """HELIOS_USERNAME and HELIOS_PASSWORD (as AWX/AAP credentials inject them) name the account that rotates."""
    device, = devices(1)
    hostvars = device.hostvars(helios_ca_path=device.fleet.ca_path)
    del hostvars['helios_username'], hostvars['helios_password']
    run = rotate(ansible, {device.name: hostvars},
                 env={'HELIOS_USERNAME': ADMIN['username'], 'HELIOS_PASSWORD': ADMIN['password']})
    assert run.rc == 0, run.stdout
    assert logs_in(device, NEW) is True and logs_in(device, ADMIN['password']) is False
    assert '%s: the new password of admin is in force, proven by logging in with it' % device.name in run.stdout
    assert NEW not in run.stdout
    # with the new password in the environment, a second run finds it in force
    again = rotate(ansible, {device.name: hostvars}, env={'HELIOS_USERNAME': ADMIN['username'], 'HELIOS_PASSWORD': NEW})
    assert again.rc == 0 and 'is in force (it already was)' in again.stdout, again.stdout


def test_without_an_account_anywhere_the_role_says_where_to_give_it(device, ansible):
    hostvars = device.hostvars(helios_ca_path=device.fleet.ca_path)
    del hostvars['helios_username'], hostvars['helios_password']
    run = rotate(ansible, {device.name: hostvars})
    assert run.rc != 0
    assert ('the account whose password changes: set helios_username and helios_password (inventory variables) or '
            'the HELIOS_USERNAME and HELIOS_PASSWORD environment variables') in run.stdout, run.stdout
    assert logs_in(device, ADMIN['password']) is True
