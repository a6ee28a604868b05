"""EarlyStopping, ModelCheckpoint, LearningRateScheduler and CSVLogger inside fit."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from training_helpers import ScriptedValue, WeightRecorder, blobs, classifier, same_state

import glassnet as gn
from glassnet import nn, optim
from glassnet.training import callbacks, fit


def run(model, callback_list, epochs=10, lr=0.1, **extra):
    X, y = blobs()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    return fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=epochs,
               callbacks=callback_list, verbose=0, **extra)


# -- EarlyStopping ----------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = classifier()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2)
    history = run(model, [stopper], lr=0.0)  # lr 0: the loss never improves after epoch 0
    assert history.epoch == [0, 1, 2]
    assert stopper.stopped_epoch == 2 and stopper.best_epoch == 0


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    model = classifier()
    recorder = WeightRecorder()
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", patience=2,
                                      restore_best_weights=True)
    scores = [3.0, 1.0, 2.0, 2.5, 0.1, 0.1]
    history = run(model, [ScriptedValue("score", scores), recorder, stopper])
    assert history.epoch == [0, 1, 2, 3]  # best at 1; epochs 2 and 3 fail to beat it
    assert same_state(model.state_dict(), recorder.states[1])
    assert not same_state(model.state_dict(), recorder.states[3])


def test_early_stopping_min_delta_baseline_and_start_from_epoch():
    small_gains = [1.0, 0.99, 0.98, 0.97, 0.96, 0.95]
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", min_delta=0.05, patience=1)
    history = run(classifier(), [ScriptedValue("score", small_gains), stopper])
    assert history.epoch == [0, 1]  # a gain of 0.01 < min_delta is no improvement

    stalls = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", patience=3)
    history = run(classifier(), [ScriptedValue("score", stalls), stopper])
    assert history.epoch == [0, 1, 2, 3, 4]
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", patience=3, baseline=0.5)
    history = run(classifier(), [ScriptedValue("score", stalls), stopper])
    assert history.epoch == [0, 1, 2]  # improvements that miss the baseline do not reset patience

    rising = [5.0, 6.0, 7.0, 1.0, 2.0, 3.0, 4.0]
    stopper = callbacks.EarlyStopping(monitor="score", mode="min", start_from_epoch=3)
    history = run(classifier(), [ScriptedValue("score", rising), stopper])
    assert history.epoch == [0, 1, 2, 3, 4]


def test_early_stopping_on_accuracy_maximizes_in_auto_mode():
    stopper = callbacks.EarlyStopping(monitor="val_accuracy")
    assert stopper.mode == "max"
    assert callbacks.EarlyStopping(monitor="val_mae").mode == "min"
    with pytest.raises(ValueError, match="cannot tell whether it should be maximized"):
        callbacks.EarlyStopping(monitor="zebra")


def test_missing_val_loss_falls_back_to_loss_with_a_warning():
    stopper = callbacks.EarlyStopping(patience=1)
    with pytest.warns(RuntimeWarning, match="'val_loss', which is not available .* using 'loss'"):
        history = run(classifier(), [stopper], lr=0.0)
    assert history.epoch == [0, 1]


# -- ModelCheckpoint ------------------------------------------------------------------------
def test_model_checkpoint_writes_gn_save_files_named_from_epoch_and_logs(tmp_path):
    model = classifier()
    recorder = WeightRecorder()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.safetensors")
    checkpoint = callbacks.ModelCheckpoint(pattern)
    history = run(model, [recorder, checkpoint], epochs=3, validation_split=0.25)
    names = sorted(os.listdir(tmp_path))
    expected = [f"ckpt-{e + 1:02d}-{v:.3f}.safetensors"
                for e, v in enumerate(history.history["val_loss"])]
    assert names == expected
    for epoch, name in enumerate(names):
        bundle = gn.io.load_bundle(tmp_path / name)
        assert same_state(bundle.model.state_dict(), recorder.states[epoch])
        assert bundle.metadata["epoch"] == epoch + 1
        assert bundle.metadata["logs"]["val_loss"] == history.history["val_loss"][epoch]


class Doubler(nn.Module):
    """A custom Module: gn.save cannot rebuild it, so ModelCheckpoint saves its state_dict."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(4, 3)

    def forward(self, x):
        return self.inner(x) * 2.0


