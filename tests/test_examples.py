"""The example a README section points to runs as shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_tabular_example_trains_predicts_and_ranks_the_columns():
    pytest.importorskip("sklearn")
    done = subprocess.run([sys.executable, str(EXAMPLES / "tabular.py")], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "read as separated by semicolons" in out
    assert "column 'age': 42 missing → median" in out
    assert "Kept the weights of epoch" in out
    ranked = [line.split()[0] for line in out.split("std\n", 1)[1].splitlines()]
    assert sorted(ranked) == ["age", "city", "income", "plan"]
    assert "'Oslo'" in done.stderr  # the unseen city, named once


def test_the_digits_cnn_reaches_98_percent_test_accuracy():
    pytest.importorskip("sklearn")
    done = subprocess.run([sys.executable, str(EXAMPLES / "digits_cnn.py")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    accuracy = float(done.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.98


def test_the_mnist1d_example_trains_a_cnn_briefly_and_prints_its_accuracy():
    pytest.importorskip("mnist1d")
    done = subprocess.run([sys.executable, str(EXAMPLES / "mnist1d.py"), "--model", "cnn",
                           "--steps", "50", "--seeds", "1"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "4000 training and 1000 test signals of 40 samples" in done.stdout
    assert "cnn seed 0: test accuracy" in done.stdout
    assert "after 80 steps" in done.stdout  # 50 rounded up to whole epochs of 40 batches
    mean = float(done.stdout.split("test accuracy mean ")[1].split(",")[0])
    assert 0.1 < mean <= 1.0  # better than chance (0.1) even after 80 steps
