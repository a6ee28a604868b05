"""The tutorial's 2-2-1 sigmoid network, 4000 per-sample SGD updates: micrograd vs PyTorch.

Each contender runs in a process of its own, with only its own imports (see isolated.py: the
garbage collector's work depends on what else a process holds), and the same glibc malloc
thresholds. Each round builds every contender afresh from the same start (untimed) and times
the 4000 updates; rounds are interleaved and the median is reported. ``--one-process`` runs
them all in this process instead, beside PyTorch's import, to show the difference.
    .venv/bin/python bench/tiny.py [--rounds 41] [--quick] [--one-process] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from harness import (
    OtherLoad,
    format_table,
    interleaved_rates,
    ratio_target,
    spread_percent,
    targets_table,
    tune_allocator_for_this_process,
    write_json,
)
from isolated import InProcessRunner, IsolatedRunner
from peers import all_contenders, glassnet_status
from peers_tiny import PEOPLE, STEPS, make_tiny_data

REFERENCES = ("micrograd", "torch_per_sample")
TARGET = 0.5  # glassnet's bar: its time <= 0.5x micrograd's


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41, help="timed rounds (median reported)")
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--one-process", action="store_true",
                        help="every contender in this process rather than one process each")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds = 2
    return arguments


def main() -> None:
    arguments = parse_arguments()
    print(f"Tiny network 2-2-1 sigmoid, MSE, SGD lr 0.1: {STEPS} per-sample updates "
          f"(1000 epochs x {len(PEOPLE)} people); {arguments.rounds} rounds, median")  # fmt: skip
    print("each contender in " + ("this one process" if arguments.one_process
                                  else "a process of its own, with only its own imports"))
    allocator_tuned = tune_allocator_for_this_process(contenders_here=arguments.one_process)
    other_load = OtherLoad()
    data = make_tiny_data()
    contenders = all_contenders("tiny")
    runners = {contender.name: InProcessRunner(contender.make, data) if arguments.one_process
               else IsolatedRunner(contender.make) for contender in contenders}
    rounds = interleaved_rates(
        {name: (lambda runner=runner: runner.run(STEPS)) for name, runner in runners.items()},
        arguments.rounds,
        prepare={name: runner.prepare for name, runner in runners.items()},
    )
    seconds = {name: [STEPS / rate for rate in rates] for name, rates in rounds.rates.items()}
    predictions = {name: runner.predict() for name, runner in runners.items()}
    for runner in runners.values():
        runner.close()

    medians = {name: statistics.median(values) for name, values in seconds.items()}
    rows = []
    for contender in contenders:
        name, median = contender.name, medians[contender.name]
        ratios = [f"{medians[r] / median:.2f}x" if r in medians else "-" for r in REFERENCES]
        loss = float(np.mean((predictions[name] - data.targets) ** 2))
        rows.append([name, f"{median * 1e3:.1f}", f"{median / STEPS * 1e6:.1f}",
                     f"{spread_percent(seconds[name]):.0f}%", *ratios, f"{loss:.4f}",
                     contender.note])  # fmt: skip
    print(other_load.describe())
    print(glassnet_status())
    headers = ["contender", "ms total", "us/step", "IQR", "speed vs micrograd",
               "speed vs torch", "final MSE", "note"]  # fmt: skip
    print(format_table(headers, rows))
    if rounds.redone:
        print(f"({rounds.redone} rounds redone: other processes were busy during them)")
    targets = []
    if {"glassnet", "micrograd"} <= seconds.keys():
        targets.append(ratio_target(f"tiny: glassnet time <= {TARGET}x micrograd",
                                    seconds["glassnet"], seconds["micrograd"], TARGET,
                                    at_least=False))  # fmt: skip
        print("glassnet's target: median of the per-round ratios, 95% bootstrap interval")
        print(targets_table(targets))
    names = list(PEOPLE)
    for name, values in predictions.items():
        pairs = zip(names, values, strict=True)
        shown = ", ".join(f"{person} {value:.3f}" for person, value in pairs)
        print(f"  {name}: {shown}")
    write_json(arguments.json, {
        "seconds": {name: {"median": medians[name], "rounds": values}
                    for name, values in seconds.items()},
        "predictions": {name: values.tolist() for name, values in predictions.items()},
        "other_load_cores": other_load.cores(), "rounds_redone": rounds.redone,
        "allocator_tuned": allocator_tuned, "one_process": arguments.one_process,
        "targets": [target.to_json() for target in targets],
    })  # fmt: skip


if __name__ == "__main__":
    main()
