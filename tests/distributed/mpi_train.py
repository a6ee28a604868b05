"""A small training run for test_mpi: ``python mpi_train.py OUT [options]``, alone or under
``mpiexec -n N``.

Trains an MLP with dropout, Adam, sample weights, a validation split and an accuracy metric
with ``gradient_sharding=S``: ``GradientSharding(S)`` without ``--mpi``, ``MPISharding(S)``
with it. Every rank writes its final weights and History to ``OUT/rank<r>.npz``.

Options: ``--backup DIR`` a BackupAndRestore there; ``--interrupt-after E`` raise in the
callbacks at the end of epoch E (0-based; before the backup of E is written) and exit 0 after
writing "interrupted"; ``--die-at-step K`` rank 1 ends its process at step K (0-based, counted
over epochs) without a word (an error raised on a rank is also written to
``OUT/error-rank<r>.txt``); ``--timeout T``; ``--refusals`` check MPISharding's refusals
instead of training and print what they said; ``--verbose V`` fit's verbose.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

import numpy as np

import glassnet as gn
from glassnet.training.sharding import GradientSharding

SEED = 0
ROWS, FEATURES, CLASSES = 180, 5, 3


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same arrays on every rank: a fixed generator, not glassnet's."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1)
    weights = 0.5 + (np.arange(ROWS) % 3)
    return X, y, weights


def build() -> tuple[gn.nn.Module, gn.optim.Optimizer]:
    gn.manual_seed(SEED)
    model = gn.nn.Sequential(gn.nn.Linear(FEATURES, 16), gn.nn.Tanh(), gn.nn.Dropout(0.25),
                             gn.nn.Linear(16, CLASSES))
    return model, gn.optim.Adam(model.parameters(), lr=0.02)


class PowerCut(gn.callbacks.Callback):
    """Stands in for a crash at the end of an epoch, on every rank."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class DieAtStep(gn.callbacks.Callback):
    """Rank 1 vanishes at step ``step``, as a process killed by the system would."""

    def __init__(self, rank: int, step: int) -> None:
        super().__init__()
        self.rank, self.step, self.seen = rank, step, 0

    def on_batch_begin(self, batch, logs=None):
        if self.rank == 1 and self.seen == self.step:
            os._exit(9)
        self.seen += 1


def refusals(arguments: argparse.Namespace) -> None:
    from mpi4py import MPI

    from glassnet.distributed import MPISharding, RunMismatch

    rank = MPI.COMM_WORLD.Get_rank()
    try:
        MPISharding(MPI.COMM_WORLD.Get_size() + 1)
    except ValueError as error:
        print(f"rank {rank} refused: {error}", flush=True)
    X, y, _ = data()
    model, optimizer = build()
    if rank == 1:  # one rank's data differs in one value
        X = X.copy()
        X[7, 2] += 1.0
    try:
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=1, batch_size=30,
               verbose=0, gradient_sharding=MPISharding(2, timeout=arguments.timeout))
    except RunMismatch as error:
        print(f"rank {rank} mismatch: {error}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mpi", action="store_true")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--backup")
    parser.add_argument("--interrupt-after", type=int)
    parser.add_argument("--die-at-step", type=int)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--refusals", action="store_true")
    parser.add_argument("--verbose", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.refusals:
        refusals(arguments)
        return
    if arguments.mpi:
        from glassnet.distributed import MPISharding

        sharding = MPISharding(arguments.shards, timeout=arguments.timeout)
    else:
        sharding = GradientSharding(arguments.shards)
    X, y, weights = data()
    model, optimizer = build()
    callbacks = [gn.callbacks.ModelCheckpoint(os.path.join(arguments.out,
                                                           f"checkpoint-rank{sharding.rank}"
                                                           ".safetensors"), monitor="val_loss")]
    if arguments.interrupt_after is not None:
        callbacks.append(PowerCut(arguments.interrupt_after))
    if arguments.die_at_step is not None:
        callbacks.append(DieAtStep(sharding.rank, arguments.die_at_step))
    if arguments.backup:
        callbacks.append(gn.callbacks.BackupAndRestore(arguments.backup))
    try:
        history = gn.fit(model, X, y, loss="cross_entropy", optimizer=optimizer,
                         epochs=arguments.epochs, batch_size=30, metrics=["accuracy"],
                         sample_weight=weights, validation_split=0.2, callbacks=callbacks,
                         verbose=arguments.verbose, gradient_sharding=sharding)
    except KeyboardInterrupt:
        print(f"rank {sharding.rank} interrupted", flush=True)
        return
    except Exception as error:
        # The launcher may drop an aborted job's last output: keep the error where a test reads it.
        with open(os.path.join(arguments.out, f"error-rank{sharding.rank}.txt"), "w") as file:
            file.write("".join(traceback.format_exception(error)))
        raise
    arrays = {f"weight:{name}": value for name, value in model.state_dict().items()}
    arrays.update({f"history:{key}": np.array(values) for key, values in history.history.items()})
    np.savez(os.path.join(arguments.out, f"rank{sharding.rank}.npz"), **arrays)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
