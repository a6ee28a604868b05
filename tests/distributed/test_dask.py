"""glassnet's estimators on a dask.distributed cluster: a search equal to the serial one, an
``Incremental`` fit over blocks in a fixed order, ``ParallelPostFit`` predictions, BLAS capped
inside the workers.

One ``LocalCluster`` (2 worker processes, 1 thread each) serves the whole module.
"""

from __future__ import annotations

import pickle
import sys
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="the Dask tests need glassnet's dask extra: pip install 'glassnet[dask]'")
dask_ml_wrappers = pytest.importorskip(
    "dask_ml.wrappers", reason="the Dask tests need glassnet's dask extra: pip install "
    "'glassnet[dask]'")
import cloudpickle  # noqa: E402  (a dependency of distributed)
import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from glassnet.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

# The workers cannot import this test module (pytest imports it by path): ship its functions
# by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_layer_sizes": (16,), "epochs": 6, "batch_size": 16, "dropout": 0.1,
         "random_state": 0}
CLASSES = np.arange(10)


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as dask_client:
            yield dask_client


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X[:480] / 16.0, y[:480]


def weights_of(estimator: NeuralNetClassifier) -> dict[str, np.ndarray]:
    return {name: np.asarray(value) for name, value in estimator.model_.state_dict().items()}


def assert_same_weights(first: NeuralNetClassifier, second: NeuralNetClassifier) -> None:
    a, b = weights_of(first), weights_of(second)
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


# -- what ships to a worker ----------------------------------------------------------------------
@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads),
                                          (cloudpickle.dumps, cloudpickle.loads)],
                         ids=["pickle", "cloudpickle"])
def test_estimators_round_trip_before_and_after_fit(digits, dumps, loads):
    X, y = digits
    shipped_unfitted = loads(dumps(NeuralNetClassifier(**SMALL)))
    here = NeuralNetClassifier(**SMALL).fit(X, y)
    assert_same_weights(shipped_unfitted.fit(X, y), here)
    shipped_fitted = loads(dumps(here))
    assert np.array_equal(shipped_fitted.predict_proba(X), here.predict_proba(X))
    # the generator's stream and Adam's moments travel too: training goes on identically
    assert_same_weights(shipped_fitted.partial_fit(X, y), here.partial_fit(X, y))
    regressor = NeuralNetRegressor(**SMALL).fit(X, y.astype(float))
    assert np.array_equal(loads(dumps(regressor)).predict(X), regressor.predict(X))


# -- a search ------------------------------------------------------------------------------------
def test_grid_search_on_the_cluster_equals_the_serial_search(client, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (24,)], "alpha": [1e-4, 1e-1]}  # 4 candidates x 2 folds
    search = GridSearchCV(NeuralNetClassifier(**SMALL), grid, cv=2, scoring="neg_log_loss")
    serial = search.fit(X, y).cv_results_
    serial_best = search.best_params_
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        on_cluster = GridSearchCV(NeuralNetClassifier(**SMALL), grid, cv=2,
                                  scoring="neg_log_loss", n_jobs=-1).fit(X, y)
    workers_used = {task["worker"] for task in stream.data}
    assert len(workers_used) == 2  # both workers fitted candidates
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        assert np.array_equal(on_cluster.cv_results_[key], serial[key]), key  # bit for bit
    assert on_cluster.best_params_ == serial_best


def fit_and_count_blas_threads(X: np.ndarray, y: np.ndarray) -> tuple[int, int, int]:
    """On a worker: BLAS threads before fit, inside its training step, after it."""
    from glassnet.sklearn import NeuralNetClassifier

    seen: list[int] = []

    class Recording(NeuralNetClassifier):
        def _data_loss(self, output, target, reduction="mean"):
            if not seen:
                seen.append(blas_threads())
            return super()._data_loss(output, target, reduction)

    # a worker whose BLAS kept two threads (a threaded worker, or one started without Dask's
    # OMP_NUM_THREADS=1), as a plain process has one per core
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        Recording(**SMALL).fit(X, y)
        after = blas_threads()
    return before, seen[0], after


def blas_threads() -> int:
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


def test_fit_inside_a_worker_uses_one_blas_thread_and_gives_the_rest_back(client, digits):
    X, y = digits
    before, during, after = client.submit(fit_and_count_blas_threads, X[:64], y[:64]).result()
    assert (before, during, after) == (2, 1, 2)


def test_fit_outside_a_worker_leaves_blas_alone(digits):
    X, y = digits
    assert fit_and_count_blas_threads(X[:64], y[:64]) == (2, 2, 2)


# -- data in blocks --------------------------------------------------------------------------------
def blocks(X: np.ndarray, y: np.ndarray, rows: int) -> tuple[da.Array, da.Array]:
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


def by_hand(X: np.ndarray, y: np.ndarray, rows: int, order: list[int]) -> NeuralNetClassifier:
    estimator = NeuralNetClassifier(**SMALL)
    for block in order:
        part = slice(block * rows, (block + 1) * rows)
        estimator.partial_fit(X[part], y[part], classes=CLASSES)
    return estimator


def test_incremental_fit_is_deterministic_and_follows_its_block_order(client, digits):
    X, y = digits
    X_blocks, y_blocks = blocks(X, y, 80)  # 6 blocks
    fits = [dask_ml_wrappers.Incremental(NeuralNetClassifier(**SMALL), random_state=7)
            .fit(X_blocks, y_blocks, classes=CLASSES) for _ in range(2)]
    assert_same_weights(fits[0].estimator_, fits[1].estimator_)
    order = list(range(6))
    check_random_state(7).shuffle(order)  # the order Dask-ML draws from random_state
    assert order != sorted(order)
    assert_same_weights(fits[0].estimator_, by_hand(X, y, 80, order))
    in_sequence = dask_ml_wrappers.Incremental(NeuralNetClassifier(**SMALL),
                                               shuffle_blocks=False)
    in_sequence.fit(X_blocks, y_blocks, classes=CLASSES)
    assert_same_weights(in_sequence.estimator_, by_hand(X, y, 80, sorted(order)))
    assert fits[0].estimator_.n_iter_ == 6  # one epoch per block


def test_incremental_fit_without_classes_says_what_is_missing(client, digits):
    X, y = digits
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        dask_ml_wrappers.Incremental(NeuralNetClassifier(**SMALL), shuffle_blocks=False).fit(
            *blocks(X, y, 160))


def test_parallel_post_fit_predicts_as_on_the_whole_array(client, digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = NeuralNetClassifier(**SMALL).fit(X, y)
    wrapped = dask_ml_wrappers.ParallelPostFit(fitted)
    X_blocks = da.from_array(X, chunks=(70, X.shape[1]))  # blocks of unequal size
    assert np.array_equal(wrapped.predict(X_blocks).compute(), fitted.predict(X))
    assert np.array_equal(wrapped.predict_proba(X_blocks).compute(), fitted.predict_proba(X))
