"""Divergence is caught at the first bad step, and nothing is saved from the diverged state: the
last good checkpoint and backup stay byte for byte as they were, and load."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.io import BackupFiles
from glassnet.training import Callback, callbacks


def unscaled_regression() -> tuple[np.ndarray, np.ndarray]:
    """Features of scale 1000 (not standardised) and a linear target: (256, 3), (256,)."""
    rng = np.random.default_rng(0)
    X = rng.normal(scale=1000.0, size=(256, 3))
    return X, X @ np.array([3.0, -1.0, 2.0])


def regressor() -> nn.Module:
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))


def sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


class FileDigests(Callback):
    """The sha256 of each file as each epoch left it (read as the next epoch begins: fit writes
    the backup after every other callback's on_epoch_end)."""

    def __init__(self, *paths) -> None:
        super().__init__()
        self.paths, self.digests = paths, []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch > 0:
            self.digests.append([sha256(path) for path in self.paths])


def test_lr_1e3_diverges_in_the_named_epoch_and_the_earlier_files_are_untouched(tmp_path):
    X, y = unscaled_regression()
    model = regressor()
    checkpoint_path = tmp_path / "best.safetensors"
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    digests = FileDigests(checkpoint_path, backup.files.newest_path)
    # epoch 1 with a sane learning rate, then 1e3
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 if epoch == 0 else 1e3)
    with pytest.raises(gn.TrainingDiverged) as caught:
        gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e-3),
               epochs=5, verbose=0, callbacks=[schedule, callbacks.ModelCheckpoint(
                   checkpoint_path, monitor="loss"), digests, backup])
    error = caught.value
    assert error.epoch == 1 and "at epoch 2/5, batch" in str(error)
    assert "lower learning rate (now 1000)" in str(error)
    assert len(digests.digests) == 1  # the files as epoch 1 left them
    assert [sha256(checkpoint_path), sha256(backup.files.newest_path)] == digests.digests[0]
    saved = gn.io.load_bundle(checkpoint_path)
    assert saved.metadata["epoch"] == 1
    assert all(np.isfinite(array).all() for array in saved.model.state_dict().values())
    assert BackupFiles(tmp_path / "backup").read_latest()["training_state"]["epoch"] == 0


def test_an_update_that_breaks_the_weights_on_an_epochs_last_batch_is_caught_before_saving(
    tmp_path,
):
    """The loss is checked before each step; the last step of an epoch is checked by looking
    at the weights, before ModelCheckpoint or the backup see them."""
    X, y = unscaled_regression()
    X = X / 1000.0
    model = regressor()
    path = tmp_path / "model.safetensors"
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(gn.TrainingDiverged, match=r"last batch of epoch 1/3 \(batch 1, loss "
                                                  r".*\) made 0.weight NaN or infinite"):
        # one batch per epoch; a step of 1e38 x gradient overflows float32
        gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e38),
               epochs=3, batch_size=256, verbose=0,
               callbacks=[callbacks.ModelCheckpoint(path, monitor="loss"), backup])
    assert not path.exists()
    assert not backup.files.exists()


def test_clip_grad_norm_is_the_remedy_it_suggests():
    X, y = unscaled_regression()
    model = regressor()
    with pytest.raises(gn.TrainingDiverged, match="clip_grad_norm=1.0"):
        gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e3),
               epochs=5, verbose=0)
    model = regressor()
    history = gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e3),
                     epochs=5, verbose=0, clip_grad_norm=1.0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_resuming_after_divergence_starts_from_the_last_good_epoch(tmp_path):
    X, y = unscaled_regression()
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 if epoch < 2 else 1e3)
    model = regressor()
    with pytest.raises(gn.TrainingDiverged):
        gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e-3),
               epochs=4, verbose=0, callbacks=[schedule, callbacks.BackupAndRestore(tmp_path)])
    model = regressor()
    started = []

    class FirstEpoch(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            started.append(epoch)

    history = gn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e-3),
                     epochs=4, verbose=0, clip_grad_norm=1.0, callbacks=[
                         callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3),
                         FirstEpoch(), callbacks.BackupAndRestore(tmp_path)])
    assert started == [2, 3]
    assert history.epoch == [0, 1, 2, 3] and np.all(np.isfinite(history.history["loss"]))
