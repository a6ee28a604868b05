"""``MPISharding``: gradient sharding over the ranks of an MPI job, bit-identical to one process.

Each batch is split into S shards (``training/sharding.py``); rank r computes the block of S/N
shards r·S/N … (r+1)·S/N − 1, sends their gradients to rank 0, which sums all S in shard order
(``reduce_table``, the code one process runs) and sends the sum back. MPI's ``Allreduce`` is not
used: on floats it promises no order, so its sums could differ with N.

Every exchange is non-blocking and polled against a deadline (``timeout`` seconds): a rank
that has died or hangs makes the others raise ``RankTimeout`` naming it, instead of waiting for
ever. After that the job cannot go on (a message is half exchanged), so this process calls
``MPI_Abort`` when it exits, which ends the whole job.

Rank 0 alone shows progress and writes files: on the other ranks ``fit`` runs with
``verbose=0``, without ``ModelCheckpoint``, ``CSVLogger`` and callbacks whose ``root_only``
attribute is true, and their ``BackupAndRestore`` only reads the backup (its folder must be on
a file system every rank sees). Every rank loads the same arrays and builds the same model:
``fit`` compares the weights, glassnet's random state, the data and its settings across the
ranks before the first step and raises ``RunMismatch`` when they differ.
"""

from __future__ import annotations

import atexit
import hashlib
import numbers
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.random import get_rng_state
from glassnet.training.backup import BackupAndRestore
from glassnet.training.callbacks import CSVLogger, ModelCheckpoint
from glassnet.training.sharding import GradientSharding, ShardLayout, reduce_table

try:
    from mpi4py import MPI
except ImportError as error:
    raise ImportError(
        "glassnet.distributed.MPISharding needs mpi4py and an MPI library, which are not "
        "installed. Install glassnet's distributed extra: pip install 'glassnet[distributed]'"
    ) from error

__all__ = ["MPISharding", "RankTimeout", "RunMismatch"]

DEFAULT_TIMEOUT = 60.0  # seconds: longer than any step of a sane batch, short enough to notice
_TAG = 0x676E  # one tag: messages between two ranks arrive in the order they were sent
# A large message moves in pieces, each only when both sides poll: sleeping between polls would
# stall it. So poll without sleeping (yielding the core to anyone waiting for it) for a while,
# and only a rank that long waits for another sleeps, up to a millisecond at a time.
_POLL_WITHOUT_SLEEPING = 1.0  # seconds
_LONGEST_SLEEP = 1e-3
_yield = getattr(os, "sched_yield", lambda: time.sleep(0))
_CHECKED = ("weights", "random state", "training data", "settings")
ABORT_EXIT_CODE = 70  # sysexits' EX_SOFTWARE: mpiexec exits with it when a timeout ended the job


class RankTimeout(GlassnetError, RuntimeError):
    """A rank of the MPI job did not answer within the timeout: it has stopped or hangs."""


class RunMismatch(GlassnetError, ValueError):
    """The ranks of an MPI job do not train the same model on the same data."""


