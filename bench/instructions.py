"""Instructions per update of the tiny 2-2-1 network, counted by valgrind (deterministic).

Wall-clock times of a short run move with whatever else the machine does; instruction counts
do not. Each contender runs under `valgrind --tool=callgrind` twice, with 0 and with STEPS
updates after the same warm-up, and the difference divided by STEPS is the cost of one update
(import, set-up and warm-up cancel out). Each child process first calls gn.tune_allocator(), as
the timed benchmarks do. Needs valgrind (`apt install valgrind`); takes about a minute.
    .venv/bin/python bench/instructions.py [--steps 2000] [--contenders glassnet micrograd]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from harness import format_table, tune_allocator_for_this_process

HERE = Path(__file__).resolve().parent
WARM_UP = 100
# Runs one contender of kind "tiny": warm-up, then argv[2] updates.
CHILD = """
import sys
sys.path.insert(0, {here!r})
from harness import tune_allocator_for_this_process
tune_allocator_for_this_process(verbose=False)
from peers import find
from peers_tiny import make_tiny_data
runner = find("tiny", sys.argv[1]).make(make_tiny_data())
runner.run({warm_up})
runner.run(int(sys.argv[2]))
"""


def count(contender: str, steps: int) -> int:
    """Instructions valgrind counts for a whole child process that makes ``steps`` updates."""
    code = CHILD.format(here=str(HERE), warm_up=WARM_UP)
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", code, contender, str(steps)]  # fmt: skip
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # one thread: one count
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind failed for {contender}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="updates counted per contender")
    parser.add_argument("--contenders", nargs="+", default=["glassnet", "micrograd"])
    arguments = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("bench/instructions.py needs valgrind on PATH (e.g. `apt install valgrind`).")
    per_step = {}
    for name in arguments.contenders:
        per_step[name] = (count(name, arguments.steps) - count(name, 0)) / arguments.steps
    reference = per_step.get("micrograd")
    rows = [
        [name, f"{value / 1e3:,.0f}k", f"{value / reference:.2f}x" if reference else "-"]
        for name, value in per_step.items()
    ]
    print(f"Tiny network 2-2-1: instructions per update (callgrind, {arguments.steps} updates "
          f"after {WARM_UP} warm-up, OPENBLAS_NUM_THREADS=1)")  # fmt: skip
    print("each child first calls gn.tune_allocator(); in the same environment, here it says:")
    tune_allocator_for_this_process(contenders_here=False)
    print(format_table(["contender", "instructions/update", "vs micrograd"], rows))


if __name__ == "__main__":
    main()
