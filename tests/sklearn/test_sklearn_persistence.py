"""Fitted estimators saved in glassnet's model file (no pickle inside) and with pickle."""

import importlib
import pickle
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import NotFittedError

import glassnet as gn
from glassnet.errors import ModelFormatError
from glassnet.io import load_bundle
from glassnet.sklearn import (
    NeuralNetClassifier,
    NeuralNetRegressor,
    load_estimator,
    save_estimator,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_layer_sizes": (8, 4), "epochs": 4, "random_state": 0}


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(60, n_features=3, centers=3, random_state=0)


def labelled(y, kind):
    if kind == "str":
        return np.array(["low", "mid", "high"])[y]
    if kind == "object":
        return np.array(["low", "mid", "high"], dtype=object)[y]
    if kind == "bool":
        return y == 1
    if kind == "float":
        return y.astype(np.float64) * 2.0
    return y + 10


@pytest.mark.parametrize("kind", ["str", "object", "int", "bool", "float"])
def test_classifier_round_trip_through_the_model_file(kind, blobs, tmp_path):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL, early_stopping=kind == "int").fit(X, labelled(y, kind))
    path = tmp_path / "classifier.safetensors"
    save_estimator(estimator, path)
    loaded = load_estimator(path)
    assert type(loaded) is NeuralNetClassifier
    assert loaded.get_params() == estimator.get_params()
    np.testing.assert_array_equal(loaded.classes_, estimator.classes_)
    assert loaded.classes_.dtype == estimator.classes_.dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    for name in ("loss_curve_", "n_iter_", "t_", "n_features_in_", "n_outputs_", "best_loss_",
                 "validation_scores_", "best_validation_score_"):
        assert getattr(loaded, name) == getattr(estimator, name), name


@pytest.mark.parametrize("two_targets", [False, True])
def test_regressor_round_trip_through_the_model_file(two_targets, tmp_path):
    X, y = make_regression(40, 3, random_state=0)
    target = np.column_stack([y, y / 2]) if two_targets else y
    estimator = NeuralNetRegressor(**SMALL).fit(X, target)
    path = tmp_path / "regressor.safetensors"
    save_estimator(estimator, path)
    loaded = load_estimator(path)
    assert loaded.predict(X).shape == target.shape
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_the_file_holds_the_weights_as_plain_tensors(blobs, tmp_path):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y)
    path = tmp_path / "classifier.safetensors"
    save_estimator(estimator, path)
    tensors = load_file(path)
    np.testing.assert_array_equal(tensors["0.weight"], estimator.model_[0].weight.data)
    bundle = load_bundle(path)
    assert bundle.metadata["sklearn_estimator"]["type"] == "NeuralNetClassifier"
    # the bare network, for code that only wants the weights
    np.testing.assert_array_equal(gn.predict(bundle.model, X), gn.predict(estimator.model_, X))


def test_feature_names_are_kept(blobs, tmp_path):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y)
    # what validate_data stores when fitting on a DataFrame (pandas is not needed to save it)
    estimator.feature_names_in_ = np.array(["width", "height", "depth"], dtype=object)
    save_estimator(estimator, tmp_path / "named.safetensors")
    loaded = load_estimator(tmp_path / "named.safetensors")
    np.testing.assert_array_equal(loaded.feature_names_in_, estimator.feature_names_in_)


def test_a_loaded_estimator_keeps_learning(blobs, tmp_path):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL).fit(X, y)
    save_estimator(estimator, tmp_path / "c.safetensors")
    loaded = load_estimator(tmp_path / "c.safetensors")
    loaded.partial_fit(X, y)  # a fresh optimizer: its state is not part of the file
    assert loaded.n_iter_ == estimator.n_iter_ + 1
    assert not np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


def test_a_random_state_object_is_saved_as_none(blobs, tmp_path):
    X, y = blobs
    estimator = NeuralNetClassifier(**{**SMALL, "random_state": np.random.RandomState(0)})
    save_estimator(estimator.fit(X, y), tmp_path / "c.safetensors")
    assert load_estimator(tmp_path / "c.safetensors").random_state is None


def test_unfitted_estimators_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError):
        save_estimator(NeuralNetRegressor(), tmp_path / "r.safetensors")


def test_a_plain_model_file_is_not_an_estimator(tmp_path):
    gn.save(gn.nn.Sequential(gn.nn.Linear(2, 2)), tmp_path / "plain.safetensors")
    with pytest.raises(ModelFormatError, match="holds no glassnet.sklearn estimator"):
        load_estimator(tmp_path / "plain.safetensors")


@pytest.mark.parametrize("tamper, message", [
    (lambda d: d["params"].update(evil="os.system"), "unknown estimator parameters"),
    (lambda d: d["fitted"].update(classes_kind="pickle"), "unknown kind"),
    (lambda d: d["fitted"].pop("n_iter"), "malformed"),
])
def test_tampered_metadata_is_refused(tamper, message, blobs, tmp_path):
    from glassnet.sklearn import to_bundle

    X, y = blobs
    model, metadata = to_bundle(NeuralNetClassifier(**SMALL).fit(X, y))
    tamper(metadata["sklearn_estimator"])
    gn.save(model, tmp_path / "tampered.safetensors", metadata=metadata)
    with pytest.raises(ModelFormatError, match=message):
        load_estimator(tmp_path / "tampered.safetensors")


def test_pickle_round_trip_predicts_and_continues_identically(blobs):
    X, y = blobs
    estimator = NeuralNetClassifier(**SMALL, dropout=0.1).fit(X, labelled(y, "str"))
    copy = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(copy.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(copy.predict(X), estimator.predict(X))
    # the optimizer's state and the random stream travel too: the next steps are the same
    copy.partial_fit(X, labelled(y, "str"))
    estimator.partial_fit(X, labelled(y, "str"))
    np.testing.assert_array_equal(copy.predict_proba(X), estimator.predict_proba(X))


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` raise ImportError
    for name in [name for name in sys.modules if name.startswith("glassnet.sklearn")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[sklearn\]'"):
        importlib.import_module("glassnet.sklearn")
