"""MLP training and inference speed: the peers (and glassnet, once registered) side by side.

Runs every contender in one process, once per round in a shuffled order, and reports medians.
The process first calls gn.tune_allocator() (see harness.tune_allocator_for_this_process), so
every contender, the peers too, runs with the same raised glibc malloc thresholds.
    .venv/bin/python bench/mlp.py [--rounds 41] [--steps 64] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys

import numpy as np
import peers
from harness import (
    QUIET_CORES,
    OtherLoad,
    Rounds,
    Target,
    blas_lines,
    format_table,
    gemm_peak_flops,
    interleaved_rates,
    openblas_environment,
    ratio_target,
    spread_percent,
    targets_table,
    tune_allocator_for_this_process,
    write_json,
)
from peers import LAYER_SIZES, MLPData, all_contenders, make_mlp_data

# reference contenders for the two ratio columns, per kind
REFERENCES = {"train": ("numpy_fused", "torch_eager"), "infer": ("numpy", "torch"),
              "latency": ("numpy", "torch")}  # fmt: skip
# glassnet's bars: (kind, contender, reference, bar); speed ratios at least, latency at most
SPEED_TARGETS = [("train", "glassnet", "numpy_fused", 0.9),
                 ("train", "glassnet_fit", "numpy_fused", 0.9),
                 ("train", "glassnet", "torch_eager", 1.0),
                 ("train", "glassnet_fit", "torch_eager", 1.0),
                 ("infer", "glassnet", "numpy", 0.95)]  # fmt: skip
LATENCY_TARGET = ("glassnet", "torch", 0.75)
INFER_PASSES = 4
AGREEMENT_STEPS = 3
AGREEMENT_TOLERANCE = 1e-5  # relative; float32 summation order differs between libraries

_PAIRS = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True))
FORWARD_MACS = sum(i * o for i, o in _PAIRS)
# backward: every dW, plus dX of every layer but the first
TRAIN_FLOPS_PER_SAMPLE = 2 * (2 * FORWARD_MACS + sum(i * o for i, o in _PAIRS[1:]))
FORWARD_FLOPS_PER_SAMPLE = 2 * FORWARD_MACS


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41, help="timed rounds (median reported)")
    parser.add_argument("--steps", type=int, default=64,
                        help="training steps per contender per round (64 = one epoch)")  # fmt: skip
    parser.add_argument("--latency-calls", type=int, default=1000,
                        help="single-sample forward calls per contender per round")  # fmt: skip
    parser.add_argument("--samples", type=int, default=8192, help="size of the synthetic data")
    parser.add_argument("--quick", action="store_true", help="5 rounds, fewer latency calls")
    parser.add_argument("--json", help="also write the results to this file")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds, arguments.latency_calls = 5, 300
    return arguments


def check_agreement(data: MLPData) -> list[str]:
    """Every train contender with weights() vs numpy_fused after a few steps from one start."""
    reference = None
    lines = []
    for contender in all_contenders("train"):
        runner = contender.make(data)
        if not hasattr(runner, "weights"):
            lines.append(f"  {contender.name}: no weights(), not checked")
            continue
        runner.run(AGREEMENT_STEPS)
        weights = [np.asarray(w, dtype=np.float64) for w in runner.weights()]
        if reference is None:
            reference = weights
            continue
        pairs = zip(weights, reference, strict=True)
        difference = max(np.abs(a - b).max() / np.abs(b).max() for a, b in pairs)
        verdict = "agrees" if difference <= AGREEMENT_TOLERANCE else "DISAGREES"
        lines.append(f"  {contender.name}: {verdict} with numpy_fused "
                     f"(max relative weight difference {difference:.1e})")  # fmt: skip
    return lines


def measure_kind(kind: str, data: MLPData, steps: int, rounds: int) -> Rounds:
    runners = {c.name: c.make(data) for c in all_contenders(kind)}
    runs = {name: (lambda runner=runner: runner.run(steps)) for name, runner in runners.items()}
    return interleaved_rates(runs, rounds)


def speed_table(kind: str, rounds: Rounds, flops_per_sample: float, peak: float) -> str:
    rates = rounds.rates
    medians = {name: statistics.median(values) for name, values in rates.items()}
    notes = {c.name: c.note for c in all_contenders(kind)}
    first, second = REFERENCES[kind]
    rows = []
    for name, median in medians.items():
        ratios = [f"{median / medians[r]:.2f}x" if r in medians else "-" for r in (first, second)]
        rows.append([name, f"{median:,.0f}", f"{spread_percent(rates[name]):.0f}%", *ratios,
                     f"{median * flops_per_sample / peak * 100:.0f}%", notes[name]])  # fmt: skip
    headers = ["contender", "samples/s", "IQR", f"vs {first}", f"vs {second}", "% GEMM peak",
               "note"]  # fmt: skip
    return format_table(headers, rows) + _redone(rounds)


def _redone(rounds: Rounds) -> str:
    if not rounds.redone:
        return ""
    return f"\n({rounds.redone} rounds redone: other processes were busy during them)"


def latency_table(rounds: Rounds) -> str:
    rates = rounds.rates
    microseconds = {name: 1e6 / statistics.median(values) for name, values in rates.items()}
    notes = {c.name: c.note for c in all_contenders("latency")}
    first, second = REFERENCES["latency"]
    rows = []
    for name, value in microseconds.items():
        ratios = [f"{microseconds[r] / value:.2f}x" if r in microseconds else "-"
                  for r in (first, second)]  # fmt: skip
        rows.append([name, f"{value:.1f}", f"{spread_percent(rates[name]):.0f}%", *ratios,
                     notes[name]])  # fmt: skip
    headers = ["contender", "us/sample", "IQR", f"speed vs {first}", f"speed vs {second}", "note"]
    return format_table(headers, rows) + _redone(rounds)


def glassnet_targets(results: dict[str, Rounds]) -> list[Target]:
    """glassnet's bars with their bootstrap intervals, for the contenders that ran."""
    targets = []
    for kind, name, reference, bar in SPEED_TARGETS:
        rates = results[kind].rates
        if name in rates and reference in rates:
            label = f"{kind}: {name} speed >= {bar}x {reference}"
            targets.append(ratio_target(label, rates[name], rates[reference], bar))
    name, reference, bar = LATENCY_TARGET
    rates = results["latency"].rates
    if name in rates and reference in rates:
        times = {key: [1 / rate for rate in rates[key]] for key in (name, reference)}
        label = f"latency: {name} time <= {bar}x {reference}"
        targets.append(ratio_target(label, times[name], times[reference], bar, at_least=False))
    return targets


