"""Training loops in Keras's shape: ``fit`` -> ``History``, ``predict``, ``evaluate``, callbacks
and metrics. ``gn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=10)``."""

from glassnet.training import callbacks, metrics
from glassnet.training.callback import Callback, History, TrainingContext
from glassnet.training.fit import fit
from glassnet.training.inference import evaluate, predict

__all__ = [
    "Callback",
    "History",
    "TrainingContext",
    "callbacks",
    "evaluate",
    "fit",
    "metrics",
    "predict",
]
