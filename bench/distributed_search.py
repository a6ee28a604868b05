"""A 24-fit grid search (12 candidates x 2 folds) serially, then on a Dask LocalCluster.

NeuralNetClassifier on scikit-learn's digits (1797 x 64, scaled to [0, 1]); the cluster has 2
worker processes of 1 thread each, started before the clock (as a cluster is, once, for many
searches). Each round times both, interleaved; the medians and their ratio are reported, and the
two searches' cv_results_ are checked to be equal bit for bit. On this two-core machine the
ratio is bounded by 2, less what the scheduler and the shipping of data and models cost.
    .venv/bin/python bench/distributed_search.py [--rounds 3] [--quick] [--json out.json]
(needs glassnet's dask extra: pip install 'glassnet[dask]')
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from typing import Any

import numpy as np
from harness import OtherLoad, format_table, write_json

GRID = {"hidden_layer_sizes": [(16,), (64,), (32, 32)], "alpha": [1e-4, 1e-2],
        "learning_rate": [1e-3, 3e-3]}  # 12 candidates
FOLDS = 2
SETTINGS = {"epochs": 15, "batch_size": 32, "random_state": 0}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median reported)")
    parser.add_argument("--quick", action="store_true", help="1 round")
    parser.add_argument("--json", help="also write the results to this file")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds = 1
    return arguments


def search(X: np.ndarray, y: np.ndarray, n_jobs: int | None) -> tuple[float, Any]:
    """(seconds, cv_results_) of one grid search with the current joblib backend."""
    from sklearn.model_selection import GridSearchCV

    from glassnet.sklearn import NeuralNetClassifier

    grid = GridSearchCV(NeuralNetClassifier(**SETTINGS), GRID, cv=FOLDS, n_jobs=n_jobs,
                        scoring="neg_log_loss", refit=False)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 15 epochs do not converge: ConvergenceWarning
        grid.fit(X, y)
    return time.perf_counter() - started, grid.cv_results_


def main() -> None:
    arguments = parse_arguments()
    try:
        import distributed
        import joblib
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise SystemExit(f"{error.name} is missing: pip install 'glassnet[dask]'") from error
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    candidates = int(np.prod([len(values) for values in GRID.values()]))
    print(f"Grid search: {candidates} candidates x {FOLDS} folds = {candidates * FOLDS} fits of "
          f"NeuralNetClassifier({SETTINGS}) on digits {X.shape}; {arguments.rounds} rounds")
    other_load = OtherLoad()
    seconds: dict[str, list[float]] = {"serial": [], "dask": []}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        for _ in range(arguments.rounds):
            serial_time, serial = search(X, y, n_jobs=None)
            with joblib.parallel_backend("dask"):
                dask_time, on_cluster = search(X, y, n_jobs=-1)
            if not np.array_equal(serial["mean_test_score"], on_cluster["mean_test_score"]):
                raise SystemExit("the search on the cluster scored differently from the serial "
                                 "one")
            seconds["serial"].append(serial_time)
            seconds["dask"].append(dask_time)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = medians["serial"] / medians["dask"]
    print(other_load.describe() + " (the Dask workers count as other processes)")
    rows = [[name, f"{medians[name]:.2f}", " ".join(f"{value:.2f}" for value in values)]
            for name, values in seconds.items()]
    print(format_table(["search", "median s", "rounds"], rows))
    print(f"speed-up on the cluster: {ratio:.2f}x (2 workers x 1 thread on "
          f"{os.cpu_count()} cores); scores equal bit for bit")
    write_json(arguments.json, {"seconds": seconds, "medians": medians, "speedup": ratio,
                                "fits": candidates * FOLDS,
                                "other_load_cores": other_load.cores()})


if __name__ == "__main__":
    main()
