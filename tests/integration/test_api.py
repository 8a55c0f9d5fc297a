"""helios_api against emulated intercoms: any function by path, reads retried and run in check mode, calls that act
sent once and never in check mode."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from helios_fleet import UNKNOWN_OUTCOME


def _requests(device):
    return device.state()['traffic']['requests']


def test_a_read_returns_the_result_and_changes_nothing(device, ansible):
    run = ansible(device, 'api', path='/api/system/info', acts=False)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is False and result['sent'] is True
    assert result['path'] == '/api/system/info' and result['method'] == 'GET'
    assert result['result']['serialNumber'] == device.serial_number
    # the function's name alone, and POST
    run = ansible(device, 'api', path='switch/status', method='POST', params={'switch': 1}, acts=False)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['result']['switches'] == [{'switch': 1, 'active': False}]


def test_a_call_that_acts_is_sent_and_changes(device, ansible):
    run = ansible(device, 'api', path='/api/switch/ctrl', params={'switch': 1, 'action': 'on'}, acts=True)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['sent'] is True and result['result'] == {}
    assert device.switch_active(1) is True


def test_check_mode_never_sends_a_call_that_acts_and_runs_reads(device, ansible):
    before = _requests(device)
    run = ansible(device, 'api', check=True, path='/api/switch/ctrl', params={'switch': 1, 'action': 'on'}, acts=True)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['sent'] is False and 'result' not in result
    assert device.switch_active(1) is False
    assert _requests(device) == before  # not one request: nothing to read first either
    read = ansible(device, 'api', check=True, path='/api/switch/caps', acts=False)
    assert read.rc == 0 and read.result(device.name)['changed'] is False, read.stdout
    assert read.result(device.name)['result']['switches'][0]['switch'] == 1


def test_a_call_that_acts_whose_reply_is_lost_is_not_sent_again(device, ansible):
    device.faults(drop_reply=1, path='/api/switch/ctrl')
    run = ansible(device, 'api', path='/api/switch/ctrl', params={'switch': 1, 'action': 'on'}, acts=True)
    assert run.rc != 0
    message = run.result(device.name)['msg']
    assert message.startswith('switch/ctrl: the connection to https://') and message.endswith(UNKNOWN_OUTCOME), message
    assert device.switch_active(1) is True
    assert device.state()['faults'].get('drop_reply', 0) == 0  # the one lost reply, and no second request after it


def test_a_read_whose_reply_is_lost_is_retried(device, ansible):
    device.faults(drop_reply=1, path='/api/system/info')
    run = ansible(device, 'api', path='/api/system/info', acts=False)
    assert run.rc == 0, run.stdout
    assert run.result(device.name)['result']['serialNumber'] == device.serial_number


@pytest.mark.parametrize('args, fragment', [
    (dict(path='https://evil.example/api/system/info', acts=False), "path must name an HTTP API function of the device"),
    (dict(path='//evil.example/api/system/info', acts=False), "got '//evil.example/api/system/info'"),
    (dict(path='/api/../_emulator/state', acts=False), "no scheme, host, port, query or ..)"),
    (dict(path='/api/system/info?x=1', acts=False), "path must name"),
    (dict(path='/api/switch/ctrl', params={'switch': 1, 'action': 'on'}, acts=False),
     'acts must be true for switch/ctrl: it acts on the device'),
    (dict(path='/api/display/image', method='DELETE', params={'display': 'internal'}, acts=False),
     'acts must be true for method DELETE: DELETE changes the device'),
    (dict(path='/api/switch/status', params={'switch': [1, 2]}, acts=False),
     'params.switch must be a string, a number or a boolean, got a list'),
    (dict(path='/api/config', params={'blob-cfg': 'x'}, acts=True),
     'params.blob-cfg: a blob- parameter is a file to upload: set src to the file and src_param to blob-cfg'),
], ids=['scheme', 'host', 'dot-dot', 'query', 'acting-as-read', 'delete-as-read', 'list-param', 'blob-param'])
def test_bad_input_is_refused_before_any_request(device, ansible, args, fragment):
    before = _requests(device)
    run = ansible(device, 'api', **args)
    assert run.rc != 0
    assert fragment in run.result(device.name)['msg'], run.result(device.name)['msg']
    assert 'Traceback' not in run.stdout
    assert _requests(device) == before
    assert device.switch_active(1) is False


def test_an_upload_reuses_the_client_upload(device, ansible, tmp_path):
    image = tmp_path / 'door.gif'
    Image.new('RGB', (320, 240), 'red').save(image, 'GIF')
    run = ansible(device, 'api', path='/api/display/image', params={'display': 'internal'}, src=str(image),
                  src_param='blob-image', content_type='image/gif', acts=True)
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['method'] == 'PUT' and result['sent'] is True
    assert device.state()['displayImages'].get('internal')
    # acts must be true for an upload; check mode sends nothing
    refused = ansible(device, 'api', path='/api/display/image', src=str(image), src_param='blob-image', acts=False)
    assert refused.rc != 0 and 'acts must be true for an upload (src)' in refused.result(device.name)['msg']
    before = _requests(device)
    checked = ansible(device, 'api', check=True, path='/api/display/image', method='DELETE',
                      params={'display': 'internal'}, acts=True)
    assert checked.rc == 0 and checked.result(device.name)['changed'] is True
    assert _requests(device) == before and device.state()['displayImages'].get('internal')


def test_a_reply_that_is_not_json_is_saved_to_dest_and_never_shown(device, ansible, tmp_path):
    dest = tmp_path / 'config.xml'
    run = ansible(device, 'api', path='/api/config', acts=False, dest=str(dest))
    assert run.rc == 0, run.stdout
    result = run.result(device.name)
    assert result['changed'] is True and result['content_type'].startswith('application/xml')
    assert result['checksum'] == hashlib.sha256(dest.read_bytes()).hexdigest() and result['size'] == dest.stat().st_size
    again = ansible(device, 'api', path='/api/config', acts=False, dest=str(dest))
    assert again.rc == 0 and again.result(device.name)['changed'] is False
    # without dest: a clear failure; the configuration (with its passwords) is not in the output
    refused = ansible(device, 'api', path='/api/config', acts=False)
    assert refused.rc != 0
    assert refused.result(device.name)['msg'].startswith('config: the device replied with application/xml')
    assert 'set dest to save it to a file' in refused.result(device.name)['msg']
    assert '<DeviceDatabase' not in refused.stdout


def test_error_codes_surface_as_the_device_sent_them(device, ansible):
    # a 2.11 device does not know log/caps (error 2); an error code newer than the collection (17) as it comes
    run = ansible(device, 'api', path='/api/log/caps', acts=False)
    assert run.rc != 0
    assert run.result(device.name)['msg'].startswith('log/caps: invalid request path (code 2)')
    device.faults(reply={'success': False, 'error': {'code': 17, 'param': 'x', 'description': 'a newer error'}},
                  path='/api/system/info')
    run = ansible(device, 'api', path='/api/system/info', acts=False)
    assert run.rc != 0 and 'Traceback' not in run.stdout
    result = run.result(device.name)
    assert result['msg'] == 'system/info: a newer error (code 17, param "x")'
    assert result['error'] == {'function': 'system/info', 'code': 17, 'description': 'a newer error', 'param': 'x'}


def test_functions_of_current_firmware(fleets, ansible):
    device = fleets['current'].take()[0]
    run = ansible(device, 'api', path='/api/log/caps', acts=False)
    assert run.rc == 0, run.stdout
    assert 'AudioLoopTest' in run.result(device.name)['result']['events']
    refused = ansible(device, 'api', path='/api/email/send', params={'to': 'a@example.com', 'subject': 'x'}, acts=False)
    assert refused.rc != 0 and 'acts must be true for email/send' in refused.result(device.name)['msg']
    sent = ansible(device, 'api', path='/api/email/send', params={'to': 'a@example.com', 'subject': 'x'}, acts=True)
    assert sent.rc == 0 and sent.result(device.name)['changed'] is True, sent.stdout
    assert [m['to'] for m in device.state()['emails']] == ['a@example.com']


def test_as_a_module_process_too(device, ansible, tmp_path):
    # run as a module (a delegated or become task runs so), not in the controller's worker
    env = {'HELIOS_ACTION_IN_PROCESS': 'false'}
    read = ansible(device, 'api', env=env, path='/api/system/info', acts=False)
    assert read.rc == 0 and read.result(device.name)['result']['serialNumber'] == device.serial_number, read.stdout
    before = _requests(device)
    checked = ansible(device, 'api', env=env, check=True, path='/api/switch/ctrl', params={'switch': 1, 'action': 'on'},
                      acts=True)
    assert checked.rc == 0 and checked.result(device.name)['sent'] is False, checked.stdout
    assert _requests(device) == before and device.switch_active(1) is False
    image = tmp_path / 'door.gif'
    Image.new('RGB', (320, 240), 'blue').save(image, 'GIF')
    uploaded = ansible(device, 'api', env=env, path='/api/display/image', params={'display': 'internal'},
                       src=str(image), src_param='blob-image', content_type='image/gif', acts=True)
    assert uploaded.rc == 0 and uploaded.result(device.name)['changed'] is True, uploaded.stdout
    assert device.state()['displayImages'].get('internal')
