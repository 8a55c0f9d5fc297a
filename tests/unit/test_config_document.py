"""The configuration document model: parsing, the YAML form, overlay, canonical comparison, masking."""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest

from ansible_collections.twon.helios.plugins.module_utils import _config_document as document
from ansible_collections.twon.helios.plugins.module_utils._config import check_backup_name, write_backup
from ansible_collections.twon.helios.plugins.module_utils._errors import HeliosParameterError

DEVICE = b'''<?xml version="1.0" encoding="UTF-8"?>
<!--
    Product name: 2N Helios IP Verso
    Serial number: 54-2711-0001
-->
<DeviceDatabase Version="4">
<Network>
<Hostname>helios-1</Hostname>
<DhcpEnabled>1</DhcpEnabled>
</Network>
<HttpApi><Accounts>
<Account At="0"><UserName>admin</UserName><Password>2n</Password></Account>
<Account At="1"><UserName></UserName><Password></Password></Account>
</Accounts></HttpApi>
<Switches>
<Switch At="0"><Mode>monostable</Mode><Code>1234</Code></Switch>
<Switch At="1"><Mode>bistable</Mode><Code></Code></Switch>
</Switches>
</DeviceDatabase>
'''


@pytest.fixture
def device():
    return document.parse(DEVICE)


@pytest.mark.parametrize('text, message', [
    (b'<DeviceDatabase><Network>', 'not well-formed XML'),
    (b'<Configuration/>', 'root element must be <DeviceDatabase>, got <Configuration>'),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><DeviceDatabase/>', 'DOCTYPE'),
    (b'<DeviceDatabase><Switches><Switch At="1"/><Switch At="1"/></Switches></DeviceDatabase>',
     r'Switches/Switch\[At=1\] appears twice'),
])
def test_parse_refuses_what_is_not_a_device_document(text, message):
    with pytest.raises(document.ConfigDocumentError, match=message):
        document.parse(text)


def test_whitespace_comments_header_and_sibling_order_do_not_count(device):
    reformatted = document.parse(document.render(device).replace('<Network>', '<!-- hi --><Network>  '))
    assert document.changed_paths(device, reformatted) == []
    swapped = document.parse(DEVICE.replace(b'<Hostname>helios-1</Hostname>\n<DhcpEnabled>1</DhcpEnabled>',
                                            b'<DhcpEnabled>1</DhcpEnabled>\n<Hostname>helios-1</Hostname>'))
    assert document.changed_paths(device, swapped) == []


def test_changed_paths_cover_values_attributes_and_one_sided_elements(device):
    other = document.parse(DEVICE.replace(b'Version="4"', b'Version="5"').replace(b'<DhcpEnabled>1</DhcpEnabled>', b'')
                           .replace(b'<Switch At="1">', b'<Switch At="2"><Mode>x</Mode></Switch><Switch At="1">'))
    assert document.changed_paths(device, other) == ['@Version', 'Network/DhcpEnabled', 'Switches/Switch[At=2]/Mode']


def test_differences_give_both_values_with_secrets_masked(device):
    other = document.parse(DEVICE.replace(b'Version="4"', b'Version="5"').replace(b'<DhcpEnabled>1</DhcpEnabled>', b'')
                           .replace(b'<Password>2n</Password>', b'<Password>new</Password>')
                           .replace(b'<Switch At="1">', b'<Switch At="2"><Mode>x</Mode></Switch><Switch At="1">'))
    assert document.differences(device, other) == [
        ('@Version', '4', '5'), ('Network/DhcpEnabled', '1', None),
        ('HttpApi/Accounts/Account[At=0]/Password', '********', '********'), ('Switches/Switch[At=2]/Mode', None, 'x')]
    assert document.differences(device, other, show_secrets=True)[2] == (
        'HttpApi/Accounts/Account[At=0]/Password', '2n', 'new')


