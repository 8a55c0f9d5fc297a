"""Every bad input gets a clear error naming the option, never a Python internal (issue #12, section 4).

The table below holds one class of bad input per entry: rows of a module (its task file in playbooks/tasks), its
arguments, and a fragment of the message it must fail with. A class is one ansible-playbook run (playbooks/rows.yml),
each row on its own fresh device. Every row must fail with its message, without a Python exception's text in it,
and must leave its device untouched: the emulator's state, its traffic counters included, is the same afterwards
for inputs refused before any request; the state and the configuration are for inputs refused once the device's
configuration was read. A lost upload reply is the exception: the device acted, and the row says what it holds.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

import pytest
from PIL import Image
from test_config import device_config

from helios_fleet import BIN

# What a message must not hold: a traceback, an exception class name (OSError, RecursionError, ValueError, ...) or
# the text of one that reached the user unexplained.
PYTHON_INTERNALS = re.compile(r'Traceback|\b[A-Za-z]*(Error|Exception)\b|embedded null byte|recursion depth')

RUNNING, NEWER = '2.11.0.22.1', '2.12.0.1.1'
DEEP = 100000


@dataclass
class Row:
    name: str
    task: str  # the task file of the module, in playbooks/tasks
    args: dict  # the variables the task file reads, and helios_<option> connection options
    message: str  # a fragment of the failure message
    faults: dict = field(default_factory=dict)  # faults injected into the row's device first
    check: object = None  # check(device, files): what the device holds afterwards, when it acted (a lost reply)


class Files:
    """The local files the rows name, made in the test's temporary directory."""

    def __init__(self, root):
        self.root = root
        self.junk = root / 'junk.bin'
        self.junk.write_bytes(b'not an image')
        self.a_file = root / 'a-file'
        self.a_file.write_text('a file where a directory belongs\n')
        self.missing = root / 'missing'
        self.deep_xml = root / 'deep.xml'
        self.deep_xml.write_text(deep_xml())
        self.markers = root / 'markers'

    def gif(self):
        path = self.root / 'red.gif'
        Image.new('RGB', (320, 240), 'red').save(path, 'GIF')
        return path

    def firmware(self):
        path = self.root / 'newer.fw'
        subprocess.run([str(BIN / 'helios-emulator'), 'firmware', '--version', NEWER, '--output', str(path)], check=True)
        return path


def deep_xml(levels=DEEP):
    return '<DeviceDatabase>%s%s</DeviceDatabase>' % ('<A>' * levels, '</A>' * levels)


def deep_settings(levels):
    tree = 'value'
    for _level in range(levels):
        tree = {'A': tree}
    return tree


def numeric_ranges(files):
    seconds = '(seconds)'
    return [
        Row('firmware wait_timeout', 'firmware', dict(src=str(files.junk), wait_timeout=-5),
            'wait_timeout must be between 1 and 86400 %s, got -5' % seconds),
        Row('system wait_timeout', 'system', dict(state='restarted', wait_timeout=100000),
            'wait_timeout must be between 1 and 86400 %s, got 100000' % seconds),
        Row('switch number', 'switch', dict(switch=0, state='triggered'), 'switch must be 1 or more, got 0'),
        Row('switch as a YAML boolean', 'switch', dict(switch=True, state='triggered'),
            'switch must be a number 1 or more, got the YAML boolean true'),
        Row('call session', 'call', dict(state='hung_up', session=0), 'session must be 1 or more, got 0'),
        Row('camera width', 'camera_snapshot', dict(dest=str(files.root / 'snap.jpg'), width=-5),
            'width must be between 1 and 10000, got -5'),
        Row('port', 'switch', dict(switch=1, state='triggered', helios_port=70000),
            'port must be between 1 and 65535, got 70000'),
        Row('timeout', 'switch', dict(switch=1, state='triggered', helios_timeout='nan'),
            'timeout must be more than 0 and at most 3600 %s, got nan' % seconds),
        Row('retries', 'switch', dict(switch=1, state='triggered', helios_retries=1000),
            'retries must be between 0 and 10, got 1000'),
    ]


def missing_paths(files):
    missing = files.missing
    return [
        Row('snapshot dest directory', 'camera_snapshot', dict(dest=str(missing / 'snap.jpg')),
            'dest: the directory %s does not exist; create it first' % missing),
        Row('firmware src', 'firmware', dict(src=str(missing / 'helios.fw')),
            'src: %s does not exist; give the path of an existing file' % (missing / 'helios.fw')),
        Row('config src', 'config', dict(src=str(missing / 'door.xml')),
            'src: %s does not exist; give the path of an existing file' % (missing / 'door.xml')),
        Row('display image src', 'display_image', dict(src=str(missing / 'door.gif'), marker_dir=str(files.markers)),
            'src: %s does not exist; give the path of an existing file' % (missing / 'door.gif')),
        Row('ca_path', 'switch', dict(switch=1, state='triggered', helios_validate_certs=True,
                                      helios_ca_path=str(missing / 'ca.pem')),
            "ca_path: %s does not exist; set it to the PEM file of the CA that signed the device's certificate"
            % (missing / 'ca.pem')),
        Row('config backup_dir', 'config', dict(backup=True, backup_dir=str(files.a_file)),
            'backup_dir: %s is a file, not a directory' % files.a_file),
        Row('display image marker_dir', 'display_image', dict(src=str(files.gif()), marker_dir=str(files.a_file)),
            'marker_dir: %s is a file, not a directory' % files.a_file),
        Row('config backup_name a path', 'config', dict(backup=True, backup_dir=str(files.root / 'backups'),
                                                        backup_name='../door.xml'),
            'backup_name must be a file name inside backup_dir, without a directory part (no "/", not "." or ".."), '
            "got '../door.xml'"),
    ]


