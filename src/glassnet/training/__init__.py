"""Training loops in Keras's shape: ``fit`` -> ``History``, ``predict``, ``evaluate``, callbacks
and metrics. ``gn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=10)``."""

from glassnet.training import callbacks, metrics
from glassnet.training.callback_base import Callback, History, TrainingContext
from glassnet.training.inference import evaluate, predict
from glassnet.training.loop import fit

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
