"""Where an estimator trains: one training at a time per process, BLAS capped in Dask workers.

Two facts of running many fits at once (a search under ``joblib.parallel_backend("dask")``, an
``Incremental`` fit, joblib's threading backend) that ``fit`` and ``partial_fit`` handle here:

- glassnet draws everything random from one generator per process, and an estimator swaps its
  own stream in while it trains. Estimators training in threads of one process (a Dask worker
  with several threads, ``LocalCluster(processes=False)``, joblib's "threading" backend) would
  draw from each other's streams, so their weights would depend on the threads' timing. They
  take turns instead (a process-wide lock), which keeps every result equal to a serial run; the
  parallelism of a search then comes from processes (Dask workers, joblib's default backend).
- A task on a Dask worker trains with BLAS (OpenBLAS, MKL, ...) limited to one thread, through
  threadpoolctl: the worker's threads are the parallelism, and each fit calling a BLAS that
  starts a thread per core would put cores × tasks threads on the cores. Dask's nanny sets the
  same limit for the worker processes it starts (``OMP_NUM_THREADS=1`` and the like, its
  ``distributed.nanny.pre-spawn-environ`` setting); the cap makes it hold also in threaded
  workers and in workers started without those variables. Outside Dask nothing is changed:
  joblib's own process workers already limit BLAS to their share of the cores.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

# Reentrant: a subclass may call fit from inside a training step of its own.
_TRAINING_LOCK = threading.RLock()
BLAS_THREADS_IN_DASK_WORKER = 1


def in_dask_worker() -> bool:
    """Whether this thread runs a task of a ``dask.distributed`` worker."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # a worker has imported it; outside one, fit need not pay for it
        return False
    try:
        distributed.get_worker()
    except ValueError:  # "No worker found": a client, or a plain process
        return False
    return True


def blas_thread_limit() -> int | None:
    """The most BLAS threads a fit here may use, or None to leave BLAS as it is."""
    return BLAS_THREADS_IN_DASK_WORKER if in_dask_worker() else None


@contextmanager
def training_turn() -> Iterator[None]:
    """Hold this process's turn to train, with BLAS capped as ``blas_thread_limit`` says."""
    limit = blas_thread_limit()
    with _TRAINING_LOCK, _blas_limited_to(limit):
        yield


def _blas_limited_to(limit: int | None) -> Any:
    if limit is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    return threadpool_limits(limits=limit, user_api="blas")
