"""One run per folder: an operating-system lock on a folder, held while a training run uses it.

On POSIX the lock is an ``flock`` on the folder itself; on Windows, ``msvcrt.locking`` on a
``.glassnet-lock`` file inside it. Both belong to an open file, so they die with the process that
holds them: a run killed with SIGKILL leaves nothing that blocks the next. Both are per open
file, so a second lock from the same process is refused too (a second thread, a second
``BackupAndRestore``).

Within one process a lock can outlive its run: a run that ended by an exception still holds it
until its holder is released or garbage-collected. A thread runs one training at a time, so a
lock held for the current thread, or for a thread that has ended, belongs to a run that is over
and is taken over.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import warnings
import weakref

from glassnet.errors import FolderInUseError
from glassnet.io.atomic import NO_LOCKS

try:
    import fcntl
except ImportError:
    fcntl = None  # type: ignore[assignment]
    import msvcrt

WINDOWS_LOCK_FILE = ".glassnet-lock"
_ATTEMPTS = 5  # the folder replaced between opening and locking it, again and again: give up

# The lock held on each folder by this process: (st_dev, st_ino) -> its holder.
_HOLDERS: weakref.WeakValueDictionary[tuple[int, int], FolderLock] = (
    weakref.WeakValueDictionary())
_HOLDERS_GUARD = threading.Lock()


def _open_locked(folder: str) -> tuple[int, os.stat_result] | None:
    """(descriptor, its status) holding the folder's lock, or None if another open file holds
    it. On a file system without locks: a RuntimeWarning, and the descriptor unlocked."""
    if fcntl is not None:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    else:
        descriptor = os.open(os.path.join(folder, WINDOWS_LOCK_FILE),
                             os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        return descriptor, os.fstat(descriptor)
    except BlockingIOError:  # POSIX: another holder
        os.close(descriptor)
        return None
    except OSError as error:
        if fcntl is not None and error.errno in NO_LOCKS:
            warnings.warn(f"the file system of {folder} has no locks, so nothing stops another "
                          "run from using the folder at the same time (their backups would "
                          "overwrite each other's).", RuntimeWarning, stacklevel=4)
            return descriptor, os.fstat(descriptor)
        os.close(descriptor)
        if fcntl is None and error.errno in (errno.EACCES, errno.EDEADLOCK):  # another holder
            return None
        raise
    except BaseException:
        os.close(descriptor)
        raise


def _holder_pid(status: os.stat_result) -> int | None:
    """The process holding an flock on this file, from Linux's /proc/locks; None elsewhere."""
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    with contextlib.suppress(OSError, ValueError), open("/proc/locks") as locks:
        for line in locks:
            fields = line.split()  # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2147391 0 EOF"
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device:
                return int(fields[4])
    return None


class FolderLock:
    """The lock on one folder, for one run: ``acquire`` before using the folder, ``release``
    after. ``acquire`` raises FolderInUseError, naming the holder, if another run has it."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.path.abspath(os.fspath(folder))
        self._descriptor: int | None = None
        self._key: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._close: weakref.finalize | None = None

    def __repr__(self) -> str:
        return f"FolderLock({self.folder!r}, held={self.held})"

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def _run_is_over(self) -> bool:
        """Whether the run that took this lock has ended (see the module's docstring)."""
        thread = self._thread
        return thread is None or thread is threading.current_thread() or not thread.is_alive()

    def acquire(self) -> None:
        """Lock the folder (created if needed) for the current thread's run; a no-op if this
        lock already holds it for the current thread."""
        with _HOLDERS_GUARD:
            if self.held:
                if self._thread is threading.current_thread():
                    return
                if not self._run_is_over():
                    raise FolderInUseError(self._in_use_message(self._thread, None))
                self._close_descriptor()
            for _ in range(_ATTEMPTS):
                os.makedirs(self.folder, exist_ok=True)
                key = self._folder_key()
                holder = _HOLDERS.get(key) if key else None
                if holder is not None and holder._run_is_over():
                    holder._close_descriptor()
                locked = _open_locked(self.folder)
                if locked is None:
                    if holder is not None and holder.held:
                        raise FolderInUseError(self._in_use_message(holder._thread, None))
                    raise FolderInUseError(self._in_use_message(None, self._locker_pid()))
                descriptor, status = locked
                if self._folder_key() == (status.st_dev, status.st_ino):
                    self._take(descriptor, (status.st_dev, status.st_ino))
                    return
                os.close(descriptor)  # removed (and perhaps recreated) meanwhile: again
            raise FolderInUseError(f"{self.folder} kept being removed and recreated while "
                                   "glassnet tried to lock it; another program is using it.")

    def release(self, *, remove_folder_if_empty: bool = False) -> None:
        """Unlock the folder; with ``remove_folder_if_empty``, remove it first if it is empty
        (while still locked, so no run can start in a folder about to vanish). Idempotent."""
        with _HOLDERS_GUARD:
            if not self.held:
                return
            if remove_folder_if_empty:
                self._remove_folder_if_empty()
            self._close_descriptor()

    # -- internals ------------------------------------------------------------------------------
    def _folder_key(self) -> tuple[int, int] | None:
        path = self.folder if fcntl is not None else os.path.join(self.folder, WINDOWS_LOCK_FILE)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def _take(self, descriptor: int, key: tuple[int, int]) -> None:
        self._descriptor, self._key, self._thread = descriptor, key, threading.current_thread()
        # Garbage collection or the end of the interpreter closes it, which releases the lock.
        self._close = weakref.finalize(self, os.close, descriptor)
        _HOLDERS[key] = self

    def _close_descriptor(self) -> None:
        if self._key is not None and _HOLDERS.get(self._key) is self:
            del _HOLDERS[self._key]
        if self._close is not None:
            self._close()  # closes the descriptor once, whoever calls it first
        self._descriptor = self._key = self._thread = self._close = None

    def _remove_folder_if_empty(self) -> None:
        if fcntl is None:  # Windows: the lock file must be closed before it can be removed
            self._close_descriptor()
            with contextlib.suppress(OSError):
                os.remove(os.path.join(self.folder, WINDOWS_LOCK_FILE))
        with contextlib.suppress(OSError):  # not empty (someone else's files): keep it
            os.rmdir(self.folder)

    def _locker_pid(self) -> int | None:
        if fcntl is None:
            return None
        try:
            return _holder_pid(os.stat(self.folder))
        except OSError:
            return None

    def _in_use_message(self, thread: threading.Thread | None, pid: int | None) -> str:
        if thread is not None:
            who = f"in this process, thread {thread.name!r}"
        elif pid is not None:
            who = f"process {pid}"
        else:
            who = "another process"
        return (f"the folder {self.folder} is in use by another training run ({who}), which "
                "holds its lock: two runs would overwrite each other's backups. Wait for that "
                "run to end, or give this run a folder of its own.")
