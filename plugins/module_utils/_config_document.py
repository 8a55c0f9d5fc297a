# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The device's configuration as data: the <DeviceDatabase> document (manual 5.6).

A document is an ElementTree element. Repeated items are told apart by their At attribute
(<Switch At="1">), so an element's identity among its siblings is (tag, At). Desired configuration comes
as XML text or as the same tree in YAML (mappings for sections, a list of mappings with an At key for
repeated items); both become a document, are overlaid on the device's document and compared in canonical
form. Secrets are masked for display: the values of secret elements, and the password of a URL in any value
(rtsp://user:password@camera/...).

Private to twon.helios; may change without notice.
"""

from __future__ import annotations

import copy as _copy
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET

ROOT_TAG = 'DeviceDatabase'
INDEX_ATTRIBUTE = 'At'
MASK = '********'
# Elements whose values are secrets (passwords, switch codes, PINs, keys): masked unless asked for.
SECRET_TAGS = frozenset(('Password', 'AdminPassword', 'Code', 'Pin', 'PinCode', 'Key', 'PrivateKey', 'Secret',
                         'AccessCode'))
# A mask that carries a fingerprint of the secret it hides: an HMAC under a key derived from the user's Ansible Vault
# secret, which the backup does not hold. It tells whether the device's secret is still the one masked, nothing more.
_FINGERPRINTED_MASK = re.compile(r'^\*{8} \(hmac:([0-9a-f]{12})\)$')
# The start of an Ansible Vault value (ansible-vault encrypt_string): a secret encrypted in a backup.
VAULT_HEADER = '$ANSIBLE_VAULT;'
# Values a device reports but never takes: its identity, not its configuration. A backup restored onto a replacement
# device (same model, another unit) keeps the replacement's own.
DEVICE_FACTS = ('Network/MacAddress',)
# Levels of elements a document may have below its root. The device's have four at most; a deeper one is a mistake
# (or an attack), and refused before the recursive functions of this module could run out of stack on it.
MAX_DEPTH = 32
# A device value that a YAML integer may stand for: a plain decimal number, no leading zeros (SwitchOnDuration 5).
_PLAIN_DECIMAL = re.compile(r'^-?(0|[1-9][0-9]*)$')
# Characters XML 1.0 cannot carry (tab, line feed and carriage return are fine).
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_TAG = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]*$')


class ConfigDocumentError(ValueError):
    """The desired configuration is not a usable document; raised before any request to the device."""


def _key(element):
    return element.tag, element.get(INDEX_ATTRIBUTE)


def _label(element):
    index = element.get(INDEX_ATTRIBUTE)
    return element.tag if index is None else '%s[%s=%s]' % (element.tag, INDEX_ATTRIBUTE, index)


def _join(path, element):
    return '%s/%s' % (path, _label(element)) if path else _label(element)


def _elements(parent):
    """Child elements, without comments and processing instructions."""
    return [child for child in parent if isinstance(child.tag, str)]


def _value(element):
    return (element.text or '').strip()


def parse(text):
    """A document from XML text; a malformed document or another root element is refused."""
    if isinstance(text, str):
        text = text.encode('utf-8')
    if b'<!DOCTYPE' in text or b'<!ENTITY' in text:
        raise ConfigDocumentError('the configuration must not contain a DOCTYPE or entity declarations')
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigDocumentError('the configuration is not well-formed XML: %s' % exc)
    if root.tag != ROOT_TAG:
        raise ConfigDocumentError('the configuration root element must be <%s>, got <%s>' % (ROOT_TAG, root.tag))
    if _depth(root, _elements) > MAX_DEPTH:
        raise ConfigDocumentError(_TOO_DEEP)
    _check_unique_siblings(root, '')
    return root


_TOO_DEEP = ('the configuration is nested more than %d levels deep; a device configuration has only a few levels '
             '(<DeviceDatabase><Switches><Switch At="0"><Code>)' % MAX_DEPTH)


def _depth(root, children, limit=MAX_DEPTH):
    """Levels below root, counted without recursion; counting stops once past limit."""
    deepest, pending = 0, [(root, 0)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            break
        pending.extend((child, level + 1) for child in children(node))
    return deepest


def _settings_children(tree):
    if isinstance(tree, dict):
        return list(tree.values())
    if isinstance(tree, list):
        # the items of a list are one level: the repeated elements themselves
        return [value for item in tree if isinstance(item, dict) for value in item.values()]
    return []


def settings_too_deep(settings):
    """Whether a settings tree (the YAML form) nests more than MAX_DEPTH levels of elements."""
    return _depth(settings, _settings_children) > MAX_DEPTH


def _check_unique_siblings(parent, path):
    seen = set()
    for child in _elements(parent):
        if _key(child) in seen:
            raise ConfigDocumentError('%s appears twice; repeated items need distinct %s attributes'
                                      % (_join(path, child), INDEX_ATTRIBUTE))
        seen.add(_key(child))
        _check_unique_siblings(child, _join(path, child))


def _scalar(value, path):
    if isinstance(value, bool):
        return '1' if value else '0'  # the device writes flags as 1/0
    if value is None:
        return ''
    if isinstance(value, (int, float, str)):
        text = str(value)
        if _NOT_XML.search(text):
            raise ConfigDocumentError('%s: holds a control character, which a configuration document (XML) cannot '
                                      'carry: remove it' % path)
        return text
    raise ConfigDocumentError('%s: expected a value (string, number or boolean), got %s' % (path, type(value).__name__))


def _index(value, path):
    """An item's At index: a whole number, written as 0 or '0'; never a YAML boolean or a fraction."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, int) and value < 0):
        shown = str(value).lower() if isinstance(value, bool) else value
        raise ConfigDocumentError('%s: %s is not an index; an %s index is a whole number such as 0 (a YAML boolean '
                                  'or fraction is not)' % (path, shown, INDEX_ATTRIBUTE))
    return _scalar(value, path)


def _fill(element, tree, path, keys, typed):
    if not isinstance(tree, dict):
        raise ConfigDocumentError('%s: expected a mapping of settings, got %s' % (path or ROOT_TAG, type(tree).__name__))
    for tag, value in tree.items():
        tag = str(tag)
        if tag == INDEX_ATTRIBUTE and path:
            continue  # consumed by the caller as the item's index
        if not _TAG.match(tag):
            raise ConfigDocumentError('%s: "%s" is not a setting name (letters, digits, _, . and -, not starting with '
                                      'a digit)' % (path or ROOT_TAG, tag))
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
            raise ConfigDocumentError('%s/%s: a list holds repeated items, each a mapping with an %s key'
                                      % (path or ROOT_TAG, tag, INDEX_ATTRIBUTE))
        for item in items:
            child = ET.SubElement(element, tag)
            child_path = '%s/%s' % (path, tag) if path else tag
            if isinstance(item, dict):
                if isinstance(value, list):
                    if INDEX_ATTRIBUTE not in item:
                        raise ConfigDocumentError('%s: every repeated item needs an %s key' % (child_path, INDEX_ATTRIBUTE))
                if INDEX_ATTRIBUTE in item:
                    child.set(INDEX_ATTRIBUTE, _index(item[INDEX_ATTRIBUTE], child_path + '/' + INDEX_ATTRIBUTE))
                _fill(child, item, _join(path, child), keys + (_key(child),), typed)
            else:
                child.text = _scalar(item, child_path)
                if not isinstance(item, (str, type(None))):
                    typed.append((keys + (_key(child),), _join(path, child).replace('/', '.'), item))


def from_settings(settings, typed=None):
    """A document from the YAML form: {'Network': {'Hostname': 'door-1'}, 'Switches': {'Switch': [{'At': 0, ...}]}}.

    typed: a list to which every value that YAML gave a type other than string (a number, a boolean) is added as
    (keys, path, value), for check_yaml_types().
    """
    if isinstance(settings, dict) and list(settings) == [ROOT_TAG]:
        settings = settings[ROOT_TAG]
    if settings_too_deep(settings):
        raise ConfigDocumentError(_TOO_DEEP)
    root = ET.Element(ROOT_TAG)
    _fill(root, settings, '', (), typed if typed is not None else [])
    _check_unique_siblings(root, '')
    return root


_YAML_NUMBER = ('is a YAML number, and YAML may have changed what was written (0123 is read as 83, 1:20 as 80, 1.10 '
                'as 1.1): quote it')
_YAML_BOOLEAN = ('is a YAML boolean, and YAML may have changed what was written (yes, no, on, off, true and false are '
                 'read as booleans): quote it')


def check_yaml_types(typed, device=None, option='settings'):
    """Refuse the values of a settings tree whose YAML type may have changed what the user wrote.

    typed: from from_settings(). Strings are taken as written. A boolean is taken only for a flag: an element whose
    value on the device is 0 or 1 (it becomes 1 or 0). A whole number is taken only for an element whose value on
    the device is a plain decimal number without leading zeros (SwitchOnDuration 5), and sent as its decimal form;
    never for a secret (a code such as 0123 would become 83). A fraction never. Without the device's document
    (before any request), only what fails whatever the device holds is refused.
    ConfigDocumentError naming every such value by its path, as option.Section.Item[At=0].Value.
    """
    problems = []
    for keys, path, value in typed:
        secret = keys[-1][0] in SECRET_TAGS
        current = _value_at(device, keys) if device is not None else None
        shown = 'the value' if secret else (str(value).lower() if isinstance(value, bool) else str(value))
        if isinstance(value, bool):
            if secret or (device is not None and current not in ('0', '1')):
                problems.append('%s.%s: %s %s (a boolean is taken only for a flag, a setting whose value on the '
                                'device is 0 or 1)' % (option, path, shown, _YAML_BOOLEAN))
        elif isinstance(value, int):
            if secret:
                problems.append('%s.%s: %s %s (a secret such as a code or password is always a string)'
                                % (option, path, shown, _YAML_NUMBER))
            elif device is not None and not _PLAIN_DECIMAL.match(current or ''):
                problems.append('%s.%s: %s %s (an unquoted whole number is taken only for a setting whose value on '
                                'the device is a plain number)' % (option, path, shown, _YAML_NUMBER))
        else:
            problems.append('%s.%s: %s %s' % (option, path, shown, _YAML_NUMBER))
    if problems:
        raise ConfigDocumentError('; '.join(problems))


def _value_at(document, keys):
    """The value of the element the (tag, At) keys lead to in document; None if there is none or it is a section."""
    element = document
    for key in keys:
        element = next((child for child in _elements(element) if _key(child) == key), None)
        if element is None:
            return None
    return None if _elements(element) else _value(element)


def to_settings(element):
    """The YAML form of a document (inverse of from_settings)."""
    result = {}
    for child in _elements(element):
        if _elements(child):
            value = to_settings(child)
            if child.get(INDEX_ATTRIBUTE) is not None:
                value = dict({INDEX_ATTRIBUTE: int(child.get(INDEX_ATTRIBUTE))}, **value)
                result.setdefault(child.tag, []).append(value)
                continue
        else:
            value = _value(child)
        result[child.tag] = value
    return result


def copy(element):
    return _copy.deepcopy(element)


def overlay(device, desired, allow_new=False):
    """The device's document with the desired values over it, keeping the device's element order.

    Returns (document, new_paths). A desired element the device does not have is a typo until proven
    otherwise: without allow_new it raises ConfigDocumentError naming every such path.
    """
    merged = copy(device)
    new_paths = []
    _overlay(merged, desired, '', new_paths, allow_new)
    if new_paths and not allow_new:
        raise ConfigDocumentError('the device has no such setting: %s (a typo? set allow_new to add elements)'
                                  % ', '.join(new_paths))
    return merged, new_paths


def _overlay(target, desired, path, new_paths, allow_new):
    existing = dict((_key(child), child) for child in _elements(target))
    for given in _elements(desired):
        child_path = _join(path, given)
        match = existing.get(_key(given))
        if match is None:
            new_paths.append(child_path)
            if allow_new:
                target.append(copy(given))
            continue
        if _elements(given):
            if not _elements(match) and _value(match):
                raise ConfigDocumentError('%s is a value on the device, not a section' % child_path)
            _overlay(match, given, child_path, new_paths, allow_new)
        elif _elements(match):
            if _value(given):
                raise ConfigDocumentError('%s is a section on the device, not a value' % child_path)
        else:
            match.text = _value(given)


def leaves(element, path=''):
    """{path: value} of every value element."""
    result = {}
    for child in _elements(element):
        child_path = _join(path, child)
        if _elements(child):
            result.update(leaves(child, child_path))
        else:
            result[child_path] = _value(child)
    return result


def changed_paths(before, after):
    """Paths of the values (and attributes) that differ between two documents, or exist in one only.

    This is the canonical comparison: comments, the header and whitespace do not count, and siblings are
    matched by (tag, At), so the device's element order is no difference. No paths: the documents are equal.
    """
    paths = []
    _compare(before, after, '', paths)
    return paths


def _compare(before, after, path, paths):
    for name in sorted(set(before.keys()) | set(after.keys())):
        if name != INDEX_ATTRIBUTE and before.get(name) != after.get(name):
            paths.append('%s/@%s' % (path, name) if path else '@%s' % name)
    old = _elements(before)
    new = _elements(after)
    if not old and not new:
        if _value(before) != _value(after):
            paths.append(path)
        return
    old_by_key = dict((_key(child), child) for child in old)
    new_keys = set()
    for child in new:
        new_keys.add(_key(child))
        match = old_by_key.get(_key(child))
        child_path = _join(path, child)
        if match is None:
            paths.extend(sorted(leaves(_wrap(child), path)) or [child_path])
        else:
            _compare(match, child, child_path, paths)
    for child in old:
        if _key(child) not in new_keys:
            paths.extend(sorted(leaves(_wrap(child), path)) or [_join(path, child)])


def _wrap(element):
    holder = ET.Element('holder')
    holder.append(element)
    return holder


def _values(element, path=''):
    """{path: value} of every value element and every attribute but At (the paths changed_paths names)."""
    result = {}
    for name, value in element.items():
        if name != INDEX_ATTRIBUTE:
            result['%s/@%s' % (path, name) if path else '@%s' % name] = value
    for child in _elements(element):
        child_path = _join(path, child)
        if _elements(child):
            result.update(_values(child, child_path))
        else:
            for name, value in child.items():
                if name != INDEX_ATTRIBUTE:
                    result['%s/@%s' % (child_path, name)] = value
            result[child_path] = _value(child)
    return result


def differences(before, after, show_secrets=False):
    """[(path, before value, after value)] for every path changed_paths names; None: the path exists on one
    side only. Secret values are masked (both sides, so a changed secret shows as a difference without its
    value) unless show_secrets."""
    old, new = _values(before), _values(after)
    result = []
    for path in changed_paths(before, after):
        pair = [old.get(path), new.get(path)]
        if not show_secrets and path.rsplit('/', 1)[-1] in SECRET_TAGS:
            pair = [MASK if value else value for value in pair]
        result.append((path, pair[0], pair[1]))
    return result


def missing_paths(partial, whole):
    """Value paths of whole that partial does not have (what a replace with partial would leave unsaid)."""
    have = _values(partial)
    return [path for path in _values(whole) if path not in have and '/@' not in path and not path.startswith('@')]


def masked_paths(element):
    """Paths of the secret values that hold a mask, not a secret (a masked backup or result used as the source)."""
    return [path for path, value in leaves(element).items()
            if path.rsplit('/', 1)[-1] in SECRET_TAGS and (value == MASK or value.startswith(MASK + ' ('))]


def fingerprint_mask(key):
    """A mask for backups and results that carries the secret's fingerprint under key (see _FINGERPRINTED_MASK)."""
    return lambda value: '%s (hmac:%s)' % (MASK, _fingerprint(key, value))


def _fingerprint(key, value):
    return hmac.new(key, value.encode('utf-8'), hashlib.sha256).hexdigest()[:12]


def unmatched_masks(desired, device, keys):
    """Replace each mask in desired whose fingerprint matches the device's current secret at its path (under one of
    keys) by that secret, in place; the paths of the other masks, which match no secret of the device."""
    have = leaves(device)
    unmatched = []
    for path, element in _leaf_elements(desired, ''):
        value = _value(element)
        if path.rsplit('/', 1)[-1] not in SECRET_TAGS or not (value == MASK or value.startswith(MASK + ' (')):
            continue
        match = _FINGERPRINTED_MASK.match(value)
        current = have.get(path) or ''
        if match and current and any(hmac.compare_digest(_fingerprint(key, current), match.group(1)) for key in keys):
            element.text = current
        else:
            unmatched.append(path)
    return unmatched


def plain_masked_paths(element):
    """Paths of the masks that carry no fingerprint: nothing can tell which secret they hid."""
    values = leaves(element)
    return [path for path in masked_paths(element) if not _FINGERPRINTED_MASK.match(values[path])]


def _leaf_elements(element, path):
    for child in _elements(element):
        child_path = _join(path, child)
        if _elements(child):
            yield from _leaf_elements(child, child_path)
        else:
            yield child_path, child


def vaulted_paths(element):
    """Paths of the values that are Ansible Vault encrypted (a backup written with backup_secrets=vault)."""
    return [path for path, value in leaves(element).items() if value.startswith(VAULT_HEADER)]


def decrypt_values(element, decrypt):
    """Replace every Ansible Vault value by decrypt(value), in place; decrypt raises ValueError naming no value.

    Raises ConfigDocumentError naming the paths it could not decrypt."""
    failed = []
    for path, child in _leaf_elements(element, ''):
        if _value(child).startswith(VAULT_HEADER):
            try:
                child.text = decrypt(_value(child))
            except ValueError:
                failed.append(path)
    if failed:
        raise ConfigDocumentError('cannot decrypt the Ansible Vault values of %s with the vault secrets given (another '
                                  'vault id or password?)' % ', '.join(failed))


def keep_device_facts(desired, device):
    """Give desired the device's own values of DEVICE_FACTS, in place (a backup of another unit of the model)."""
    for path in DEVICE_FACTS:
        wanted, have = desired.find(path), device.find(path)
        if wanted is not None and have is not None and not _elements(wanted):
            wanted.text = have.text


def header(text):
    """The comment before the root element of a document as the device sent it (its model, serial number,
    versions), or None."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    match = re.match(r'\s*(?:<\?xml[^>]*\?>\s*)?<!--(.*?)-->', text, re.S)
    return match.group(1).strip('\n') if match else None


def mismatches(desired, actual):
    """Desired value paths that the actual document does not hold (after an upload: what did not take)."""
    have = leaves(actual)
    return [path for path, value in leaves(desired).items() if have.get(path) != value]


def masked(element, show_secrets=False, mask=None):
    """A copy with every non-empty secret value, and the password of every URL in other values, replaced by
    mask(value), by default the constant MASK (see render)."""
    result = copy(element)
    if not show_secrets:
        _mask_in_place(result, mask or (lambda value: MASK))
    return result


def _mask_in_place(element, mask):
    secret = _secret_value(element)
    if secret is not None:
        # the whole content of a secret element is the secret, whatever it is made of
        for child in list(element):
            element.remove(child)
        element.text = mask(secret)
        return
    if element.text:
        element.text = mask_url_passwords(element.text, mask)
    for child in element:
        if child.tail:
            child.tail = mask_url_passwords(child.tail, mask)
        if isinstance(child.tag, str):
            _mask_in_place(child, mask)


def _secret_value(element):
    """The text inside a secret element (descendants' included), or None: not a secret element, or empty."""
    if element.tag not in SECRET_TAGS:
        return None
    return ''.join(element.itertext()).strip() or None


# The password of a URL's userinfo (scheme://user:password@host/...), up to the last @ before whitespace or a tag:
# a password with an unencoded @ in it is still masked whole.
_URL_PASSWORD = re.compile(r'\b([A-Za-z][A-Za-z0-9+.\-]*://[^/?#@:\s<>]*:)([^\s<>]+)@')


def mask_url_passwords(text, mask=None):
    """text with the password of every URL in it replaced by mask(password), by default the constant MASK.

    rtsp://user:pass@camera/stream becomes rtsp://user:********@camera/stream: scheme, user and host stay visible.
    """
    mask = mask or (lambda value: MASK)
    return _URL_PASSWORD.sub(lambda match: '%s%s@' % (match.group(1), mask(match.group(2))), text)


def masked_settings(settings):
    """A copy of a settings tree (the YAML form) with every non-empty secret value masked, and the passwords of URLs."""
    if settings_too_deep(settings):
        return '(not shown: nested more than %d levels deep)' % MAX_DEPTH
    return _masked_settings(settings)


def _masked_settings(settings):
    if isinstance(settings, dict):
        return dict((key, MASK if key in SECRET_TAGS and _is_set(value) else _masked_settings(value))
                    for key, value in settings.items())
    if isinstance(settings, list):
        return [_masked_settings(item) for item in settings]
    if isinstance(settings, str):
        return mask_url_passwords(settings)
    return settings


def _is_set(value):
    return value not in (None, '') and value != {} and value != []


# In text that does not parse: from a secret element's opening tag to its last closing tag, or else to the end.
_SECRET_SPAN = re.compile(r'<(%s)(\s[^>]*?)?(?<!/)>(?:.*</\1\s*>|.*\Z)' % '|'.join(sorted(SECRET_TAGS)), re.S)


def masked_text(text):
    """XML text with every secret masked: what invocation and logs show of the content option.

    Well-formed text is shown as the document parsed from it, masked as any other, so that no CDATA section or
    comment can hide a secret value from the mask. Text that does not parse (the task fails on it) has everything
    from a secret element's opening tag up to its last closing tag masked, and every URL's password.
    """
    try:
        return ET.tostring(masked(parse(text)), encoding='unicode')
    except ConfigDocumentError:
        pass
    tag, attributes = 1, 2
    spans = _SECRET_SPAN.sub(
        lambda match: '<%s%s>%s</%s>' % (match.group(tag), match.group(attributes) or '', MASK, match.group(tag)), text)
    return mask_url_passwords(spans)


def diff_mask(salt):
    """A mask for the two sides of one diff: equal secrets get equal masks, changed ones different masks.

    The tag is an HMAC under a salt that is never shown and differs every run, so it tells nothing about the
    value itself.
    """
    return lambda value: '%s (%s)' % (MASK, hmac.new(salt, value.encode('utf-8'), hashlib.sha256).hexdigest()[:8])


def render(element, show_secrets=True, mask=None, comment=None):
    """Indented XML text, one element per line: what diffs and backups show.

    Unless show_secrets, secret values, and the passwords of URLs in other values, are replaced by mask(value), by
    default the constant MASK; a mask that encrypts (its attribute encrypts is true) takes a value with a URL
    password whole, so that a restore can decrypt it. comment: text of a comment before the root element (a backup
    keeps the device's header: model, serial number, versions).
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if comment:
        lines.append('<!--\n%s\n-->' % comment.replace('--', '- -'))
    _render(element, 0, lines, None if show_secrets else (mask or (lambda value: MASK)))
    return '\n'.join(lines) + '\n'


def _render(element, depth, lines, mask):
    indent = '  ' * depth
    attributes = ''.join(' %s="%s"' % (name, _escape(value).replace('"', '&quot;')) for name, value in element.items())
    secret = _secret_value(element) if mask else None
    if secret is not None:
        lines.append('%s<%s%s>%s</%s>' % (indent, element.tag, attributes, _escape(mask(secret)), element.tag))
        return
    children = _elements(element)
    if not children:
        text = _value(element)
        if mask and _URL_PASSWORD.search(text):
            text = mask(text) if getattr(mask, 'encrypts', False) else mask_url_passwords(text, mask)
        text = _escape(text)
        lines.append('%s<%s%s>%s</%s>' % (indent, element.tag, attributes, text, element.tag))
        return
    lines.append('%s<%s%s>' % (indent, element.tag, attributes))
    for child in children:
        _render(child, depth + 1, lines, mask)
    lines.append('%s</%s>' % (indent, element.tag))


def _escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def serialize(element):
    """Bytes to upload to the device."""
    body = ET.tostring(element, encoding='unicode', short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n%s\n' % body).encode('utf-8')
