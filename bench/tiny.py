"""The tutorial's 2-2-1 sigmoid network, 4000 per-sample SGD updates: micrograd vs PyTorch.

Each round builds every contender afresh from the same start (untimed) and times the 4000
updates; rounds are interleaved and the median is reported.
    .venv/bin/python bench/tiny.py [--rounds 7] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from harness import SETTLE_SECONDS, OtherLoad, format_table, spread_percent, write_json
from peers import all_contenders
from peers_tiny import PEOPLE, STEPS, make_tiny_data

REFERENCES = ("micrograd", "torch_per_sample")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (median reported)")
    parser.add_argument("--quick", action="store_true", help="2 rounds")
    parser.add_argument("--json", help="also write the results to this file")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.rounds = 2
    return arguments


def main() -> None:
    arguments = parse_arguments()
    other_load = OtherLoad()
    data = make_tiny_data()
    contenders = all_contenders("tiny")
    seconds: dict[str, list[float]] = {c.name: [] for c in contenders}
    predictions: dict[str, np.ndarray] = {}
    for round_index in range(arguments.rounds + 1):  # round 0 is the warm-up
        shift = round_index % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            runner = contender.make(data)
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            runner.run(STEPS)
            elapsed = time.perf_counter() - start
            if round_index:
                seconds[contender.name].append(elapsed)
            predictions[contender.name] = runner.predict()

    medians = {name: statistics.median(values) for name, values in seconds.items()}
    rows = []
    for contender in contenders:
        name, median = contender.name, medians[contender.name]
        ratios = [f"{medians[r] / median:.2f}x" if r in medians else "-" for r in REFERENCES]
        loss = float(np.mean((predictions[name] - data.targets) ** 2))
        rows.append([name, f"{median * 1e3:.1f}", f"{median / STEPS * 1e6:.1f}",
                     f"{spread_percent(seconds[name]):.0f}%", *ratios, f"{loss:.4f}",
                     contender.note])  # fmt: skip
    print(f"Tiny network 2-2-1 sigmoid, MSE, SGD lr 0.1: {STEPS} per-sample updates "
          f"(1000 epochs x {len(PEOPLE)} people); {arguments.rounds} rounds, median")  # fmt: skip
    print(other_load.describe())
    headers = ["contender", "ms total", "us/step", "IQR", "speed vs micrograd",
               "speed vs torch", "final MSE", "note"]  # fmt: skip
    print(format_table(headers, rows))
    names = list(PEOPLE)
    for name, values in predictions.items():
        pairs = zip(names, values, strict=True)
        shown = ", ".join(f"{person} {value:.3f}" for person, value in pairs)
        print(f"  {name}: {shown}")
    write_json(arguments.json, {
        "seconds": {name: {"median": medians[name], "rounds": values}
                    for name, values in seconds.items()},
        "predictions": {name: values.tolist() for name, values in predictions.items()},
        "other_load_cores": other_load.cores(),
    })  # fmt: skip


if __name__ == "__main__":
    main()
