"""Training checkpoints and crash-safe backups: everything needed to resume a run exactly.

A checkpoint is one safetensors file (see ``glassnet.io.format``): every array of the model,
optimizer, scheduler and training states is a tensor named by its path ("model/0.weight",
"optim/state/0/exp_avg"), everything else (step counts, learning rates, the epoch, the history,
the random generator's state) is JSON in the header, and a SHA-256 checksum covers both.

``BackupFiles`` keeps two generations so that, whenever a process dies, at least one intact
backup exists; see its docstring for the argument.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

from glassnet._version import __version__
from glassnet.errors import ModelFormatError
from glassnet.io.atomic import (
    atomic_write_bytes,
    fsync_directory,
    remove_quietly,
    remove_stale_temp_files,
    temp_file_beside,
)
from glassnet.io.format import decode, encode_file, first_non_finite
from glassnet.io.nested import flatten, unflatten
from glassnet.io.source import ByteSource, open_source

CHECKPOINT_FORMAT = "glassnet.checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
# Section (the keyword and the key load_checkpoint returns) -> prefix of its tensor names.
SECTIONS = {
    "model_state": "model",
    "optimizer_state": "optim",
    "scheduler_state": "scheduler",
    "training_state": "training",
    "extra": "extra",
}
# The sections whose arrays are weights or their optimizer's moments: NaN or inf there means the
# run diverged, and resuming from it would go on from NaN.
_WEIGHT_PREFIXES = ("model/", "optim/")


def _diverged_tensors(tensors: Mapping[str, Any]) -> str | None:
    return first_non_finite({name: array for name, array in tensors.items()
                             if name.startswith(_WEIGHT_PREFIXES)})


def encode_checkpoint(
    *,
    model_state: Mapping[str, Any],
    optimizer_state: Any = None,
    scheduler_state: Any = None,
    training_state: Any = None,
    extra: Any = None,
) -> bytes:
    """The bytes of a checkpoint file (what ``save_checkpoint`` writes)."""
    given = {"model_state": dict(model_state), "optimizer_state": optimizer_state,
             "scheduler_state": scheduler_state, "training_state": training_state,
             "extra": extra}
    tensors: dict = {}
    sections = {}
    for section, prefix in SECTIONS.items():
        sections[section], section_tensors = flatten(given[section], prefix)
        tensors.update(section_tensors)  # prefixes differ, so names never collide
    problem = _diverged_tensors(tensors)
    if problem:
        raise ValueError(f"cannot save this checkpoint: {problem}; a model that diverged is "
                         "never saved.")
    document = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "glassnet_version": __version__,
        "sections": sections,
    }
    return encode_file(tensors, document)


def _read_checkpoint(source: ByteSource) -> dict[str, Any]:
    document, tensors = decode(
        source, expected_format=CHECKPOINT_FORMAT, supported_version=CHECKPOINT_FORMAT_VERSION
    )
    sections = document.get("sections")
    if not isinstance(sections, dict) or set(sections) != set(SECTIONS):
        raise ModelFormatError(f"a checkpoint needs exactly the sections {sorted(SECTIONS)}.")
    problem = _diverged_tensors(tensors)
    if problem:
        raise ModelFormatError(f"{problem}: the run had diverged when this was saved, and "
                               "resuming would go on from NaN.")
    state = unflatten(sections, tensors)
    if not isinstance(state["model_state"], dict):
        raise ModelFormatError("the checkpoint's model_state is not a dict of arrays.")
    return state


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model_state: Mapping[str, Any],
    optimizer_state: Any = None,
    scheduler_state: Any = None,
    training_state: Any = None,
    extra: Any = None,
) -> None:
    """Write a checkpoint to ``path`` atomically (the previous file survives any failure).

    Each state may nest dicts (any hashable JSON-like keys, e.g. PyTorch-style ``{0: {...}}``),
    lists, tuples, str, int, float (NaN/inf too), bool, None, numpy arrays and numpy scalars;
    ``load_checkpoint`` returns them exactly, types included. Anything else is a TypeError, and
    a NaN or inf in an array of ``model_state`` or ``optimizer_state`` (a diverged run) a
    ValueError, raised before the file is touched.
    """
    data = encode_checkpoint(
        model_state=model_state, optimizer_state=optimizer_state,
        scheduler_state=scheduler_state, training_state=training_state, extra=extra,
    )
    atomic_write_bytes(path, data)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"model_state", "optimizer_state", "scheduler_state", "training_state", "extra"}``
    as saved, after verifying the checksum; ``save_checkpoint(path, **result)`` writes it back.
    """
    try:
        with open_source(path) as source:
            return _read_checkpoint(source)
    except ModelFormatError as error:
        raise ModelFormatError(f"cannot load checkpoint {os.fspath(path)!r}: {error}") from None