def test_missing_paths_name_the_values_a_partial_document_lacks(device):
    assert document.missing_paths(device, device) == []
    partial = document.from_settings({'Network': {'Hostname': 'x'}, 'Switches': {'Switch': [{'At': 0, 'Mode': 'm'}]}})
    assert document.missing_paths(partial, device) == [
        'Network/DhcpEnabled', 'HttpApi/Accounts/Account[At=0]/UserName', 'HttpApi/Accounts/Account[At=0]/Password',
        'HttpApi/Accounts/Account[At=1]/UserName', 'HttpApi/Accounts/Account[At=1]/Password', 'Switches/Switch[At=0]/Code',
        'Switches/Switch[At=1]/Mode', 'Switches/Switch[At=1]/Code']


def test_masked_paths_find_masks_where_secrets_belong():
    desired = document.from_settings({'WebServer': {'AdminPassword': '********', 'DeviceName': '********'},
                                      'Switches': {'Switch': [{'At': 0, 'Code': '******** (0a1b2c3d)'},
                                                              {'At': 1, 'Code': '1234'}]}})
    assert document.masked_paths(desired) == ['WebServer/AdminPassword', 'Switches/Switch[At=0]/Code']


def test_settings_tree_becomes_a_document_with_indexed_items():
    desired = document.from_settings({
        'Network': {'Hostname': 'door-1', 'DhcpEnabled': False},
        'Switches': {'Switch': [{'At': 1, 'Mode': 'monostable', 'SwitchOnDuration': 3}]},
    })
    assert document.leaves(desired) == {
        'Network/Hostname': 'door-1',
        'Network/DhcpEnabled': '0',
        'Switches/Switch[At=1]/Mode': 'monostable',
        'Switches/Switch[At=1]/SwitchOnDuration': '3',
    }
    assert document.to_settings(desired) == {
        'Network': {'Hostname': 'door-1', 'DhcpEnabled': '0'},
        'Switches': {'Switch': [{'At': 1, 'Mode': 'monostable', 'SwitchOnDuration': '3'}]},
    }


@pytest.mark.parametrize('settings, message', [
    ({'Switches': {'Switch': [{'Mode': 'bistable'}]}}, 'every repeated item needs an At key'),
    ({'Switches': {'Switch': ['bistable']}}, 'each a mapping with an At key'),
    ({'Network': {'Hostname': ['a', 'b']}}, 'each a mapping'),
    ({'Network': 'door'}, None),
    (['Network'], 'expected a mapping'),
])
def test_invalid_settings_trees_are_refused(settings, message):
    if message is None:
        # a value where the device has a section is caught by the overlay, not by the tree's shape
        desired = document.from_settings(settings)
        with pytest.raises(document.ConfigDocumentError, match='is a section on the device'):
            document.overlay(document.parse(DEVICE), desired)
        return
    with pytest.raises(document.ConfigDocumentError, match=message):
        document.from_settings(settings)


def test_overlay_changes_only_what_is_desired_and_keeps_the_device_order(device):
    desired = document.from_settings({'Switches': {'Switch': [{'At': 1, 'Mode': 'monostable'}]},
                                      'Network': {'Hostname': 'door-1'}})
    merged, new_paths = document.overlay(device, desired)
    assert new_paths == []
    assert document.changed_paths(device, merged) == ['Network/Hostname', 'Switches/Switch[At=1]/Mode']
    assert [child.tag for child in merged] == ['Network', 'HttpApi', 'Switches']
    assert document.leaves(device)['Network/Hostname'] == 'helios-1'  # the device's document is not modified


def test_overlay_equal_values_mean_no_change(device):
    merged = document.overlay(device, document.from_settings({'Network': {'Hostname': 'helios-1'}}))[0]
    assert document.changed_paths(device, merged) == []


