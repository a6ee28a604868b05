"""A contender in a process of its own, with only its own imports, driven from the bench's process.

Why: how fast a pure-Python contender runs depends on what else its process holds. CPython's
garbage collector makes a full pass when the objects that survived the young generations reach
a quarter of all long-lived objects; in a process that has imported PyTorch (some 170,000
objects) micrograd's 4000 updates never get there, while on its own it makes five full passes.
Each contender is therefore timed where its users run it: in a process with its own imports,
the same glibc malloc thresholds (given as ``GLIBC_TUNABLES``, as ``gn.tune_allocator()`` would
set them) and one BLAS thread count for all.

The child (``python isolated.py MODULE CLASS``) builds ``CLASS(make_tiny_data())`` from MODULE
and answers one JSON line per request read on stdin: ``prepare`` (a fresh runner, then a full
garbage collection), ``run STEPS`` (the steps, timed inside the child), ``predict``, and
``loaded NAME ...`` (whether the process has imported those modules).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# gn.tune_allocator()'s thresholds (glassnet._allocator), spelt as its docstring says to set
# them before a process starts; a child need not import glassnet to get them.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=33554432"


class TimedRun(int):
    """The samples a run processed (an int, as runners return), with the seconds the child
    measured around the run itself: the pipe's round trip stays off the clock."""

    seconds: float

    def __new__(cls, samples: int, seconds: float) -> TimedRun:
        run = super().__new__(cls, samples)
        run.seconds = seconds
        return run


class IsolatedRunner:
    """A runner whose contender lives in a child process; ``close()`` ends the child."""

    def __init__(self, make: Any) -> None:
        environment = dict(os.environ)
        if not any(name in environment for name in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_",
                                                    "MALLOC_TRIM_THRESHOLD_")):
            environment["GLIBC_TUNABLES"] = MALLOC_TUNABLES
        self.name = f"{make.__module__}.{make.__qualname__}"
        self.child = subprocess.Popen(
            [sys.executable, str(HERE / "isolated.py"), make.__module__, make.__qualname__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment, cwd=HERE)
        self.ask("ready")

    def ask(self, request: str) -> Any:
        assert self.child.stdin is not None and self.child.stdout is not None
        try:
            self.child.stdin.write(request + "\n")
            self.child.stdin.flush()
            answer = self.child.stdout.readline()
        except BrokenPipeError:  # it had ended before the request
            answer = ""
        if not answer:
            raise RuntimeError(f"{self.name}'s process ended (exit status "
                               f"{self.child.wait()}) when asked {request!r}")
        return json.loads(answer)

    def prepare(self) -> None:
        self.ask("prepare")

    def run(self, steps: int) -> TimedRun:
        answer = self.ask(f"run {steps}")
        return TimedRun(answer["samples"], answer["seconds"])

    def predict(self) -> Any:
        import numpy as np

        return np.array(self.ask("predict"))

    def close(self) -> None:
        """End the child (its loop ends with its stdin) and close both pipes."""
        assert self.child.stdin is not None and self.child.stdout is not None
        try:
            self.child.stdin.close()
        except BrokenPipeError:  # it had ended already, with a request unread
            pass
        self.child.wait(timeout=30)
        self.child.stdout.close()


class InProcessRunner:
    """IsolatedRunner's interface for a contender built and run in this process."""

    def __init__(self, make: Any, data: Any) -> None:
        self.make, self.data, self.runner = make, data, None

    def prepare(self) -> None:
        self.runner = self.make(self.data)

    def run(self, steps: int) -> int:
        return self.runner.run(steps)

    def predict(self) -> Any:
        return self.runner.predict()

    def close(self) -> None:
        """Nothing to end: here for the interface."""


def serve(module_name: str, class_name: str) -> None:
    """The child's loop: answer each request of stdin with one JSON line on stdout."""
    import gc
    import time

    answers = sys.stdout
    sys.stdout = sys.stderr  # anything a contender prints stays off the answers
    sys.path.insert(0, str(HERE))
    from peers_tiny import make_tiny_data

    make = getattr(importlib.import_module(module_name), class_name)
    data = make_tiny_data()
    runner = None
    for request in sys.stdin:
        command, _, argument = request.strip().partition(" ")
        if command == "ready":
            answer: Any = True
        elif command == "prepare":
            runner = make(data)
            gc.collect()
            answer = True
        elif command == "run":
            start = time.perf_counter()
            samples = runner.run(int(argument))
            answer = {"samples": samples, "seconds": time.perf_counter() - start}
        elif command == "predict":
            answer = runner.predict().tolist()
        elif command == "loaded":  # which of these modules the process has imported
            answer = {name: name in sys.modules for name in argument.split()}
        else:
            raise ValueError(f"unknown request {request!r}")
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