class MPISharding(GradientSharding):
    """``fit(..., gradient_sharding=MPISharding(shards=S))`` run under ``mpiexec -n N``.

    Parameters
    ----------
    shards : S, the shards of each batch; a multiple of the number of ranks N. The weights
        after training depend on S, never on N.
    timeout : seconds to wait for any rank at any exchange before raising ``RankTimeout``.
    comm : the communicator (default ``MPI.COMM_WORLD``); duplicated, so that fit's messages
        never meet the program's own.
    """

    def __init__(self, shards: int, *, timeout: float = DEFAULT_TIMEOUT,
                 comm: Any = None) -> None:
        super().__init__(shards)
        real = isinstance(timeout, numbers.Real) and not isinstance(timeout, bool)
        if not real or not timeout > 0 or timeout == float("inf"):
            raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}.")
        base = MPI.COMM_WORLD if comm is None else comm
        if self.shards % base.Get_size():
            raise ValueError(f"shards={self.shards} must be a multiple of the number of MPI "
                             f"ranks ({base.Get_size()}), so that every rank computes as many "
                             "shards; the weights depend on shards, not on the ranks.")
        self.timeout = float(timeout)
        self.rank, self.processes = base.Get_rank(), base.Get_size()
        self.comm, duplicated = base.Idup()
        self._wait([duplicated], None, "the ranks set up their communicator")

    def __repr__(self) -> str:
        return (f"MPISharding(shards={self.shards}, timeout={self.timeout:g}; rank {self.rank} "
                f"of {self.processes})")

    # -- the exchange of every step ----------------------------------------------------------
    def reduce(self, local: np.ndarray, layout: ShardLayout, where: str) -> np.ndarray:
        """Rank 0: receive every rank's rows, sum in shard order, send the sum to each rank.
        The others: send their rows, receive the sum."""
        if self.processes == 1:
            return reduce_table(local, layout)
        comm, per_rank, others = self.comm, len(local), range(1, self.processes)
        if self.rank != 0:
            reduced = np.empty(layout.reduced_width, dtype=layout.dtype)
            requests = [comm.Isend(local, dest=0, tag=_TAG),
                        comm.Irecv(reduced, source=0, tag=_TAG)]
            self._wait(requests, [0, 0], f"rank 0 gathers and sends back the gradients of "
                                         f"{where}")
            return reduced
        table = np.empty((layout.shards, layout.row_width), dtype=layout.dtype)
        table[:per_rank] = local
        receives = [comm.Irecv(table[rank * per_rank : (rank + 1) * per_rank], source=rank,
                               tag=_TAG) for rank in others]
        self._wait(receives, list(others), f"rank 0 gathers the shard gradients of {where}")
        reduced = reduce_table(table, layout)
        sends = [comm.Isend(reduced, dest=rank, tag=_TAG) for rank in others]
        self._wait(sends, list(others), f"rank 0 sends the summed gradients of {where}")
        return reduced

    def _wait(self, requests: list[Any], ranks: list[int] | None, what: str) -> None:
        """Poll ``requests`` (one per rank in ``ranks``) until all complete, or raise
        RankTimeout naming the ranks still pending when ``timeout`` has passed. ``ranks`` None:
        one collective request, which cannot tell which rank is missing."""
        pending = list(zip(requests, ranks or [-1] * len(requests), strict=True))
        started = time.monotonic()
        pause = 2e-5
        while True:
            pending = [(request, rank) for request, rank in pending if not request.Test()]
            if not pending:
                return
            waited = time.monotonic() - started
            if waited > self.timeout:
                late = [] if ranks is None else sorted({rank for _, rank in pending})
                raise self._timed_out(late, what)
            if waited < _POLL_WITHOUT_SLEEPING:
                _yield()
            else:
                time.sleep(pause)
                pause = min(2 * pause, _LONGEST_SLEEP)

    def _timed_out(self, ranks: list[int], what: str) -> RankTimeout:
        _abort_at_exit()
        names = ", ".join(str(rank) for rank in ranks)
        if not ranks:
            which = "some other rank did"
        else:
            which = f"rank {names} did" if len(ranks) == 1 else f"ranks {names} did"
        return RankTimeout(
            f"MPI rank {self.rank}: {which} not answer within {self.timeout:g} s while {what}; "
            "it has stopped or hangs (see its own output for why). Training stops here, and "
            "this process aborts the MPI job when it exits."
        )

    # -- before the first step ---------------------------------------------------------------
    def check_same_run(self, model: Any, arrays: Sequence[np.ndarray | None],
                       settings: dict[str, Any]) -> None:
        """RunMismatch on every rank when some rank's weights, random state, data or settings
        differ from rank 0's (compared by digest, so only digests travel)."""
        if self.processes == 1:
            return
        digests = _run_digests(model, arrays, settings)
        comm, others = self.comm, range(1, self.processes)
        verdict = np.full(2, -1, dtype=np.int64)  # (rank, item) of the first difference
        if self.rank != 0:
            requests = [comm.Isend(digests, dest=0, tag=_TAG),
                        comm.Irecv(verdict, source=0, tag=_TAG)]
            self._wait(requests, [0, 0], "the ranks compare their runs before training")
        else:
            gathered = np.empty((self.processes, *digests.shape), dtype=digests.dtype)
            gathered[0] = digests
            receives = [comm.Irecv(gathered[rank], source=rank, tag=_TAG) for rank in others]
            self._wait(receives, list(others), "the ranks compare their runs before training")
            for rank in others:
                differing = np.flatnonzero((gathered[rank] != digests).any(axis=1))
                if differing.size:
                    verdict[:] = rank, differing[0]
                    break
            sends = [comm.Isend(verdict, dest=rank, tag=_TAG) for rank in others]
            self._wait(sends, list(others), "rank 0 sends the comparison of the runs")
        if verdict[0] >= 0:
            rank, item = int(verdict[0]), _CHECKED[int(verdict[1])]
            raise RunMismatch(
                f"MPI rank {rank} differs from rank 0 in its {item}: every rank must load the "
                "same arrays, build the model after the same gn.manual_seed(seed), and call fit "
                "with the same arguments; a resumed run needs its BackupAndRestore folder on a "
                "file system every rank sees."
            )

    def callbacks_for_this_process(self, callbacks: list[Any], backup: Any) -> tuple[list[Any],
                                                                                      Any]:
        """Rank 0: all. The others: no file writers, and a backup that is only read."""
        if self.rank == 0:
            return callbacks, backup
        kept = [callback for callback in callbacks
                if not isinstance(callback, (ModelCheckpoint, CSVLogger))
                and not getattr(callback, "root_only", False)]
        return kept, (None if backup is None else _BackupReader(backup.directory))


