"""Metrics by name equal scikit-learn's on the same predictions (binary and 4 classes, logits and
probabilities, ties, a class never predicted), and fit computes the non-mean ones per epoch."""

import warnings

import numpy as np
import pytest
from training_helpers import blobs, classifier

import glassnet as gn
from glassnet import optim
from glassnet.training import epoch_metrics
from glassnet.training.metrics import resolve_metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")
special = pytest.importorskip("scipy.special")

CLASSIFICATION_NAMES = ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
                        "log_loss"]


def _case(kind, classes, rng, n=60):
    """(y_true, outputs, probabilities for sklearn, scores of class 1 for a binary AUC)."""
    y_true = rng.integers(0, classes, size=n)
    columns = 1 if kind.startswith("one-column") else classes
    logits = rng.normal(size=(n, columns)) + (1.5 * np.eye(classes)[y_true] if columns > 1
                                                 else 1.5 * y_true[:, None] - 0.7)
    if classes == 4:
        logits[:, 3] -= 20.0  # class 3 is never predicted, though present in y_true
    logits = np.round(logits, 1)  # ties in the scores
    if columns == 1:
        probabilities = special.expit(logits[:, 0])
        outputs = logits if kind == "one-column-logits" else probabilities[:, None]
        return y_true, outputs, np.stack([1 - probabilities, probabilities], axis=1), outputs[:, 0]
    probabilities = special.softmax(logits, axis=1)
    outputs = logits if kind == "logits" else probabilities
    return y_true, outputs, probabilities, probabilities[:, 1]


def _sklearn(name, y_true, predicted, probabilities, binary_scores):
    average = "binary" if probabilities.shape[1] == 2 else "macro"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero_division="warn": 0 with a warning
        if name == "accuracy":
            return sklearn_metrics.accuracy_score(y_true, predicted)
        if name == "balanced_accuracy":
            return sklearn_metrics.balanced_accuracy_score(y_true, predicted)
        if name in ("precision", "recall", "f1"):
            function = getattr(sklearn_metrics, f"{name}_score")
            return function(y_true, predicted, average=average)
        if name == "roc_auc":
            if average == "binary":
                return sklearn_metrics.roc_auc_score(y_true, binary_scores)
            return sklearn_metrics.roc_auc_score(y_true, probabilities, multi_class="ovr")
        labels = np.arange(probabilities.shape[1])
        return sklearn_metrics.log_loss(y_true, probabilities, labels=labels)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("kind", "classes"),
    [("one-column-logits", 2), ("one-column-probabilities", 2), ("logits", 2),
     ("probabilities", 2), ("logits", 4), ("probabilities", 4)],
)
@pytest.mark.parametrize("name", CLASSIFICATION_NAMES)
def test_classification_metrics_equal_scikit_learns(name, kind, classes, seed):
    rng = np.random.default_rng(seed)
    y_true, outputs, probabilities, binary_scores = _case(kind, classes, rng)
    if classes == 4 and name == "roc_auc":
        assert set(y_true) == {0, 1, 2, 3}  # scikit-learn needs every class in y_true
    predicted = probabilities.argmax(axis=1)
    assert (predicted != 3).all()
    [(_, metric)] = resolve_metrics([name])  # outputs read from their values, as without a loss
    expected = _sklearn(name, y_true, predicted, probabilities, binary_scores)
    assert metric(y_true, outputs) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_told_from_logits_the_one_column_metrics_need_not_guess():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, size=40)
    logits = rng.uniform(0.05, 0.95, size=(40, 1))  # logits that look like probabilities
    [(_, told)] = resolve_metrics(["f1"], from_logits=True)
    predicted = (logits[:, 0] > 0).astype(int)
    assert told(y_true, logits) == pytest.approx(sklearn_metrics.f1_score(y_true, predicted))