def test_model_checkpoint_of_a_custom_module_is_a_checksummed_checkpoint(tmp_path):
    gn.manual_seed(0)
    model = Doubler()
    path = tmp_path / "custom.safetensors"
    history = run(model, [callbacks.ModelCheckpoint(path, monitor="loss")], epochs=2)
    saved = gn.io.load_checkpoint(path)
    assert same_state(saved["model_state"], model.state_dict())
    assert saved["training_state"] == {"epoch": 2, "logs": {"loss": history.history["loss"][1]}}
    with pytest.raises(gn.ModelFormatError, match="glassnet.model"):
        gn.load(path)  # a checkpoint is not a model file, and says so


def test_model_checkpoint_stores_non_finite_logs_as_text(tmp_path):
    path = tmp_path / "model.safetensors"
    run(classifier(), [ScriptedValue("score", [float("nan")]), callbacks.ModelCheckpoint(path)],
        epochs=1)
    assert gn.io.load_bundle(path).metadata["logs"]["score"] == "nan"


def test_save_best_only_keeps_the_best_epoch(tmp_path):
    model = classifier()
    recorder = WeightRecorder()
    path = tmp_path / "best.safetensors"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="score", mode="max", save_best_only=True)
    run(model, [ScriptedValue("score", [0.1, 0.5, 0.3, 0.4]), recorder, checkpoint], epochs=4)
    bundle = gn.io.load_bundle(path)
    assert bundle.metadata["epoch"] == 2
    assert same_state(bundle.model.state_dict(), recorder.states[1])


def test_a_failing_checkpoint_write_leaves_the_previous_file_byte_identical(tmp_path, monkeypatch):
    model = classifier()
    path = tmp_path / "model.safetensors"
    run(model, [callbacks.ModelCheckpoint(path)], epochs=1)
    before = path.read_bytes()

    def failing_replace(source, destination):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        run(model, [callbacks.ModelCheckpoint(path)], epochs=1)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind


def test_checkpoint_file_name_with_an_unknown_field_says_which(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{val_accuracy}.safetensors"))
    with pytest.raises(KeyError, match="no 'val_accuracy' in the logs"):
        run(classifier(), [checkpoint], epochs=1)


# -- LearningRateScheduler ------------------------------------------------------------------
def test_schedule_function_sets_the_optimizer_lr_each_epoch():
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    seen = []

    def halve_after_first(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch == 0 else lr * 0.5

    X, y = blobs()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=4, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(halve_after_first)])
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05), (3, 0.025)]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0125)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025, 0.0125])


def test_lr_scheduler_objects_are_stepped_per_epoch():
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    step_lr = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    X, y = blobs()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=5, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(step_lr)])
    # the rate each epoch trained with (Keras's logs): StepLR moves it after epochs 2 and 4
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    X, y = blobs()
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=4, verbose=0,
                  callbacks=[ScriptedValue("score", [1.0, 0.5, 0.7, 0.8]),
                             callbacks.LearningRateScheduler(plateau, monitor="score")])
    # reduced after the worse epochs 3 and 4: the rates they and the next trained with
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025)


def test_schedule_returning_a_non_number_is_an_error():
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(ValueError, match="finite float learning rate >= 0; got 'fast'"):
        run(classifier(), [scheduler], epochs=1)


# -- CSVLogger --------------------------------------------------------------------------------
def test_csv_logger_writes_a_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = run(classifier(), [callbacks.CSVLogger(path)], epochs=3, validation_split=0.25,
                  metrics=["accuracy"])
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for epoch, row in enumerate(rows[1:]):
        for key, text in zip(rows[0][1:], row[1:], strict=True):
            assert float(text) == history.history[key][epoch]


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.csv"
    run(classifier(), [callbacks.CSVLogger(path, separator=";")], epochs=2)
    run(classifier(), [callbacks.CSVLogger(path, separator=";", append=True)], epochs=2)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;loss" and len(lines) == 5
    assert [line.split(";")[0] for line in lines[1:]] == ["0", "1", "0", "1"]
    run(classifier(), [callbacks.CSVLogger(path)], epochs=1)  # overwrite
    assert len(path.read_text().splitlines()) == 2


def test_callbacks_see_the_context():
    seen = {}

    class Peek(callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["model"] = self.model
            seen["optimizer"] = self.optimizer
            seen["epochs"] = self.context.epochs

    model = classifier()
    history = run(model, [Peek()], epochs=2)
    assert seen == {"model": model, "optimizer": seen["optimizer"], "epochs": 2}
    assert isinstance(seen["optimizer"], optim.SGD)
    assert np.isfinite(history.history["loss"]).all()
