"""What the graph costs: a 20-op element-wise chain in glassnet against the same NumPy calls.

For small arrays the arithmetic is nearly free, so the time is Python overhead: a Function
object, a Tensor, saving what backward needs, and the backward walk. Per array size this prints
the median time of

    numpy            the chain as plain NumPy calls (forward only)
    numpy+grad       the same, plus its backward written by hand in NumPy
    gn no_grad       glassnet forward under ``gn.no_grad()``
    gn forward       glassnet forward, recording the graph
    gn fwd+bwd       glassnet forward and ``backward()``

and the overhead per op in microseconds, (glassnet − NumPy) / 20: forward-only against numpy,
fwd+bwd against numpy (as defined) and against numpy+grad (the part that is bookkeeping, not
arithmetic). Runs in a few seconds: ``python bench/overhead.py``.

At 32768 float32 elements each array is 128 KiB, glibc's default mmap threshold: every array the
graph keeps alive is then a fresh mmap whose pages fault in on first touch, which costs more than
the arithmetic. So the script first calls ``gn.tune_allocator()``, which raises the threshold for
the whole process (NumPy's runs as well as glassnet's); ``--default-malloc`` leaves glibc's
defaults, to see what that costs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from harness import tune_allocator_for_this_process

import glassnet as gn

# One op of the chain: glassnet's call, NumPy's forward, and the local derivative that a
# hand-written NumPy backward multiplies by (given the op's input a and output y).
Op = tuple[str, Callable[[gn.Tensor], gn.Tensor], Callable, Callable]

CHAIN: list[Op] = [
    ("mul", lambda t: t * 0.5, lambda a: a * 0.5, lambda a, y: 0.5),
    ("add", lambda t: t + 1.0, lambda a: a + 1.0, lambda a, y: 1.0),
    ("tanh", lambda t: t.tanh(), np.tanh, lambda a, y: 1.0 - y * y),
    ("mul", lambda t: t * 2.0, lambda a: a * 2.0, lambda a, y: 2.0),
    ("exp", lambda t: t.exp(), np.exp, lambda a, y: y),
    ("add", lambda t: t + 1.0, lambda a: a + 1.0, lambda a, y: 1.0),
    ("log", lambda t: t.log(), np.log, lambda a, y: 1.0 / a),
    ("sqrt", lambda t: t.sqrt(), np.sqrt, lambda a, y: 0.5 / y),
    ("sub", lambda t: t - 0.5, lambda a: a - 0.5, lambda a, y: 1.0),
    ("abs", lambda t: t.abs(), np.abs, lambda a, y: np.sign(a)),
    ("mul", lambda t: t * 3.0, lambda a: a * 3.0, lambda a, y: 3.0),
    ("tanh", lambda t: t.tanh(), np.tanh, lambda a, y: 1.0 - y * y),
    ("div", lambda t: t / 1.5, lambda a: a / 1.5, lambda a, y: 1.0 / 1.5),
    ("sigmoid", lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), lambda a, y: y * (1 - y)),
    ("sub", lambda t: t - 0.6, lambda a: a - 0.6, lambda a, y: 1.0),
    ("relu", lambda t: t.relu(), lambda a: np.maximum(a, 0.0), lambda a, y: a > 0),
    ("add", lambda t: t + 0.1, lambda a: a + 0.1, lambda a, y: 1.0),
    ("neg", lambda t: -t, np.negative, lambda a, y: -1.0),
    ("square", lambda t: t**2, lambda a: a**2, lambda a, y: 2.0 * a),
]
OPS = len(CHAIN) + 1  # the element-wise chain and the final sum
SIZES = (4, 32, 1024, 32768)


def numpy_forward(x: np.ndarray) -> float:
    y = x
    for _, _, forward, _ in CHAIN:
        y = forward(y)
    return y.sum()


def numpy_forward_backward(x: np.ndarray) -> tuple[float, np.ndarray]:
    saved = []
    y = x
    for _, _, forward, derivative in CHAIN:
        out = forward(y)
        saved.append((y, out, derivative))
        y = out
    total = y.sum()
    grad = np.ones_like(y)  # d(sum)/dy
    for a, out, derivative in reversed(saved):
        grad = grad * derivative(a, out)
    return total, grad


def glassnet_forward(x: gn.Tensor) -> gn.Tensor:
    y = x
    for _, op, _, _ in CHAIN:
        y = op(y)
    return y.sum()


def glassnet_no_grad(x: gn.Tensor) -> gn.Tensor:
    with gn.no_grad():
        return glassnet_forward(x)


def glassnet_forward_backward(x: gn.Tensor) -> np.ndarray:
    x.grad = None
    glassnet_forward(x).backward()
    return x.grad


def check_same_computation(values: np.ndarray) -> None:
    """The NumPy chain and the glassnet chain compute the same value and gradient."""
    x = gn.tensor(values, requires_grad=True, dtype=np.float64)
    total, grad = numpy_forward_backward(values)
    np.testing.assert_allclose(glassnet_forward(x).item(), total, rtol=1e-12)
    np.testing.assert_allclose(glassnet_forward_backward(x), grad, rtol=1e-10, atol=1e-14)


def calls_per_repeat(run: Callable[[], object], seconds: float) -> int:
    """How many calls fill about ``seconds`` (at least 1)."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            run()
        if time.perf_counter() - start >= seconds / 4 or number >= 1 << 20:
            break
        number *= 2
    elapsed_per_call = (time.perf_counter() - start) / number
    return max(1, int(seconds / max(elapsed_per_call, 1e-9)))


