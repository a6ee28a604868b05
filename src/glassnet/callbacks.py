"""Callbacks for ``gn.fit``, importable as ``glassnet.callbacks`` (Keras's ``keras.callbacks``).

    from glassnet.callbacks import EarlyStopping, ModelCheckpoint

The same objects as ``glassnet.training.callbacks``, where they are defined, plus
``Diagnostics`` (``gn.diagnose`` during training), defined in ``glassnet.diagnosis.callback``.
"""

from glassnet.diagnosis.callback import Diagnostics
from glassnet.training.callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    TrainingContext,
)

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "Diagnostics",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "TrainingContext",
]
