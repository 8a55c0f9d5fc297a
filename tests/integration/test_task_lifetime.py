"""A call that acts is never made after the task that asked for it has ended: not after Ansible's task timeout,
on any of the three ways a task runs (its calls relayed to the session server, made by its worker, or by a module
process that the worker leaves behind when it gives up)."""

from __future__ import annotations

import time

import pytest


PATHS = {
    'relayed to the session server': {},
    'made by the worker': {'HELIOS_SESSION_SERVER': 'false'},
    'made by a module process': {'HELIOS_ACTION_IN_PROCESS': 'false'},
}


@pytest.mark.parametrize('path', PATHS)
def test_no_call_that_acts_is_made_after_the_task_timed_out(device, ansible, tmp_path, path):
    # Every call takes a second: the Digest challenge, switch/caps (the timeout of 2 s ends here), switch/status, and
    # only then would switch/ctrl switch the relay on, at about 4 s.
    device.faults(latency=1)
    started = time.monotonic()
    try:
        run = ansible(device, 'switch_timeout', env=dict(PATHS[path], TMPDIR=str(tmp_path)))
        assert run.rc == 0, run.stdout  # the switch task timed out, and the play went on for 5 s
        time.sleep(max(0.0, started + 8 - time.monotonic()))  # what a call left running would have done by now
    finally:
        device.faults(latency=0)
    assert device.switch_active(2) is False
