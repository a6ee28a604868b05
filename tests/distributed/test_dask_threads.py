"""Estimators training in threads of one process (a Dask worker with several threads, joblib's
threading backend) give the weights each gives alone: they take turns with glassnet's generator.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from glassnet.sklearn import NeuralNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
# dropout and shuffling draw from the generator at every step: any sharing would show
SMALL = {"hidden_layer_sizes": (16,), "epochs": 6, "batch_size": 16, "dropout": 0.2}


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def test_estimators_fitted_in_threads_at_once_equal_those_fitted_alone(digits):
    X, y = digits
    alone = [NeuralNetClassifier(**SMALL, random_state=seed).fit(X, y).predict_proba(X)
             for seed in range(4)]
    together = [NeuralNetClassifier(**SMALL, random_state=seed) for seed in range(4)]
    start = threading.Barrier(len(together))

    def fit(estimator: NeuralNetClassifier) -> None:
        start.wait()
        estimator.fit(X, y)

    threads = [threading.Thread(target=fit, args=(estimator,)) for estimator in together]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for expected, estimator in zip(alone, together, strict=True):
        assert np.array_equal(estimator.predict_proba(X), expected)


def test_search_on_a_threaded_dask_worker_equals_the_serial_search(digits):
    distributed = pytest.importorskip(
        "distributed", reason="needs glassnet's dask extra: pip install 'glassnet[dask]'")
    joblib = pytest.importorskip("joblib")
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (24,)], "alpha": [1e-4, 1e-1]}
    estimator = NeuralNetClassifier(**SMALL, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=2, scoring="neg_log_loss").fit(X, y)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster), joblib.parallel_backend("dask"):
        threaded = GridSearchCV(estimator, grid, cv=2, scoring="neg_log_loss",
                                n_jobs=-1).fit(X, y)
    assert np.array_equal(threaded.cv_results_["mean_test_score"],
                          serial.cv_results_["mean_test_score"])
    assert threaded.best_params_ == serial.best_params_
