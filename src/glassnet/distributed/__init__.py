"""Training past one process, on engines people already run.

``glassnet.distributed.MPISharding`` (extra ``distributed``: ``pip install
'glassnet[distributed]'``, which brings mpi4py and an MPI from wheels): the same ``fit`` under
``mpiexec -n N``, each batch's S shards computed on the N ranks and their gradients summed in
shard order, so that the weights are bit-identical for every N and to one process with
``gradient_sharding=S``::

    # train.py, run as: mpiexec -n 2 python train.py
    from glassnet.distributed import MPISharding
    gn.manual_seed(0)                       # the same model on every rank
    model = ...; X, y = ...                 # every rank loads the same arrays
    gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=10,
           gradient_sharding=MPISharding(shards=4))

Each engine's module imports its engine: ``import glassnet.distributed`` needs nothing, and
taking ``MPISharding`` from it without mpi4py raises an ImportError naming the extra.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it, imported on first use so that one engine's absence does
# not hide the others
_LAZY = {"MPISharding": "glassnet.distributed.mpi", "RankTimeout": "glassnet.distributed.mpi",
         "RunMismatch": "glassnet.distributed.mpi"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'glassnet.distributed' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


# No __all__: the API reference documents each engine on its module's page
# (glassnet.distributed.mpi), where it does not depend on importing the engine here.