def test_unknown_paths_are_typos_unless_allowed(device):
    desired = document.from_settings({'Network': {'Hostnme': 'door-1'}, 'Switches': {'Switch': [{'At': 7, 'Mode': 'x'}]}})
    with pytest.raises(document.ConfigDocumentError) as failure:
        document.overlay(device, desired)
    assert 'Network/Hostnme' in str(failure.value) and 'Switches/Switch[At=7]' in str(failure.value)
    merged, new_paths = document.overlay(device, desired, allow_new=True)
    assert new_paths == ['Network/Hostnme', 'Switches/Switch[At=7]']
    assert document.leaves(merged)['Switches/Switch[At=7]/Mode'] == 'x'


def test_mismatches_name_the_desired_values_the_device_lacks(device):
    desired = document.from_settings({'Network': {'Hostname': 'door-1', 'DhcpEnabled': 1}})
    assert document.mismatches(desired, device) == ['Network/Hostname']


def test_secrets_are_masked_unless_asked_for(device):
    rendered = document.render(device, show_secrets=False)
    assert rendered == document.render(document.masked(device))
    assert '<Password>********</Password>' in rendered and '<Code>********</Code>' in rendered
    assert '>2n<' not in rendered and '1234' not in rendered
    assert '<Password></Password>' in rendered  # an empty secret stays visibly empty
    assert '1234' in document.render(device)


def test_serialize_round_trips(device):
    assert document.changed_paths(device, document.parse(document.serialize(device))) == []


def test_diff_masks_tell_changed_secrets_apart_without_showing_them(device):
    mask = document.diff_mask(b'salt')
    changed = document.masked(device, show_secrets=True)
    changed.find('Switches/Switch[@At="0"]/Code').text = '9999'
    before, after = document.render(device, False, mask), document.render(changed, False, mask)
    assert '1234' not in before and '9999' not in after
    codes = [line for line in before.splitlines() if '<Code>' in line], [line for line in after.splitlines() if '<Code>' in line]
    assert codes[0][0] != codes[1][0] and codes[0][1] == codes[1][1]  # switch 0 changed; switch 1 (empty) did not
    assert document.render(device, False, document.diff_mask(b'other')) != before  # the salt is per run


def test_settings_and_xml_text_are_masked_for_display():
    settings = {'HttpApi': {'Accounts': {'Account': [{'At': 0, 'Password': 's3cret', 'UserName': 'ops'}]}},
                'Switches': {'Switch': [{'At': 0, 'Code': 1234}, {'At': 1, 'Code': ''}]}}
    assert document.masked_settings(settings) == {
        'HttpApi': {'Accounts': {'Account': [{'At': 0, 'Password': '********', 'UserName': 'ops'}]}},
        'Switches': {'Switch': [{'At': 0, 'Code': '********'}, {'At': 1, 'Code': ''}]}}
    assert settings['Switches']['Switch'][0]['Code'] == 1234  # the original is left alone
    text = '<DeviceDatabase><Sip At="0"><Password>pw</Password><AuthId>5046</AuthId></Sip><Code a="1">12</Code>'
    assert document.masked_text(text) == ('<DeviceDatabase><Sip At="0"><Password>********</Password>'
                                          '<AuthId>5046</AuthId></Sip><Code a="1">********</Code>')


