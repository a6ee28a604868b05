"""Fitted glassnet.sklearn estimators (alone, in pipelines) and tabular models as ONNX graphs."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

import glassnet as gn
import glassnet.onnx
from glassnet import nn
from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor
from glassnet.tabular import CLASSIFY, REGRESS, Preprocessing, TabularModel

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
TOLERANCE = 1e-5
SMALL = {"hidden_layer_sizes": (8,), "epochs": 5, "random_state": 0}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(90, n_features=4, centers=3, random_state=0)
    return X * [1, 10, 100, 0.1] + [0, 5, -50, 1], y


def check_classifier_graph(run_onnx, estimator, X):
    for rows in (X[:1], X):
        outputs = run_onnx(gn.onnx.export(estimator, None), rows)
        np.testing.assert_allclose(outputs["probabilities"], estimator.predict_proba(rows),
                                   rtol=0, atol=TOLERANCE)
        np.testing.assert_array_equal(outputs["label"], estimator.predict(rows))


@pytest.mark.parametrize("labels", [
    pytest.param(np.array(["setosa", "versicolor", "virginica"]), id="strings"),
    pytest.param(np.array(["a", "b", "c"], dtype=object), id="object-strings"),
    pytest.param(np.array([3, 7, 11]), id="integers"),
    pytest.param(np.array([-1.0, 0.0, 2.0]), id="whole-floats"),
])
def test_classifier_outputs_labels_and_probabilities(blobs, labels, run_onnx):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, labels[y])
    check_classifier_graph(run_onnx, estimator, X)


def test_binary_classifier_has_two_probability_columns(blobs, run_onnx):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y == 1)
    outputs = run_onnx(gn.onnx.export(estimator, None), X)
    assert outputs["probabilities"].shape == (len(X), 2)
    assert outputs["label"].dtype == np.bool_
    check_classifier_graph(run_onnx, estimator, X)


@pytest.mark.parametrize("scalers", [
    pytest.param([StandardScaler()], id="standard"),
    pytest.param([StandardScaler(with_mean=False)], id="standard-without-mean"),
    pytest.param([MinMaxScaler(clip=True)], id="min-max-clipped"),
    pytest.param([MaxAbsScaler(), RobustScaler()], id="max-abs-then-robust"),
    pytest.param(["passthrough", MinMaxScaler((-1, 1))], id="passthrough-then-min-max"),
])
def test_pipeline_preprocessing_is_part_of_the_graph(blobs, scalers, run_onnx):
    X, y = blobs
    pipeline = make_pipeline(*scalers, NeuralNetClassifier(**SMALL)).fit(X, y)
    X_new = np.random.default_rng(0).normal(size=(7, 4)) * [1, 10, 100, 0.1] * 1.5
    check_classifier_graph(run_onnx, pipeline, np.vstack([X, X_new]))


@pytest.mark.parametrize("two_targets", [False, True])
def test_regressor_predictions_have_the_shape_of_predict(two_targets, run_onnx):
    X, y = make_regression(60, 5, noise=1.0, random_state=0)
    y = y / y.std()
    target = np.column_stack([y, -2 * y]) if two_targets else y
    pipeline = make_pipeline(StandardScaler(), NeuralNetRegressor(**SMALL)).fit(X, target)
    for rows in (X[:1], X):
        predictions = run_onnx(gn.onnx.export(pipeline, None), rows)["predictions"]
        assert predictions.shape == pipeline.predict(rows).shape
        np.testing.assert_allclose(predictions, pipeline.predict(rows), rtol=0, atol=TOLERANCE)


def test_estimator_graph_has_a_dynamic_batch_and_its_feature_count(blobs):
    X, y = blobs
    proto = gn.onnx.export(NeuralNetClassifier(**SMALL).fit(X, y), None)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert (dims[0].dim_param, dims[1].dim_value) == ("batch", 4)
    assert [output.name for output in proto.graph.output] == ["label", "probabilities"]


@pytest.mark.parametrize("pipeline", [False, True], ids=["alone", "in-a-pipeline"])
def test_the_model_names_the_estimator_it_was_exported_from(blobs, pipeline):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL)
    proto = gn.onnx.export((make_pipeline(StandardScaler(), estimator) if pipeline
                            else estimator).fit(X, y), None)  # fmt: skip
    assert {p.key: p.value for p in proto.metadata_props} == {"estimator": "NeuralNetClassifier"}
    assert proto.doc_string.startswith("glassnet.sklearn NeuralNetClassifier, exported:")


def test_estimator_export_writes_the_file(blobs, tmp_path, run_onnx):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y)
    path = tmp_path / "classifier.onnx"
    gn.onnx.export(estimator, path)
    np.testing.assert_array_equal(run_onnx(str(path), X)["label"], estimator.predict(X))


def test_unfitted_estimators_and_pipelines_are_refused():
    with pytest.raises(NotFittedError):
        gn.onnx.export(NeuralNetClassifier(), None)
    with pytest.raises(NotFittedError):
        gn.onnx.export(make_pipeline(StandardScaler(), NeuralNetRegressor()), None)


def test_unsupported_pipeline_step_is_named(blobs):
    X, y = blobs
    pipeline = make_pipeline(PolynomialFeatures(), NeuralNetClassifier(**SMALL)).fit(X, y)
    with pytest.raises(TypeError, match="'polynomialfeatures' \\(PolynomialFeatures\\)"):
        gn.onnx.export(pipeline, None)


def test_other_sklearn_estimators_are_refused(blobs):
    from sklearn.linear_model import LogisticRegression

    X, y = blobs
    with pytest.raises(TypeError, match="cannot export LogisticRegression"):
        gn.onnx.export(LogisticRegression().fit(X, y), None)


def test_n_features_must_match_the_fitted_estimator(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y)
    assert gn.onnx.export(estimator, None, n_features=4) is not None
    with pytest.raises(ValueError, match="fitted on 4 features"):
        gn.onnx.export(estimator, None, n_features=3)


def tabular(task, rng):
    gn.manual_seed(0)
    outputs = 3 if task == CLASSIFY else 1
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, outputs))
    preprocessing = Preprocessing(
        feature_names=["a", "b", "c", "d"],
        feature_mean=rng.normal(size=4) * 10,
        feature_std=rng.uniform(0.5, 20, size=4),
        task=task,
        target="y",
        classes=["cat", "dog", "eel"] if task == CLASSIFY else None,
        target_mean=250.0,
        target_std=40.0,
    )
    return TabularModel(model, preprocessing)


def test_tabular_classifier_includes_standardisation_and_labels(run_onnx):
    rng = np.random.default_rng(0)
    tabular_model = tabular(CLASSIFY, rng)
    X = rng.normal(size=(20, 4)) * 10
    outputs = run_onnx(gn.onnx.export(tabular_model, None), X)
    np.testing.assert_array_equal(outputs["label"], tabular_model.predict(X))
    np.testing.assert_allclose(outputs["probabilities"], tabular_model.predict_proba(X),
                               rtol=0, atol=TOLERANCE)


def test_tabular_regressor_returns_values_in_the_targets_units(run_onnx):
    rng = np.random.default_rng(1)
    tabular_model = tabular(REGRESS, rng)
    X = rng.normal(size=(20, 4)) * 10
    predictions = run_onnx(gn.onnx.export(tabular_model, None), X)["predictions"]
    assert predictions.shape == (20,)
    # values near 250 in float32 carry 7 digits: 1e-5 relative
    np.testing.assert_allclose(predictions, tabular_model.predict(X), rtol=TOLERANCE, atol=0)
