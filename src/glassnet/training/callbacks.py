"""Callbacks for ``fit``, after Keras: EarlyStopping, ModelCheckpoint, LearningRateScheduler,
CSVLogger, BackupAndRestore; plus the ``Callback`` base, ``TrainingContext`` and ``History``.

Each callback that learns something during a run (a best value, a counter, a scheduler's
position, the rows it wrote) returns it from ``get_state`` so that ``BackupAndRestore`` resumes
it exactly.

Epochs are 0-based in hooks and logs, 1-based in messages and in ``{epoch}`` file names, as in
Keras. A monitored value is found under any name of its metric (``monitor="val_accuracy"`` reads
"val_acc" when the metric was given as "acc"), and a NaN one is refused (see ``monitoring.py``).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.io import atomic_write_bytes, save, save_checkpoint
from glassnet.training.backup import BackupAndRestore
from glassnet.training.callback_base import Callback, History, TrainingContext
from glassnet.training.metrics import find_logged
from glassnet.training.monitoring import Monitoring, check_epochs, check_real

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "TrainingContext",
]


class EarlyStopping(Monitoring):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An improvement is a change of more than ``min_delta`` in the right direction ("auto" infers
    it: accuracy up, loss down). With ``baseline``, the patience counter only resets on epochs
    that also beat the baseline. With ``restore_best_weights``, the model gets back the weights
    of its best epoch when training ends (Keras 3: whether or not training stopped early).
    Epochs before ``start_from_epoch`` are not monitored.

    Example:
    >>> _ = gn.manual_seed(0)
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 1))
    >>> y = 3 * X[:, 0] + 0.1 * rng.normal(size=100)
    >>> model = gn.nn.Linear(1, 1)
    >>> stop = gn.callbacks.EarlyStopping(monitor="val_loss", patience=3, min_delta=1e-4,
    ...                                   restore_best_weights=True)
    >>> optimizer = gn.optim.SGD(model.parameters(), lr=0.1)
    >>> history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=100,
    ...                  validation_split=0.2, callbacks=[stop], verbose=0)
    >>> epochs_run = len(history.history["loss"])
    >>> epochs_run < 100, epochs_run == stop.best_epoch + 1 + stop.patience
    (True, True)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
        start_from_epoch: int = 0,
        verbose: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience = check_epochs("EarlyStopping", "patience", patience)
        self.restore_best_weights = restore_best_weights
        self.baseline = check_real("EarlyStopping", "baseline", baseline, optional=True)
        self.start_from_epoch = check_epochs("EarlyStopping", "start_from_epoch",
                                              start_from_epoch)
        self.verbose = verbose
        self.on_train_begin()

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: dict[str, Any] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        current = self.monitored_value(logs, epoch)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.state_dict()  # until something beats them
            self.best_epoch = epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.context.stop_training = True

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)

    def get_state(self) -> dict[str, Any]:
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        self.best_weights = state["best_weights"]


def _file_logs(logs: dict[str, Any]) -> dict[str, Any]:
    """The logs as JSON data: JSON has no NaN or infinity, so those become "nan", "inf"."""
    return {
        key: str(float(value))
        if isinstance(value, (float, np.floating)) and not math.isfinite(value) else value
        for key, value in logs.items()
    }


class _NamedLogs(dict):
    """The logs for ``str.format_map``, where a field may use any name of a metric
    ("{val_accuracy:.3f}" when the metric was given as "acc")."""

    def __missing__(self, key: str) -> Any:
        logged = find_logged(self, key)
        if logged is None:
            raise KeyError(key)
        return self[logged]


class ModelCheckpoint(Monitoring):
    """Save the model to ``filepath`` after every epoch, with ``gn.save``: ``gn.load(path)``
    gives it back, ``glassnet.io.load_bundle(path).metadata`` is ``{"epoch": 1-based, "logs":
    {...}}``.

    A model ``gn.save`` cannot rebuild (a custom Module class) is saved as a checkpoint instead:
    ``glassnet.io.load_checkpoint(path)`` gives ``"model_state"`` (its state_dict) and the same
    ``"training_state"``. ``filepath`` may hold format fields filled from the epoch number
    (1-based) and the logs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``. With
    ``save_best_only`` a file is only written when ``monitor`` improved. Every write is atomic
    and checksummed (see ``glassnet.io``): an interrupted write leaves the previous file intact.

    Example:
    >>> import os, tempfile
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "best.safetensors")
    >>> model = gn.nn.Linear(1, 1)
    >>> save_best = gn.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    >>> history = gn.fit(model, X, 3 * X, loss="mse", optimizer=gn.optim.SGD(model.parameters(),
    ...                  lr=0.1), epochs=5, validation_split=0.2, callbacks=[save_best], verbose=0)
    >>> gn.io.load_bundle(path).metadata["epoch"] == 1 + int(np.argmin(history.history["val_loss"]))
    True
    >>> best = gn.load(path)  # the model as it was at the end of that epoch
    >>> folder.cleanup()
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        verbose: int = 0,
    ) -> None:
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.verbose = verbose
        self.best: float | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        try:
            path = self.filepath.format_map(_NamedLogs(logs, epoch=epoch + 1))
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint cannot fill the file name {self.filepath!r}: no {error} in the "
                f"logs (available: epoch, {', '.join(logs)})."
            ) from None
        if self.save_best_only:
            current = self.monitored_value(logs, epoch)
            if current is not None:
                if not self.is_improvement(current, self.best):
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                              f"{self.best:.5f}")
                    return
                self.best = current
        metadata = {"epoch": epoch + 1, "logs": _file_logs(logs)}
        try:
            save(self.model, path, metadata=metadata)
        except TypeError:  # raised before writing: a layer gn.save cannot rebuild
            save_checkpoint(path, model_state=self.model.state_dict(), training_state=metadata)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: saved model to {path}")

    def get_state(self) -> dict[str, Any]:
        return {"best": self.best}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best = state["best"]


