"""NeuralNetClassifier(class_weight=) and fit(sample_weight=) of both estimators: passed to
gn.fit as row weights, kept by get_params / clone, saved in the model file without pickle."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_sample_weight

import glassnet as gn
from glassnet.errors import ModelFormatError
from glassnet.sklearn import (
    NeuralNetClassifier,
    NeuralNetRegressor,
    load_estimator,
    save_estimator,
    to_bundle,
)

SMALL = {"hidden_layer_sizes": (6,), "epochs": 4, "random_state": 0}


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 0] > 0.6, "rare", np.where(X[:, 1] > 0, "up", "down"))
    return X, y


def _fit(estimator, X, y, **fit_arguments):
    with pytest.warns(Warning):  # 4 epochs do not converge
        return estimator.fit(X, y, **fit_arguments)


def test_class_weight_is_a_hyperparameter_that_clones():
    estimator = NeuralNetClassifier(class_weight={"rare": 3.0})
    assert estimator.get_params()["class_weight"] == {"rare": 3.0}
    assert clone(estimator).class_weight == {"rare": 3.0}
    assert estimator.set_params(class_weight="balanced").class_weight == "balanced"
    assert "class_weight" not in NeuralNetRegressor().get_params()


def test_class_weight_by_label_is_the_sample_weight_of_its_rows(labelled):
    X, y = labelled
    by_class = _fit(NeuralNetClassifier(class_weight={"rare": 3.0, "up": 0.5}, **SMALL), X, y)
    as_rows = _fit(NeuralNetClassifier(**SMALL), X, y,
                   sample_weight=np.select([y == "rare", y == "up"], [3.0, 0.5], 1.0))
    assert by_class.loss_curve_ == as_rows.loss_curve_
    unweighted = _fit(NeuralNetClassifier(**SMALL), X, y)
    assert unweighted.loss_curve_ != by_class.loss_curve_


def test_balanced_is_scikit_learns_and_multiplies_sample_weight(labelled):
    X, y = labelled
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    balanced = _fit(NeuralNetClassifier(class_weight="balanced", **SMALL), X, y,
                    sample_weight=sample_weight)
    expected = _fit(NeuralNetClassifier(**SMALL), X, y,
                    sample_weight=sample_weight * compute_sample_weight("balanced", y))
    np.testing.assert_allclose(balanced.loss_curve_, expected.loss_curve_, rtol=1e-6)


def test_weight_two_is_the_row_twice_in_a_full_batch(labelled):
    X, y = labelled
    weights = np.random.default_rng(2).integers(1, 3, size=len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    settings = {**SMALL, "alpha": 0.0, "batch_size": 200}  # one minibatch per epoch
    saved = gn.get_default_dtype()
    gn.set_default_dtype(np.float64)  # no float32 rounding between the two sums
    try:
        weighted = _fit(NeuralNetRegressor(**settings), X, X[:, 0], sample_weight=weights)
        written_out = _fit(NeuralNetRegressor(**settings), X[repeated], X[repeated, 0])
    finally:
        gn.set_default_dtype(saved)
    np.testing.assert_allclose(weighted.loss_curve_, written_out.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(weighted.predict(X), written_out.predict(X), rtol=1e-9)


def test_the_early_stopping_score_is_weighted(labelled):
    X, y = labelled
    estimator = _fit(NeuralNetClassifier(**SMALL), X, y)
    weights = np.random.default_rng(3).uniform(size=len(y))
    predicted = estimator.predict(X)
    X32 = X.astype(np.float32)
    assert estimator._validation_score(X32, y, weights) == pytest.approx(
        accuracy_score(y, predicted, sample_weight=weights))
    regressor = _fit(NeuralNetRegressor(**SMALL), X, X[:, 0])
    assert regressor._validation_score(X32, X[:, 0], weights) == pytest.approx(
        r2_score(X[:, 0], regressor.predict(X32), sample_weight=weights), rel=1e-5)
    early = NeuralNetClassifier(**SMALL, early_stopping=True, class_weight="balanced")
    assert len(_fit(early, X, y, sample_weight=weights).validation_scores_) == 4


@pytest.mark.parametrize(
    ("estimator", "fit_arguments", "words"),
    [
        (NeuralNetClassifier(class_weight={"cat": 2.0}), {}, r"labels \['cat'\]"),
        (NeuralNetClassifier(class_weight={"up": -1.0}), {}, "non-negative"),
        (NeuralNetClassifier(class_weight="auto"), {}, "'balanced', a dict"),
        (NeuralNetClassifier(class_weight={"up": 0.0, "down": 0.0, "rare": 0.0}), {},
         "weight 0"),
        (NeuralNetClassifier(), {"sample_weight": -np.ones(40)}, "Negative values"),
        (NeuralNetRegressor(), {"sample_weight": np.ones(3)}, r"\(3,\)"),
    ],
)
def test_bad_weights_are_refused(estimator, fit_arguments, words, labelled):
    X, y = labelled
    target = X[:, 0] if isinstance(estimator, NeuralNetRegressor) else y
    with pytest.raises(ValueError, match=words):
        estimator.fit(X, target, **fit_arguments)
    assert not hasattr(estimator, "model_")


def test_partial_fit_refuses_balanced(labelled):
    X, y = labelled
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        NeuralNetClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))
    estimator = NeuralNetClassifier(class_weight={"rare": 2.0}, **SMALL)
    estimator.partial_fit(X, y, classes=np.unique(y), sample_weight=np.ones(len(y)))
    assert estimator.n_iter_ == 1


@pytest.mark.parametrize(
    ("labels", "class_weight"),
    [(["a", "b"], {"a": 3.0}), ([1, 2], {1: 3.0, 2: 0.5}), ([False, True], {True: 2.0}),
     ([1, 2], "balanced"), ([1, 2], None)],
)
def test_class_weight_round_trips_through_the_model_file(labels, class_weight, tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, labels[1], labels[0])
    estimator = _fit(NeuralNetClassifier(class_weight=class_weight, **SMALL), X, y)
    save_estimator(estimator, tmp_path / "model.safetensors")
    loaded = load_estimator(tmp_path / "model.safetensors")
    assert loaded.class_weight == class_weight
    if isinstance(class_weight, dict):
        assert [type(key) for key in loaded.class_weight] == [type(key) for key in class_weight]
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


@pytest.mark.parametrize(
    "bad",
    [{"labels": ["a"], "labels_kind": "str", "weights": [-1.0]},
     {"labels": ["a", "a"], "labels_kind": "str", "weights": [1.0, 2.0]},
     {"labels": ["a"], "labels_kind": "pickle", "weights": [1.0]},
     {"labels": ["a"], "weights": [1.0]},
     "auto"],
)
def test_a_tampered_class_weight_is_refused(bad, tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, "a", "b")
    estimator = _fit(NeuralNetClassifier(class_weight={"a": 2.0}, **SMALL), X, y)
    model, metadata = to_bundle(estimator)
    assert metadata["sklearn_estimator"]["params"]["class_weight"] == {
        "labels": ["a"], "labels_kind": "str", "weights": [2.0]}
    metadata["sklearn_estimator"]["params"]["class_weight"] = bad
    gn.save(model, tmp_path / "tampered.safetensors", metadata=metadata)
    with pytest.raises(ModelFormatError, match="class_weight"):
        load_estimator(tmp_path / "tampered.safetensors")
