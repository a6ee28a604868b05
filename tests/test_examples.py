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
