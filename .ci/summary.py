"""Summary of a `make test` run: python3 .ci/summary.py LOGDIR GATE...

Reads LOGDIR/GATE.rc and GATE.time written by .ci/gate, and the JUnit XML files of the pytest gates.
Prints one line per gate, what went wrong in each failed gate, and last the tests counted over all pytest
gates as 'tests: N passed, N failed'. Exits 1 if any gate failed or did not run.

What went wrong: for a pytest gate with failed tests, the first failure (its test and the assertion, the `E` lines
of its report) and pytest's short test summary, not the last lines of a traceback through library source; for
any other gate, the last lines of its log.
"""

import pathlib
import re
import sys
import xml.etree.ElementTree as ET

TAIL = 40
# at most this many `E` lines of the first failure, and lines of pytest's short test summary
FIRST_FAILURE_LINES = 15
SUMMARY_LINES = 30
SUMMARY_HEADER = re.compile(r'^=+ short test summary info =+$')


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


def first_failure(path):
    """(test id, lines) of the first failed or erroring test of a pytest JUnit XML file, or None."""
    try:
        root = ET.parse(path).getroot()
    except (FileNotFoundError, ET.ParseError):
        return None
    for case in root.iter('testcase'):
        for kind in ('failure', 'error'):
            problem = case.find(kind)
            if problem is None:
                continue
            test = '%s::%s' % (case.get('classname', ''), case.get('name', ''))
            lines = [line for line in (problem.text or '').splitlines() if line.startswith('E ')]
            if not lines and problem.get('message'):
                lines = problem.get('message').splitlines()
            return test + (' (error)' if kind == 'error' else ''), lines[:FIRST_FAILURE_LINES]
    return None


def short_summary(log):
    """The lines of pytest's short test summary in a log (from its header to the end), or []."""
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if SUMMARY_HEADER.match(line.strip())]
    if not starts:
        return []
    section = lines[starts[-1]:]
    if len(section) > SUMMARY_LINES:
        section = section[:SUMMARY_LINES] + ['... (%d more lines in the log)' % (len(section) - SUMMARY_LINES)]
    return section


def what_went_wrong(logs, gate, log):
    """The lines to show for a failed gate: the first failure and pytest's summary, else the log's tail."""
    failure = first_failure(logs / f'{gate}.xml')
    summary = short_summary(log or '')
    if failure is None and not summary:
        return f'--- last lines of {logs / gate}.log ---', (log or '').splitlines()[-TAIL:]
    lines = []
    if failure:
        lines += ['first failure: ' + failure[0]] + ['  ' + line for line in failure[1]]
    lines += summary
    return f'--- {gate}: what failed (the whole log: {logs / gate}.log) ---', lines


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
        if log or (logs / f'{gate}.xml').exists():
            header, lines = what_went_wrong(logs, gate, log)
            print('\n' + header)
            print('\n'.join(lines))
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
