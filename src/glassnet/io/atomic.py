"""Crash-safe file writes: a reader sees the old file or the new one, never half of either.

The recipe (the one SQLite, Lightning and Orbax rely on): write a temporary file in the same
folder, flush and fsync it, ``os.replace`` it over the target (atomic on POSIX and Windows), then
fsync the folder so the rename itself survives a power cut. A failure at any point before the
rename removes the temporary file and leaves the previous file byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets

_TEMP_SUFFIX = ".tmp"
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only: no newline translation


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data`` as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def _temp_path_for(path: str) -> str:
    folder, name = os.path.split(path)
    # A leading dot hides it from `ls`; the random part lets two writers never collide.
    return os.path.join(folder, f".{name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")


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


def write_temp_file(path: str | os.PathLike[str], data: bytes) -> str:
    """Write ``data`` to a new, fsynced temporary file next to ``path``; return its path.

    The caller renames it into place (``os.replace``) or removes it. The file is created with
    mode 0o666 filtered by the umask, as ``open(path, "wb")`` would.
    """
    temp_path = _temp_path_for(os.path.abspath(os.fspath(path)))
    descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        remove_quietly(temp_path)
        raise
    return temp_path



def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the file at ``path`` by ``data`` atomically and durably.

    Temporary file in the same folder → write → flush → fsync → ``os.replace`` → fsync of the
    folder. If anything fails (disk full, interrupted, permission denied) the temporary file is
    removed, the exception propagates, and the previous file at ``path`` is untouched.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write_bytes expects bytes; got {type(data).__name__}.")
    target = os.path.abspath(os.fspath(path))
    temp_path = write_temp_file(target, bytes(data))
    try:
        os.replace(temp_path, target)
    except BaseException:
        remove_quietly(temp_path)
        raise
    fsync_directory(os.path.dirname(target))


def remove_quietly(path: str) -> None:
    """Delete ``path`` if it exists; an already-missing file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def remove_stale_temp_files(path: str | os.PathLike[str]) -> list[str]:
    """Delete temporary files left next to ``path`` by writers that were killed mid-write.

    Only names of the exact form ``atomic_write_bytes`` creates are touched. Returns their paths.
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(re.escape(f".{name}.") + r"[0-9a-f]{12}" + re.escape(_TEMP_SUFFIX))
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.listdir(folder):
            if pattern.fullmatch(entry):
                remove_quietly(os.path.join(folder, entry))
                removed.append(os.path.join(folder, entry))
    return removed
