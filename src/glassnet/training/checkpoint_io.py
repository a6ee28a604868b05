"""Write and read a state_dict as a safetensors file, atomically.

``save_state`` never leaves a half-written file behind: it writes a temporary file in the same
folder, flushes and fsyncs it, renames it over the target with ``os.replace`` (atomic on POSIX
and Windows), then fsyncs the folder so the rename itself survives a crash. If anything fails,
the previous file at ``path`` is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from glassnet.autograd import Tensor
from glassnet.errors import ModelFormatError


def save_state(
    path: str | os.PathLike[str],
    state_dict: Mapping[str, Any],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``state_dict`` (name -> array) and ``metadata`` (values become str) to ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tensors = {name: _contiguous(value) for name, value in state_dict.items()}
    text_metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    payload = safetensors.numpy.save(tensors, metadata=text_metadata or None)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL: never write into a file someone else made; 0o666 lets the umask decide.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _contiguous(value: Any) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    # not np.ascontiguousarray: it would turn a 0-d array (a step count) into shape (1,)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":  # Windows cannot open a folder for fsync; its rename is durable
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_state(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a file written by ``save_state``: (state_dict, metadata)."""
    path = os.fspath(path)
    try:
        with safetensors.safe_open(path, framework="numpy") as file:
            metadata = dict(file.metadata() or {})
            state = {name: file.get_tensor(name) for name in file.keys()}
    except (safetensors.SafetensorError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ModelFormatError(f"{path} is not a readable safetensors file: {error}") from None
    return state, metadata
