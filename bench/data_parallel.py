"""Data-parallel training on MPI: samples/s of ``gn.fit`` on 1 and 2 processes, as efficiency.

The MLP benchmark's workload (bench/mlp.py: 784-256-128-10 ReLU MLP, softmax cross-entropy,
SGD lr 0.1, float32, 8192 samples, batch 128, no shuffling), trained with
``gradient_sharding=MPISharding(shards=2)`` under ``mpiexec -n 1`` and ``mpiexec -n 2``, one
OpenBLAS thread per process (two processes on two cores). Each process times ``--rounds``
epochs of 64 steps after one untimed epoch; the four runs below are repeated ``--repeats``
times in turn (so that a change in the machine's load falls on all of them) and the median of
all their epochs is reported. Also measured, in one process: plain ``fit`` and
``fit(gradient_sharding=2)`` (the cost of computing the batch in two shards and summing
them). Reported:

    efficiency = (2-process samples/s) / (2 × 1-process samples/s)

1.0 would be perfect scaling; on a two-core machine both processes share the cores with the
launcher and the rest of the system, so it is bounded by them.
    .venv/bin/python bench/data_parallel.py [--rounds 7] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from harness import format_table, write_json
from peers import LAYER_SIZES, make_mlp_data

SHARDS = 2
STEPS = 64
BATCH = 128


def build_model():  # noqa: ANN201  (glassnet imported late: the launcher needs none of it)
    import glassnet as gn

    gn.manual_seed(0)  # the same random state on every rank (fit checks it)
    data = make_mlp_data(STEPS * BATCH, batch_size=BATCH)
    layers = []
    pairs = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True))
    for index, (in_features, out_features) in enumerate(pairs):
        linear = gn.nn.Linear(in_features, out_features)
        linear.weight.data[...] = data.parameters[2 * index]
        linear.bias.data[...] = data.parameters[2 * index + 1]
        layers += [linear, gn.nn.ReLU()] if index < len(pairs) - 1 else [linear]
    model = gn.nn.Sequential(*layers)
    return model, gn.optim.SGD(model.parameters(), lr=0.1), data


def worker(mode: str, rounds: int) -> None:
    """Time ``rounds`` epochs in this process (a rank when ``mode`` is "mpi"); rank 0 prints
    {"samples_per_second": [...]} as JSON."""
    import glassnet as gn

    gn.tune_allocator()
    sharding = None
    rank = 0
    if mode == "mpi":
        from glassnet.distributed import MPISharding

        sharding = MPISharding(SHARDS)
        rank = sharding.rank
    elif mode == "sharded":
        sharding = SHARDS
    model, optimizer, data = build_model()
    rates = []
    for round_index in range(rounds + 1):
        started = time.perf_counter()
        gn.fit(model, data.inputs, data.labels, loss="cross_entropy", optimizer=optimizer,
               epochs=1, batch_size=BATCH, shuffle=False, verbose=0, gradient_sharding=sharding)
        elapsed = time.perf_counter() - started
        if round_index:  # the first epoch warms caches and the allocator
            rates.append(data.n_samples / elapsed)
    if rank == 0:
        print(json.dumps({"samples_per_second": rates}), flush=True)


def run(command: list[str]) -> list[float]:
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
    finished = subprocess.run(command, capture_output=True, text=True, env=environment,
                              check=False)
    if finished.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{finished.stderr}")
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])["samples_per_second"]


def find_mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("mpiexec not found: pip install 'glassnet[distributed]' (mpi4py, mpich)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs per process")
    parser.add_argument("--repeats", type=int, default=3, help="processes per run, in turn")
    parser.add_argument("--quick", action="store_true", help="3 rounds, 1 repeat")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--worker", choices=("plain", "sharded", "mpi"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    rounds = 3 if arguments.quick else arguments.rounds
    repeats = 1 if arguments.quick else arguments.repeats
    if arguments.worker:
        worker(arguments.worker, rounds)
        return
    script = [sys.executable, os.path.abspath(__file__), "--rounds", str(rounds)]
    mpiexec = find_mpiexec()
    commands = {
        "plain fit, 1 process": [*script, "--worker", "plain"],
        f"gradient_sharding={SHARDS}, 1 process": [*script, "--worker", "sharded"],
        "MPISharding, mpiexec -n 1": [mpiexec, "-n", "1", *script, "--worker", "mpi"],
        "MPISharding, mpiexec -n 2": [mpiexec, "-n", "2", *script, "--worker", "mpi"],
    }
    rates: dict[str, list[float]] = {name: [] for name in commands}
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        for name, command in commands.items():
            rates[name] += run(command)
    load_after = os.getloadavg()[0]
    medians = {name: statistics.median(values) for name, values in rates.items()}
    one, two = medians["MPISharding, mpiexec -n 1"], medians["MPISharding, mpiexec -n 2"]
    efficiency = two / (2 * one)
    rows = [(name, f"{value:,.0f}", f"{value / medians['plain fit, 1 process']:.2f}")
            for name, value in medians.items()]
    print(f"MLP {'-'.join(map(str, LAYER_SIZES))}, batch {BATCH}, {SHARDS} shards, "
          f"{repeats} x {rounds} timed epochs of {STEPS} steps per run, one BLAS thread per "
          f"process; {os.cpu_count()} cores, load average {load_before:.1f} before, "
          f"{load_after:.1f} after")
    print(format_table(["run", "samples/s (median)", "vs plain fit"], rows))
    print(f"efficiency (2 processes / (2 x 1 process)): {efficiency:.2f}")
    write_json(arguments.json, {"samples_per_second": rates, "median": medians,
                                "efficiency": efficiency, "cores": os.cpu_count(),
                                "load_average": [load_before, load_after],
                                "numpy": np.__version__})


if __name__ == "__main__":
    main()
