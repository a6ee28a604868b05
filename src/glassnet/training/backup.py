"""``BackupAndRestore``: an interrupted ``fit`` continues where it stopped, bit for bit.

At the end of every epoch the callback writes one backup (``glassnet.io.BackupFiles``: atomic,
checksummed, two generations) holding everything the next epoch depends on:

- the model's parameters and buffers (``state_dict``);
- the optimizer's whole state: hyperparameters, momenta, Adam's moments and step counts;
- the state of every callback that has one (``Callback.get_state``): EarlyStopping's best value
  and patience counter, a LearningRateScheduler's scheduler, CSVLogger's rows, ...;
- the epoch, ``stop_training``, the History so far;
- glassnet's random-generator state, so the next epoch's shuffle and dropout masks are the
  draws the uninterrupted run would have made, whatever the new process seeded.

When ``fit`` is called again with a ``BackupAndRestore`` on the same folder, every
``on_train_begin`` runs first, then the backup is restored (overriding the freshly initialised
weights) and training goes on from the epoch after the backup's. When ``fit`` completes, the
backup is deleted.

One run at a time per folder: the run locks the folder (``glassnet.io.folder_lock``) before it
reads a backup, and a second run on it, in another process or another thread, is refused with
``FolderInUseError`` rather than overwriting the first one's backups. The lock is released when
training ends, and dies with a killed process.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

from glassnet.errors import ModelFormatError
from glassnet.io import BackupFiles
from glassnet.io.folder_lock import FolderLock
from glassnet.random import get_rng_state, set_rng_state
from glassnet.training.callback_base import Callback, History

__all__ = ["BackupAndRestore"]


def callback_keys(callbacks: Sequence[Callback]) -> list[str]:
    """A stable name per callback: its class name, "#2", "#3", ... for repeats, in list order."""
    counts: dict[str, int] = {}
    keys = []
    for callback in callbacks:
        name = type(callback).__name__
        counts[name] = counts.get(name, 0) + 1
        keys.append(name if counts[name] == 1 else f"{name}#{counts[name]}")
    return keys


class BackupAndRestore(Callback):
    """Back up the run at the end of every epoch into ``directory``; resume from it.

    Parameters
    ----------
    directory : the folder for the backup files (created if needed); one folder per run.
    save_freq : "epoch", the only choice: an interrupted epoch is re-run from its start, which
        gives the same result as finishing it would have.
    delete_on_completion : delete the backup when ``fit`` finishes (not when it raises).

    The backup's hyperparameters win on resume (the learning rate included, since a schedule
    may have changed it); to start over with new ones, delete the folder. A resumed run ends
    with weights bit-identical to an uninterrupted one on the same glassnet version, platform
    and BLAS thread count.

    The folder is locked for the run: another run using it at the same time (another process,
    or another thread) gets ``glassnet.io.FolderInUseError`` naming the holder.

    Example:
    >>> import os, tempfile
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> workspace = tempfile.TemporaryDirectory()
    >>> folder = os.path.join(workspace.name, "backup")
    >>> model = gn.nn.Linear(1, 1)
    >>> optimizer = gn.optim.SGD(model.parameters(), lr=0.1)
    >>> class PowerCut(gn.callbacks.Callback):  # stands in for a crash in the third epoch
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if epoch == 2:
    ...             raise RuntimeError("power cut")
    >>> def train(*callbacks):
    ...     backup = gn.callbacks.BackupAndRestore(folder)
    ...     return gn.fit(model, X, 3 * X, loss="mse", optimizer=optimizer, epochs=5,
    ...                   callbacks=[*callbacks, backup], verbose=0)
    >>> train(PowerCut())
    Traceback (most recent call last):
    ...
    RuntimeError: power cut
    >>> history = train()  # goes on after the last epoch backed up, the second
    >>> history.epoch
    [0, 1, 2, 3, 4]
    >>> os.path.exists(folder)  # the backup is deleted once fit completes
    False
    >>> workspace.cleanup()
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        save_freq: str = "epoch",
        delete_on_completion: bool = True,
    ) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(
                f"save_freq must be 'epoch'; got {save_freq!r}. glassnet backs up at the end of "
                "each epoch; an interrupted epoch is re-run from its start, exactly."
            )
        self.directory = os.fspath(directory)
        self.save_freq = save_freq
        self.delete_on_completion = delete_on_completion
        self.files = BackupFiles(self.directory)
        self.lock = FolderLock(self.directory)
        self.callbacks: list[Callback] = []
        self.history: History | None = None

    def __repr__(self) -> str:
        return f"BackupAndRestore({self.directory!r})"

    # -- the folder's lock ---------------------------------------------------------------------
    def lock_folder(self) -> None:
        """Lock the folder (created if needed) for this run; ``FolderInUseError`` if another run
        holds it. Idempotent; ``restore`` calls it before reading anything."""
        self.lock.acquire()

    def unlock_folder(self) -> None:
        """Release the folder's lock (idempotent): at the end of training, however it ends. A
        folder left empty (the run ended before its first backup) is removed."""
        self.lock.release(remove_folder_if_empty=True)

    # -- restore --------------------------------------------------------------------------------
    def restore(self, callbacks: Sequence[Callback], history: History) -> int:
        """Called by ``fit`` after every ``on_train_begin``: lock the folder, remember the run's
        other callbacks and its History, load the newest intact backup if there is one, and
        return the epoch to start from (0 without a backup). A backup that does not fit the
        model or optimizer is a ``ModelFormatError`` (a ValueError), and leaves them as they
        were; the folder is unlocked again when restoring fails."""
        self.lock_folder()
        try:
            return self._restore(callbacks, history)
        except BaseException:
            self.unlock_folder()
            raise

    def _restore(self, callbacks: Sequence[Callback], history: History) -> int:
        self.callbacks = [c for c in callbacks if c is not self and c is not history]
        self.history = history
        backup = self.files.read_latest()
        if backup is None:
            return 0
        training = backup["training_state"]
        if not isinstance(training, dict) or "epoch" not in training:
            raise ModelFormatError(f"the backup in {self.directory} holds no training state; "
                                   "delete the folder to start afresh.")
        model, optimizer = self.context.model, self.context.optimizer
        before = model.state_dict()
        try:
            model.load_state_dict(backup["model_state"])
            if backup["optimizer_state"] is not None:
                optimizer.load_state_dict(backup["optimizer_state"])
        except (ValueError, KeyError, TypeError) as error:
            model.load_state_dict(before)
            raise ModelFormatError(
                f"the backup in {self.directory} does not fit this model and optimizer "
                f"({error}). Delete the folder to start afresh, or build the model and "
                "optimizer as in the interrupted run."
            ) from error
        self._warn_if_the_run_differs(training.get("params", {}))
        states = training.get("callbacks", {})
        for key, callback in zip(callback_keys(self.callbacks), self.callbacks, strict=True):
            if states.get(key) is not None:
                callback.set_state(states[key])
        history.history = {key: list(values) for key, values in training["history"].items()}
        history.epoch = list(training["history_epochs"])
        self.context.stop_training = bool(training.get("stop_training", False))
        set_rng_state(training["rng_state"])
        return int(training["epoch"]) + 1

    def _warn_if_the_run_differs(self, saved: dict[str, Any]) -> None:
        current = self.context.params
        changed = [
            f"{name} {saved[name]} -> {current[name]}"
            for name in ("samples", "batch_size", "shards")
            if name in saved and name in current and saved[name] != current[name]
        ]
        if changed:
            warnings.warn(
                f"resuming from {self.directory}, but the run differs from the interrupted one "
                f"({', '.join(changed)}); it will not match an uninterrupted run.",
                RuntimeWarning,
                stacklevel=4,
            )

    # -- back up --------------------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        # fit calls this hook last, so every other callback and the History include this epoch.
        optimizer = self.context.optimizer
        state_dict = getattr(optimizer, "state_dict", None)
        states = {
            key: callback.get_state()
            for key, callback in zip(callback_keys(self.callbacks), self.callbacks, strict=True)
        }
        history = self.history if self.history is not None else History()
        params = self.context.params
        self.files.write(
            model_state=self.context.model.state_dict(),
            optimizer_state=state_dict() if callable(state_dict) else None,
            training_state={
                "epoch": epoch,
                "stop_training": self.context.stop_training,
                "history": history.history,
                "history_epochs": history.epoch,
                "callbacks": {key: state for key, state in states.items() if state is not None},
                "rng_state": get_rng_state(),
                "params": {name: params[name] for name in ("samples", "batch_size", "epochs",
                                                            "shards")
                           if name in params},
            },
        )

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.delete_on_completion:
            self.files.remove()
        self.unlock_folder()  # the emptied folder goes too; one holding other files stays