def main() -> None:
    arguments = parse_arguments()
    print("MLP 784-256-128-10 ReLU, softmax cross-entropy, SGD lr 0.1, batch 128, float32")
    allocator_tuned = tune_allocator_for_this_process()  # before anything is allocated
    other_load = OtherLoad()
    data = make_mlp_data(arguments.samples)
    agreement = check_agreement(data)  # also imports every library before BLAS is described
    peak = gemm_peak_flops()
    print(f"data: {data.n_samples} random MNIST-shaped samples; {arguments.rounds} rounds after "
          "1 warm-up, interleaved, median; IQR = spread of the rounds; a round during which "
          f"other processes kept > {QUIET_CORES} cores busy is redone")  # fmt: skip
    print("OpenBLAS environment: " + openblas_environment())
    for line in blas_lines():
        print("  " + line)
    print(f"float32 GEMM peak at start (1024x1024 @ 1024x1024, NumPy): {peak / 1e9:.1f} GFLOP/s")
    print(f"agreement after {AGREEMENT_STEPS} steps from the same start:")
    print("\n".join(agreement))
    print(peers.glassnet_status())
    sys.stdout.flush()

    # four passes over the data per round, so that a round lasts long beside timer noise
    infer_batches = INFER_PASSES * data.n_samples // peers.INFER_BATCH
    results = {
        "train": measure_kind("train", data, arguments.steps, arguments.rounds),
        "infer": measure_kind("infer", data, infer_batches, arguments.rounds),
        "latency": measure_kind("latency", data, arguments.latency_calls, arguments.rounds),
    }
    peak = max(peak, gemm_peak_flops())  # again, in case the first one was disturbed
    print(f"float32 GEMM peak, best of start and end: {peak / 1e9:.1f} GFLOP/s")
    print(other_load.describe())
    print(f"\nTraining: {arguments.steps} steps of 128 per round (samples/s, higher is better)")
    print(speed_table("train", results["train"], TRAIN_FLOPS_PER_SAMPLE, peak))
    print(f"\nInference: forward of {peers.INFER_BATCH}-row batches, {infer_batches} per round "
          "(samples/s)")  # fmt: skip
    print(speed_table("infer", results["infer"], FORWARD_FLOPS_PER_SAMPLE, peak))
    print("\nSingle-sample latency: forward of one (1, 784) row (lower is better)")
    print(latency_table(results["latency"]))
    targets = glassnet_targets(results)
    if targets:
        print("\nglassnet's targets: median of the per-round ratios, 95% bootstrap interval")
        print(targets_table(targets))
    write_json(arguments.json, {
        "openblas_environment": openblas_environment(), "blas": blas_lines(),
        "allocator_tuned": allocator_tuned,
        "gemm_peak_flops": peak, "agreement": agreement, "other_load_cores": other_load.cores(),
        "samples_per_second": {kind: {name: {"median": statistics.median(values),
                                             "rounds": values}
                                      for name, values in rounds.rates.items()}
                               for kind, rounds in results.items()},
        "rounds_redone": {kind: rounds.redone for kind, rounds in results.items()},
        "targets": [target.to_json() for target in targets],
    })  # fmt: skip


if __name__ == "__main__":
    main()