def test_zero_division_is_zero_as_scikit_learns_default():
    y_true, never_positive = np.array([0, 1, 1, 0]), np.array([[-1.0], [-2.0], [-3.0], [-1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sklearn_metrics.precision_score(y_true, np.zeros(4, dtype=int))
    assert expected == 0.0
    assert epoch_metrics.precision(y_true, never_positive) == 0.0
    assert epoch_metrics.f1(np.zeros(4), never_positive) == 0.0
    assert np.isnan(epoch_metrics.roc_auc(np.ones(4), never_positive))


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics_equal_scikit_learns(outputs):
    rng = np.random.default_rng(outputs)
    y_true = rng.normal(size=(30, outputs))
    predicted = y_true + rng.normal(scale=0.5, size=(30, outputs))
    y_given = y_true[:, 0] if outputs == 1 else y_true
    functions = dict(resolve_metrics(["r2", "rmse", "mae", "mse"]))
    assert functions["r2"](y_given, predicted) == pytest.approx(
        sklearn_metrics.r2_score(y_true, predicted), rel=1e-12)
    assert functions["rmse"](y_given, predicted) == pytest.approx(
        sklearn_metrics.root_mean_squared_error(y_true, predicted), rel=1e-12)
    assert functions["mae"](y_given, predicted) == pytest.approx(
        sklearn_metrics.mean_absolute_error(y_true, predicted), rel=1e-12)
    constant = np.ones((5, 1))
    assert epoch_metrics.r2(constant, constant) == sklearn_metrics.r2_score(constant, constant)
    assert epoch_metrics.r2(constant, constant + 1) == sklearn_metrics.r2_score(constant,
                                                                                constant + 1)


def test_fit_computes_the_non_mean_metrics_on_the_whole_epoch():
    X, y = blobs(n=45, classes=3, seed=3)
    model = classifier(classes=3, seed=5)
    history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(
        model.parameters(), lr=0.0), epochs=1, batch_size=8, verbose=0,
        metrics=["f1", "accuracy", "roc_auc", "log_loss"], validation_data=(X, y))
    outputs = gn.predict(model, X).astype(np.float64)
    predicted = outputs.argmax(axis=1)
    whole = sklearn_metrics.f1_score(y, predicted, average="macro")
    by_batch = np.average([sklearn_metrics.f1_score(y[i:i + 8], predicted[i:i + 8],
                                                    average="macro") for i in range(0, 45, 8)],
                          weights=[min(8, 45 - i) for i in range(0, 45, 8)])
    assert abs(whole - by_batch) > 1e-3  # so the test tells the two apart
    assert history.history["f1"][0] == pytest.approx(whole, rel=1e-6)
    assert history.history["val_f1"][0] == pytest.approx(whole, rel=1e-6)
    probabilities = special.softmax(outputs, axis=1)
    assert history.history["roc_auc"][0] == pytest.approx(
        sklearn_metrics.roc_auc_score(y, probabilities, multi_class="ovr"), rel=1e-6)
    assert list(history.history) == ["loss", "f1", "accuracy", "roc_auc", "log_loss", "val_loss",
                                     "val_f1", "val_accuracy", "val_roc_auc", "val_log_loss"]


def test_evaluate_takes_the_new_names_and_early_stopping_knows_their_direction():
    X, y = blobs(n=30, classes=3)
    model = classifier(classes=3)
    results = gn.evaluate(model, X, y, loss="cross_entropy",
                          metrics=["balanced_accuracy", "f1_score", "log_loss"])
    predicted = gn.predict(model, X).argmax(axis=1)
    assert results["balanced_accuracy"] == pytest.approx(
        sklearn_metrics.balanced_accuracy_score(y, predicted))
    assert results["f1_score"] == pytest.approx(
        sklearn_metrics.f1_score(y, predicted, average="macro"))
    for name in ("val_roc_auc", "val_balanced_accuracy", "val_r2", "val_f1"):
        assert gn.callbacks.EarlyStopping(monitor=name).mode == "max"
    for name in ("val_rmse", "val_log_loss"):
        assert gn.callbacks.EarlyStopping(monitor=name).mode == "min"


def test_value_metrics_are_refused_for_class_indices():
    X, y = blobs(n=10)
    model = classifier()
    with pytest.raises(ValueError, match="metric 'r2' compares values"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
               epochs=1, verbose=0, metrics=["r2"])


def test_no_epoch_buffer_without_a_whole_epoch_metric(monkeypatch):
    copies = []
    original = np.concatenate

    def counting(arrays, *args, **kwargs):
        copies.append(len(arrays))
        return original(arrays, *args, **kwargs)

    X, y = blobs(n=40)
    model = classifier()
    monkeypatch.setattr("glassnet.training.loop.np.concatenate", counting)
    gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
           epochs=2, batch_size=8, verbose=0, metrics=["accuracy"])
    assert copies == []
    gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
           epochs=2, batch_size=8, verbose=0, metrics=["f1"])
    # the outputs and the targets of the 5 batches, joined at the end of each of the 2 epochs
    assert [count for count in copies if count == 5] == [5, 5, 5, 5]


def test_r2_and_rmse_of_values_near_1e300_are_finite_and_exact():
    rng = np.random.default_rng(0)
    truth = rng.normal(3.0, 1.0, 50)
    predicted = truth + rng.normal(0.0, 0.1, 50)
    scale = 1e300
    found = resolve_metrics(["r2", "rmse"])
    r2_small, rmse_small = (function(truth, predicted) for _, function in found)
    r2_large, rmse_large = (function(truth * scale, predicted * scale) for _, function in found)
    assert np.isfinite(r2_large) and np.isfinite(rmse_large)
    np.testing.assert_allclose(r2_large, r2_small, rtol=1e-12)
    np.testing.assert_allclose(rmse_large, rmse_small * scale, rtol=1e-12)
