"""Timing and reporting shared by the bench scripts: interleaved rounds, GEMM peak, tables."""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

# Idle OpenBLAS workers spin (sched_yield) for 2**28 cycles, ~0.13 s at 2.1 GHz, before they
# sleep, and a library started meanwhile shares its cores with them. Waiting this long before
# each timed run keeps one library's idle threads off the next one's cores.
SETTLE_SECONDS = 0.2
# Other processes (a test suite running meanwhile, say) may keep at most this many cores busy
# during a kept round; a busier round is redone, up to MAX_ROUNDS_FACTOR times the rounds.
QUIET_CORES = 0.25
MAX_ROUNDS_FACTOR = 2
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")


@dataclass
class Rounds:
    """Per-contender rates (samples/s) of the kept rounds; how many rounds were redone."""

    rates: dict[str, list[float]]
    redone: int


def interleaved_rates(
    runs: dict[str, Callable[[], int]],
    rounds: int,
    *,
    prepare: dict[str, Callable[[], None]] | None = None,
    warmup_rounds: int = 1,
    seed: int = 0,
    collect_garbage: bool = True,
) -> Rounds:
    """Samples per second of each run, per round; every round runs each once, in a new order.

    The order is shuffled (seeded, so every run of a script uses the same orders): rotating one
    fixed order would have every contender but the round's first always follow the same one,
    and whatever that one leaves behind (BLAS threads still spinning, caches full of its data)
    would always land on the same contender.

    Each run() does a fixed amount of work and returns the samples it processed; prepare[name]()
    runs untimed just before it, then (with ``collect_garbage``) ``gc.collect()``, so that the
    previous run's garbage is collected on no one's clock. A full collection walks every object
    of the process: a caller whose heap is not the bench's own (a test inside a large suite)
    turns it off. Warm-up rounds are dropped; so is a round during which other processes kept
    more than QUIET_CORES cores busy, while MAX_ROUNDS_FACTOR * rounds attempts leave room to
    redo it (after that, noisy rounds are kept and the IQR shows it).
    """
    names = list(runs)
    rates: dict[str, list[float]] = {name: [] for name in names}
    limit = warmup_rounds + MAX_ROUNDS_FACTOR * rounds
    kept = redone = attempt = 0
    orders = random.Random(seed)
    while kept < rounds and attempt < limit:
        order = names.copy()
        orders.shuffle(order)
        other_load = OtherLoad()
        this_round = {}
        for name in order:
            if prepare:
                prepare[name]()
            if collect_garbage:
                gc.collect()
            time.sleep(SETTLE_SECONDS)
            start = time.perf_counter()
            samples = runs[name]()
            # a run timed where it ran (isolated.TimedRun) brings its own seconds
            seconds = getattr(samples, "seconds", None) or time.perf_counter() - start
            this_round[name] = samples / seconds
        attempt += 1
        if attempt <= warmup_rounds:
            continue
        if other_load.cores() > QUIET_CORES and limit - attempt >= rounds - kept:
            redone += 1
            continue
        for name, rate in this_round.items():
            rates[name].append(rate)
        kept += 1
    return Rounds(rates, redone)


def tune_allocator_for_this_process(verbose: bool = True, contenders_here: bool = True) -> bool:
    """``gn.tune_allocator()`` for this process, to be called before any contender allocates.

    glassnet leaves malloc as it is unless asked; a training script that owns its process would
    ask (see the function's docstring), so each bench process that runs contenders does, once,
    at its start. The thresholds are process-wide: every contender of the process, peers
    included, runs with them alike. Returns whether they were raised; ``verbose`` prints what
    was done, or why not, and (``contenders_here``) that it holds for every contender here.
    """
    try:
        import glassnet
    except ImportError as error:  # the peers still run, with glibc's defaults
        if verbose:
            print(f"malloc: glibc's defaults (glassnet cannot be imported: {error})")
        return False
    tuned = glassnet.tune_allocator(verbose=verbose)
    if verbose and contenders_here:
        print("  (process-wide: every contender of this process, peers included, runs with it)")
    return tuned


class OtherLoad:
    """CPU time used by other processes while this one ran: benchmarks here share 2 cores."""

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float]:
        times = self.psutil.cpu_times()
        # guest time is already inside user time; steal (another VM's) counts as others' load
        not_busy = ("idle", "iowait", "guest", "guest_nice")
        busy = sum(getattr(times, f) for f in times._fields if f not in not_busy)
        process = self.psutil.Process()
        own = process.cpu_times()
        own_total = own.user + own.system + own.children_user + own.children_system
        for child in process.children(recursive=True):  # running ones (isolated.py's contenders)
            try:
                child_times = child.cpu_times()
            except self.psutil.NoSuchProcess:  # ended meanwhile: in children_user from now on
                continue
            own_total += child_times.user + child_times.system
        return time.monotonic(), busy, own_total

    def cores(self) -> float:
        """Average number of cores other processes kept busy since construction."""
        now, busy, own = self._snapshot()
        wall = max(now - self.start[0], 1e-9)
        return max(0.0, (busy - self.start[1]) - (own - self.start[2])) / wall

    def describe(self) -> str:
        cores = self.cores()
        warning = "  (busy machine: numbers are noisy)" if cores > QUIET_CORES else ""
        return f"other processes kept {cores:.2f} of {os.cpu_count()} cores busy meanwhile{warning}"


