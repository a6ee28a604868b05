"""scikit-learn's own estimator checks, every one of them, on both estimators."""

import functools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor


def check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


# With the documented defaults: the stopping rule ends most of the checks' fits early, so the
# whole suite takes about 15 s. A few checks fit noise (e.g. random integer targets), which runs
# all 200 epochs and ends, as MLPClassifier does, with a ConvergenceWarning.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([NeuralNetClassifier(), NeuralNetRegressor()])
def test_passes_sklearn_estimator_checks(estimator, check, monkeypatch):
    if check_name(check) == "check_array_api_input":
        # It skips itself unless SCIPY_ARRAY_API=1, which SciPy reads when first imported
        # (already done here). Its NumPy-namespace variant calls nothing that depends on SciPy's
        # array API mode, so setting the variable now runs the check as written.
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
