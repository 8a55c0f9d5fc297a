"""Summary of a `make test` run: python3 .ci/summary.py LOGDIR GATE...

Reads LOGDIR/GATE.rc and GATE.time written by .ci/gate, and the JUnit XML files of the pytest gates.
Prints one line per gate, the tail of each failed gate's log, and last the tests counted over all pytest
gates as 'tests: N passed, N failed'. Exits 1 if any gate failed or did not run.
"""

import pathlib
import sys
import xml.etree.ElementTree as ET

TAIL = 40


def read(path):
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def junit_counts(path):
    """(passed, failed, skipped) from a pytest JUnit XML file, or None."""
    try:
        root = ET.parse(path).getroot()
    except (FileNotFoundError, ET.ParseError):
        return None
    suites = [root] if root.tag == 'testsuite' else root.iter('testsuite')
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get('tests', 0))
        failed += int(suite.get('failures', 0)) + int(suite.get('errors', 0))
        skipped += int(suite.get('skipped', 0))
    return tests - failed - skipped, failed, skipped


def main():
    logs = pathlib.Path(sys.argv[1])
    gates = sys.argv[2:]
    rows, failed_gates = [], []
    passed = failed = skipped = 0
    for gate in gates:
        rc, seconds = read(logs / f'{gate}.rc'), read(logs / f'{gate}.time')
        counts = junit_counts(logs / f'{gate}.xml')
        note = ''
        if counts:
            passed += counts[0]
            failed += counts[1]
            skipped += counts[2]
            note = f'{counts[0]} passed, {counts[1]} failed' + (f', {counts[2]} skipped' if counts[2] else '')
        if rc is None:
            status, seconds = 'NOT RUN', '-'
            failed_gates.append(gate)
        elif rc == '0':
            status = 'passed'
        else:
            status = f'FAILED ({rc})'
            failed_gates.append(gate)
            note = (note + '  ' if note else '') + str(logs / f'{gate}.log')
        rows.append(f'  {gate:<20} {status:<12} {seconds:>5}s  {note}'.rstrip())

    for gate in failed_gates:
        log = read(logs / f'{gate}.log')
        if log:
            print(f'\n--- last lines of {logs / gate}.log ---')
            print('\n'.join(log.splitlines()[-TAIL:]))
    print('\n=== make test: gates')
    print('\n'.join(rows))
    if failed_gates:
        print(f'=== make test: FAILED: {", ".join(failed_gates)}')
    else:
        print('=== make test: all gates passed')
    print(f'tests: {passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else ''))
    return 1 if failed_gates else 0


if __name__ == '__main__':
    sys.exit(main())
