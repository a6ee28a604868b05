"""gn.save removes the temporary files of writers killed mid-write, never a live writer's."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import atomic

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")
STALE = ".model.safetensors.0123456789ab.tmp"


def _temp_files(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def _model(value: float) -> nn.Module:
    model = nn.Linear(3, 2)
    for parameter in model.parameters():
        parameter.data[...] = value
    return model


def _weight(path) -> float:
    return float(gn.load(path).weight.data[0, 0])


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_next_save_removes_stale_temp_files_and_nothing_else(tmp_path):
    target = tmp_path / "model.safetensors"
    (tmp_path / STALE).write_bytes(b"half a model")
    empty_and_old = tmp_path / ".model.safetensors.fedcba987654.tmp"
    empty_and_old.write_bytes(b"")
    _age(empty_and_old, 2 * atomic.EMPTY_TEMP_FILE_GRACE)
    lookalikes = [".model.safetensors.tmp", "model.safetensors.0123456789ab.tmp",
                  ".other.safetensors.0123456789ab.tmp", ".model.safetensors.0123456789AB.tmp",
                  ".model.safetensors.0123456789ab.tmp.bak", "notes.txt"]
    for name in lookalikes:
        (tmp_path / name).write_bytes(b"keep")
    gn.save(_model(1.0), target)
    assert sorted(os.listdir(tmp_path)) == sorted([*lookalikes, "model.safetensors"])
    assert _weight(target) == 1.0


def test_a_just_created_empty_temp_file_is_left_alone(tmp_path):
    """The one moment a live writer's file is unlocked: created, not yet locked (and empty)."""
    (tmp_path / STALE).write_bytes(b"")
    gn.save(_model(1.0), tmp_path / "model.safetensors")
    assert _temp_files(tmp_path) == [STALE]


@fork_only
def test_a_temp_file_locked_by_a_live_writer_is_left_alone(tmp_path):
    import fcntl

    stale = tmp_path / STALE
    stale.write_bytes(b"being written")
    with open(stale, "rb") as writer:  # another open file: as another writer's lock would be
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        gn.save(_model(1.0), tmp_path / "model.safetensors")
        assert _temp_files(tmp_path) == [STALE]
    gn.save(_model(2.0), tmp_path / "model.safetensors")  # its writer is gone now
    assert _temp_files(tmp_path) == []


# -- real processes ------------------------------------------------------------------------------
def _writer_stopped_after_writing(path: str, value: float) -> tuple[int, int, int]:
    """Fork a process that saves a model to ``path`` and stops after writing its temporary
    file, before the rename: (pid, fd that reports "written", fd that lets it go on)."""
    report_read, report_write = os.pipe()
    go_read, go_write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()  # the child inherits unflushed buffers otherwise
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            real_fsync = os.fsync

            def fsync_then_wait(descriptor: int) -> None:
                real_fsync(descriptor)
                atomic.os.fsync = real_fsync  # only the temporary file's fsync waits
                os.write(report_write, b"written\n")
                os.read(go_read, 1)

            atomic.os.fsync = fsync_then_wait
            gn.save(_model(value), path)
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            os._exit(status)
    os.close(report_write)
    os.close(go_read)
    assert os.read(report_read, 100) == b"written\n"
    return pid, report_read, go_write


@fork_only
def test_a_live_writer_in_another_process_keeps_its_file_and_finishes(tmp_path):
    path = str(tmp_path / "model.safetensors")
    gn.save(_model(1.0), path)
    pid, report, go = _writer_stopped_after_writing(path, 2.0)
    [temp] = _temp_files(tmp_path)
    gn.save(_model(3.0), path)  # meanwhile: must not remove the other writer's file
    assert _temp_files(tmp_path) == [temp] and _weight(path) == 3.0
    os.write(go, b"x")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _temp_files(tmp_path) == [] and _weight(path) == 2.0  # its rename came last
    os.close(report)
    os.close(go)


@fork_only
def test_a_killed_writer_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path = str(tmp_path / "model.safetensors")
    gn.save(_model(1.0), path)
    before = open(path, "rb").read()
    for _ in range(3):
        pid, report, go = _writer_stopped_after_writing(path, 2.0)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(report)
        os.close(go)
        assert open(path, "rb").read() == before
        # Each writer removed the file of the one killed before it: one is left, never more.
        assert len(_temp_files(tmp_path)) == 1
    gn.save(_model(4.0), path)
    assert _temp_files(tmp_path) == [] and _weight(path) == 4.0


def test_two_threads_saving_to_one_path_leave_one_whole_model(tmp_path):
    path = tmp_path / "model.safetensors"
    errors: list[BaseException] = []

    def save_repeatedly(value: float) -> None:
        try:
            for _ in range(20):
                gn.save(_model(value), path)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=save_repeatedly, args=(value,)) for value in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _weight(path) in (1.0, 2.0)
    assert np.all(gn.load(path).weight.data == _weight(path))  # all of one model
    assert _temp_files(tmp_path) == []


@fork_only
def test_on_a_file_system_without_locks_saving_works_and_nothing_is_removed(tmp_path,
                                                                          monkeypatch):
    import errno
    import fcntl

    def no_locks(descriptor, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    (tmp_path / STALE).write_bytes(b"nobody can tell whether its writer lives")
    gn.save(_model(1.0), tmp_path / "model.safetensors")
    assert _weight(tmp_path / "model.safetensors") == 1.0
    assert _temp_files(tmp_path) == [STALE]
