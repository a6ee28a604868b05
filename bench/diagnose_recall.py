"""gn.diagnose on deliberately broken and on healthy small trainings: recall and false alarms.

Every case of `diagnose_cases.py` runs with several seeds (each seed draws the data, or the rows
kept of a scikit-learn table, and the initial weights). A broken run is caught for a code when
the code is among the findings; the recall of a code is the share of the runs expecting it that
caught it. A healthy run raises a false alarm when any finding is a warning or an error ("info"
does not count). Codes outside a broken case's expected and allowed ones are listed too.
Targets: recall >= 0.9 for every code; at most one false alarm in ten healthy runs.
Then the cost: one gn.diagnose of a 784-256-128-10 ReLU MLP on 256 rows, with and without an
optimizer, beside one forward+backward of the same network on the same rows (median of rounds).
    .venv/bin/python bench/diagnose_recall.py [--seeds 3] [--rounds 15] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from typing import Any

import numpy as np
from diagnose_cases import BROKEN, HEALTHY, Case
from harness import format_table, write_json

import glassnet as gn
from glassnet import nn, optim

RECALL_TARGET = 0.9
FALSE_ALARM_TARGET = 0.1  # at most one healthy run in ten


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per case (0, 1, ...)")
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (median reported)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3 timed rounds")
    parser.add_argument("--json", help="also write the results to this file")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.seeds, arguments.rounds = 2, 3
    return arguments


def run_case(case: Case, seed: int) -> dict[str, Any]:
    diagnosis = gn.diagnose(**case.make(seed))
    alarms = sorted({f.code for f in diagnosis.findings if f.severity != "info"})
    codes = sorted(set(diagnosis.codes))
    return {"case": case.name, "seed": seed, "codes": codes, "alarms": alarms,
            "missed": sorted(case.expected - set(codes)),
            "unexpected": sorted(set(alarms) - case.expected - case.allowed),
            "report": str(diagnosis)}


def recall_rows(runs: list[dict[str, Any]]) -> tuple[list[list[str]], dict[str, float]]:
    caught: dict[str, list[bool]] = defaultdict(list)
    cases = {case.name: case for case in BROKEN}
    for run in runs:
        for code in cases[run["case"]].expected:
            caught[code].append(code in run["codes"])
    recalls = {code: sum(hits) / len(hits) for code, hits in caught.items()}
    rows = [[code, str(len(caught[code])), str(sum(caught[code])), f"{recalls[code]:.2f}",
             "met" if recalls[code] >= RECALL_TARGET else "missed"]
            for code in gn.diagnosis.CHECKS if code in caught]
    return rows, recalls


def median_seconds(run: Any, rounds: int) -> float:
    run()  # warm-up: first-call imports and allocations
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cost(rounds: int) -> dict[str, float]:
    """Seconds for one forward+backward and one diagnose (without, with an optimizer)."""
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (256, 784)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    gn.manual_seed(0)
    model = nn.mlp([784, 256, 128, 10])
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    inputs, targets = gn.tensor(X), gn.tensor(y)

    def forward_backward() -> None:
        model.zero_grad()
        gn.functional.cross_entropy(model(inputs), targets).backward()

    return {
        "forward_backward": median_seconds(forward_backward, rounds),
        "diagnose": median_seconds(lambda: gn.diagnose(model, X, y, loss="cross_entropy"),
                                   rounds),
        "diagnose_with_optimizer": median_seconds(
            lambda: gn.diagnose(model, X, y, loss="cross_entropy", optimizer=optimizer), rounds),
    }


def fit_overhead(rounds: int, epochs: int = 5) -> dict[str, float]:
    """Median seconds of gn.fit on a 10,000 x 20 table (a 20-64-64-2 MLP, Adam, batch 32) without
    and with gn.callbacks.Diagnostics(every=1) at its defaults, the two alternating round by
    round from the same start, and the median of the per-round ratios."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 20)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) > 0).astype(np.int64)

    def run(with_diagnostics: bool) -> float:
        gn.manual_seed(0)
        model = nn.mlp([20, 64, 64, 2])
        callbacks = ([gn.callbacks.Diagnostics(X, y, loss="cross_entropy", every=1)]
                     if with_diagnostics else [])
        start = time.perf_counter()
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(model.parameters()),
               epochs=epochs, batch_size=32, callbacks=callbacks, verbose=0)
        return time.perf_counter() - start

    run(False), run(True)  # warm-up
    plain, diagnosed = [], []
    for round_number in range(rounds):
        order = (False, True) if round_number % 2 == 0 else (True, False)
        for with_diagnostics in order:
            (diagnosed if with_diagnostics else plain).append(run(with_diagnostics))
    ratios = [d / p for d, p in zip(diagnosed, plain, strict=True)]
    return {"fit": statistics.median(plain), "fit_with_diagnostics": statistics.median(diagnosed),
            "ratio": statistics.median(ratios)}


def main() -> None:
    arguments = parse_arguments()
    seeds = range(arguments.seeds)
    print(f"gn.diagnose on {len(BROKEN)} broken and {len(HEALTHY)} healthy trainings, "
          f"{arguments.seeds} seeds each")
    broken = [run_case(case, seed) for case in BROKEN for seed in seeds]
    healthy = [run_case(case, seed) for case in HEALTHY for seed in seeds]

    rows, recalls = recall_rows(broken)
    print(format_table(["code", "runs", "caught", "recall", f"target >= {RECALL_TARGET}"], rows))
    alarms = [run for run in healthy if run["alarms"]]
    rate = len(alarms) / len(healthy)
    verdict = "met" if rate <= FALSE_ALARM_TARGET else "missed"
    print(f"false alarms: {len(alarms)} of {len(healthy)} healthy runs ({rate:.2f}); "
          f"target <= {FALSE_ALARM_TARGET}: {verdict}")
    for run in alarms:
        print(f"  false alarm  {run['case']} seed {run['seed']}: {', '.join(run['alarms'])}")
    for run in broken:
        if run["missed"]:
            print(f"  missed       {run['case']} seed {run['seed']}: {', '.join(run['missed'])}"
                  f" (found: {', '.join(run['codes']) or 'nothing'})")
        if run["unexpected"]:
            print(f"  unexpected   {run['case']} seed {run['seed']}: "
                  f"{', '.join(run['unexpected'])}")

    seconds = cost(arguments.rounds)
    step = seconds["forward_backward"]
    print(f"\ncost on a 784-256-128-10 ReLU MLP, 256 rows, median of {arguments.rounds} rounds:")
    print(format_table(["measurement", "ms", "x forward+backward"], [
        [name.replace("_", " "), f"{value * 1e3:.1f}", f"{value / step:.1f}"]
        for name, value in seconds.items()]))
    overhead = fit_overhead(max(3, arguments.rounds // 3))
    print(f"\ngn.fit, 5 epochs of a 10,000 x 20 table (20-64-64-2 MLP, Adam, batch 32): "
          f"{overhead['fit']:.3f} s; with Diagnostics(every=1) "
          f"{overhead['fit_with_diagnostics']:.3f} s: time x{overhead['ratio']:.3f} (median of "
          "the per-round ratios)")
    write_json(arguments.json, {
        "recall": recalls, "false_alarm_rate": rate, "seconds": seconds,
        "fit_overhead": overhead,
        "targets": {"recall": RECALL_TARGET, "false_alarm_rate": FALSE_ALARM_TARGET},
        "broken": broken, "healthy": healthy,
    })  # fmt: skip


if __name__ == "__main__":
    main()