class LearningRateScheduler(Callback):
    """Set the learning rate each epoch.

    ``schedule`` is either a function ``schedule(epoch, lr) -> new_lr`` (called before each
    epoch, epoch 0-based, as Keras), or a glassnet ``lr_scheduler`` object, stepped after each
    epoch; a ``ReduceLROnPlateau`` is stepped with the ``monitor``ed value. The epoch logs get
    "learning_rate".

    Example:
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> model = gn.nn.Linear(1, 1)
    >>> halve = gn.callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch > 0 else lr)
    >>> history = gn.fit(model, X, 3 * X, loss="mse", optimizer=gn.optim.SGD(model.parameters(),
    ...                  lr=0.4), epochs=4, callbacks=[halve], verbose=0)
    >>> history.history["learning_rate"]
    [0.4, 0.2, 0.1, 0.05]
    >>> optimizer = gn.optim.SGD(model.parameters(), lr=0.4)
    >>> every_2 = gn.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    >>> history = gn.fit(model, X, 3 * X, loss="mse", optimizer=optimizer, epochs=4,
    ...                  callbacks=[gn.callbacks.LearningRateScheduler(every_2)], verbose=0)
    >>> history.history["learning_rate"]  # the rate each epoch trained with
    [0.4, 0.4, 0.2, 0.2]
    >>> optimizer.param_groups[0]["lr"]  # halved again after the 4th epoch, for the next
    0.1
    """

    def __init__(self, schedule: Any, monitor: str = "val_loss", verbose: int = 0) -> None:
        super().__init__()
        self.scheduler = schedule if hasattr(schedule, "step") else None
        self.schedule: Callable[[int, float], float] | None = None
        if self.scheduler is None:
            if not callable(schedule):
                raise TypeError(
                    "LearningRateScheduler needs schedule(epoch, lr) -> lr or an lr_scheduler "
                    f"object; got {type(schedule).__name__}."
                )
            self.schedule = schedule
        self.monitor = monitor
        self.verbose = verbose
        # only its lookup is used
        self._monitoring = Monitoring(monitor, "min", who="LearningRateScheduler")
        self._needs_metric = any(c.__name__ == "ReduceLROnPlateau" for c in type(schedule).__mro__)

    def _groups(self) -> list[dict[str, Any]]:
        groups = getattr(self.optimizer, "param_groups", None)
        if not groups:
            raise TypeError("LearningRateScheduler needs an optimizer with param_groups.")
        return groups

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.schedule is None:
            return
        groups = self._groups()
        learning_rate = self.schedule(epoch, float(groups[0]["lr"]))
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or (
            not 0.0 <= learning_rate < math.inf  # False for NaN
        ):
            raise ValueError(
                "The schedule must return a finite float learning rate >= 0; got "
                f"{learning_rate!r} at epoch {epoch}."
            )
        for group in groups:
            group["lr"] = float(learning_rate)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if logs is not None:  # the rate this epoch trained with, before a scheduler moves it
            logs["learning_rate"] = float(self._groups()[0]["lr"])
        if self.scheduler is not None:
            if self._needs_metric:
                value = self._monitoring.monitored_value(logs, epoch)
                if value is not None:
                    self.scheduler.step(value)
            else:
                self.scheduler.step()

    def get_state(self) -> dict[str, Any] | None:
        # A schedule function keeps no state: the lr it set lives in the optimizer's state.
        return None if self.scheduler is None else {"scheduler": self.scheduler.state_dict()}

    def set_state(self, state: dict[str, Any]) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: "epoch" (0-based) then the sorted log keys.

    The file is overwritten at the start of ``fit`` unless ``append``; each row is flushed to
    disk as the epoch ends, so the log survives an interrupted run. When ``BackupAndRestore``
    resumes a run, the file is put back as it was at the backup (rows of epochs about to run
    again are dropped), so it ends as an uninterrupted run's would.

    Example:
    >>> import os, tempfile
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "log.csv")
    >>> model = gn.nn.Linear(1, 1)
    >>> history = gn.fit(model, X, 3 * X, loss="mse", optimizer=gn.optim.SGD(model.parameters(),
    ...                  lr=0.1), epochs=3, callbacks=[gn.callbacks.CSVLogger(path)], verbose=0)
    >>> with open(path) as file:
    ...     rows = file.read().splitlines()
    >>> rows[0], len(rows)  # the header, then one row per epoch
    ('epoch,loss', 4)
    >>> folder.cleanup()
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self.keys: list[str] | None = None
        self.written = ""  # this run's text so far, header included (its state)
        self.size_before = 0  # bytes already in the file when this run began (append mode)

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.keys = None
        self.write_header = True
        self.written, self.size_before = "", 0
        if self.append and os.path.exists(self.filename):
            self.size_before = os.path.getsize(self.filename)
            with open(self.filename, encoding="utf-8") as file:
                self.write_header = not file.readline()
        elif not self.append:
            open(self.filename, "w", encoding="utf-8").close()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        text = io.StringIO()
        writer = csv.writer(text, delimiter=self.separator)
        if self.write_header:
            writer.writerow(["epoch", *self.keys])
            self.write_header = False
        writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys)])
        with open(self.filename, "a", newline="", encoding="utf-8") as file:
            file.write(text.getvalue())
        self.written += text.getvalue()

    def get_state(self) -> dict[str, Any]:
        return {"keys": self.keys, "write_header": self.write_header, "written": self.written,
                "size_before": self.size_before}

    def set_state(self, state: dict[str, Any]) -> None:
        self.keys, self.write_header = state["keys"], bool(state["write_header"])
        self.written, self.size_before = state["written"], int(state["size_before"])
        before = b""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, "rb") as file:
                before = file.read(self.size_before)
        atomic_write_bytes(self.filename, before + self.written.encode("utf-8"))