class _BackupReader(BackupAndRestore):
    """A rank other than 0's view of rank 0's backup: restored from, never locked or written.
    Rank 0 cannot write a newer backup before this rank has read it: fit compares the ranks'
    runs (``check_same_run``) after restoring and before the first step."""

    def lock_folder(self) -> None:
        """Rank 0 holds the lock: this rank reads under it."""

    def unlock_folder(self) -> None:
        """Nothing was locked."""

    def restore(self, callbacks: Sequence[Any], history: Any) -> int:
        return self._restore(callbacks, history)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Rank 0 writes the backup."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Rank 0 deletes the backup."""


def _run_digests(model: Any, arrays: Sequence[np.ndarray | None], settings: dict[str, Any],
                 ) -> np.ndarray:
    """(4, 16) uint8: a digest of each of _CHECKED."""
    named = getattr(model, "state_dict", None)
    state = named() if callable(named) else dict(enumerate(model.parameters()))
    parts = [
        [(str(name), value) for name, value in state.items()],
        [("state", repr(get_rng_state()))],
        [(str(index), array) for index, array in enumerate(arrays)],
        [("settings", repr(sorted(settings.items())))],
    ]
    digests = np.empty((len(parts), 16), dtype=np.uint8)
    for row, items in enumerate(parts):
        digest = hashlib.blake2b(digest_size=16)
        for name, value in items:
            digest.update(name.encode())
            if value is None or isinstance(value, str):
                digest.update(repr(value).encode())
            else:
                array = np.ascontiguousarray(value)
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                digest.update(array.view(np.uint8).reshape(-1) if array.size else b"")
        digests[row] = np.frombuffer(digest.digest(), dtype=np.uint8)
    return digests


_ABORT_REGISTERED = False
# mpiexec forwards a rank's output and its abort on separate channels; without a moment between
# them the launcher may end the job before it has passed the error message on.
OUTPUT_GRACE_SECONDS = 0.5


def _abort_at_exit() -> None:
    """After a timeout a message is half exchanged, and MPI_Finalize could wait for the dead
    rank for ever: end the job with MPI_Abort when this process exits instead (after Python
    has printed the error)."""
    global _ABORT_REGISTERED
    if _ABORT_REGISTERED:
        return
    _ABORT_REGISTERED = True

    def abort() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(OUTPUT_GRACE_SECONDS)
        MPI.COMM_WORLD.Abort(ABORT_EXIT_CODE)

    atexit.register(abort)
