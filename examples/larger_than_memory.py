"""Train a NeuralNetClassifier on a data set larger than its worker's memory, block by block.

A Parquet data set is written to disk by the cluster itself, one partition per task, so no
process ever holds it whole; then ``dask_ml.wrappers.Incremental`` calls ``partial_fit`` on one
partition after another (in an order drawn from its ``random_state``: the same seeds give the
same weights, bit for bit) on a single worker whose ``memory_limit`` is well below the data's
size, and the last partitions, held out, measure the accuracy, predicted in parallel.

Run: .venv/bin/python examples/larger_than_memory.py   (needs glassnet's dask extra:
pip install 'glassnet[dask]', for dask[distributed], dask-ml and pyarrow)

The sizes: 48 partitions of 25,000 rows x 256 float32 features (and an int64 label) are 1181 MiB
in memory; the worker may use 800 MiB (Dask pauses a worker at 80 % of its limit and restarts
it at 95 %). The worker needs about 360 MiB before it reads any data (Dask, pandas, pyarrow,
scikit-learn, and numba, which dask.array imports through the sparse package) and peaked
near 600 MiB here: it holds a partition and its copies at a time, so the data is 1.5 times its
limit and three times what the limit leaves for data. About 35 s on two busy cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

EXTRA = "pip install 'glassnet[dask]'"


def require_dask() -> dict[str, Any]:
    """Dask's modules this example uses; an ImportError naming glassnet's dask extra if absent."""
    try:
        import dask.dataframe as dd
        import distributed
        import pandas as pd
        import pyarrow  # noqa: F401  (Parquet's engine: only to report its absence here)
        from dask_ml.wrappers import Incremental
        from distributed.diagnostics import MemorySampler
    except ImportError as error:
        raise ImportError(f"This example needs Dask, Dask-ML and pyarrow ({error.name} is "
                          f"missing). Install glassnet's dask extra: {EXTRA}") from error
    return {"dd": dd, "distributed": distributed, "pd": pd, "Incremental": Incremental,
            "MemorySampler": MemorySampler}


def make_partition(index: int, rows: int, features: int, seed: int) -> Any:
    """Partition ``index``: X ~ N(0, 1), label = argmax(X @ W) for a teacher W drawn from
    ``seed`` (the same for every partition), then 5 % of the labels replaced at random."""
    import pandas as pd

    teacher = np.random.default_rng(seed).normal(size=(features, 4))
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, features), dtype=np.float32)
    labels = np.argmax(X @ teacher, axis=1)
    noisy = rng.random(rows) < 0.05
    labels[noisy] = rng.integers(0, 4, size=int(noisy.sum()))
    frame = pd.DataFrame(X, columns=[f"x{column}" for column in range(features)])
    frame["label"] = labels
    return frame


def memory_before_reading_data() -> int:
    """The resident size in bytes of this process once it has imported what training uses."""
    import dask_ml._partial  # noqa: F401
    import pandas  # noqa: F401
    import psutil
    import pyarrow.parquet  # noqa: F401

    import glassnet.sklearn  # noqa: F401

    return psutil.Process().memory_info().rss


def peak_memory_of_this_process() -> int:
    """The process's peak resident size in bytes (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(folder: Path, *, blocks: int, rows: int, features: int, held_out: int,
        memory_limit: int, seed: int = 0) -> dict[str, float]:
    """Write the data set to ``folder``, train on all but the last ``held_out`` partitions,
    return the sizes, the worker's peak memory and the held-out accuracy."""
    modules = require_dask()
    dd, distributed = modules["dd"], modules["distributed"]
    from glassnet.sklearn import NeuralNetClassifier

    data_bytes = blocks * rows * (features * 4 + 8)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  memory_limit=memory_limit, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        started = time.perf_counter()
        meta = make_partition(0, 0, features, seed)
        partitions = dd.from_map(make_partition, range(blocks), rows=rows, features=features,
                                 seed=seed, meta=meta)
        # random floats neither compress nor repeat: plain pages write and read fastest
        partitions.to_parquet(folder, write_index=False, compression=None, use_dictionary=False,
                              write_statistics=False)
        client.restart()  # a fresh worker: its peak memory is the training's alone
        worker_baseline = max(client.run(memory_before_reading_data).values())
        workers = client.run(os.getpid)  # a worker Dask restarts for its memory gets a new pid
        written = time.perf_counter()

        # one partition per file, in the files' order (read_parquet may merge or split files)
        files = sorted(str(path) for path in Path(folder).glob("*.parquet"))
        table = dd.from_map(modules["pd"].read_parquet, files, meta=meta)
        columns = [column for column in table.columns if column != "label"]
        train, test = (table.partitions[:blocks - held_out],
                       table.partitions[blocks - held_out:])
        network = NeuralNetClassifier(hidden_layer_sizes=(64,), batch_size=256,
                                      learning_rate=1e-3, random_state=seed)
        model = modules["Incremental"](network, random_state=seed)  # block order from the seed
        # the data the worker holds (Dask's "managed" memory: the partitions in it), sampled
        # through the training: what streaming keeps small, whatever the process's size
        sampler = modules["MemorySampler"]()
        with sampler.sample("training", client=client, measure="managed", interval=0.05):
            model.fit(train[columns], train["label"], classes=np.arange(4))
            # block by block, in parallel (Incremental predicts as ParallelPostFit); the labels
            # of the held-out rows are small enough to gather
            predicted = model.predict(test[columns]).compute()
        held = max((value for _, value in sampler.samples["training"]), default=0)
        accuracy = float(np.mean(predicted == test["label"].compute().to_numpy()))
        trained = time.perf_counter()
        worker_peak = max(client.run(peak_memory_of_this_process).values())
        restarted = client.run(os.getpid) != workers
    return {"data_bytes": data_bytes, "memory_limit": memory_limit, "worker_peak": worker_peak,
            "worker_baseline": worker_baseline, "worker_restarted": restarted,
            "most_data_held": held,
            "accuracy": accuracy, "write_seconds": written - started,
            "train_seconds": trained - written, "epochs": model.estimator_.n_iter_}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=48, help="partitions written")
    parser.add_argument("--rows", type=int, default=25_000, help="rows per partition")
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--held-out", type=int, default=4, help="partitions kept for testing")
    parser.add_argument("--memory-limit-mib", type=int, default=800,
                        help="the worker's memory limit")
    parser.add_argument("--folder", type=Path, help="where to write the data (default: a "
                        "temporary folder, removed after)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = arguments.folder or Path(temporary) / "data"
        result = run(folder, blocks=arguments.blocks, rows=arguments.rows,
                     features=arguments.features, held_out=arguments.held_out,
                     memory_limit=arguments.memory_limit_mib * 2**20)
    mib = 2**20
    print(f"data set: {result['data_bytes'] / mib:.0f} MiB in memory, written as Parquet in "
          f"{result['write_seconds']:.1f} s")
    print(f"worker memory limit {result['memory_limit'] / mib:.0f} MiB; the worker used "
          f"{result['worker_baseline'] / mib:.0f} MiB before reading data, "
          f"{result['worker_peak'] / mib:.0f} MiB at its peak, and held at most "
          f"{result['most_data_held'] / mib:.0f} MiB of the data at once")
    print(f"trained on {result['epochs']} partitions in {result['train_seconds']:.1f} s; "
          f"held-out accuracy {result['accuracy']:.2%}")


if __name__ == "__main__":
    main()
