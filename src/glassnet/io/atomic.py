"""Crash-safe file writes: a reader sees the old file or the new one, never half of either.

The recipe (the one SQLite, Lightning and Orbax rely on): write a temporary file in the same
folder, flush and fsync it, ``os.replace`` it over the target (atomic on POSIX and Windows), then
fsync the folder so the rename itself survives a power cut. A failure at any point before the
rename removes the temporary file and leaves the previous file byte for byte as it was.

A writer killed mid-write (SIGKILL, a power cut) leaves its temporary file behind; the next write
to the same path removes it. A temporary file whose writer is alive is never removed: on POSIX
the writer holds an ``flock`` on it from creation until after the rename, and the lock dies with
the writer's process; on Windows an open file cannot be deleted. The one moment a live writer's
file is unlocked is between its creation and the lock; it is empty then, so empty files are
removed only once they are ``EMPTY_TEMP_FILE_GRACE`` seconds old.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there, which is protection enough
    fcntl = None  # type: ignore[assignment]

_TEMP_SUFFIX = ".tmp"
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only: no newline translation
EMPTY_TEMP_FILE_GRACE = 60.0  # seconds; far longer than a writer takes from creating to locking


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def _temp_path_for(path: str) -> str:
    folder, name = os.path.split(path)
    # A leading dot hides it from `ls`; the random part lets two writers never collide.
    return os.path.join(folder, f".{name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")


def _temp_name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(f".{name}.") + r"[0-9a-f]{12}" + re.escape(_TEMP_SUFFIX))


def fsync_directory(folder: str) -> None:
    """Make a rename inside ``folder`` durable. A no-op where folders cannot be opened (Windows)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder or ".", os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        # Some file systems (network mounts, tmpfs variants) refuse fsync on a folder.
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(descriptor)


# What flock says on a file system that has no locks (some network and FUSE mounts).
NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL}


def _try_lock(descriptor: int) -> bool:
    """Take an exclusive flock without waiting; False if another open file holds one, or if
    the file system has no locks (then nobody can tell a live writer: leave the file alone)."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as error:
        if error.errno in NO_LOCKS:
            return False
        raise
    return True


def _lock_as_live_writer(descriptor: int) -> None:
    """Mark a just-created temporary file as a live writer's (see the module's docstring)."""
    if fcntl is None:
        return  # Windows: the open file itself protects it
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # a fresh file: nobody else can hold it
    except OSError as error:
        if error.errno not in NO_LOCKS:
            raise
        # Without locks the file still gets written; cleaners then never remove such files.


@contextlib.contextmanager
def temp_file_beside(path: str | os.PathLike[str], data: bytes) -> Iterator[str]:
    """``with temp_file_beside(path, data) as temp_path``: ``data`` written and fsynced to a new
    temporary file next to ``path``, for the block to rename into place.

    First removes the temporary files that killed writers left next to ``path``. While the
    block runs the file is locked as a live writer's; afterwards it is removed if it was not
    renamed, whatever happened. Created with mode 0o666 filtered by the umask, as
    ``open(path, "wb")`` would.
    """
    target = os.path.abspath(os.fspath(path))
    remove_stale_temp_files(target)
    temp_path = _temp_path_for(target)
    descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    try:
        _lock_as_live_writer(descriptor)
        # Written through a duplicate: closing it keeps the lock held by ``descriptor``.
        with os.fdopen(os.dup(descriptor), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "nt":  # Windows cannot rename a file that is open
            os.close(descriptor)
            descriptor = -1
        yield temp_path
    finally:
        if descriptor != -1:
            os.close(descriptor)  # first: Windows cannot delete an open file
        remove_quietly(temp_path)  # renamed: already gone


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the file at ``path`` by ``data`` atomically and durably.

    Temporary file in the same folder → write → flush → fsync → ``os.replace`` → fsync of the
    folder. If anything fails (disk full, interrupted, permission denied) the temporary file is
    removed, the exception propagates, and the previous file at ``path`` is untouched.
    Temporary files left by writers killed earlier are removed first.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes expects bytes; got {type(data).__name__}.")
    target = os.path.abspath(os.fspath(path))
    with temp_file_beside(target, bytes(data)) as temp_path:
        os.replace(temp_path, target)
    fsync_directory(os.path.dirname(target))


def remove_quietly(path: str) -> None:
    """Delete ``path`` if it exists; an already-missing file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _remove_if_abandoned(path: str, grace: float) -> bool:
    """Delete the temporary file at ``path`` if no live writer has it; whether it was deleted."""
    if fcntl is None:
        return _remove_if_abandoned_on_windows(path, grace)
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # renamed into place or removed meanwhile
        return False
    try:
        if not _try_lock(descriptor):
            return False  # its writer is alive
        status = os.fstat(descriptor)
        if status.st_size == 0 and time.time() - status.st_mtime < grace:
            return False  # perhaps created this instant, its writer about to lock it
        try:
            os.unlink(path)
        except FileNotFoundError:  # renamed into place by its writer, which then exited
            return False
        return True
    finally:
        os.close(descriptor)


def _remove_if_abandoned_on_windows(path: str, grace: float) -> bool:
    # A live writer keeps its file open until it is written, and Windows refuses to delete an
    # open file; it closes it just before renaming it, so a recently written one is left alone.
    try:
        if time.time() - os.stat(path).st_mtime < grace:
            return False
        os.unlink(path)
    except (FileNotFoundError, PermissionError):
        return False
    return True


def remove_stale_temp_files(path: str | os.PathLike[str], *, only_writer: bool = False
                            ) -> list[str]:
    """Delete temporary files left next to ``path`` by writers that were killed mid-write.

    Only names of the exact form ``atomic_write_bytes`` creates are touched, and only those no
    live writer holds (see the module's docstring). ``only_writer``: the caller holds a lock
    that keeps every other writer of ``path`` out, so even a just-created empty file is stale.
    Returns the paths removed.
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = _temp_name_pattern(name)
    grace = 0.0 if only_writer else EMPTY_TEMP_FILE_GRACE
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.listdir(folder):
            candidate = os.path.join(folder, entry)
            if pattern.fullmatch(entry) and _remove_if_abandoned(candidate, grace):
                removed.append(candidate)
    return removed
