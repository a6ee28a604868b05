"""``gn.tune_allocator()``: an opt-in. Importing glassnet, or training with it, leaves the host
process's malloc as it was; asked, it raises glibc's thresholds unless the user set them.

A fresh process is the only place to see what importing does, and changing the allocator of the
test process itself would change it for every later test, so the checks that reach glibc run in
a child. The child watches every ``ctypes`` library it loads (glassnet is pure Python: ctypes is
the only way it can reach ``mallopt``) and counts the lookups of ``mallopt``; it also measures the
effect, independently of how the call was made: whether a 12 MiB ``malloc`` is served by its own
``mmap`` (glibc's default threshold) or from the heap (the 16 MiB threshold tune_allocator sets),
read from glibc's ``mallinfo2().hblks``, the number of mmapped blocks.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

import glassnet as gn
from glassnet import _allocator

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt and mallinfo2 are glibc's"
)

CHILD = """
import ctypes, json, sys

mallopt_lookups = []


class WatchedLibrary(ctypes.CDLL):
    def __getitem__(self, name):  # CDLL.__getattr__ comes here too
        if name == "mallopt":
            mallopt_lookups.append(name)
        return super().__getitem__(name)


ctypes.CDLL = WatchedLibrary
ctypes.cdll = ctypes.LibraryLoader(WatchedLibrary)

import numpy as np

import glassnet as gn
from glassnet import nn, optim

gn.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
X = np.random.default_rng(0).normal(size=(8, 3))
gn.fit(model, X, X.sum(axis=1), loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1),
       epochs=2, batch_size=4, verbose=0)
tuned = gn.tune_allocator() if sys.argv[1] == "tune" else None
lookups = len(mallopt_lookups)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
before = libc.mallinfo2().hblks
block = libc.malloc(12 << 20)
mapped = libc.mallinfo2().hblks - before
libc.free(block)
print(json.dumps({"tuned": tuned, "mallopt_lookups": lookups, "own_mmap": mapped}))
"""


def run_child(mode: str, **environment: str) -> dict:
    """The child's report; it starts without the user's malloc settings unless given here."""
    inherited = {name: value for name, value in os.environ.items()
                 if name != "GLIBC_TUNABLES" and not name.startswith("MALLOC_")}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                          env={**inherited, **environment}, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@glibc_only
def test_importing_glassnet_and_training_leave_malloc_alone():
    report = run_child("plain")
    assert report["mallopt_lookups"] == 0
    assert report["own_mmap"] == 1  # glibc's default threshold still maps a 12 MiB block


@glibc_only
def test_asked_it_raises_the_thresholds_of_the_whole_process():
    report = run_child("tune")
    assert report["tuned"] is True
    assert report["mallopt_lookups"] == 1
    assert report["own_mmap"] == 0  # below the 16 MiB threshold: served from the heap


@glibc_only
def test_a_threshold_set_in_glibc_tunables_is_kept():
    report = run_child("tune", GLIBC_TUNABLES="glibc.malloc.mmap_threshold=65536")
    assert report["tuned"] is False
    assert report["mallopt_lookups"] == 0
    assert report["own_mmap"] == 1  # the user's 64 KiB threshold is still the one in force


class FakeMallopt:
    """Stands in for glibc's mallopt in this process: records the calls, answers ``result``."""

    def __init__(self, result: int = 1) -> None:
        self.calls: list[tuple[int, int]] = []
        self.result = result

    def __call__(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return self.result


@pytest.fixture
def mallopt(monkeypatch) -> FakeMallopt:
    for name in ("GLIBC_TUNABLES", *_allocator.THRESHOLD_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    fake = FakeMallopt()
    monkeypatch.setattr(_allocator, "_glibc_mallopt", lambda: fake)
    return fake


@pytest.mark.parametrize(
    "variable, value, reason",
    [
        ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=1048576",
         "GLIBC_TUNABLES sets glibc.malloc.mmap_threshold"),
        ("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0:glibc.malloc.trim_threshold=0",
         "GLIBC_TUNABLES sets glibc.malloc.trim_threshold"),
        ("MALLOC_MMAP_THRESHOLD_", "1048576", "MALLOC_MMAP_THRESHOLD_ is set"),
        ("MALLOC_TRIM_THRESHOLD_", "0", "MALLOC_TRIM_THRESHOLD_ is set"),
    ],
)  # fmt: skip
def test_thresholds_the_user_set_win_and_it_says_why(
    mallopt, monkeypatch, capsys, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    assert gn.tune_allocator() is False
    assert gn.tune_allocator(verbose=True) is False
    assert mallopt.calls == []
    assert capsys.readouterr().out == f"tune_allocator: malloc left as it was: {reason}.\n"


def test_other_glibc_tunables_do_not_stop_it(mallopt, monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0:glibc.cpu.hwcaps=-AVX512F")
    assert gn.tune_allocator() is True
    assert mallopt.calls == [(_allocator.M_MMAP_THRESHOLD, 16 << 20),
                             (_allocator.M_TRIM_THRESHOLD, 32 << 20)]  # fmt: skip


def test_a_refused_value_is_reported(mallopt, capsys):
    mallopt.result = 0
    assert gn.tune_allocator(verbose=True) is False
    assert capsys.readouterr().out == (
        "tune_allocator: malloc left as it was: glibc refused the mmap threshold.\n"
    )
    assert len(mallopt.calls) == 1  # nothing more is tried after a refusal


def test_off_glibc_it_does_nothing(monkeypatch, capsys):
    for name in ("GLIBC_TUNABLES", *_allocator.THRESHOLD_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_allocator, "_glibc_mallopt", lambda: None)
    assert gn.tune_allocator(verbose=True) is False
    assert "not glibc" in capsys.readouterr().out


def test_it_is_public_and_documented():
    assert "tune_allocator" in gn.__all__
    doc = gn.tune_allocator.__doc__
    for promise in ("process-wide", "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=",
                    "MALLOC_MMAP_THRESHOLD_", "returns False"):  # fmt: skip
        assert promise in doc
