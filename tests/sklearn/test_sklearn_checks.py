"""scikit-learn's own estimator checks, every one of them, on both estimators."""

import functools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor

# The checks fit dozens of times on tiny data sets; a small network and a larger step keep the
# whole suite fast while still meeting their accuracy bars (0.83 accuracy, R² 0.5). Stopping
# after 20 epochs is expected here, so its ConvergenceWarning is too.
FAST = {"hidden_layer_sizes": (16,), "epochs": 20, "learning_rate": 1e-2}


def check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([NeuralNetClassifier(**FAST), NeuralNetRegressor(**FAST)])
def test_passes_sklearn_estimator_checks(estimator, check, monkeypatch):
    if check_name(check) == "check_array_api_input":
        # It skips itself unless SCIPY_ARRAY_API=1, which SciPy reads when first imported
        # (already done here). Its NumPy-namespace variant calls nothing that depends on SciPy's
        # array API mode, so setting the variable now runs the check as written.
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
