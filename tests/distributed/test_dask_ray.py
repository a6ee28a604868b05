"""The Dask search's counterpart on Ray's joblib backend: the same search equals the serial one,
and a fit inside a Ray worker uses one BLAS thread (Ray starts its workers with
OMP_NUM_THREADS set to the task's CPUs, 1 here; glassnet's own cap is for Dask workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

ray = pytest.importorskip(
    "ray", reason="Ray is not installed (pip install 'ray[default]'); glassnet's estimators are "
    "tested on Ray's joblib backend only where it is")
import joblib  # noqa: E402
from ray.util.joblib import register_ray  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from glassnet.sklearn import NeuralNetClassifier  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_layer_sizes": (16,), "epochs": 6, "batch_size": 16, "dropout": 0.1,
         "random_state": 0}


@pytest.fixture(scope="module")
def ray_backend() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    register_ray()
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:480] / 16.0, y[:480]


def test_grid_search_on_ray_equals_the_serial_search(ray_backend, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (24,)], "alpha": [1e-4, 1e-1]}
    serial = GridSearchCV(NeuralNetClassifier(**SMALL), grid, cv=2,
                          scoring="neg_log_loss").fit(X, y)
    with joblib.parallel_backend("ray"):
        on_ray = GridSearchCV(NeuralNetClassifier(**SMALL), grid, cv=2, scoring="neg_log_loss",
                              n_jobs=2).fit(X, y)
    assert np.array_equal(on_ray.cv_results_["mean_test_score"],
                          serial.cv_results_["mean_test_score"])
    assert on_ray.best_params_ == serial.best_params_


def test_fit_inside_a_ray_worker_uses_one_blas_thread(ray_backend, digits):
    X, y = digits

    def fit_and_count_blas_threads() -> tuple[int, int]:
        from threadpoolctl import threadpool_info

        from glassnet.sklearn import NeuralNetClassifier

        seen: list[int] = []

        class Recording(NeuralNetClassifier):
            def _data_loss(self, output, target, reduction="mean"):
                if not seen:
                    seen.append(max(info["num_threads"] for info in threadpool_info()
                                    if info["user_api"] == "blas"))
                return super()._data_loss(output, target, reduction)

        Recording(**SMALL).fit(X[:64], y[:64])
        return os.getpid(), seen[0]

    with joblib.parallel_backend("ray"):
        results = joblib.Parallel(n_jobs=2)(
            joblib.delayed(fit_and_count_blas_threads)() for _ in range(2))
    assert all(pid != os.getpid() for pid, _ in results)  # ran in Ray's workers
    assert [threads for _, threads in results] == [1, 1]
