"""ansible-doc of every plugin of the collection: python .ci/doc_check.py PLUGINS_DIR NAMESPACE.NAME

Finds the plugins by their files under PLUGINS_DIR (not by `ansible-doc --list`, which silently leaves out
a plugin whose documentation does not load) and runs ansible-doc on each, as JSON and as the text a user
reads. The collection must be on ANSIBLE_COLLECTIONS_PATH (the Makefile points it at build/collections).
A plugin fails when ansible-doc exits non-zero, prints a warning or an error, or returns no documentation.

- modules/: every module file (subdirectories give dotted names).
- action/: action plugins have no documentation of their own; ansible-doc shows the module of the same
  name, so each action plugin must have one.
- filter/, test/: documented per filter/test in NAME.yml files; the names are taken from those files and
  from `ansible-doc --list`.
- other documentable types (lookup, inventory, callback, connection, ...): every plugin file.
- doc_fragments/, module_utils/, plugin_utils/ hold no plugins.
"""

import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys

NOT_PLUGINS = {'doc_fragments', 'module_utils', 'plugin_utils'}
DOCUMENTED = {'become', 'cache', 'callback', 'cliconf', 'connection', 'httpapi', 'inventory', 'lookup',
              'netconf', 'shell', 'strategy', 'vars', 'filter', 'test'}
SOURCE_SUFFIXES = ('.py', '.ps1')
# the ansible-doc of the interpreter running this (the venv's), else the one on PATH
_BESIDE = pathlib.Path(sys.executable).parent / 'ansible-doc'
ANSIBLE_DOC = str(_BESIDE) if _BESIDE.exists() else 'ansible-doc'


def plugin_names(directory):
    """Dotted names of the plugin files under directory."""
    names = []
    for path in sorted(directory.rglob('*')):
        if path.suffix not in SOURCE_SUFFIXES or path.name == '__init__.py' or '__pycache__' in path.parts:
            continue
        names.append('.'.join(path.relative_to(directory).with_suffix('').parts))
    return names


def ansible_doc(plugin_type, fqcns, as_json):
    cmd = [ANSIBLE_DOC, '-t', plugin_type] + (['--json'] if as_json else []) + list(fqcns)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_DEPRECATION_WARNINGS='1')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    noise = [line for line in proc.stderr.splitlines() if '[WARNING]' in line or '[ERROR]' in line or 'ERROR!' in line]
    return proc.returncode, proc.stdout, noise, proc.stderr.strip()


def problems_of(plugin_type, fqcns):
    """ansible-doc on fqcns (as JSON, then as text): a list of problems, empty when all load and render."""
    problems = []
    rc, out, noise, dummy = ansible_doc(plugin_type, fqcns, as_json=True)
    if rc != 0:
        problems.append(f'ansible-doc --json exited {rc}')
    problems.extend(noise)
    try:
        docs = json.loads(out) if out.strip() else {}
    except ValueError:
        docs = {}
        problems.append('ansible-doc --json printed no JSON')
    for fqcn in fqcns:
        doc = (docs.get(fqcn) or {}).get('doc') or {}
        if not doc.get('short_description'):
            problems.append(f'{fqcn}: no documentation (or no short_description)')
    rc, out, noise, err = ansible_doc(plugin_type, fqcns, as_json=False)
    if rc != 0 or not out.strip() or noise:
        problems.append(f'ansible-doc (text) exited {rc}: {err}')
    return problems


def check(plugin_type, plugins):
    """Check plugins [(fqcn, source)] of one type: all in one ansible-doc run, one by one if that fails."""
    if not problems_of(plugin_type, [plugin[0] for plugin in plugins]):
        return [(True, [f'ok   {plugin_type:<10} {fqcn}  ({source})']) for fqcn, source in plugins]
    results = []
    # one at a time, to say which plugin fails; two at a time, as the machine has 2 cores
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        each = pool.map(lambda plugin: problems_of(plugin_type, [plugin[0]]), plugins)
        for (fqcn, source), problems in zip(plugins, each, strict=True):
            status = 'ok  ' if not problems else 'FAIL'
            report = [f'{status} {plugin_type:<10} {fqcn}  ({source})']
            report += [f'       {line}' for problem in problems for line in problem.splitlines()]
            results.append((not problems, report))
    return results


def listed(plugin_type, collection):
    proc = subprocess.run([ANSIBLE_DOC, '-t', plugin_type, '--list', '--json', collection],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    try:
        return sorted(json.loads(proc.stdout or '{}'))
    except ValueError:
        return []


def main():
    plugins = pathlib.Path(sys.argv[1])
    collection = sys.argv[2]
    jobs, results = [], []
    if not plugins.is_dir():
        print(f'{plugins}: no plugins directory, nothing to document')
        return 0
    for directory in sorted((p for p in plugins.iterdir() if p.is_dir()), key=lambda p: (p.name != 'modules', p.name)):
        kind = directory.name
        if kind in NOT_PLUGINS:
            continue
        if kind == 'modules':
            for name in plugin_names(directory):
                jobs.append(('module', f'{collection}.{name}', directory / name))
        elif kind == 'action':
            modules = set(plugin_names(plugins / 'modules')) if (plugins / 'modules').is_dir() else set()
            for name in plugin_names(directory):
                if name in modules:
                    print(f'ok   action     {collection}.{name}  (documented by its module of the same name)')
                else:
                    jobs.append(('module', f'{collection}.{name}', f'action plugin {directory / name}'))
        elif kind in ('filter', 'test'):
            names = {f'{collection}.{p.stem}' for p in directory.glob('*.y*ml')} | set(listed(kind, collection))
            if any(directory.glob('*.py')) and not names:
                print(f'FAIL {kind:<10} {directory}: plugin files but no documented {kind} plugins')
                results.append(False)
            for fqcn in sorted(names):
                jobs.append((kind, fqcn, directory))
        elif kind in DOCUMENTED:
            for name in plugin_names(directory):
                jobs.append((kind, f'{collection}.{name}', directory / name))
        else:
            print(f'FAIL {directory}: not a plugin type this check knows; teach .ci/doc_check.py')
            results.append(False)
    by_type = {}
    for plugin_type, fqcn, source in jobs:
        by_type.setdefault(plugin_type, []).append((fqcn, source))
    for plugin_type, plugins_of_type in by_type.items():
        for ok, report in check(plugin_type, plugins_of_type):
            results.append(ok)
            print('\n'.join(report))
    failed = results.count(False)
    print(f'ansible-doc: {len(results) - failed} plugins documented, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
