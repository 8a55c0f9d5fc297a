""".ci/summary.py, the end of `make test`: a failed pytest gate shows what failed, not library source."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

REPO_ROOT = Path(__file__).resolve().parents[2]
SUMMARY = REPO_ROOT / '.ci' / 'summary.py'

# A traceback's end as pytest prints it: many lines of a library's source (requests, ansible) after the test's.
LIBRARY_SOURCE = ['    def send(self, request, **kwargs):', '        """Send a given PreparedRequest."""',
                  '>       raise ConnectionError(e, request=request)',
                  'E       requests.exceptions.ConnectionError: connection refused',
                  '', '.venv/lib/python3.11/site-packages/requests/adapters.py:700: ConnectionError'] * 12


def failure_report(test, assertion):
    return ['_' * 20 + ' %s ' % test + '_' * 20, '', '    def %s():' % test, '>       assert %s' % assertion,
            'E       assert %s' % assertion, '', 'tests/integration/test_x.py:10: AssertionError'] + LIBRARY_SOURCE


def write_gate(logs, name, log_lines, junit=None, rc=1):
    (logs / ('%s.rc' % name)).write_text('%d\n' % rc)
    (logs / ('%s.time' % name)).write_text('42\n')
    (logs / ('%s.log' % name)).write_text('\n'.join(log_lines) + '\n')
    if junit is not None:
        (logs / ('%s.xml' % name)).write_text(junit)


def summary(logs, *gates):
    run = subprocess.run([sys.executable, str(SUMMARY), str(logs)] + list(gates), capture_output=True, text=True,
                         check=False, timeout=60)
    return run.returncode, run.stdout


def test_a_failed_pytest_gate_shows_the_first_failure_and_the_short_summary(tmp_path):
    first = failure_report('test_first', "run.rc == 0, 'the door did not open'")
    second = failure_report('test_second', 'recap == 1')
    log = (['/work/.venv/bin/pytest -ra -n 2 tests/integration', '.....F...F [100%]', '', '=' * 20 + ' FAILURES ' + '=' * 20]
           + first + second
           + ['=' * 20 + ' short test summary info ' + '=' * 20,
              "FAILED tests/integration/test_x.py::test_first - AssertionError: the door did not open",
              'FAILED tests/integration/test_x.py::test_second - assert recap == 1',
              '=' * 20 + ' 2 failed, 8 passed in 12.34s ' + '=' * 20])
    junit = ('<testsuites><testsuite name="pytest" tests="10" failures="2" errors="0" skipped="0">'
             '<testcase classname="tests.integration.test_x" name="test_first">'
             '<failure message="AssertionError: the door did not open">%s</failure></testcase>'
             '<testcase classname="tests.integration.test_x" name="test_second">'
             '<failure message="assert recap == 1">%s</failure></testcase>'
             '<testcase classname="tests.integration.test_x" name="test_ok"/>'
             '</testsuite></testsuites>') % (escape('\n'.join(first)), escape('\n'.join(second)))
    write_gate(tmp_path, 'test-collection', log, junit)
    write_gate(tmp_path, 'lint', ['lint output'] * 50 + ['lint: the last line'])
    rc, output = summary(tmp_path, 'test-collection', 'lint')
    assert rc == 1
    pytest_part, lint_part = output.split('--- last lines of')
    # the first failure: its test and its assertion, then pytest's short summary
    assert 'first failure: tests.integration.test_x::test_first' in pytest_part
    assert "E       assert run.rc == 0, 'the door did not open'" in pytest_part
    assert 'FAILED tests/integration/test_x.py::test_second - assert recap == 1' in pytest_part
    assert '2 failed, 8 passed' in pytest_part
    # not the library source at the end of the last traceback
    assert 'def send(self, request' not in pytest_part and 'site-packages' not in pytest_part
    # any other gate: its log's tail, as before
    assert 'lint: the last line' in lint_part
    assert re.search(r'test-collection +FAILED \(1\)', output) and '2 failed' in output.split('=== make test: gates')[1]


def test_a_failed_pytest_gate_without_results_shows_its_tail(tmp_path):
    """pytest that stopped before any test (a collection error, a crash): the log's tail."""
    write_gate(tmp_path, 'test-emulator', ['ImportError while loading conftest', 'E   ModuleNotFoundError: nope'])
    rc, output = summary(tmp_path, 'test-emulator')
    assert rc == 1 and 'last lines of' in output and 'E   ModuleNotFoundError: nope' in output
