"""Reading CSV files: glassnet.tabular.read_csv against plain pandas.read_csv, time and memory.

Each measurement is a fresh subprocess, because peak RSS is per process: a baseline that only
imports numpy, pandas and glassnet.tabular, and a run that also reads the file ("read"), then
turns every column into a float64 array ("array": DataFrame.to_numpy, Table.numbers). Reported:
the read's time, and the peak RSS it adds as a multiple of the file's size, medians of
--repeats runs, with glassnet's over pandas' as a ratio. Every child first calls
gn.tune_allocator(), as the other benchmarks do. Files: a tall numeric one (470,000 rows of 20
columns, about 100 MB; glassnet's target is at most 1.5 x pandas' time, its checks included),
the same gzipped (both readers decompress it: pandas from the name, glassnet through its
bounded source), and wide ones (40,000 and 80,000 columns of 5 rows), where a reader that is
not linear in the number of columns shows it.
    .venv/bin/python bench/csv_read.py [--repeats 3] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import OtherLoad, format_table, tune_allocator_for_this_process, write_json

CONTENDERS = ("pandas", "glassnet")
STAGES = ("read", "array")
REPORT = "result="


def child(contender: str, stage: str, path: str) -> None:
    """Run inside the subprocess: the imports, then (unless the stage is "baseline") one read.
    Prints the seconds the read took and the peak RSS in KiB (Linux reports ru_maxrss so)."""
    tune_allocator_for_this_process(verbose=False)
    import pandas

    from glassnet.tabular import read_csv

    seconds = 0.0
    if stage != "baseline":
        start = time.perf_counter()
        if contender == "pandas":
            frame = pandas.read_csv(path)
            if stage == "array":
                frame.to_numpy(np.float64)
        else:
            table = read_csv(path)
            if stage == "array":
                table.numbers(table.columns)
        seconds = time.perf_counter() - start
    print(f"{REPORT}{seconds} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


def measure(contender: str, stage: str, path: Path) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of one child."""
    command = [sys.executable, __file__, "--child", contender, stage, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    seconds, peak = done.stdout.strip().splitlines()[-1].removeprefix(REPORT).split()
    return float(seconds), int(peak)


def tall_file(path: Path, rows: int, columns: int) -> Path:
    """``rows`` of ``columns`` normal numbers written with 6 decimals, as exports are."""
    rng = np.random.default_rng(0)
    with open(path, "w") as file:
        file.write(",".join(f"x{j}" for j in range(columns)) + "\n")
        for start in range(0, rows, 50_000):
            block = rng.normal(size=(min(50_000, rows - start), columns)) * 100
            np.savetxt(file, block, fmt="%.6f", delimiter=",")
    return path


def gzipped(path: Path) -> Path:
    """``path`` compressed with gzip's default level, beside it."""
    target = path.with_name(path.name + ".gz")
    with open(path, "rb") as source, gzip.open(target, "wb") as compressed:
        shutil.copyfileobj(source, compressed, 2**20)
    return target


def wide_file(path: Path, rows: int, columns: int) -> Path:
    """``rows`` of ``columns`` one-digit numbers under a header of ``columns`` names."""
    with open(path, "w") as file:
        file.write(",".join(f"c{j}" for j in range(columns)) + "\n")
        for row in range(rows):
            file.write(",".join(str((row * 7 + j) % 10) for j in range(columns)) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per contender and stage")
    parser.add_argument("--quick", action="store_true",
                        help="one run each, a tall file of 50,000 rows")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "STAGE", "PATH"),
                        help=argparse.SUPPRESS)  # fmt: skip
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    repeats = 1 if arguments.quick else arguments.repeats
    other_load = OtherLoad()
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as folder:
        tall = tall_file(Path(folder) / "tall.csv", 50_000 if arguments.quick else 470_000, 20)
        files = {
            "tall": tall,
            "tall gzip": gzipped(tall),
            "wide 40k": wide_file(Path(folder) / "wide40k.csv", 5, 40_000),
            "wide 80k": wide_file(Path(folder) / "wide80k.csv", 5, 80_000),
        }
        for name, path in files.items():
            size_kib = path.stat().st_size / 1024
            for contender in CONTENDERS:
                baseline = statistics.median(
                    measure(contender, "baseline", path)[1] for _ in range(repeats))
                for stage in STAGES:
                    runs = [measure(contender, stage, path) for _ in range(repeats)]
                    seconds = statistics.median(run[0] for run in runs)
                    added = statistics.median(run[1] for run in runs) - baseline
                    results[f"{name}/{contender}/{stage}"] = {
                        "seconds": seconds, "added_kib": added, "file_kib": size_kib,
                        "runs": runs, "baseline_kib": baseline,
                    }  # fmt: skip
        for name, path in files.items():
            for stage in STAGES:
                ours, theirs = (results[f"{name}/{c}/{stage}"] for c in ("glassnet", "pandas"))
                rows.append([
                    name, stage, f"{path.stat().st_size / 2**20:.1f}",
                    f"{theirs['seconds']:.2f}", f"{ours['seconds']:.2f}",
                    f"{ours['seconds'] / theirs['seconds']:.2f}",
                    f"{theirs['added_kib'] / theirs['file_kib']:.1f}",
                    f"{ours['added_kib'] / ours['file_kib']:.1f}",
                    f"{ours['added_kib'] / max(theirs['added_kib'], 1):.2f}",
                ])  # fmt: skip
    print(f"read_csv: median of {repeats} fresh processes; memory is the peak RSS the read "
          "adds to the imports', as a multiple of the file")
    print(other_load.describe())
    print("each child first calls gn.tune_allocator(); in the same environment, here it says:")
    allocator_tuned = tune_allocator_for_this_process(contenders_here=False)
    headers = ["file", "stage", "MiB", "pandas s", "glassnet s", "time ratio",
               "pandas mem/file", "glassnet mem/file", "memory ratio"]
    print(format_table(headers, rows))
    write_json(arguments.json, {"results": results, "allocator_tuned": allocator_tuned})


if __name__ == "__main__":
    main()
