"""Peak memory that training (or inference) over the data set adds, per contender.

Each measurement is a fresh subprocess: a baseline that only imports the contender's
libraries and makes the data, and a run that also builds the model and does one pass over
the data (64 training steps of 128, or 8 forward batches of 1024). Every child, baseline and
run of every contender alike, first calls gn.tune_allocator(), as the timed benchmarks do.
Reported: peak RSS of the run minus peak RSS of the baseline, median of --repeats pairs.
    .venv/bin/python bench/memory.py [--repeats 3] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib
import re
import resource
import statistics
import subprocess
import sys
from pathlib import Path

from harness import OtherLoad, format_table, tune_allocator_for_this_process, write_json
from peers import INFER_BATCH, all_contenders, find, glassnet_status, make_mlp_data

GNU_TIME = Path("/usr/bin/time")
KINDS = ("train", "infer")
SELF_REPORT = "peak_rss_kib="


def child(kind: str, name: str, mode: str) -> None:
    """Run inside the subprocess: imports and data, then (mode "run") one pass."""
    tune_allocator_for_this_process(verbose=False)
    contender = find(kind, name)
    for module in contender.modules:
        importlib.import_module(module)
    data = make_mlp_data()
    if mode == "run":
        runner = contender.make(data)
        steps = len(data.train_batches) if kind == "train" else data.n_samples // INFER_BATCH
        runner.run(steps)
    # Linux reports ru_maxrss in KiB; the fallback when /usr/bin/time is missing
    print(SELF_REPORT + str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def peak_rss_kib(kind: str, name: str, mode: str) -> int:
    """Maximum resident set size of one child, from GNU time -v, else its own getrusage."""
    command = [sys.executable, __file__, "--child", kind, name, mode]
    if GNU_TIME.exists():
        command = [str(GNU_TIME), "-v", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    # RUSAGE_CHILDREN would be the maximum over every child so far, so the fallback is the
    # child's own RUSAGE_SELF, printed on its last line
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if found:
        return int(found.group(1))
    return int(done.stdout.strip().splitlines()[-1].removeprefix(SELF_REPORT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="baseline/run pairs per contender")
    parser.add_argument("--quick", action="store_true", help="one pair per contender")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "NAME", "MODE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    repeats = 1 if arguments.quick else arguments.repeats
    other_load = OtherLoad()
    data_mib = make_mlp_data().inputs.nbytes / 2**20
    rows, results = [], {}
    for kind in KINDS:
        for contender in all_contenders(kind):
            baseline = [peak_rss_kib(kind, contender.name, "baseline") for _ in range(repeats)]
            run = [peak_rss_kib(kind, contender.name, "run") for _ in range(repeats)]
            added = statistics.median(r - b for r, b in zip(run, baseline, strict=True)) / 1024
            results[f"{kind}/{contender.name}"] = {
                "added_mib": added, "baseline_kib": baseline, "run_kib": run,
            }  # fmt: skip
            rows.append([kind, contender.name, f"{statistics.median(baseline) / 1024:.1f}",
                         f"{statistics.median(run) / 1024:.1f}", f"{added:.1f}",
                         f"{added / data_mib:.2f}"])  # fmt: skip
    how = "GNU time -v" if GNU_TIME.exists() else "getrusage(RUSAGE_SELF) in the child"
    print(f"Peak RSS added by one pass over {data_mib:.1f} MiB of float32 inputs "
          f"(8192 x 784), measured with {how}; median of {repeats}")  # fmt: skip
    print(other_load.describe())
    print(glassnet_status())
    print("each child first calls gn.tune_allocator(); in the same environment, here it says:")
    allocator_tuned = tune_allocator_for_this_process(contenders_here=False)
    headers = ["kind", "contender", "baseline MiB", "run MiB", "added MiB", "added / data"]
    print(format_table(headers, rows))
    write_json(arguments.json, {"data_mib": data_mib, "peak_rss": results, "method": how,
                                "allocator_tuned": allocator_tuned})


if __name__ == "__main__":
    main()
