"""One training run per BackupAndRestore folder: a second run, in another process or another
thread, is refused while the first trains; a finished, failed or killed run blocks nothing."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import traceback

import numpy as np
import pytest
from resume_helpers import InterruptAt, Interrupted, build, data, train

import glassnet as gn
from glassnet.io import BackupFiles, FolderInUseError, FolderLock
from glassnet.training import Callback, callbacks

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")


class Pause(Callback):
    """At the start of the first epoch (the folder locked by then), say so and wait."""

    def __init__(self, started, resume) -> None:
        super().__init__()
        self.started, self.resume = started, resume

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0:
            self.started()
            self.resume()


def _fit(folder, *extra: Callback, epochs: int = 2):
    model, optimizer = build(0)
    X, y = data()
    return gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=epochs,
                  batch_size=32, verbose=0, callbacks=[*extra, callbacks.BackupAndRestore(folder)])


def _refused_without_changes(folder, holder: str) -> None:
    model, optimizer = build(0)
    before = model.state_dict()
    X, y = data()
    with pytest.raises(FolderInUseError, match=rf"the folder .* is in use by another training "
                                               rf"run \({holder}\).*folder of its own"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=2, verbose=0,
               callbacks=[callbacks.BackupAndRestore(folder)])
    assert all(np.array_equal(before[name], array) for name, array in model.state_dict().items())


class PausedTrainingProcess:
    """A forked process that trains with a backup in ``folder`` and pauses in its first epoch,
    the folder locked. ``with`` it: on exit, a child still running is killed, never left over.
    """

    def __init__(self, folder) -> None:
        self.folder = folder

    def __enter__(self) -> PausedTrainingProcess:
        report_read, report_write = os.pipe()
        go_read, self.go = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()  # the child inherits unflushed buffers otherwise
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into pytest
            status = 0
            try:
                _fit(self.folder, Pause(lambda: os.write(report_write, b"training\n"),
                                        lambda: os.read(go_read, 1)))
            except BaseException:
                traceback.print_exc()
                status = 1
            finally:
                os._exit(status)
        self.exit_code: int | None = None
        os.close(report_write)
        os.close(go_read)
        try:
            assert os.read(report_read, 100) == b"training\n"
        finally:
            os.close(report_read)
        return self

    def finish(self) -> int:
        os.write(self.go, b"x")
        return self._reap()

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)
        return self.exit_code

    def __exit__(self, *exc_info: object) -> None:
        if self.exit_code is None:
            self.kill()
        os.close(self.go)


@fork_only
def test_a_run_in_another_process_is_refused_until_it_ends(tmp_path):
    folder = tmp_path / "backup"
    with PausedTrainingProcess(folder) as first:
        holder = f"process {first.pid}" if sys.platform.startswith("linux") else "another process"
        _refused_without_changes(folder, holder)
        assert first.finish() == 0
    assert not folder.exists()  # the first run completed and removed its backup
    assert _fit(folder).epoch == [0, 1]  # the folder is free again


@fork_only
def test_a_killed_run_leaves_no_lock_behind(tmp_path):
    folder = tmp_path / "backup"
    with PausedTrainingProcess(folder) as first:
        first.kill()
    history = _fit(folder)
    assert history.epoch == [0, 1] and not folder.exists()


def test_a_run_in_another_thread_is_refused_until_it_ends(tmp_path):
    folder = tmp_path / "backup"
    started, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_run():
        try:
            _fit(folder, Pause(started.set, lambda: resume.wait(30)))
        except BaseException as error:  # reported below
            errors.append(error)

    thread = threading.Thread(target=first_run, name="first-run")
    thread.start()
    try:
        assert started.wait(30)
        _refused_without_changes(folder, "in this process, thread 'first-run'")
    finally:
        resume.set()
        thread.join()
    assert errors == []
    assert _fit(folder).epoch == [0, 1]


def test_a_run_that_failed_in_this_thread_does_not_block_the_next(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupted) as caught:  # keeps the failed run's callbacks alive
        train(folder, extra=(InterruptAt(2, 0),))
    assert BackupFiles(folder).exists()
    model, history, *_ = train(folder, seed=3)
    assert history.epoch == list(range(6)) and caught.value is not None


def test_a_run_that_failed_in_a_thread_now_ended_does_not_block_the_next(tmp_path):
    folder = tmp_path / "backup"
    kept: list[BaseException] = []

    def failing_run():
        try:
            train(folder, extra=(InterruptAt(1, 0),))
        except Interrupted as error:
            kept.append(error)  # its traceback keeps the run's BackupAndRestore alive

    thread = threading.Thread(target=failing_run)
    thread.start()
    thread.join()
    assert kept and BackupFiles(folder).exists()
    _, history, *_ = train(folder, seed=3)
    assert history.epoch == list(range(6))


def test_the_lock_is_idempotent_and_released_by_garbage_collection(tmp_path):
    lock = FolderLock(tmp_path)
    lock.acquire()
    lock.acquire()  # same thread: a no-op
    with pytest.raises(FolderInUseError):
        _acquire_in_another_thread(FolderLock(tmp_path))
    lock.release()
    lock.release()
    other = FolderLock(tmp_path)
    other.acquire()
    del other
    gc.collect()
    _acquire_in_another_thread(FolderLock(tmp_path))  # nothing holds it any more


def _acquire_in_another_thread(lock: FolderLock) -> None:
    outcome: list[BaseException] = []

    def acquire():
        try:
            lock.acquire()
            lock.release()
        except BaseException as error:  # re-raised below
            outcome.append(error)

    thread = threading.Thread(target=acquire)
    thread.start()
    thread.join()
    if outcome:
        raise outcome[0]


@fork_only
def test_a_file_system_without_locks_warns_and_trains(tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(descriptor, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.warns(RuntimeWarning, match="has no locks, so nothing stops another run"):
        history = _fit(tmp_path / "backup")
    assert history.epoch == [0, 1]


def test_a_refused_run_leaves_its_other_callbacks_untouched(tmp_path):
    """The lock is taken before any callback starts: a refused run's CSVLogger does not
    truncate the log it would have written."""
    folder, log = tmp_path / "backup", tmp_path / "log.csv"
    log.write_text("epoch,loss\n0,1.5\n")
    started, resume = threading.Event(), threading.Event()
    thread = threading.Thread(target=_fit, args=(folder, Pause(started.set,
                                                              lambda: resume.wait(30))))
    thread.start()
    try:
        assert started.wait(30)
        model, optimizer = build(0)
        X, y = data()
        with pytest.raises(FolderInUseError):
            gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=2, verbose=0,
                   callbacks=[callbacks.CSVLogger(log), callbacks.BackupAndRestore(folder)])
    finally:
        resume.set()
        thread.join()
    assert log.read_text() == "epoch,loss\n0,1.5\n"


def test_a_run_that_failed_in_a_thread_still_alive_does_not_block_the_next(tmp_path):
    """fit releases the folder however it ends, so the failed run's thread may live on."""
    folder = tmp_path / "backup"
    failed, finish = threading.Event(), threading.Event()
    kept: list[BaseException] = []

    def failing_run_then_wait():
        try:
            train(folder, extra=(InterruptAt(1, 0),))
        except Interrupted as error:
            kept.append(error)  # its traceback keeps the run's BackupAndRestore alive
        failed.set()
        finish.wait(30)

    thread = threading.Thread(target=failing_run_then_wait)
    thread.start()
    try:
        assert failed.wait(30) and kept and BackupFiles(folder).exists()
        _, history, *_ = train(folder, seed=3)
    finally:
        finish.set()
        thread.join()
    assert history.epoch == list(range(6))
