"""A small run with every kind of state a resume must restore, and ways to interrupt it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.training import Callback, callbacks


class Interrupted(Exception):
    """Stands for Ctrl-C, a crash or a killed process in the middle of fit."""


class InterruptAt(Callback):
    """Raises ``error`` at ``batch`` of ``epoch`` (after that batch's update)."""

    def __init__(self, epoch: int, batch: int = 0, error: type[BaseException] = Interrupted):
        super().__init__()
        self.epoch, self.batch, self.error = epoch, batch, error

    def on_batch_end(self, batch, logs=None):
        if self.context.epoch == self.epoch and batch == self.batch:
            raise self.error(f"interrupted at epoch {self.epoch}, batch {batch}")


def data(n: int = 96, features: int = 5, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Standardised blobs: X (n, features) float64, y (n,) class indices."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=2.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    return centers[y] + rng.normal(size=(n, features)), y


def build(seed: int, optimizer: str = "adam") -> tuple[nn.Module, optim.Optimizer]:
    """Dropout (random masks) and BatchNorm (buffers) in a small classifier."""
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(16, 3))
    parameters = model.parameters()
    optimizers: dict[str, Callable[[], optim.Optimizer]] = {
        "adam": lambda: optim.Adam(parameters, lr=0.01),
        "adamw": lambda: optim.AdamW(parameters, lr=0.01, weight_decay=0.1),
        "sgd": lambda: optim.SGD(parameters, lr=0.05, momentum=0.9, nesterov=True),
        "rmsprop": lambda: optim.RMSprop(parameters, lr=0.01, momentum=0.5, centered=True),
        "adagrad": lambda: optim.Adagrad(parameters, lr=0.05),
    }
    return model, optimizers[optimizer]()


def train(
    directory,
    *,
    seed: int = 0,
    epochs: int = 6,
    optimizer: str = "adam",
    extra: tuple[Callback, ...] = (),
    scheduler: Callable[[optim.Optimizer], object] | None = None,
    **fit_arguments,
):
    """Build the model with ``seed`` and fit it with a BackupAndRestore in ``directory``.

    Returns (model, history, the BackupAndRestore, the other callbacks).
    """
    model, opt = build(seed, optimizer)
    schedule = scheduler(opt) if scheduler else optim.lr_scheduler.StepLR(opt, step_size=2,
                                                                         gamma=0.5)
    others = [callbacks.LearningRateScheduler(schedule, monitor="loss"),
              callbacks.EarlyStopping(monitor="loss", patience=3, restore_best_weights=True)]
    backup = callbacks.BackupAndRestore(directory)
    X, y = data()
    arguments = {"batch_size": 16, "verbose": 0, "validation_split": 0.25, **fit_arguments}
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=epochs,
                     metrics=["accuracy"], callbacks=[*others, *extra, backup], **arguments)
    return model, history, backup, others


def same_weights(first: nn.Module, second: nn.Module) -> bool:
    """Bit for bit: same keys, dtypes and bytes (NaN-safe)."""
    a, b = first.state_dict(), second.state_dict()
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes() for k in a
    )
