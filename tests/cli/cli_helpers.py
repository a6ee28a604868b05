"""CSV data for the table commands' tests, and ``python -m glassnet`` run as a subprocess."""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SPECIES = {  # per-species means; the two last overlap a little, as in Fisher's iris
    "setosa": [5.0, 3.4, 1.5, 0.25],
    "versicolor": [5.9, 2.8, 4.3, 1.3],
    "virginica": [6.6, 3.0, 5.5, 2.0],
}
SPREAD = [0.35, 0.32, 0.45, 0.22]
REGRESSION_FEATURES = ["rooms", "area", "age", "constant"]
FAST = ["--epochs", "25", "--verbose", "0"]  # enough for these easy sets, and quick


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path | None = None) -> Result:
    """``python -m glassnet ARGS`` in a subprocess, as a user would run it."""
    completed = subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def iris_rows(seed: int = 0, per_class: int = 50) -> list[list[object]]:
    rng = np.random.default_rng(seed)
    rows = []
    for name, mean in SPECIES.items():
        for values in rng.normal(mean, SPREAD, size=(per_class, 4)):
            rows.append([f"{value:.1f}" for value in values] + [name])
    return rows


def regression_rows(seed: int = 0, count: int = 240) -> list[list[object]]:
    """price = 40·rooms + 0.5·area − 2·age + noise; "constant" never changes."""
    rng = np.random.default_rng(seed)
    rooms = rng.integers(1, 7, count)
    area = rng.uniform(30, 200, count)
    age = rng.uniform(0, 50, count)
    price = 100 + 40 * rooms + 0.5 * area - 2 * age + rng.normal(0, 5, count)
    return [[int(r), f"{a:.1f}", f"{g:.1f}", "1.5", f"{p:.2f}"]
            for r, a, g, p in zip(rooms, area, age, price, strict=True)]




def save_model_with_metadata(path: Path, metadata: dict, raw: dict[str, str] | None = None) -> Path:
    """A 4-feature, 3-class model file with ``metadata``; ``raw`` replaces text in the stored
    JSON (e.g. "123456789" -> "1e999", which gn.save refuses to write), the checksum
    recomputed, as a hostile file would be made."""
    import safetensors
    import safetensors.numpy

    import glassnet as gn
    from glassnet import nn
    from glassnet.io.format import CHECKSUM_KEY, DOCUMENT_KEY, content_digest

    gn.manual_seed(0)
    gn.save(nn.Sequential(nn.Linear(4, 3)), path, metadata=metadata)
    if raw:
        with safetensors.safe_open(str(path), "np") as file:
            stored = file.metadata()
            tensors = {name: file.get_tensor(name) for name in file.keys()}
        text = stored[DOCUMENT_KEY]
        for old, new in raw.items():
            assert old in text, old
            text = text.replace(old, new)
        stored = {**stored, DOCUMENT_KEY: text, CHECKSUM_KEY: content_digest(text, tensors)}
        path.write_bytes(safetensors.numpy.save(tensors, metadata=stored))
    return path
