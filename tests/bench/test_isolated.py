"""bench/isolated.py: a contender timed in a process of its own computes what it computes here,
keeps its own imports, and its child-measured seconds are the ones the rounds use."""

import harness
import numpy as np
import pytest
from harness import interleaved_rates
from isolated import InProcessRunner, IsolatedRunner, TimedRun
from peers_tiny import STEPS, PythonByHand, make_tiny_data


def test_a_contender_in_its_own_process_makes_the_same_updates_as_here():
    here = InProcessRunner(PythonByHand, make_tiny_data())  # the interface of --one-process
    here.prepare()
    assert here.run(STEPS) == STEPS
    runner = IsolatedRunner(PythonByHand)
    try:
        runner.prepare()
        finished = runner.run(STEPS)
        assert finished == STEPS and finished.seconds > 0
        assert np.array_equal(runner.predict(), here.predict())  # the same floats, bit for bit
        runner.prepare()  # a fresh contender: back to the start
        runner.run(1)
        assert not np.array_equal(runner.predict(), here.predict())
    finally:
        runner.close()
    assert runner.child.returncode == 0


def test_the_child_imports_only_its_contenders_modules():
    runner = IsolatedRunner(PythonByHand)
    try:
        runner.ask("prepare")
        runner.child.stdin.write("modules\n")  # not a request the child knows: it stops
        runner.child.stdin.flush()
        assert runner.child.wait(timeout=30) != 0  # an unknown request is an error, not ignored
    finally:
        runner.close()
    probe = IsolatedRunner(PythonByHand)
    try:
        assert probe.ask("loaded torch glassnet") == {"torch": False, "glassnet": False}
    finally:
        probe.close()


def test_the_rounds_use_the_seconds_measured_in_the_child(quick_rounds):
    rates = interleaved_rates({"a": lambda: TimedRun(100, 0.5), "b": lambda: TimedRun(100, 2.0)},
                              rounds=2, collect_garbage=False).rates
    assert rates == {"a": [200.0, 200.0], "b": [50.0, 50.0]}


def test_a_busy_child_counts_as_this_process_s_own_load():
    psutil = pytest.importorskip("psutil",
                                 reason="OtherLoad needs psutil: pip install -e '.[bench]'")
    runner = IsolatedRunner(PythonByHand)
    try:
        runner.prepare()
        child = psutil.Process(runner.child.pid)
        child_before = sum(child.cpu_times()[:2])
        load = harness.OtherLoad()
        for _ in range(10):
            runner.run(STEPS * 10)
        own_seconds = load._snapshot()[2] - load.start[2]
        child_seconds = sum(child.cpu_times()[:2]) - child_before
        # the child's CPU time is ours (CPU time, not wall time: on a busy machine it waits too)
        assert child_seconds > 0.05
        assert own_seconds >= 0.8 * child_seconds
    finally:
        runner.close()


def test_a_child_that_died_is_named_with_its_exit_status():
    runner = IsolatedRunner(PythonByHand)
    runner.child.kill()
    runner.child.wait()
    with pytest.raises(RuntimeError, match=r"PythonByHand's process ended \(exit status -9\) "
                                           r"when asked 'prepare'"):
        runner.prepare()
    runner.close()  # and closing it after that raises nothing
    assert runner.child.stdout.closed