@dataclass(frozen=True)
class Target:
    """A goal on a speed or time ratio (glassnet over a peer): at least, or at most, ``bar``.

    ``ratio`` is the median over the rounds of each round's ratio (glassnet's run over the
    peer's run of the same round); ``low``..``high`` is its 95 % bootstrap interval. "met" and
    "missed" are said only when the whole interval lies on one side of the bar, else "within
    noise". ``ratio_of_medians`` (median of glassnet's rounds over the peer's) is shown beside it.
    """

    label: str
    ratio: float
    low: float
    high: float
    bar: float
    at_least: bool = True
    ratio_of_medians: float = float("nan")

    @property
    def verdict(self) -> str:
        good = self.low >= self.bar if self.at_least else self.high <= self.bar
        bad = self.high < self.bar if self.at_least else self.low > self.bar
        return "met" if good else "missed" if bad else "within noise"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"verdict": self.verdict}

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> Target:
        # JSON written before ratio_of_medians existed lacks it; it then keeps its default
        names = [field.name for field in fields(cls) if field.name in entry]
        return cls(**{name: entry[name] for name in names})


def ratio_target(
    label: str, numerator: Sequence[float], denominator: Sequence[float], bar: float,
    *, at_least: bool = True,
) -> Target:
    """The median of numerator[i] / denominator[i] over the rounds against ``bar``, with its
    bootstrap interval; round i of both lists must come from the same round."""
    top, bottom = _paired(numerator, denominator)
    low, high = ratio_interval(top, bottom)
    ratio = float(np.median(top / bottom))
    of_medians = float(np.median(top) / np.median(bottom))
    return Target(label, ratio, low, high, bar, at_least, of_medians)


def ratio_interval(
    numerator: Sequence[float], denominator: Sequence[float], confidence: float = 0.95,
    resamples: int = 4000, seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap interval of the median per-round ratio numerator[i] / denominator[i].

    Why per round: the machine's speed drifts over seconds, and the contenders of one round run
    seconds apart, so a slow spell slows both (their rounds correlate). The round's ratio
    cancels what they share; a ratio of medians taken over all rounds keeps it in its
    interval.
    """
    top, bottom = _paired(numerator, denominator)
    draws = np.random.default_rng(seed).integers(0, top.size, size=(resamples, top.size))
    medians = np.median(top[draws] / bottom[draws], axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(medians, [tail, 1 - tail])
    return float(low), float(high)


def _paired(numerator: Sequence[float], denominator: Sequence[float]) -> tuple[np.ndarray, ...]:
    top, bottom = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if top.shape != bottom.shape or top.size == 0:
        raise ValueError(f"paired rounds needed; got {top.size} and {bottom.size} values")
    return top, bottom


def targets_table(targets: Sequence[Target], runs: Sequence[str] | None = None) -> str:
    """A row per target: ratio, interval, verdict; with ``runs``, which run each comes from."""
    rows = [[t.label, f"{t.ratio:.2f}x", f"{t.low:.2f}-{t.high:.2f}", t.verdict,
             f"{t.ratio_of_medians:.2f}x"] for t in targets]  # fmt: skip
    headers = ["ratio", "95% interval", "verdict", "ratio of medians"]
    if runs is None:
        return format_table(["target", *headers], rows)
    rows = [[row[0], run, *row[1:]] for row, run in zip(rows, runs, strict=True)]
    return format_table(["glassnet's target", "run", *headers], rows)


def spread_percent(values: Sequence[float]) -> float:
    """Interquartile range as a percentage of the median: how noisy the rounds were."""
    if len(values) < 4:
        return (max(values) - min(values)) / statistics.median(values) * 100.0
    low, _, high = statistics.quantiles(values, n=4)
    return (high - low) / statistics.median(values) * 100.0


def gemm_peak_flops(size: int = 1024, repeats: int = 7) -> float:
    """Best float32 FLOP/s of a square (size, size) @ (size, size) NumPy matmul."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best


def blas_lines() -> list[str]:
    """One line per BLAS / OpenMP library loaded in this process (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    lines = []
    for info in threadpool_info():
        library = Path(info["filepath"]).name
        details = [f"{info['internal_api']} {info.get('version') or ''}".strip()]
        if info.get("architecture"):
            details.append(f"kernel {info['architecture']}")
        details.append(f"{info['num_threads']} threads")
        if info.get("threading_layer"):
            details.append(f"layer {info['threading_layer']}")
        lines.append(f"{library}: " + ", ".join(details))
    return lines


def openblas_environment() -> str:
    shown = [f"{name}={os.environ[name]}" for name in OPENBLAS_VARIABLES if name in os.environ]
    return " ".join(shown) if shown else "(none of " + ", ".join(OPENBLAS_VARIABLES) + " set)"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain aligned text table; text columns (the first, "kind", "note") left-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    left = [i == 0 or header in ("kind", "contender", "note") for i, header in enumerate(headers)]

    def line(row: list[str]) -> str:
        aligned = [
            cell.ljust(width) if is_left else cell.rjust(width)
            for cell, width, is_left in zip(row, widths, left, strict=True)
        ]
        return "  ".join(aligned).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2) + "\n")
