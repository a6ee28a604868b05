"""Where a glassnet file's bytes come from: a regular file read at offsets, or bytes in memory.

Reading is bounded by what the file's header declares: the reader asks for the 8-byte header
length, then the header, then each tensor's bytes straight into its array, and never for more.
So ``/dev/zero``, a FIFO or a sparse file whose header claims gigabytes is refused after a few
bytes, and a model file costs the memory of its tensors, once.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
from collections.abc import Iterator
from typing import Any, Protocol

from glassnet.errors import ModelFormatError

# A FIFO opened for reading blocks until a writer appears, unless opened non-blocking (regular
# files ignore the flag). O_NOCTTY: a terminal device must never become our controlling terminal.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))
_KINDS = [
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
]


class ByteSource(Protocol):
    """Random-access bytes of a known size."""

    size: int

    def read(self, offset: int, length: int) -> bytes: ...

    def read_into(self, offset: int, buffer: memoryview) -> None: ...


class MemorySource:
    """Bytes already in memory (``read_bundle(data)``), read like a file."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self.size = len(self._view)

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end)."""
        return bytes(self._view[offset : offset + length])

    def read_into(self, offset: int, buffer: memoryview) -> None:
        """Fill ``buffer`` with the bytes from ``offset``; ModelFormatError past the end."""
        end = offset + len(buffer)
        if end > self.size:
            raise ModelFormatError(f"the data ends at byte {self.size}, before byte {end}.")
        buffer[:] = self._view[offset:end]


class FileSource:
    """An open regular file, read at offsets; ``size`` is its size when it was opened."""

    def __init__(self, descriptor: int, size: int) -> None:
        self._file = io.FileIO(descriptor, "rb", closefd=False)
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer at the end)."""
        buffer = bytearray(max(0, min(length, self.size - offset)))
        filled = self._fill(offset, memoryview(buffer))
        return bytes(buffer[:filled])

    def read_into(self, offset: int, buffer: memoryview) -> None:
        """Fill ``buffer`` with the bytes from ``offset``; ModelFormatError if the file ends first
        (it shrank while being read)."""
        filled = self._fill(offset, buffer)
        if filled < len(buffer):
            raise ModelFormatError(
                f"the file ended at byte {offset + filled} while being read, before byte "
                f"{offset + len(buffer)}: it was truncated or replaced meanwhile."
            )

    def _fill(self, offset: int, buffer: memoryview) -> int:
        self._file.seek(offset)
        filled = 0
        while filled < len(buffer):
            count = self._file.readinto(buffer[filled:])
            if not count:  # 0 at the end of the file
                break
            filled += count
        return filled


def _not_regular(mode: int, path: Any) -> OSError | ModelFormatError | None:
    """The error for a path that is not a regular file, or None if it is one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return ModelFormatError(f"it is {kind}, not a regular file; glassnet reads models and "
                            "checkpoints only from regular files.")


@contextlib.contextmanager
def open_source(path: str | os.PathLike[str]) -> Iterator[FileSource]:
    """``with open_source(path) as source``: a ``FileSource`` for a regular file.

    A directory raises IsADirectoryError (as ``open`` does); a device, FIFO or socket raises
    ModelFormatError before a byte is read; a missing file FileNotFoundError.
    """
    # Looked at before opening: opening some devices acts (a tape rewinds, a watchdog arms).
    problem = _not_regular(os.stat(path).st_mode, path)
    if problem is not None:
        raise problem
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        # The open file decides (fstat): the path may have been swapped since os.stat.
        status = os.fstat(descriptor)
        problem = _not_regular(status.st_mode, path)
        if problem is not None:
            raise problem
        yield FileSource(descriptor, status.st_size)
    finally:
        os.close(descriptor)