def test_hosts_backing_up_at_once_into_a_new_directory_all_write_their_file(tmp_path):
    # Five hosts of a play create the backup directory at the same moment; whoever comes second must not fail.
    directory = str(tmp_path / 'new' / 'backups')
    device = document.parse(DEVICE)
    start, errors = threading.Barrier(5), []

    def back_up(index):
        start.wait()
        try:
            write_backup(directory, 'door-%d.xml' % index, device, show_secrets=False)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(exc)

    for _round in range(20):
        threads = [threading.Thread(target=back_up, args=(index,)) for index in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(os.listdir(directory)) == ['door-%d.xml' % index for index in range(5)]
        shutil.rmtree(tmp_path / 'new')


def test_a_cdata_section_or_a_comment_cannot_hide_a_secret_from_the_mask():
    text = ('<DeviceDatabase><Phone><Sip At="0"><Password><![CDATA[cdata-secret]]></Password>'
            '<AuthId>5046</AuthId></Sip></Phone><Switches><Switch At="0"><Code>12<!-- x -->34</Code></Switch>'
            '</Switches></DeviceDatabase>')
    shown = document.masked_text(text)
    assert 'cdata-secret' not in shown and '12' not in shown and '34' not in shown
    assert '<Password>********</Password>' in shown and '<AuthId>5046</AuthId>' in shown
    # text that does not parse: from a secret's opening tag to its last closing tag, or to the end, is masked
    broken = '<DeviceDatabase><Password><![CDATA[a</Password>b-secret]]></Password><Hostname>h</Hostname>'
    assert document.masked_text(broken) == '<DeviceDatabase><Password>********</Password><Hostname>h</Hostname>'
    assert document.masked_text('<DeviceDatabase><Pin>unterminated-secret') == '<DeviceDatabase><Pin>********</Pin>'
    # a secret element's whole content is the secret, even nested in it
    nested = document.parse('<DeviceDatabase><Password><X>nested-secret</X></Password></DeviceDatabase>')
    assert 'nested-secret' not in document.render(nested, show_secrets=False)
    assert 'nested-secret' not in document.masked_text(document.serialize(nested).decode())


URL = 'rtsp://cam-user:cam-secret@camera.example/stream'
MASKED_URL = 'rtsp://cam-user:********@camera.example/stream'


@pytest.mark.parametrize('given, shown', [
    (URL, MASKED_URL),
    ('http://u:p@ss@host/x y', 'http://u:********@host/x y'),  # an unencoded @ in the password: masked whole
    ('https://user@host/path', 'https://user@host/path'),  # no password
    ('http://host:8080/path', 'http://host:8080/path'),
    ('rtsp://user:@host', 'rtsp://user:@host'),  # an empty password stays visibly empty
])
def test_url_passwords_are_masked_keeping_scheme_user_and_host(given, shown):
    assert document.mask_url_passwords(given) == shown


def test_url_passwords_are_masked_wherever_secrets_are(device):
    device.find('Network').append(document.parse(
        '<DeviceDatabase><ExternalCameraUrl>%s</ExternalCameraUrl></DeviceDatabase>' % URL)[0])
    for shown in (document.render(device, show_secrets=False), document.render(device, False, document.diff_mask(b's')),
                  document.serialize(document.masked(device)).decode(),
                  str(document.to_settings(document.masked(device)))):
        assert 'cam-secret' not in shown and 'rtsp://cam-user:********' in shown
    assert URL in document.render(device, show_secrets=True)
    assert document.masked_settings({'Camera': {'Url': URL}}) == {'Camera': {'Url': MASKED_URL}}
    shown = document.masked_text('<DeviceDatabase><Camera><Url>%s</Url></Camera></DeviceDatabase>' % URL)
    assert MASKED_URL in shown and 'cam-secret' not in shown
    assert 'cam-secret' not in document.masked_text('<DeviceDatabase><Camera>%s' % URL)  # does not parse


def test_an_unchanged_backup_is_made_private(device, tmp_path):
    path = write_backup(str(tmp_path), 'door.xml', device, show_secrets=False)
    os.chmod(path, 0o644)
    stamp = os.stat(path).st_mtime_ns
    assert write_backup(str(tmp_path), 'door.xml', device, show_secrets=False) == path
    assert os.stat(path).st_mode & 0o777 == 0o600 and os.stat(path).st_mtime_ns == stamp


@pytest.mark.parametrize('name', ['../door.xml', '/tmp/door.xml', 'sub/door.xml', '..', '.', ''])
def test_backup_name_must_be_a_file_name(name):
    message = (r'^backup_name must be a file name inside backup_dir, without a '
               r'directory part \(no "/", not "\." or "\.\."\), got ')
    with pytest.raises(HeliosParameterError, match=message):
        check_backup_name(name)
    check_backup_name('door-1.xml')
    check_backup_name(None)


def _typed(settings):
    typed = []
    document.from_settings(settings, typed)
    return typed


@pytest.mark.parametrize('settings, message', [
    # a code: YAML read 0123 as 83, and the value is a secret: never a number, and never shown
    ({'Switches': {'Switch': [{'At': 0, 'Code': 83}]}},
     'settings.Switches.Switch[At=0].Code: the value is a YAML number, and YAML may have changed what was written '
     '(0123 is read as 83, 1:20 as 80, 1.10 as 1.1): quote it'),
    ({'Network': {'Hostname': 80}}, 'settings.Network.Hostname: 80 is a YAML number'),  # 1:20
    ({'Switches': {'Switch': [{'At': 0, 'SwitchOnDuration': 1.1}]}}, 'SwitchOnDuration: 1.1 is a YAML number'),
    ({'Network': {'Hostname': False}}, 'settings.Network.Hostname: false is a YAML boolean'),  # no
    ({'Network': {'NtpServer': 5}}, 'settings.Network.NtpServer: 5 is a YAML number'),  # not on the device
    ({'HttpApi': {'Accounts': {'Account': [{'At': 0, 'Password': True}]}}}, 'Password: the value is a YAML boolean'),
])
def test_values_yaml_may_have_changed_are_refused_naming_their_path(device, settings, message):
    with pytest.raises(document.ConfigDocumentError, match=re.escape(message)):
        document.check_yaml_types(_typed(settings), device)


def test_flags_take_booleans_and_plain_numbers_take_whole_numbers(device):
    settings = {'Network': {'DhcpEnabled': False}, 'Switches': {'Switch': [{'At': 0, 'Mode': 'bistable'}]}}
    document.check_yaml_types(_typed(settings), device)
    numeric = document.parse(DEVICE.replace(b'<Mode>monostable</Mode>', b'<Duration>5</Duration>'))
    document.check_yaml_types(_typed({'Switches': {'Switch': [{'At': 0, 'Duration': 12}]}}), numeric)
    # before the device's document is read, only what fails whatever it holds is refused
    document.check_yaml_types(_typed({'Network': {'Hostname': 80, 'DhcpEnabled': True}}))
    with pytest.raises(document.ConfigDocumentError, match='Code: the value is a YAML number'):
        document.check_yaml_types(_typed({'Switches': {'Switch': [{'At': 0, 'Code': 83}]}}))


@pytest.mark.parametrize('index', [True, 1.5, -1])
def test_an_index_is_a_whole_number(index):
    with pytest.raises(document.ConfigDocumentError, match='is not an index'):
        document.from_settings({'Switches': {'Switch': [{'At': index, 'Mode': 'bistable'}]}})


def test_documents_deeper_than_a_configuration_are_refused_without_recursion():
    levels = 100000
    with pytest.raises(document.ConfigDocumentError, match='nested more than 32 levels deep'):
        document.parse('<DeviceDatabase>%s%s</DeviceDatabase>' % ('<A>' * levels, '</A>' * levels))
    tree = 'value'
    for _level in range(levels):
        tree = {'A': tree}
    with pytest.raises(document.ConfigDocumentError, match='nested more than 32 levels deep'):
        document.from_settings(tree)
    assert document.masked_settings(tree) == '(not shown: nested more than 32 levels deep)'


@pytest.mark.parametrize('settings, message', [
    ({'WebServer': {'DeviceName': 'Lobby\x01'}}, 'WebServer/DeviceName: holds a control character'),
    ({'WebServer': {'Device Name': 'Lobby'}}, '"Device Name" is not a setting name'),
])
def test_what_xml_cannot_carry_is_refused(settings, message):
    with pytest.raises(document.ConfigDocumentError, match=re.escape(message)):
        document.from_settings(settings)
