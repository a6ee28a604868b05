"""SIGKILL a process that writes backups, at random moments: an intact generation always remains."""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
import warnings

import numpy as np
import pytest

from glassnet.io import BackupFiles


def _writer(directory: str, report_fd: int) -> None:
    """Resume from the latest backup like a trainer would, then write generation after generation
    (a few MB each, so many kills land mid-write), reporting each completed write."""
    backup = BackupFiles(directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = backup.read_latest()
    start = 0 if state is None else state["training_state"]["epoch"] + 1
    os.write(report_fd, f"start {start}\n".encode())
    for epoch in range(start, start + 100_000):
        backup.write(
            model_state={"w": np.full(300_000, float(epoch))},
            optimizer_state={"state": {0: {"step": epoch, "m": np.full(1000, epoch)}}},
            training_state={"epoch": epoch},
        )
        os.write(report_fd, f"{epoch}\n".encode())


def _start_writer(directory: str) -> tuple[int, object]:
    """Fork a writer (a real separate process, without a fresh interpreter's start-up time)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_fd)
            _writer(directory, write_fd)
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    return pid, os.fdopen(read_fd)


def _check(state: dict) -> int:
    epoch = state["training_state"]["epoch"]
    assert np.all(state["model_state"]["w"] == epoch)
    assert state["optimizer_state"]["state"][0]["step"] == epoch
    assert np.all(state["optimizer_state"]["state"][0]["m"] == epoch)
    return epoch


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")
def test_killed_writers_always_leave_an_intact_backup(tmp_path):
    rng = np.random.default_rng(0)
    backup = BackupFiles(tmp_path)
    confirmed = -1  # the last epoch a writer reported as completely written
    kills_between_writes = 0
    for _ in range(15):
        sys.stdout.flush()
        sys.stderr.flush()  # the child inherits unflushed buffers otherwise
        pid, reports = _start_writer(str(tmp_path))
        first = reports.readline().split()
        assert first and first[0] == "start", first
        # It resumes after the newest intact generation: never behind what it had confirmed.
        assert int(first[1]) >= confirmed + 1
        time.sleep(rng.uniform(0.0, 0.12))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        reported = [int(line) for line in reports.read().split()]
        reports.close()
        confirmed = max([confirmed, *reported])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # a kill between the two renames warns
            state = backup.read_latest()
        kills_between_writes += not caught
        if confirmed >= 0:
            # Killed after a write completed but before it was reported: one epoch ahead at most.
            assert confirmed <= _check(state) <= confirmed + 1
        confirmed = -1 if state is None else _check(state)
    assert confirmed >= 5  # the writers made progress across the kills
