"""Fixtures for the table commands: CSV files and models trained once per session; makes
``cli_helpers`` importable (pytest runs with --import-mode=importlib)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from cli_helpers import (  # noqa: E402
    FEATURES,
    REGRESSION_FEATURES,
    Result,
    iris_rows,
    regression_rows,
    run_cli,
    write_csv,
)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-data")


@pytest.fixture(scope="session")
def iris_csv(data_dir) -> Path:
    return write_csv(data_dir / "iris.csv", [*FEATURES, "species"], iris_rows())


@pytest.fixture(scope="session")
def houses_csv(data_dir) -> Path:
    return write_csv(data_dir / "houses.csv", [*REGRESSION_FEATURES, "price"], regression_rows())


@pytest.fixture(scope="session")
def trained_classifier(data_dir, iris_csv) -> tuple[Path, Result]:
    model = data_dir / "iris.safetensors"
    result = run_cli("train", iris_csv, "--target", "species", "--out", model,
                     "--epochs", "40", "--seed", "3")
    return model, result


@pytest.fixture(scope="session")
def trained_regressor(data_dir, houses_csv) -> tuple[Path, Result]:
    model = data_dir / "houses.safetensors"
    result = run_cli("train", houses_csv, "--target", "price", "--out", model,
                     "--epochs", "60", "--hidden", "16", "--lr", "0.01", "--verbose", "0")
    return model, result
