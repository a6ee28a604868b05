"""gn.save / gn.load take fitted estimators too: the safe alternative to pickle."""

import subprocess
import sys

import numpy as np
import pytest

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
