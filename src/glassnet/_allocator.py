"""``tune_allocator()``: an opt-in that lets freed NumPy buffers be reused warm by the next step.

glassnet never calls it itself: the thresholds it sets belong to the whole process, and a
library must not change how its host allocates memory. A program that owns its process (a
training script, the benchmarks in ``bench/``) may ask for it. Every call to glibc goes through
``_glibc_mallopt``, so a test can watch it.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Mapping

# mallopt's parameter numbers, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 * 1024 * 1024  # arrays up to 16 MiB come from the reusable heap
TRIM_THRESHOLD = 32 * 1024 * 1024  # keep up to 32 MiB of freed heap for the next step
# How a user sets the same thresholds before the process starts; either one wins over us.
THRESHOLD_TUNABLES = ("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold")
THRESHOLD_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def tune_allocator(verbose: bool = False) -> bool:
    """Raise glibc's malloc thresholds for this whole process; returns whether it did.

    What it does: ``mallopt(M_MMAP_THRESHOLD, 16 MiB)`` and ``mallopt(M_TRIM_THRESHOLD,
    32 MiB)``. By default glibc serves each allocation from 128 KiB up (a 128×256 float32
    activation is exactly 128 KiB) with freshly mapped pages and hands them back to the OS when
    the array is freed, and it returns free memory at the top of the heap beyond 128 KiB. A
    training step frees and re-allocates arrays of those sizes every time, so every step pays
    page faults on memory it has just given back. With the thresholds raised, such arrays stay
    in the heap, where the next step finds them already mapped.

    When it helps: loops (training, batched inference) whose arrays lie between 128 KiB and
    16 MiB; ``bench/overhead.py`` shows the cost per op at 32768 float32 elements. What it
    costs: the process keeps up to 32 MiB of freed memory and keeps arrays up to 16 MiB in its
    heap rather than returning them one by one, so its resident size can stay higher.

    It is process-wide: it changes how every library in the process allocates, which is why
    ``import glassnet`` never does it. Call it once, early, from a program that owns the process
    (not from a library). The same without code, set before the process starts:

        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=33554432
        MALLOC_MMAP_THRESHOLD_=16777216 MALLOC_TRIM_THRESHOLD_=33554432   # the older spelling

    Either threshold set one of those ways is the user's choice: then this does nothing and
    returns False. It also returns False off glibc (macOS, Windows, musl), or if glibc refuses
    the values. ``verbose=True`` prints one line saying what it did, or why it did nothing.
    """
    reason = _reason_to_leave_alone(os.environ)
    if reason is None:
        mallopt = _glibc_mallopt()
        if mallopt is None:
            reason = "the C library is not glibc (it has no mallopt)"
        elif mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
            reason = "glibc refused the mmap threshold"
        elif mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
            reason = "glibc refused the trim threshold"
    if verbose:
        if reason is None:
            print(f"tune_allocator: glibc's mmap threshold is now {MMAP_THRESHOLD >> 20} MiB and "
                  f"its trim threshold {TRIM_THRESHOLD >> 20} MiB, for this whole process.")
        else:
            print(f"tune_allocator: malloc left as it was: {reason}.")
    return reason is None


def _reason_to_leave_alone(environment: Mapping[str, str]) -> str | None:
    """Why the user's own malloc thresholds rule out ours (None when they set none)."""
    for entry in environment.get("GLIBC_TUNABLES", "").split(":"):
        name = entry.partition("=")[0].strip()
        if name in THRESHOLD_TUNABLES:
            return f"GLIBC_TUNABLES sets {name}"
    for variable in THRESHOLD_VARIABLES:
        if variable in environment:
            return f"{variable} is set"
    return None


def _glibc_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``int mallopt(int parameter, int value)`` (1 on success); None off glibc."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # no glibc: macOS, Windows, musl
        return None
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt
