"""fit, its callbacks, BackupAndRestore and the diagnostics on a CNN and on a GRU classifier."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.io import BackupFiles
from glassnet.training import Callback, callbacks

LENGTH = 12


class Interrupted(Exception):
    """Stands for a crash in the middle of fit."""


class InterruptAt(Callback):
    """Raises Interrupted after ``batch`` of ``epoch`` (after that batch's update)."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, batch, logs=None):
        if self.context.epoch == self.epoch and batch == self.batch:
            raise Interrupted(f"epoch {self.epoch}, batch {batch}")


def signals(n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """(n, LENGTH) float32 signals, y = 1 where the first half has the larger sum."""
    X = np.random.default_rng(0).normal(size=(n, LENGTH)).astype(np.float32)
    y = (X[:, : LENGTH // 2].sum(axis=1) > X[:, LENGTH // 2 :].sum(axis=1)).astype(np.int64)
    return X, y


def cnn(seed: int, bias: float | None = None) -> nn.Module:
    """Conv1d, ReLU, MaxPool1d, Linear: (N, 1, 12) -> (N, 2); ``bias`` overrides the conv's."""
    gn.manual_seed(seed)
    model = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2),
                          nn.Flatten(), nn.Linear(4 * LENGTH // 2, 2))
    if bias is not None:
        model[0].bias.data[:] = bias
    return model


def gru(seed: int) -> nn.Module:
    """GRU, LastTimeStep, Linear: (N, 12, 1) -> (N, 2)."""
    gn.manual_seed(seed)
    return nn.Sequential(nn.GRU(1, 5, batch_first=True), nn.LastTimeStep(), nn.Linear(5, 2))


MODELS = {
    "cnn": (cnn, lambda X: X[:, None, :]),
    "gru": (gru, lambda X: X[:, :, None]),
}
KINDS = pytest.mark.parametrize("kind", sorted(MODELS))


def model_and_data(kind: str, seed: int = 0) -> tuple[nn.Module, np.ndarray, np.ndarray]:
    build, shape = MODELS[kind]
    X, y = signals()
    return build(seed), shape(X), y


def same_weights(first: nn.Module, second: nn.Module) -> bool:
    a, b = first.state_dict(), second.state_dict()
    return a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a)


@KINDS
def test_fit_runs_early_stopping_checkpoint_and_csv_logger(tmp_path, kind):
    model, X, y = model_and_data(kind)
    best_file, log_file = tmp_path / "best.safetensors", tmp_path / "log.csv"
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = gn.fit(model, X, y, loss="cross_entropy", epochs=40, batch_size=16,
                     optimizer=optim.Adam(model.parameters(), lr=0.3), metrics=["accuracy"],
                     validation_split=0.25, verbose=0,
                     callbacks=[stopper, callbacks.ModelCheckpoint(best_file, save_best_only=True),
                                callbacks.CSVLogger(log_file)])
    epochs = len(history.epoch)
    assert epochs < 40  # lr 0.3 overshoots: val_loss stops improving early
    best_epoch = int(np.argmin(history.history["val_loss"]))
    assert gn.io.load_bundle(best_file).metadata["epoch"] == best_epoch + 1
    saved = gn.load(best_file)  # the checkpoint holds the best epoch's weights …
    assert same_weights(saved, model)  # … which EarlyStopping restored
    with open(log_file, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["epoch"]) for row in rows] == list(range(epochs))
    assert [float(row["val_loss"]) for row in rows] == pytest.approx(history.history["val_loss"])


@KINDS
def test_backup_and_restore_resumes_to_bit_identical_weights(tmp_path, kind):
    def train(folder, seed, extra=()):
        model, X, y = model_and_data(kind, seed)
        history = gn.fit(model, X, y, loss="cross_entropy", epochs=4, batch_size=16,
                         optimizer=optim.Adam(model.parameters(), lr=0.01), verbose=0,
                         callbacks=[*extra, callbacks.BackupAndRestore(folder)])
        return model, history

    reference, expected = train(tmp_path / "reference", seed=0)
    with pytest.raises(Interrupted):
        train(tmp_path / "run", seed=0, extra=(InterruptAt(epoch=2, batch=3),))
    assert BackupFiles(tmp_path / "run").exists()
    resumed, history = train(tmp_path / "run", seed=12345)  # other weights: the backup's win
    assert same_weights(resumed, reference)
    assert history.history == expected.history


@KINDS
def test_diagnose_and_the_diagnostics_callback_run_on_the_model(kind):
    model, X, y = model_and_data(kind)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    watch = gn.callbacks.Diagnostics(X, y, loss="cross_entropy")
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=2,
                     batch_size=16, validation_split=0.25, callbacks=[watch], verbose=0)
    assert history.diagnosis is watch.diagnosis
    assert watch.diagnosis.findings == [] and watch.reported == []
    diagnosis = gn.diagnose(model, X, y, loss="cross_entropy", optimizer=optimizer,
                            history=history)
    assert diagnosis.findings == []


def test_diagnose_finds_the_dead_relu_channels_of_a_cnn():
    X, y = signals()
    model = cnn(0, bias=-100.0)  # every pre-activation of the conv is far below 0
    diagnosis = gn.diagnose(model, X[:, None, :], y, loss="cross_entropy")
    dead = [finding for finding in diagnosis.findings if finding.code == "dead_relu"]
    assert len(dead) == 1 and dead[0].severity == "error"
    assert dead[0].evidence["layer"] == "1"
    assert (dead[0].evidence["dead_units"], dead[0].evidence["units"]) == (4, 4)  # channels
    assert "at all 12 positions" in dead[0].message
    vanishing = next(finding for finding in diagnosis.findings
                     if finding.code == "vanishing_gradients"
                     and finding.evidence.get("parameter") == "0.weight")
    assert "layer 1 ('0')" in vanishing.message  # the conv, gn.explain's layer 1


def test_diagnose_finds_the_learning_rate_of_100_too_high_for_a_cnn():
    X, y = signals()
    model = cnn(0)
    diagnosis = gn.diagnose(model, X[:, None, :], y, loss="cross_entropy",
                            optimizer=optim.SGD(model.parameters(), lr=100.0))
    assert "learning_rate_too_high" in [finding.code for finding in diagnosis.findings]


def test_a_channel_is_dead_only_when_dead_at_every_position():
    X, y = signals()
    model = cnn(0, bias=-100.0)
    model[0].bias.data[0] = 0.0  # channel 0 stays alive on part of the positions
    diagnosis = gn.diagnose(model, X[:, None, :], y, loss="cross_entropy")
    dead = next(finding for finding in diagnosis.findings if finding.code == "dead_relu")
    assert dead.severity == "warning"
    assert dead.evidence["dead_unit_indices"] == [1, 2, 3]


def test_unscaled_inputs_are_read_per_channel_for_a_cnn_and_not_at_all_for_an_embedding():
    rng = np.random.default_rng(0)
    gn.manual_seed(0)
    cnn = gn.nn.Sequential(gn.nn.Conv1d(2, 4, 3), gn.nn.ReLU(), gn.nn.Flatten(),
                           gn.nn.Linear(4 * 6, 2))
    X = rng.normal(size=(64, 2, 8))
    X[:, 1] *= 1000.0  # channel 1 in the thousands
    y = rng.integers(0, 2, 64)
    [finding] = gn.diagnose(cnn, X, y, loss="cross_entropy").by_code("unscaled_inputs")
    assert finding.evidence["n_features"] == 2 and finding.evidence["largest_feature"] == 1
    assert finding.evidence["largest_scale"] == pytest.approx(np.sqrt((X[:, 1] ** 2).mean()),
                                                              rel=1e-5)
    words = gn.nn.Sequential(gn.nn.Embedding(100, 3), gn.nn.Flatten(), gn.nn.Linear(12, 2))
    indices = rng.integers(50, 100, size=(64, 4))  # large numbers, but indices
    assert gn.diagnose(words, indices, y, loss="cross_entropy").by_code("unscaled_inputs") == []
