"""helios_email against emulated intercoms: current firmware sends each run (the emulator records what it sent);
2.11 lacks the function."""

from __future__ import annotations

from helios_fleet import UNKNOWN_OUTCOME

MAIL = dict(to='frontdesk@example.com', subject='Door serviced', body='<b>done</b>')


def _emails(device):
    return device.state()['emails']


def test_each_run_sends_the_message_and_reports_changed(fleets, ansible):
    device = fleets['current'].take()[0]
    run = ansible(device, 'email', picture_count=2, time_span=3, width=640, height=480, **MAIL)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True and run.result(device.name)['sent'] is True
    sent = _emails(device)
    assert [(m['to'], m['subject'], m['body'], m['pictureCount'], m['timeSpan'], m['resolution']) for m in sent] == [
        ('frontdesk@example.com', 'Door serviced', '<b>done</b>', 2, 3, [640, 480])]
    # sending is an event, not a state: a second run sends a second message, and says so
    again = ansible(device, 'email', **MAIL)
    assert again.rc == 0 and again.result(device.name)['changed'] is True
    assert len(_emails(device)) == 2 and _emails(device)[1]['pictureCount'] == 0


def test_check_mode_sends_nothing(fleets, ansible):
    device = fleets['current'].take()[0]
    run = ansible(device, 'email', check=True, **MAIL)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['changed'] is True and run.result(device.name)['sent'] is False
    assert _emails(device) == []


def test_a_resolution_the_camera_lacks_is_refused_before_sending(fleets, ansible):
    device = fleets['current'].take()[0]
    run = ansible(device, 'email', picture_count=1, width=123, height=45, **MAIL)
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith(
        'width and height 123x45 are not a resolution the camera supports; supported: ')
    assert _emails(device) == []


def test_a_lost_reply_is_not_sent_again(fleets, ansible):
    device = fleets['current'].take()[0]
    device.faults(drop_reply=1, path='/api/email/send')
    run = ansible(device, 'email', **MAIL)
    assert run.rc != 0
    assert run.result(device.name)['msg'].endswith(UNKNOWN_OUTCOME)
    assert len(_emails(device)) == 1  # sent once, not twice


def test_2_11_firmware_fails_naming_the_function_and_version(device, ansible):
    run = ansible(device, 'email', **MAIL)
    assert run.rc != 0 and 'Traceback' not in run.stdout
    assert run.result(device.name)['msg'] == ('helios_email needs firmware with /api/email/send (current firmware); '
                                              'this device runs 2.11.0.22.1')
    assert run.result(device.name)['changed'] is False
