"""The playground's data: the tutorial's people, five drawn problems, and the user's CSV table.

Every drawn set is NumPy only and seeded: the same config gives the same points. Points lie in
about [-1, 1]² (the network needs no scaling); ``noise`` (0 to 0.5) jitters them, ``test_ratio``
holds that fraction of the points out as the test set.

    xor         label = [x·y > 0], points uniform in the square
    circles     label = [inside radius 0.5], the outer ring from 0.7 to 1
    spirals     two interleaved arms r = θ / 4π, θ in [0, 4π), the second turned by π
    blobs       2 to 4 Gaussian clusters (σ = 0.25) centred on the unit circle
    regression  value = sin(πx) · cos(πy / 2), a smooth surface over the square
    people      Alice, Bob, Charlie, Diana to train on; Emily and Frank to test
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet.playground.config import Config, ConfigError

POINTS = 200  # per drawn set: enough to see a boundary, few enough to train at once
CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass
class Dataset:
    """What a session trains on and draws.

    ``inputs`` (N, input_width) is what the network reads; ``plane`` (N, 2) the two plotted
    features of each row (the same as ``inputs`` for drawn sets); ``targets`` (N,) class indices
    (int64) or values (float); ``train_rows`` and ``test_rows`` index the rows.
    ``to_inputs(plane_points)`` maps points of the plotted plane (M, 2) to network inputs.
    """

    name: str
    inputs: np.ndarray
    plane: np.ndarray
    targets: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray
    problem: str
    classes: int  # 1 for regression
    feature_names: list[str]
    input_names: list[str]
    row_names: list[str] | None = None
    plane_names: list[str] = field(default_factory=list)
    table: Any = None  # the uploaded CSV's TableData, for the code and export
    to_inputs: Any = None
    to_target_units: Any = None  # the regression output -> the target's own units (CSV)

    def target_units(self, output: np.ndarray) -> np.ndarray:
        """Regression outputs in the target's units (a CSV target is learned standardised)."""
        if self.to_target_units is None:
            return output
        return np.reshape(self.to_target_units(output), np.shape(output))

    def inputs_for(self, plane_points: np.ndarray) -> np.ndarray:
        """Network inputs (M, input_width) for points (M, 2) of the plotted plane."""
        if self.to_inputs is None:
            return plane_points
        return self.to_inputs(plane_points)


def make_dataset(config: Config, uploaded: Any = None) -> Dataset:
    """The dataset ``config`` names; ``uploaded`` is the session's CSV table
    (glassnet.playground.tables.UploadedTable) for dataset "csv". ConfigError when "csv" is
    chosen with no table uploaded."""
    if config.dataset == "people":
        return people()
    if config.dataset == "csv":
        if uploaded is None:
            raise ConfigError("config.dataset is csv, but no CSV file was uploaded to this "
                              "session; upload one first.")
        return uploaded.dataset(config)
    generator = np.random.default_rng(config.seed)
    plane, targets = DRAWN[config.dataset](generator, config)
    problem = REGRESSION if config.dataset == "regression" else CLASSIFICATION
    classes = 1 if problem == REGRESSION else int(targets.max()) + 1
    train_rows, test_rows = split(len(plane), config.test_ratio, generator)
    names = ["x1", "x2"]
    return Dataset(config.dataset, plane, plane, targets, train_rows, test_rows, problem,
                   classes, names, names)


def split(rows: int, test_ratio: float, generator: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, test rows): a seeded shuffle, ``test_ratio`` of the rows held out."""
    order = generator.permutation(rows)
    held_out = min(max(1, round(rows * test_ratio)), rows - 1)
    return np.sort(order[held_out:]), np.sort(order[:held_out])


def people() -> Dataset:
    """The tutorial's four people to train on and the two it asks about, as its network sees
    them: (weight − 135 lb, height − 66 in) -> female = 1."""
    from glassnet.tutorial import PREDICTION_PEOPLE, TRAINING_PEOPLE

    everyone = [*TRAINING_PEOPLE, *PREDICTION_PEOPLE]
    plane = np.array([person.features for person in everyone], dtype=np.float64)
    targets = np.array([person.female for person in everyone], dtype=np.int64)
    train_rows = np.arange(len(TRAINING_PEOPLE))
    test_rows = np.arange(len(TRAINING_PEOPLE), len(everyone))
    names = ["weight", "height"]
    return Dataset("people", plane, plane, targets, train_rows, test_rows, CLASSIFICATION, 2,
                   names, names, row_names=[person.name for person in everyone])


def xor(generator: np.random.Generator, config: Config) -> tuple[np.ndarray, np.ndarray]:
    plane = generator.uniform(-1.0, 1.0, size=(POINTS, 2))
    plane += np.sign(plane) * 0.05  # a gap along the axes, so that labels are not a coin toss
    labels = (plane[:, 0] * plane[:, 1] > 0).astype(np.int64)
    return jitter(plane, config.noise, generator), labels


def circles(generator: np.random.Generator, config: Config) -> tuple[np.ndarray, np.ndarray]:
    half = POINTS // 2
    radius = np.concatenate([generator.uniform(0.0, 0.5, half),
                             generator.uniform(0.7, 1.0, POINTS - half)])
    angle = generator.uniform(0.0, 2 * np.pi, POINTS)
    plane = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    labels = (np.arange(POINTS) < half).astype(np.int64)  # 1 inside
    return jitter(plane, config.noise, generator), labels


def spirals(generator: np.random.Generator, config: Config) -> tuple[np.ndarray, np.ndarray]:
    half = POINTS // 2
    theta = np.sqrt(generator.uniform(0.0, 1.0, POINTS)) * 4 * np.pi  # even along the arm
    radius = theta / (4 * np.pi)
    labels = (np.arange(POINTS) >= half).astype(np.int64)
    turned = theta + np.pi * labels
    plane = np.stack([radius * np.cos(turned), radius * np.sin(turned)], axis=1)
    return jitter(plane, config.noise, generator), labels


def blobs(generator: np.random.Generator, config: Config) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(POINTS) % config.classes
    angle = 2 * np.pi * labels / config.classes + np.pi / 4
    centres = 0.6 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    plane = centres + generator.normal(0.0, 0.2, size=(POINTS, 2))
    return jitter(plane, config.noise, generator), labels.astype(np.int64)


def regression(generator: np.random.Generator, config: Config) -> tuple[np.ndarray, np.ndarray]:
    plane = generator.uniform(-1.0, 1.0, size=(POINTS, 2))
    values = np.sin(np.pi * plane[:, 0]) * np.cos(np.pi * plane[:, 1] / 2)
    return plane, values + generator.normal(0.0, config.noise, POINTS)


def jitter(plane: np.ndarray, noise: float, generator: np.random.Generator) -> np.ndarray:
    """Each coordinate moved by N(0, (noise / 2)²): noise 0.5 blurs the classes into each other."""
    return plane + generator.normal(0.0, noise / 2, size=plane.shape)


DRAWN = {"xor": xor, "circles": circles, "spirals": spirals, "blobs": blobs,
         "regression": regression}
