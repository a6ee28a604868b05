"""Metrics, predict and evaluate."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error
from training_helpers import blobs, classifier

import glassnet as gn
import glassnet.functional as F
from glassnet import nn
from glassnet.training import evaluate, metrics, predict


def test_accuracy_of_logits_against_class_indices_and_one_hot():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [9.0, 0.0, 0.0]])
    labels = np.array([0, 1, 1, 2])
    assert metrics.accuracy(labels, logits) == 0.5
    assert metrics.accuracy(np.eye(3)[labels], logits) == 0.5


def test_binary_accuracy_thresholds_logits_at_zero_and_probabilities_at_half():
    labels = np.array([1.0, 0.0, 1.0, 1.0])
    logits = np.array([[0.3], [-0.2], [2.0], [0.1]])  # all right when thresholded at 0
    assert metrics.accuracy(labels, logits, from_logits=True) == 1.0
    assert metrics.accuracy(labels, logits, from_logits=False) == 0.5  # 0.3, 0.1 < 0.5
    assert metrics.accuracy(labels, logits) == 1.0  # -0.2 is outside [0, 1]: logits
    probabilities = np.array([[0.9], [0.2], [0.6], [0.4]])
    assert metrics.accuracy(labels, probabilities) == 0.75  # inside [0, 1]: probabilities


def test_the_loss_tells_accuracy_whether_a_single_output_is_a_logit():
    accuracy_with_logits = dict(metrics.resolve_metrics(["accuracy"], from_logits=True))
    labels, scores = np.array([1.0, 1.0]), np.array([[0.2], [0.4]])
    assert accuracy_with_logits["accuracy"](labels, scores) == 1.0
    assert metrics.accuracy(labels, scores) == 0.0  # the heuristic reads them as probabilities


def test_mae_and_mse_match_scikit_learn():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(20, 1)), rng.normal(size=(20, 1))
    assert metrics.mae(y_true.ravel(), y_pred) == pytest.approx(mean_absolute_error(y_true, y_pred))
    assert metrics.mse(y_true, y_pred) == pytest.approx(mean_squared_error(y_true, y_pred))


def test_metric_names_aliases_and_callables():
    def top_score(y_true, y_pred):
        return float(y_pred.max())

    resolved = metrics.resolve_metrics(["acc", "mean_absolute_error", top_score])
    assert [name for name, _ in resolved] == ["acc", "mean_absolute_error", "top_score"]  # as given
    assert [function for _, function in resolved[:2]] == [metrics.accuracy, metrics.mae]
    with pytest.raises(ValueError, match="used twice.*'accuracy' and 'acc' name the same metric"):
        metrics.resolve_metrics(["accuracy", "acc"])
    with pytest.raises(TypeError, match="metrics must be names or callables"):
        metrics.resolve_metrics([3])


def test_predict_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    X, _ = blobs(n=50)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    model.train()
    first = predict(model, X)
    assert model.training and model[2].training
    assert np.array_equal(first, predict(model, X))  # dropout off: deterministic
    model.eval()
    with gn.no_grad():
        manual = model(gn.tensor(X)).data
    assert isinstance(first, np.ndarray) and first.dtype == np.float32
    np.testing.assert_allclose(first, manual, rtol=1e-6)
    assert not model.training


def test_predict_in_batches_matches_one_batch():
    X, _ = blobs(n=50)
    model = classifier()
    np.testing.assert_allclose(predict(model, X, batch_size=7), predict(model, X), rtol=1e-6)


def test_evaluate_matches_a_hand_computation():
    X, y = blobs(n=60)
    model = classifier()
    result = evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"], batch_size=16)
    logits = predict(model, X)
    expected_loss = float(F.cross_entropy(gn.tensor(logits), gn.tensor(y)).data)
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert result["accuracy"] == np.mean(logits.argmax(axis=1) == y)


def test_evaluate_with_metrics_only_and_with_nothing():
    X, y = blobs(n=20)
    model = classifier()
    assert set(evaluate(model, X, y, metrics="accuracy")) == {"accuracy"}
    with pytest.raises(ValueError, match="needs a loss or at least one metric"):
        evaluate(model, X, y)
