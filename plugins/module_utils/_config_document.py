# Copyright (c) 2025 twon.helios developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The device's configuration as data: the <DeviceDatabase> document (manual 5.6).

A document is an ElementTree element. Repeated items are told apart by their At attribute
(<Switch At="1">), so an element's identity among its siblings is (tag, At). Desired configuration comes
as XML text or as the same tree in YAML (mappings for sections, a list of mappings with an At key for
repeated items); both become a document, are overlaid on the device's document and compared in canonical
form. Secret values are masked for display.

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
    if _depth(root, lambda element: _elements(element)) > MAX_DEPTH:
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


def mismatches(desired, actual):
    """Desired value paths that the actual document does not hold (after an upload: what did not take)."""
    have = leaves(actual)
    return [path for path, value in leaves(desired).items() if have.get(path) != value]


def masked(element, show_secrets=False):
    """A copy with every non-empty secret value replaced by a mask."""
    result = copy(element)
    if not show_secrets:
        for node in result.iter():
            if _is_secret(node):
                node.text = MASK
    return result


def masked_settings(settings):
    """A copy of a settings tree (the YAML form) with every non-empty secret value masked."""
    if settings_too_deep(settings):
        return '(not shown: nested more than %d levels deep)' % MAX_DEPTH
    return _masked_settings(settings)


def _masked_settings(settings):
    if isinstance(settings, dict):
        return dict((key, MASK if key in SECRET_TAGS and not isinstance(value, (dict, list)) and value not in (None, '')
                     else _masked_settings(value)) for key, value in settings.items())
    if isinstance(settings, list):
        return [_masked_settings(item) for item in settings]
    return settings


_SECRET_ELEMENT = re.compile(r'<(%s)(\s[^>]*)?>([^<]+)</\1\s*>' % '|'.join(sorted(SECRET_TAGS)))


def masked_text(text):
    """XML text with the value of every secret element masked (the text need not be well-formed)."""
    return _SECRET_ELEMENT.sub(lambda match: '<%s%s>%s</%s>' % (match.group(1), match.group(2) or '', MASK, match.group(1)),
                               text)


def _is_secret(node):
    return node.tag in SECRET_TAGS and not _elements(node) and bool(_value(node))


def diff_mask(salt):
    """A mask for the two sides of one diff: equal secrets get equal masks, changed ones different masks.

    The tag is an HMAC under a salt that is never shown and differs every run, so it tells nothing about the
    value itself.
    """
    return lambda value: '%s (%s)' % (MASK, hmac.new(salt, value.encode('utf-8'), hashlib.sha256).hexdigest()[:8])


def render(element, show_secrets=True, mask=None):
    """Indented XML text, one element per line: what diffs and backups show.

    Unless show_secrets, secret values are replaced by mask(value), by default the constant MASK.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    _render(element, 0, lines, None if show_secrets else (mask or (lambda value: MASK)))
    return '\n'.join(lines) + '\n'


def _render(element, depth, lines, mask):
    indent = '  ' * depth
    attributes = ''.join(' %s="%s"' % (name, _escape(value).replace('"', '&quot;')) for name, value in element.items())
    children = _elements(element)
    if not children:
        text = mask(_value(element)) if mask and _is_secret(element) else _escape(_value(element))
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
