"""Saving and loading: model files, training checkpoints and crash-safe backups.

Every file is a safetensors file with glassnet's JSON document and a SHA-256 checksum in its
header, written atomically; nothing read from a file is ever unpickled, imported or evaluated.

- ``save(model, path, metadata=...)`` / ``load(path)`` / ``load_bundle(path)``: models.
- ``save_checkpoint`` / ``load_checkpoint`` / ``BackupFiles``: training state, for resuming.
- ``atomic_write_bytes``: the crash-safe write underneath all of them.
- ``FolderLock`` / ``FolderInUseError``: one training run per backup folder.
"""

from glassnet.io.atomic import atomic_write_bytes, sha256_hex
from glassnet.io.checkpoint import BackupFiles, load_checkpoint, save_checkpoint
from glassnet.io.folder_lock import FolderInUseError, FolderLock
from glassnet.io.serialize import (
    MODEL_FORMAT_VERSION,
    Adapter,
    SavedModel,
    load,
    load_bundle,
    read_bundle,
    register_adapter,
    save,
)

__all__ = [
    "MODEL_FORMAT_VERSION",
    "Adapter",
    "BackupFiles",
    "FolderInUseError",
    "FolderLock",
    "SavedModel",
    "atomic_write_bytes",
    "load",
    "load_bundle",
    "load_checkpoint",
    "read_bundle",
    "register_adapter",
    "save",
    "save_checkpoint",
    "sha256_hex",
]
