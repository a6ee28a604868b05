"""Fitted estimators saved in glassnet's model file (no pickle inside) and with pickle."""

import importlib
import pickle
import sys

import numpy as np
import pytest
import safetensors.numpy
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


# -- hostile metadata: every field checked, only ModelFormatError ----------------------------------
@pytest.fixture(scope="module")
def fitted_documents(blobs):
    """(network, estimator document) of a fitted classifier and regressor."""
    from glassnet.sklearn import to_bundle

    X, y = blobs
    classifier = to_bundle(NeuralNetClassifier(**SMALL).fit(X, y))
    regressor = to_bundle(NeuralNetRegressor(**SMALL).fit(X, y.astype(float)))
    return {"classifier": classifier, "regressor": regressor}


def _signed_file(path, model, metadata_text: str) -> None:
    """A model file whose metadata is ``metadata_text`` verbatim (JSON that Python's json
    module would never write: 1e999, 400-digit numbers), with a valid checksum."""
    from glassnet.io import architecture
    from glassnet.io.format import CHECKSUM_KEY, DOCUMENT_KEY, content_digest, dump_json

    head = dump_json({"format": "glassnet.model", "format_version": 1,
                      "glassnet_version": gn.__version__,
                      "architecture": architecture.describe(model)})
    text = head[:-1] + ',"metadata":' + metadata_text + "}"
    tensors = model.state_dict()
    safetensors.numpy.save_file(tensors, path, metadata={
        DOCUMENT_KEY: text, CHECKSUM_KEY: content_digest(text, tensors)})


HOSTILE = {
    # (estimator, where in the document, the JSON text put there, what the message names)
    "n_features_in-inf": ("classifier", ["fitted", "n_features_in"], "1e999",
                          "fitted.n_features_in must be an integer"),
    "loss_curve-400-digits": ("classifier", ["fitted", "loss_curve", 0], "1" + "0" * 399,
                              r"fitted.loss_curve\[0\] must be a finite number"),
    "classes-inf": ("classifier", ["fitted", "classes"], "[1e999, 2.0, 3.0]",
                    r"fitted.classes\[0\] must be an integer .*; got inf"),
    "random_state-negative": ("classifier", ["params", "random_state"], "-1",
                              "params.random_state must be an integer from 0 to 4294967295"),
    "classes-nested": ("classifier", ["fitted", "classes"], "[[0, 1], [2], 3]",
                       r"fitted.classes\[0\] must be an integer"),
    "classes-huge-list": ("classifier", ["fitted", "classes"], str(list(range(100_000))),
                          "fitted.classes must hold 3 values; it holds 100000"),
    "classes-repeated": ("classifier", ["fitted", "classes"], "[0, 1, 1]",
                         "fitted.classes must be distinct"),
    "classes-int64-overflow": ("classifier", ["fitted", "classes"], "[0, 1, 9223372036854775808]",
                               r"fitted.classes\[2\] must be an integer from"),
    "classes-of-another-kind": ("classifier", ["fitted", "classes"], '["a", "b", "c"]',
                                r"fitted.classes\[0\] must be an integer"),
    "n_outputs-disagrees": ("classifier", ["fitted", "n_outputs"], "4",
                            "fitted.classes must hold 4 values"),
    "n_features-disagrees": ("classifier", ["fitted", "n_features_in"], "5",
                             "the network does not take 5 features"),
    "n_iter-disagrees": ("classifier", ["fitted", "n_iter"], "99",
                         "fitted.n_iter is 99 but fitted.loss_curve holds 4"),
    "t-negative": ("classifier", ["fitted", "t"], "-5", "fitted.t must be an integer from 0"),
    "best_loss-inf": ("regressor", ["fitted", "best_loss"], "-1e999",
                      "fitted.best_loss must be a finite number"),
    "feature-names-too-few": ("classifier", ["fitted", "feature_names_in"], '["a"]',
                              "fitted.feature_names_in holds 1 names for 3 features"),
    "unknown-fitted-field": ("classifier", ["fitted", "coefs_"], "[1]",
                             r"holds unknown fields \['coefs_'\]"),
    "learning_rate-inf": ("classifier", ["params", "learning_rate"], "1e999",
                          "params.learning_rate must be a finite number"),
    "hidden-size-zero": ("classifier", ["params", "hidden_layer_sizes"], "[0]",
                         r"params.hidden_layer_sizes\[0\] must be an integer from 1"),
    "hidden-size-huge": ("classifier", ["params", "hidden_layer_sizes"], "1" + "0" * 30,
                         "params.hidden_layer_sizes must be an integer from 1 to 2147483647"),
    "activation-unknown": ("classifier", ["params", "activation"], '"os.system"',
                           "The 'activation' parameter of NeuralNetClassifier must be"),
    "early_stopping-2": ("classifier", ["params", "early_stopping"], "2",
                         "params.early_stopping must be an integer from 0 to 1"),
    "y_was_1d-on-two-outputs": ("regressor", ["fitted", "n_outputs"], "2",
                                "fitted.y_was_1d is true but n_outputs is 2"),
    "y_was_1d-text": ("regressor", ["fitted", "y_was_1d"], '"yes"',
                      "fitted.y_was_1d must be true or false"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_metadata_is_a_model_format_error_naming_the_field(case, fitted_documents,
                                                                   tmp_path):
    import json

    kind, where, text, message = HOSTILE[case]
    model, metadata = fitted_documents[kind]
    document = json.loads(json.dumps(metadata))
    target = document["sklearn_estimator"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = "__HOSTILE__"
    path = tmp_path / "hostile.safetensors"
    _signed_file(path, model, json.dumps(document).replace('"__HOSTILE__"', text))
    with pytest.raises(ModelFormatError, match=message):
        gn.load(path)


def test_a_missing_regressor_field_is_named(fitted_documents, tmp_path):
    model, metadata = fitted_documents["regressor"]
    document = {**metadata["sklearn_estimator"]}
    document["fitted"] = {k: v for k, v in document["fitted"].items() if k != "y_was_1d"}
    gn.save(model, tmp_path / "r.safetensors", metadata={"sklearn_estimator": document})
    with pytest.raises(ModelFormatError, match="the saved NeuralNetRegressor is malformed: "
                                               "fitted.y_was_1d is missing"):
        gn.load(tmp_path / "r.safetensors")


def test_a_subclass_is_refused_at_save_not_at_load(blobs, tmp_path):
    class MyClassifier(NeuralNetClassifier):
        pass

    X, y = blobs
    with pytest.raises(TypeError, match="cannot save a MyClassifier: .*not a subclass"):
        gn.save(MyClassifier(**SMALL).fit(X, y), tmp_path / "sub.safetensors")
    assert not (tmp_path / "sub.safetensors").exists()


def test_a_network_whose_outputs_disagree_with_n_outputs_is_refused(fitted_documents, tmp_path):
    model, metadata = fitted_documents["regressor"]
    document = {**metadata["sklearn_estimator"]}
    document["fitted"] = {**document["fitted"], "n_outputs": 2, "y_was_1d": False}
    gn.save(model, tmp_path / "r.safetensors", metadata={"sklearn_estimator": document})
    with pytest.raises(ModelFormatError, match=r"the network gives outputs of shape \(1,\) for "
                                               "one row; the estimator has 2 outputs"):
        gn.load(tmp_path / "r.safetensors")