class BackupFiles:
    """Two generations of a checkpoint in ``directory``: ``{name}.safetensors`` (newest) and
    ``{name}.prev.safetensors`` (the one before).

    ``write`` first writes and fsyncs the new generation to a temporary file, then renames
    newest → prev, then the temporary file → newest (each rename atomic, the folder fsynced after
    each). Whenever the process dies, one of these holds: only the old files exist (plus a stray
    temporary file, cleaned up later); newest is missing and prev is the last complete
    generation; or newest is the new generation. ``read_latest`` handles all three.
    """

    def __init__(self, directory: str | os.PathLike[str], name: str = "backup") -> None:
        if not name or os.sep in name or (os.altsep and os.altsep in name):
            raise ValueError(f"name must be a plain file name stem; got {name!r}.")
        self.directory = os.path.abspath(os.fspath(directory))
        self.newest_path = os.path.join(self.directory, f"{name}.safetensors")
        self.previous_path = os.path.join(self.directory, f"{name}.prev.safetensors")

    def __repr__(self) -> str:
        return f"BackupFiles({self.directory!r})"

    def exists(self) -> bool:
        """Whether any generation is on disk."""
        return os.path.exists(self.newest_path) or os.path.exists(self.previous_path)

    def write(
        self,
        *,
        model_state: Mapping[str, Any],
        optimizer_state: Any = None,
        scheduler_state: Any = None,
        training_state: Any = None,
        extra: Any = None,
    ) -> None:
        """Make this state the newest generation; the current newest becomes the previous one."""
        data = encode_checkpoint(
            model_state=model_state, optimizer_state=optimizer_state,
            scheduler_state=scheduler_state, training_state=training_state, extra=extra,
        )
        os.makedirs(self.directory, exist_ok=True)
        with temp_file_beside(self.newest_path, data) as temp_path:
            if os.path.exists(self.newest_path):
                os.replace(self.newest_path, self.previous_path)
                fsync_directory(self.directory)
            os.replace(temp_path, self.newest_path)
        fsync_directory(self.directory)

    def read_latest(self) -> dict[str, Any] | None:
        """The newest intact generation (as ``load_checkpoint`` returns it), or None if there is
        no backup at all.

        If the newest is missing or corrupt but the previous is intact, warns (RuntimeWarning)
        saying why and returns the previous. If no generation is intact, raises
        ``ModelFormatError`` describing each.
        """
        problems: list[str] = []
        found_any = False
        for path, label in ((self.newest_path, "newest"), (self.previous_path, "previous")):
            try:
                with open_source(path) as source:
                    found_any = True
                    state = _read_checkpoint(source)
            except FileNotFoundError:
                problems.append(f"the {label} backup {path} is missing")
                continue
            except ModelFormatError as error:
                found_any = True  # a device or a FIFO in its place, too
                problems.append(f"the {label} backup {path} is unusable: {error}")
                continue
            if problems:
                warnings.warn(
                    f"{'; '.join(problems)}. Resuming from the previous generation, {path}.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return state
        if not found_any:
            return None
        raise ModelFormatError(
            f"no intact backup in {self.directory}: {'; '.join(problems)}. Delete the folder to "
            "start training afresh."
        )

    def remove(self) -> None:
        """Delete both generations and any stray temporary files (the folder itself stays).

        For the one run that uses the folder (``BackupAndRestore`` locks it): a temporary file
        no live writer holds is stray, even one created an instant ago.
        """
        for path in (self.newest_path, self.previous_path):
            remove_quietly(path)
        remove_stale_temp_files(self.newest_path, only_writer=True)
        if os.path.isdir(self.directory):
            fsync_directory(self.directory)
