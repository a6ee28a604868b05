"""``Callback``: hooks that ``fit`` calls around training, epochs and batches; and ``History``.

A callback sees the run through ``self.context`` (a ``TrainingContext``): the model, the
optimizer, the current epoch, and ``stop_training``, which a callback sets to end ``fit`` after
the current batch. Epochs and batches are numbered from 0, as in Keras. Callbacks that keep
state across epochs implement ``get_state`` / ``set_state`` so that ``BackupAndRestore`` can
resume them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainingContext:
    """What callbacks can see and change during ``fit``."""

    model: Any
    optimizer: Any
    epochs: int
    params: dict[str, Any] = field(default_factory=dict)
    epoch: int = 0
    stop_training: bool = False
    history: Any = None  # the run's History, which records each epoch after the callbacks


class Callback:
    """Base class: override any of the ``on_*`` hooks; the others cost nothing.

    ``logs`` passed to ``on_epoch_end`` holds "loss", each metric and their "val_" twins for that
    epoch; ``on_batch_end`` gets the running means so far in the epoch. Hooks may add entries to
    the epoch logs (they then appear in the History).
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.context: TrainingContext | None = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_context(self, context: TrainingContext) -> None:
        self.context = context
        self.set_model(context.model)

    @property
    def optimizer(self) -> Any:
        return None if self.context is None else self.context.optimizer

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """After the last epoch (or after a callback stopped training)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Before the first batch of ``epoch``."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """After ``epoch``'s batches and its validation."""

    def on_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Before training step ``batch`` of the current epoch."""

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """After training step ``batch`` of the current epoch."""

    def get_state(self) -> dict[str, Any] | None:
        """What this callback has learnt during the run (None: nothing), for ``BackupAndRestore``.

        Dicts, lists, str, numbers, None and NumPy arrays only; ``set_state`` gets it back when
        an interrupted run resumes, after ``on_train_begin``. Override both in a callback that
        keeps state across epochs (a best value, a counter, a scheduler) so that resuming is
        exact.
        """
        return None

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back what ``get_state`` returned at the end of the last completed epoch."""


def overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` does something in ``hook`` (so fit can skip the ones that don't)."""
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


class History(Callback):
    """The record of a ``fit``: ``history[key]`` is a list with one value per epoch.

    Keys: "loss", each metric, and "val_loss" / "val_<metric>" when there is validation data.
    ``epoch`` lists the epochs run (0-based); ``params`` holds epochs, steps, batch_size,
    samples and verbose; ``diagnosis`` the latest ``gn.Diagnosis`` of a
    ``callbacks.Diagnostics`` (None without one).
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}
        self.diagnosis: Any = None

    def set_context(self, context: TrainingContext) -> None:
        super().set_context(context)
        # fit gives its own History the context after the user's callbacks, so that one wins
        context.history = self

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"
