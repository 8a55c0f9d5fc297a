"""helios_info against emulated intercoms."""

from __future__ import annotations

import pytest
from helios_fleet import VIEWER

INFO_KEYS = {'system', 'status', 'switches', 'ports', 'accounts', 'calls', 'camera', 'displays'}
# The functions of current firmware that 2.11 firmware lacks, as helios_info lists them under unavailable.
CURRENT_FUNCTIONS = {'log/caps', 'log/subscribe', 'log/pull', 'log/unsubscribe', 'audio/test', 'email/send'}


def lacking(version):
    return {function: {'code': 2, 'reason': 'the firmware lacks /api/%s: the device runs %s and answered log/caps with '
                                            'error 2 (invalid request path); current firmware (2.13 or later) has it'
                                            % (function, version)}
            for function in CURRENT_FUNCTIONS}


def test_reads_everything_by_default(device, ansible):
    run = ansible(device, 'info')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is False and result['unavailable'] == lacking('2.11.0.22.1')
    info = result['info']
    assert set(info) == INFO_KEYS
    assert info['system']['serialNumber'] == device.serial_number
    assert info['switches'][0] == {'switch': 1, 'enabled': True, 'mode': 'monostable', 'switchOnDuration': 5,
                                   'type': 'normal', 'active': False}
    assert {'port': 'input1', 'type': 'input', 'state': 0} in info['ports']
    assert info['accounts'][0]['registered'] is True
    assert info['calls'] == []
    assert {'width': 640, 'height': 480} in info['camera']['jpegResolution']
    assert info['displays'] == [{'display': 'internal', 'resolution': {'width': 320, 'height': 240}}]


def test_subsets_and_query(device, ansible):
    run = ansible(device, 'info', gather_subset=['switches', 'display'], info_query='switches[?enabled].switch')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert set(result['info']) == {'switches', 'displays'}
    assert result['query_result'] == [1, 2]


def test_bad_query_fails_before_any_request(device, ansible):
    run = ansible(device, 'info', info_query='switches[?')
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith('query is not a valid JMESPath expression')


def test_licence_missing_is_reported_as_unavailable(fleets, ansible):
    device = fleets['unlicensed'].take()[0]
    run = ansible(device, 'info')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    # system/info and the camera need no licence (manual, chapter 5)
    assert set(result['info']) == {'system', 'camera'}
    assert set(result['unavailable']) == {'status', 'switches', 'ports', 'phone', 'calls', 'display'} | CURRENT_FUNCTIONS
    assert result['unavailable']['status'] == {
        'code': 5, 'reason': 'system/status: function is licensed (code 5): the function needs the Enhanced Integration licence'}


def test_missing_privileges_are_reported_as_unavailable(device, ansible):
    run = ansible({device.name: device.hostvars(helios_username=VIEWER['username'], helios_password=VIEWER['password'])},
                  'info')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert {'switches', 'camera', 'system'} <= set(result['info'])
    assert result['unavailable']['ports']['code'] == 10
    assert 'insufficient user privileges' in result['unavailable']['ports']['reason']


@pytest.mark.parametrize('in_process', ['true', 'false'], ids=['in-process', 'module'])
def test_as_facts_later_tasks_read_without_registering(device, ansible, in_process):
    run = ansible(device, 'info_facts', env={'HELIOS_ACTION_IN_PROCESS': in_process})
    assert run.rc == 0, run.stdout
    gathered, shown = [r['result'] for r in run.results(device.name)][-2:]
    assert gathered['ansible_facts']['helios']['system'] == gathered['info']['system']
    assert set(gathered['ansible_facts']['helios']) == {'system', 'status', 'unavailable'}
    assert shown['msg'].startswith('%s %s True {' % (device.name, device.serial_number))
    assert gathered['ansible_facts']['helios']['unavailable'] == lacking('2.11.0.22.1')


def test_no_facts_unless_asked(device, ansible):
    run = ansible(device, 'info', gather_subset=['system'])
    assert run.rc == 0, run.stdout
    assert 'ansible_facts' not in run.result(device.name)


def test_current_firmware_reports_what_it_adds_and_lacks_no_function(fleets, ansible):
    device = fleets['current'].take()[0]
    run = ansible(device, 'info')
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is False and result['unavailable'] == {}
    assert set(result['info']) == INFO_KEYS
    system = result['info']['system']
    assert system['swVersion'] == '2.50.0.52.7' and system['serialNumber'] == device.serial_number
    assert system['macAddr'] == device.state()['macAddress']
    assert result['info']['switches'][0]['locked'] is False and result['info']['switches'][0]['active'] is False


def test_a_device_that_refuses_log_caps_for_another_reason_has_the_functions(fleets, ansible):
    # log/caps refused for another reason than a missing function (code 5: no licence) tells the firmware has it
    device = fleets['current'].take()[0]
    device.faults(reply={'success': False, 'error': {'code': 5, 'description': 'function is licensed'}},
                  path='/api/log/caps')
    run = ansible(device, 'info', gather_subset=['system'])
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['unavailable'] == {}