def median_microseconds(
    runs: dict[str, Callable[[], object]], repeats: int, seconds: float
) -> dict[str, float]:
    """Median time per call of each run, in µs; runs interleaved so drift hits all alike."""
    numbers = {name: calls_per_repeat(run, seconds) for name, run in runs.items()}
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            number = numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                run()
            samples[name].append((time.perf_counter() - start) / number * 1e6)
    return {name: statistics.median(times) for name, times in samples.items()}


def measure(size: int, dtype: type, repeats: int, seconds: float) -> dict[str, float]:
    values = np.random.default_rng(0).uniform(-1.0, 1.0, size).astype(dtype)
    x = gn.tensor(values, requires_grad=True, dtype=dtype)
    return median_microseconds(
        {
            "numpy": lambda: numpy_forward(values),
            "numpy+grad": lambda: numpy_forward_backward(values),
            "gn no_grad": lambda: glassnet_no_grad(x),
            "gn forward": lambda: glassnet_forward(x),
            "gn fwd+bwd": lambda: glassnet_forward_backward(x),
        },
        repeats,
        seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="repetitions; the median is kept")
    parser.add_argument("--seconds", type=float, default=0.02, help="time of one repetition")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--default-malloc", action="store_true",
                        help="do not call gn.tune_allocator(): glibc's default thresholds")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype).type
    if args.default_malloc:
        print("malloc: glibc's default thresholds (--default-malloc)")
    else:
        tune_allocator_for_this_process()

    check_same_computation(np.random.default_rng(1).uniform(-1.0, 1.0, 64))
    started = time.perf_counter()
    print(f"{OPS}-op chain ({', '.join(name for name, *_ in CHAIN)}, sum), {args.dtype}; "
          f"median of {args.repeats}, µs per call\n")
    header = (f"{'size':>6} | {'numpy':>8} {'gn no_grad':>10} {'gn forward':>10} | "
              f"{'numpy+grad':>10} {'gn fwd+bwd':>10} | "
              f"{'fwd µs/op':>9} {'graph µs/op':>11} {'f+b µs/op':>9} {'f+b−grad µs/op':>14}")
    print(header)
    print("-" * len(header))
    for size in SIZES:
        t = measure(size, dtype, args.repeats, args.seconds)
        print(
            f"{size:>6} | {t['numpy']:>8.1f} {t['gn no_grad']:>10.1f} {t['gn forward']:>10.1f} | "
            f"{t['numpy+grad']:>10.1f} {t['gn fwd+bwd']:>10.1f} | "
            f"{(t['gn no_grad'] - t['numpy']) / OPS:>9.2f} "
            f"{(t['gn forward'] - t['numpy']) / OPS:>11.2f} "
            f"{(t['gn fwd+bwd'] - t['numpy']) / OPS:>9.2f} "
            f"{(t['gn fwd+bwd'] - t['numpy+grad']) / OPS:>14.2f}"
        )
    print(
        "\nfwd µs/op: (gn no_grad − numpy)/ops.  graph µs/op: (gn forward − numpy)/ops.\n"
        "f+b µs/op: (gn fwd+bwd − numpy)/ops.  f+b−grad µs/op: (gn fwd+bwd − numpy+grad)/ops, "
        "the bookkeeping alone.\n"
        f"({time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