def deep_documents(files):
    too_deep = 'the configuration is nested more than 32 levels deep'
    return [
        Row('XML content', 'config', dict(content=deep_xml()), 'content: ' + too_deep),
        Row('XML src', 'config', dict(src=str(files.deep_xml)), 'src: ' + too_deep),
        Row('settings tree', 'config', dict(settings=deep_settings(100)), 'settings: ' + too_deep),
        Row('info query', 'info', dict(info_query='(' * DEEP + 'system' + ')' * DEEP),
            'query is nested too deeply to be parsed'),
    ]


def null_bytes(files):
    def null(option):
        return '%s contains a null byte (\\0)' % option

    return [
        Row('call number', 'call', dict(state='dialed', number='50\x0046'), null('number')),
        Row('io output', 'io', dict(output='relay1\x00', state='active'), null('output')),
        Row('snapshot dest', 'camera_snapshot', dict(dest=str(files.root / 'snap\x00.jpg')), null('dest')),
        Row('firmware src', 'firmware', dict(src=str(files.junk) + '\x00'), null('src')),
        Row('config backup_name', 'config', dict(backup=True, backup_dir=str(files.root / 'backups'),
                                                 backup_name='door\x00.xml'), null('backup_name')),
        Row('config setting', 'config', dict(settings={'WebServer': {'DeviceName': 'Lob\x00by'}}),
            null('settings.WebServer.DeviceName')),
        Row('password', 'switch', dict(switch=1, state='triggered', helios_password='2n\x00'), null('password')),
        Row('ca_path', 'switch', dict(switch=1, state='triggered', helios_validate_certs=True,
                                      helios_ca_path=str(files.root / 'ca\x00.pem')), null('ca_path')),
    ]


# YAML as a user writes it in group_vars: YAML 1.1 reads 0123 as 83, no as false, 1:20 as 80, 1.10 as 1.1.
YAML_NUMBER = 'is a YAML number, and YAML may have changed what was written (0123 is read as 83, 1:20 as 80, 1.10 as 1.1): quote it'


def yaml_typed_settings(files):
    del files

    def yaml(text):
        return dict(settings_yaml=text)

    return [
        Row('switch code 0123', 'config', yaml('Switches:\n  Switch:\n    - At: 0\n      Code: 0123\n'),
            'settings.Switches.Switch[At=0].Code: the value ' + YAML_NUMBER),
        Row('device name no', 'config', yaml('WebServer:\n  DeviceName: no\n'),
            'settings.WebServer.DeviceName: false is a YAML boolean, and YAML may have changed what was written'),
        Row('hostname 1:20', 'config', yaml('Network:\n  Hostname: 1:20\n'), 'settings.Network.Hostname: 80 ' + YAML_NUMBER),
        Row('duration 1.10', 'config', yaml('Switches:\n  Switch:\n    - At: 0\n      SwitchOnDuration: 1.10\n'),
            'settings.Switches.Switch[At=0].SwitchOnDuration: 1.1 ' + YAML_NUMBER),
        Row('index no', 'config', yaml('Switches:\n  Switch:\n    - At: no\n      Mode: bistable\n'),
            'settings: Switches/Switch/At: false is not an index'),
    ]


def _config_applied(device, files):
    del files
    assert '<DeviceName>Lobby</DeviceName>' in device_config(device)  # applied once, as the message allows


def _firmware_not_applied(device, files):
    del files
    state = device.state()
    assert state['swVersion'] == RUNNING and not state['restarting']


def _no_marker_recorded(device, files):
    del device
    assert not files.markers.exists() or not any(files.markers.iterdir())


def lost_upload_replies(files):
    def lost(path):
        return dict(drop_reply=1, path=path, method='PUT')

    return [
        Row('config', 'config', dict(settings={'WebServer': {'DeviceName': 'Lobby'}}),
            'the upload was not repeated: the device may or may not have applied the configuration',
            faults=lost('/api/config'), check=_config_applied),
        Row('firmware', 'firmware', dict(src=str(files.firmware()), version=NEWER),
            'the upload was not repeated and nothing was applied', faults=lost('/api/firmware'), check=_firmware_not_applied),
        Row('display image', 'display_image', dict(src=str(files.gif()), marker_dir=str(files.markers)),
            'the upload was not repeated: the display may or may not show the image', faults=lost('/api/display/image'),
            check=_no_marker_recorded),
    ]


