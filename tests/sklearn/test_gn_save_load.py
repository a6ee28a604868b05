"""gn.save / gn.load take fitted estimators too: the safe alternative to pickle."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import glassnet as gn
from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor


@pytest.mark.parametrize(
    "make, y",
    [
        pytest.param(
            lambda: NeuralNetClassifier(hidden_layer_sizes=(8,), epochs=5, random_state=0),
            np.array(["cat", "dog", "eel"] * 20),
            id="classifier-string-labels",
        ),
        pytest.param(
            lambda: NeuralNetRegressor(hidden_layer_sizes=(8,), epochs=5, random_state=0),
            np.linspace(-1, 1, 60),
            id="regressor",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gn_save_then_gn_load_gives_the_same_estimator(tmp_path, make, y):
    X = np.random.default_rng(0).normal(size=(60, 3))
    estimator = make().fit(X, y)
    path = tmp_path / "estimator.safetensors"
    gn.save(estimator, path)
    loaded = gn.load(path)
    assert type(loaded) is type(estimator)
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    assert loaded.get_params() == estimator.get_params()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gn_load_finds_the_sklearn_adapter_in_a_fresh_process(tmp_path):
    X = np.random.default_rng(1).normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    estimator = NeuralNetClassifier(hidden_layer_sizes=(4,), epochs=3, random_state=0).fit(X, y)
    path = tmp_path / "estimator.safetensors"
    gn.save(estimator, path)
    code = (
        "import sys, glassnet as gn\n"
        "assert 'glassnet.sklearn' not in sys.modules\n"
        f"print(type(gn.load({str(path)!r})).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "NeuralNetClassifier"


# -- Pipelines of scalers ending in a glassnet estimator -------------------------------------------
@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 3)) * [1.0, 300.0, 0.01] + [0.0, 50.0, -3.0]
    return X, np.array(["cat", "dog", "eel"])[rng.integers(0, 3, 60)]


SMALL = {"hidden_layer_sizes": (6,), "epochs": 3, "random_state": 0}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: make_pipeline(StandardScaler(), NeuralNetClassifier(**SMALL)),
                     id="standard-classifier"),
        pytest.param(lambda: make_pipeline(MinMaxScaler(feature_range=(-1, 2), clip=True),
                                           NeuralNetRegressor(**SMALL)), id="minmax-regressor"),
        pytest.param(lambda: Pipeline([("robust", RobustScaler(quantile_range=(10.0, 90.0))),
                                       ("skip", "passthrough"), ("maxabs", MaxAbsScaler()),
                                       ("scaled", StandardScaler(with_mean=False)),
                                       ("net", NeuralNetClassifier(**SMALL))]), id="four-steps"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_pipeline_round_trip_predicts_exactly_as_the_original(tmp_path, rows, make, dtype):
    X, labels = rows
    X = X.astype(dtype)
    pipeline = make()
    y = labels if isinstance(pipeline[-1], NeuralNetClassifier) else X[:, 0] * 2.0
    pipeline.fit(X, y)
    path = tmp_path / "pipeline.safetensors"
    gn.save(pipeline, path)
    loaded = gn.load(path)
    assert type(loaded) is Pipeline
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipeline.steps]
    assert [type(step) for _, step in loaded.steps] == [type(step) for _, step in pipeline.steps]
    for (_, step), (_, original) in zip(loaded.steps[:-1], pipeline.steps[:-1], strict=True):
        if step != "passthrough":
            assert step.get_params() == original.get_params()
    X_new = X * 1.5 + 0.25  # outside the training range: MinMaxScaler's clip matters
    np.testing.assert_array_equal(loaded.predict(X_new), pipeline.predict(X_new))
    if isinstance(pipeline[-1], NeuralNetClassifier):
        np.testing.assert_array_equal(loaded.predict_proba(X_new), pipeline.predict_proba(X_new))


def _pipeline_document(tmp_path, rows):
    """(network, pipeline document) of a fitted StandardScaler + MinMaxScaler + classifier."""
    from glassnet.sklearn._pipeline import pipeline_to_bundle

    X, labels = rows
    pipeline = make_pipeline(StandardScaler(), MinMaxScaler(), NeuralNetClassifier(**SMALL))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.fit(X, labels)
    model, metadata = pipeline_to_bundle(pipeline)
    return model, json.loads(json.dumps(metadata["sklearn_pipeline"]))


def _values(values):
    return {"dtype": "float64", "values": values}


HOSTILE_STEPS = {
    # (the step's index, the path inside it, the value put there, what the message says)
    "scale-zero": (0, ["fitted", "scale_"], _values([1.0, 0.0, 1.0]),
                   r"step 0.fitted.scale_ must be positive"),
    "scale-negative": (1, ["fitted", "scale_"], _values([1.0, -2.0, 1.0]), "must be positive"),
    "mean-too-short": (0, ["fitted", "mean_"], _values([1.0]),
                       r"mean_ must hold 3 values \(one per feature\)"),
    "mean-nested": (0, ["fitted", "mean_"], _values([[1.0], [2.0], [3.0]]),
                    r"mean_.values\[0\] must be a finite number"),
    "mean-null-but-used": (0, ["fitted", "mean_"], None, "mean_ is missing, and with_mean is"),
    "var-negative": (0, ["fitted", "var_"], _values([1.0, -1.0, 1.0]), "must not be negative"),
    "dtype-object": (0, ["fitted", "mean_"], {"dtype": "object", "values": [1, 2, 3]},
                     r'mean_ must be \{"dtype": one of'),
    "float32-overflow": (1, ["fitted", "min_"], {"dtype": "float32", "values": [1e39, 0, 0]},
                         r"min_.values\[0\] must be a finite number"),
    "class-to-import": (0, ["type"], "os.system", "step 0.type must be one of StandardScaler"),
    "unknown-param": (0, ["params", "eval"], True, r"holds unknown fields \['eval'\]"),
    "param-not-bool": (0, ["params", "with_mean"], "yes", "with_mean must be true or false"),
    "range-reversed": (1, ["params", "feature_range"], [1, 0], "low < high"),
    "name-with-double-underscore": (0, ["name"], "a__b", "step 0.name must be a step name"),
    "features-disagree": (1, ["fitted", "n_features_in_"], 4, "step 1 takes 4 features"),
    "samples-negative": (0, ["fitted", "n_samples_seen_"], -1, "must be an integer from 0"),
    "unknown-fitted": (0, ["fitted", "coef_"], [1], r"holds unknown fields \['coef_'\]"),
}


@pytest.mark.parametrize("case", HOSTILE_STEPS)
def test_hostile_scaler_numbers_are_a_model_format_error(tmp_path, rows, case):
    index, path, value, message = HOSTILE_STEPS[case]
    model, document = _pipeline_document(tmp_path, rows)
    target = document["steps"][index]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    gn.save(model, tmp_path / "p.safetensors", metadata={"sklearn_pipeline": document})
    with pytest.raises(gn.ModelFormatError, match=message):
        gn.load(tmp_path / "p.safetensors")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(estimator_name="standardscaler"), "step names must be distinct"),
        (lambda d: d.update(steps=d["steps"] * 20), "at most 31 scalers"),
        (lambda d: d.update(steps={"0": 1}), "must be a list"),
        (lambda d: d.update(extra=1), "must have steps, estimator_name and estimator"),
        (lambda d: d["estimator"]["fitted"].update(n_features_in=1e300),
         "fitted.n_features_in must be an integer"),
    ],
)
def test_a_hostile_pipeline_document_is_a_model_format_error(tmp_path, rows, edit, message):
    model, document = _pipeline_document(tmp_path, rows)
    edit(document)
    gn.save(model, tmp_path / "p.safetensors", metadata={"sklearn_pipeline": document})
    with pytest.raises(gn.ModelFormatError, match=message):
        gn.load(tmp_path / "p.safetensors")


class ShiftedScaler(StandardScaler):
    """A subclass: its transform could be anything, so it is not saved as a StandardScaler."""


@pytest.mark.parametrize(
    ("steps", "name", "kind"),
    [
        ([("pca", PCA(2)), ("net", NeuralNetClassifier(**SMALL))], "pca", "PCA"),
        ([("shift", ShiftedScaler()), ("net", NeuralNetClassifier(**SMALL))], "shift",
         "ShiftedScaler"),
        ([("scale", StandardScaler()), ("tree", DecisionTreeClassifier())], "tree",
         "DecisionTreeClassifier"),
    ],
)
def test_an_unsupported_step_is_refused_by_name_before_the_file_is_touched(tmp_path, rows,
                                                                          steps, name, kind):
    X, labels = rows
    path = tmp_path / "p.safetensors"
    path.write_bytes(b"previous")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline = Pipeline(steps).fit(X, labels)
    with pytest.raises(TypeError, match=rf"step {name!r} is a {kind}\..*gn.onnx.export"):
        gn.save(pipeline, path)
    assert path.read_bytes() == b"previous"


def test_gn_load_finds_the_pipeline_adapter_in_a_fresh_process(tmp_path, rows):
    X, labels = rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline = make_pipeline(StandardScaler(), NeuralNetClassifier(**SMALL)).fit(X, labels)
    path = tmp_path / "pipeline.safetensors"
    gn.save(pipeline, path)
    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, numpy as np, glassnet as gn\n"
        "assert 'glassnet.sklearn' not in sys.modules\n"
        f"loaded = gn.load({str(path)!r})\n"
        f"print(type(loaded).__name__, *loaded.predict(np.load({str(tmp_path / 'X.npy')!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Pipeline", *pipeline.predict(X)]
