"""scikit-learn's own tables, written to CSV as a user would, through `glassnet train` with its
defaults (fewer epochs, for time): the validation scores of the weights kept are sound."""

from __future__ import annotations

import re

import pytest

from glassnet.cli import main

datasets = pytest.importorskip("sklearn.datasets")

FLOORS = {"wine": ("accuracy", 0.85), "breast_cancer": ("accuracy", 0.9), "diabetes": ("R²", 0.2)}


@pytest.mark.parametrize("name", list(FLOORS))
def test_the_cli_learns_scikit_learns_tables_with_its_defaults(name, tmp_path, capsys):
    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    data = tmp_path / f"{name}.csv"
    frame.to_csv(data, index=False)
    code = main(["train", str(data), "--target", "target", "--out", str(tmp_path / "m.st"),
                 "--epochs", "40", "--verbose", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Task: " + ("regress" if name == "diabetes" else "classify") in out
    assert re.search(r"Kept the weights of epoch \d+ of \d+: its validation loss", out)
    metric, floor = FLOORS[name]
    training, validation = map(float, re.search(rf"\n  {metric} +(\S+) +(\S+)", out).groups())
    assert validation >= floor, out