def new_modules(files):
    return [
        Row('api path with a host', 'api', dict(path='//127.0.0.1:28080/_emulator/state', acts=False),
            "path must name an HTTP API function of the device: /api/ and the function, such as /api/system/info "
            "(letters, digits, - and _ between single slashes; no scheme, host, port, query or ..), "
            "got '//127.0.0.1:28080/_emulator/state'"),
        Row('api acting function as a read', 'api', dict(path='/api/system/restart', acts=False),
            'acts must be true for system/restart: it acts on the device'),
        Row('api upload with GET', 'api', dict(path='/api/display/image', method='GET', src=str(files.junk),
                                               src_param='blob-image', acts=True),
            'src is uploaded with method PUT, not GET: set method to PUT or leave it out'),
        Row('api src_param', 'api', dict(path='/api/display/image', src=str(files.junk), src_param='image', acts=True),
            "src_param must be the blob- parameter the function takes the file as, such as blob-cfg, blob-fw or "
            "blob-image; got 'image'"),
        Row('api src missing', 'api', dict(path='/api/display/image', src=str(files.missing / 'door.gif'),
                                           src_param='blob-image', acts=True),
            'src: %s does not exist; give the path of an existing file' % (files.missing / 'door.gif')),
        Row('email to with a line break', 'email', dict(to='a@example.com\nBcc: b@example.com', subject='Hello'),
            'to must be one line without control characters'),
        Row('email picture_count', 'email', dict(to='a@example.com', subject='Hello', picture_count=9),
            'picture_count must be between 0 and 5, got 9'),
    ]


def firmware_lacks_the_function(files):
    needs = '%s needs firmware with /api/%s (current firmware); this device runs ' + RUNNING
    return [
        Row('audio test on 2.11', 'audio_test', {}, needs % ('helios_audio_test', 'audio/test')),
        Row('email on 2.11', 'email', dict(to='a@example.com', subject='Hello'), needs % ('helios_email', 'email/send')),
    ]


# class -> (its rows, what the device must not have seen: 'request' (none at all), 'upload' (no change; reads are
# fine), or None (the device acted: each row checks what it holds))
CLASSES = {
    'numeric ranges': (numeric_ranges, 'request'),
    'missing paths': (missing_paths, 'request'),
    'deep documents': (deep_documents, 'request'),
    'null bytes': (null_bytes, 'request'),
    'YAML-typed settings': (yaml_typed_settings, 'upload'),
    'lost upload reply': (lost_upload_replies, None),
    'helios_api and e-mail options': (new_modules, 'request'),
    'firmware lacks the function': (firmware_lacks_the_function, 'upload'),
}


def _state(device, untouched):
    state = device.state()
    state.pop('upTime')
    if untouched == 'upload':
        state.pop('traffic')
        state['config'] = device_config(device)
    return state


@pytest.mark.parametrize('kind', list(CLASSES))
def test_bad_input_fails_clearly_and_leaves_the_device_untouched(kind, devices, ansible, tmp_path):
    make_rows, untouched = CLASSES[kind]
    files = Files(tmp_path)
    rows = make_rows(files)
    taken = devices(len(rows))
    hostvars, yaml_settings = {}, []
    for row, device in zip(rows, taken):
        args = dict(row.args, row_task=row.task)
        if 'settings_yaml' in args:
            # written as YAML text, so that YAML's own typing applies as in a user's group_vars
            yaml_settings.append('  %s:\n%s\n' % (device.name, re.sub('(?m)^', '    ', args.pop('settings_yaml').rstrip())))
            args['settings'] = '{{ yaml_settings[inventory_hostname] }}'
        hostvars[device.name] = device.hostvars(**args)
        if row.faults:
            device.faults(**row.faults)
    before = [_state(device, untouched) if untouched else None for device in taken]
    run = ansible(hostvars, 'rows', playbook='rows.yml',
                  group_vars='yaml_settings:\n' + ''.join(yaml_settings) if yaml_settings else None)
    assert 'Traceback' not in run.stdout, run.stdout
    problems = []
    for row, device, state in zip(rows, taken, before):
        result = run.result(device.name)
        message = result.get('msg', '')
        if run.results(device.name)[-1]['status'] != 'failed' or row.message not in message:
            problems.append('%s: expected a failure with %r, got %r' % (row.name, row.message, message or result))
        elif PYTHON_INTERNALS.search(message):
            problems.append('%s: Python internals in %r' % (row.name, message))
        if untouched and _state(device, untouched) != state:
            problems.append('%s: the device changed: %s -> %s' % (row.name, state, _state(device, untouched)))
        if row.check is not None:
            try:
                row.check(device, files)
            except AssertionError as exc:
                problems.append('%s: %s' % (row.name, exc))
    assert not problems, '\n'.join(problems)
