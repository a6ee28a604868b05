"""The estimators inside scikit-learn's machinery: pipelines, grid search, cross-validation,
clone, string labels, probabilities, partial_fit."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from glassnet import nn
from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FAST = {"hidden_layer_sizes": (16,), "epochs": 30, "learning_rate": 1e-2, "random_state": 0}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(150, n_features=3, centers=3, cluster_std=1.5, random_state=0)
    return X * [1, 50, 0.01] + [0, 300, 0], y  # badly scaled: the pipeline's scaler matters


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(120, 4, noise=5.0, random_state=0)
    return X, y / y.std()


def test_pipeline_with_grid_search_picks_parameters_and_predicts(blobs):
    X, y = blobs
    pipeline = Pipeline([("scale", StandardScaler()), ("net", NeuralNetClassifier(**FAST))])
    grid = {"net__hidden_layer_sizes": [(4,), (16,)], "net__alpha": [1e-4, 1e-2]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    assert search.best_score_ > 0.9
    assert search.score(X, y) > 0.9
    best = search.best_estimator_.named_steps["net"]
    assert isinstance(best.model_, nn.Sequential)
    assert best.model_[0].out_features == search.best_params_["net__hidden_layer_sizes"][0]


def test_cross_val_score_on_both_estimators(blobs, regression):
    X, y = blobs
    scores = cross_val_score(make_pipeline(StandardScaler(), NeuralNetClassifier(**FAST)), X, y,
                             cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    X, y = regression
    r2 = cross_val_score(NeuralNetRegressor(**{**FAST, "epochs": 60}), X, y, cv=3)
    assert r2.min() > 0.95


def test_clone_copies_parameters_and_no_fitted_state(blobs):
    X, y = blobs
    fitted = NeuralNetClassifier(**FAST).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")


def test_string_labels_round_trip(blobs):
    X, y = blobs
    names = np.array(["heron", "egret", "ibis"])
    estimator = make_pipeline(StandardScaler(), NeuralNetClassifier(**FAST)).fit(X, names[y])
    net = estimator[-1]
    np.testing.assert_array_equal(net.classes_, ["egret", "heron", "ibis"])
    predicted = estimator.predict(X)
    assert predicted.dtype == names.dtype
    assert set(predicted) <= set(names)
    assert np.mean(predicted == names[y]) > 0.85


def test_predict_proba_rows_sum_to_one_and_agree_with_predict(blobs):
    X, y = blobs
    estimator = make_pipeline(StandardScaler(), NeuralNetClassifier(**FAST)).fit(X, y)
    probabilities = estimator.predict_proba(X)
    assert probabilities.shape == (len(X), 3) and probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(probabilities >= 0)
    np.testing.assert_array_equal(estimator.classes_[probabilities.argmax(1)], estimator.predict(X))
    np.testing.assert_allclose(estimator.predict_log_proba(X), np.log(probabilities))


def test_binary_problem_has_two_probability_columns(blobs):
    X, y = blobs
    estimator = make_pipeline(StandardScaler(), NeuralNetClassifier(**FAST))
    probabilities = estimator.fit(X, y == 2).predict_proba(X)
    assert probabilities.shape == (len(X), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_partial_fit_on_chunks_improves(blobs):
    X, y = blobs
    X = StandardScaler().fit_transform(X)
    labels = np.array(["a", "b", "c"])[y]
    estimator = NeuralNetClassifier(hidden_layer_sizes=(16,), learning_rate=1e-2, random_state=0)
    chunks = np.array_split(np.arange(len(X)), 5)
    estimator.partial_fit(X[chunks[0]], labels[chunks[0]], classes=["a", "b", "c"])
    first_loss, first_score = estimator.loss_curve_[0], estimator.score(X, labels)
    for _ in range(6):
        for rows in chunks:
            estimator.partial_fit(X[rows], labels[rows])
    assert estimator.n_iter_ == 1 + 6 * len(chunks)
    assert estimator.t_ == len(chunks[0]) + 6 * len(X)
    assert np.mean(estimator.loss_curve_[-len(chunks):]) < first_loss / 2
    assert estimator.score(X, labels) > max(first_score, 0.9)


def test_partial_fit_needs_classes_first_and_the_same_ones_after(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        estimator.partial_fit(X, y)
    estimator.partial_fit(X[:10], y[:10], classes=[0, 1, 2, 3])
    assert list(estimator.classes_) == [0, 1, 2, 3] and estimator.model_[-1].out_features == 4
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        estimator.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        estimator.partial_fit(X[:2], [0, 7])


def test_partial_fit_after_fit_continues_from_the_fitted_weights(regression):
    X, y = regression
    estimator = NeuralNetRegressor(**FAST).fit(X, y)
    epochs, weights = estimator.n_iter_, estimator.model_[0].weight.data.copy()
    estimator.partial_fit(X, y)
    assert estimator.n_iter_ == epochs + 1
    assert not np.array_equal(estimator.model_[0].weight.data, weights)
    assert abs(estimator.loss_curve_[-1] - estimator.loss_curve_[-2]) < estimator.loss_curve_[0]


def test_regressor_handles_one_and_several_targets(regression):
    X, y = regression
    single = NeuralNetRegressor(**FAST).fit(X, y)
    assert single.predict(X).shape == (len(X),) and single.n_outputs_ == 1
    double = NeuralNetRegressor(**FAST).fit(X, np.column_stack([y, -y]))
    assert double.predict(X).shape == (len(X), 2) and double.n_outputs_ == 2
    assert double.score(X, np.column_stack([y, -y])) > 0.8
    with pytest.raises(ValueError, match="y has 1 outputs, but NeuralNetRegressor was fitted "
                                         "with 2"):
        double.partial_fit(X, y)
