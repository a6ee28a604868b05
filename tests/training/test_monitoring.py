"""Metrics are logged under the name given ("acc" stays "acc"); monitors find a value under any
name of its metric, and refuse a NaN instead of deciding on it."""

from __future__ import annotations

import csv
import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import r2_score
from training_helpers import ScriptedValue, blobs, classifier, regressor

import glassnet as gn
from glassnet import optim
from glassnet.training import callbacks, fit


def run(callback_list, metrics=("acc",), epochs=4, **extra):
    model = classifier()
    X, y = blobs(n=60)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "monitors ..., which is not available" would be one
        history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=epochs,
                      metrics=list(metrics), validation_split=0.25, callbacks=callback_list,
                      verbose=0, **extra)
    return history, optimizer


@pytest.mark.parametrize("given", ["acc", "accuracy"])
def test_a_metric_is_logged_under_the_name_given(given):
    history, _ = run([], metrics=[given])
    assert list(history.history) == ["loss", given, "val_loss", f"val_{given}"]


@pytest.mark.parametrize(("given", "monitor"), [("acc", "val_acc"), ("acc", "val_accuracy"),
                                                ("accuracy", "val_acc")])
def test_early_stopping_finds_the_metric_under_either_name(given, monitor):
    stopper = callbacks.EarlyStopping(monitor=monitor, patience=10)
    assert stopper.mode == "max"
    history, _ = run([stopper], metrics=[given])
    assert stopper.best == max(history.history[f"val_{given}"])
    assert stopper.best_epoch == int(np.argmax(history.history[f"val_{given}"]))


def test_model_checkpoint_finds_it_to_save_the_best_and_to_name_the_file(tmp_path):
    pattern = str(tmp_path / "best-{epoch}-{val_accuracy:.3f}.safetensors")
    checkpoint = callbacks.ModelCheckpoint(pattern, monitor="val_accuracy", save_best_only=True)
    history, _ = run([checkpoint], metrics=["acc"], epochs=3)
    scores = history.history["val_acc"]
    assert checkpoint.best == max(scores)
    best = int(np.argmax(scores))
    assert f"best-{best + 1}-{scores[best]:.3f}.safetensors" in [p.name for p in tmp_path.iterdir()]


def test_reduce_lr_on_plateau_through_a_callback_finds_it():
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=0)
    X, y = blobs(n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=3,
                      metrics=["acc"], validation_split=0.25, verbose=0,
                      callbacks=[callbacks.LearningRateScheduler(plateau, monitor="val_accuracy")])
    assert plateau.best == max(history.history["val_acc"])
    assert plateau.last_epoch == 3


def test_csv_logger_columns_are_the_names_given(tmp_path):
    path = tmp_path / "log.csv"
    run([callbacks.CSVLogger(path)], metrics=["acc"], epochs=2)
    with open(path, newline="") as file:
        assert next(csv.reader(file)) == ["epoch", "acc", "loss", "val_acc", "val_loss"]


# -- NaN is refused, not compared ------------------------------------------------------------
def fit_with_r2_on_one_validation_row(callback_list):
    """R² of one validation row is undefined: scikit-learn returns NaN (with a warning)."""
    model = regressor()
    X = np.random.default_rng(0).normal(size=(10, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's UndefinedMetricWarning
        return fit(model, X, X.sum(axis=1), loss="mse", optimizer=optimizer, epochs=5,
                   metrics=[r2_score], validation_split=0.1, callbacks=callback_list, verbose=0)


def test_without_a_monitor_the_nan_is_recorded_as_it_is():
    history = fit_with_r2_on_one_validation_row([])
    assert all(math.isnan(value) for value in history.history["val_r2_score"])


@pytest.mark.parametrize("make", [
    pytest.param(lambda path: callbacks.EarlyStopping(monitor="val_r2_score", mode="max"),
                 id="EarlyStopping"),
    pytest.param(lambda path: callbacks.ModelCheckpoint(path, monitor="val_r2_score", mode="max",
                                                        save_best_only=True),
                 id="ModelCheckpoint"),
])
def test_a_monitor_refuses_a_nan_value(make, tmp_path):
    """Before, every comparison with NaN was False: EarlyStopping kept NaN as its best and
    stopped after `patience` epochs; ModelCheckpoint saved the first epoch and never again."""
    path = tmp_path / "best.safetensors"
    callback = make(path)
    name = type(callback).__name__
    with pytest.raises(ValueError, match=f"{name} monitors 'val_r2_score', which is NaN at "
                                         "epoch 1"):
        fit_with_r2_on_one_validation_row([callback])
    assert not path.exists()


def test_reduce_lr_on_plateau_through_a_callback_refuses_a_nan_value():
    model = classifier()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    scheduler = callbacks.LearningRateScheduler(plateau, monitor="score")
    X, y = blobs(n=20)
    with pytest.raises(ValueError, match="LearningRateScheduler monitors 'score', which is NaN "
                                         "at epoch 2"):
        fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=3, verbose=0,
            callbacks=[ScriptedValue("score", [1.0, math.nan, 0.5]), scheduler])
    assert optimizer.param_groups[0]["lr"] == 0.1  # PyTorch would have cut it to 0.01


@pytest.mark.parametrize(("arguments", "error"), [
    pytest.param({"min_delta": math.nan}, ValueError, id="nan-min_delta"),
    pytest.param({"baseline": math.nan}, ValueError, id="nan-baseline"),
    pytest.param({"baseline": "0.5"}, TypeError, id="text-baseline"),
    pytest.param({"patience": 1.5}, ValueError, id="float-patience"),
    pytest.param({"start_from_epoch": -1}, ValueError, id="negative-start"),
    pytest.param({"monitor": None}, TypeError, id="monitor-not-a-name"),
])
def test_early_stopping_refuses_arguments_that_would_make_it_compare_nothing(arguments, error):
    with pytest.raises(error, match="must be"):
        callbacks.EarlyStopping(**arguments)


def test_gn_callbacks_and_training_callbacks_are_the_same_classes():
    assert gn.callbacks.EarlyStopping is callbacks.EarlyStopping
