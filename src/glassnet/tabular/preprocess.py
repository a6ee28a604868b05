"""From a table of text to what a network trains on, and back: features standardised with the
training rows' statistics, class labels as indices, a regression target scaled to unit variance.

Everything needed to repeat the preprocessing on new rows is kept in ``Preprocessing`` and saved
in the model file's metadata (``to_metadata`` / ``from_metadata``), as plain JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.tabular.table import DataError, Table, is_missing, quote_list

CLASSIFY = "classify"
REGRESS = "regress"
TASKS = (CLASSIFY, REGRESS)
MAX_GUESSED_CLASSES = 10  # whole numbers with at most this many distinct values are classes

Label = str | int | float


def _as_number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def target_cells(table: Table, target: str) -> list[str]:
    """The target column's cells; DataError naming the rows where it is missing."""
    table.column_index(target, role="target column")
    cells = table.text(target)
    missing = [row for row, cell in enumerate(cells) if is_missing(cell)]
    if missing:
        lines = ", ".join(str(table.line_numbers[row]) for row in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        count = "a missing value" if len(missing) == 1 else f"{len(missing)} missing values"
        raise DataError(
            f"{table.name}: the target column {target!r} has {count} "
            f"(line{'s' if len(missing) > 1 else ''} {lines}{more}); "
            "drop those rows or fill them in first."
        )
    return cells


def guess_task(table: Table, target: str) -> tuple[str, str]:
    """(CLASSIFY or REGRESS, why): text or few distinct whole numbers are classes, others values."""
    cells = target_cells(table, target)
    numbers = [_as_number(cell) for cell in cells]
    text = next((cell for cell, number in zip(cells, numbers, strict=True) if number is None), None)
    if text is not None:
        return CLASSIFY, f"{target!r} holds text such as {text!r}"
    distinct = set(numbers)
    if all(float(value).is_integer() for value in distinct):
        count = len(distinct)
        if count <= MAX_GUESSED_CLASSES:
            return CLASSIFY, f"{target!r} holds whole numbers with only {count} distinct values"
        return REGRESS, (f"{target!r} holds whole numbers with {count} distinct values "
                         f"(more than {MAX_GUESSED_CLASSES})")
    return REGRESS, f"{target!r} holds numbers with fractions"


def class_labels(cells: Sequence[str]) -> tuple[list[Label], np.ndarray]:
    """(sorted distinct labels, index of each cell's label). Numbers compare as numbers
    ("1" and "1.0" are one class, saved as 1); anything else as text."""
    numbers = [_as_number(cell) for cell in cells]
    if all(number is not None for number in numbers):
        distinct = sorted(set(numbers))
        labels: list[Label] = [int(v) if float(v).is_integer() else v for v in distinct]
        keys: list[Any] = numbers
    else:
        distinct = sorted(set(cells))
        labels, keys = list(distinct), list(cells)
    position = {key: index for index, key in enumerate(distinct)}
    return labels, np.array([position[key] for key in keys], dtype=np.int64)


def split_rows(
    rows: int, fraction: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows), shuffled with ``seed``; ``fraction`` of the rows are
    held out, of every class alike when ``labels`` are given (each class keeps a training row)."""
    generator = np.random.default_rng(seed)
    order = generator.permutation(rows)
    if fraction <= 0:
        return order, order[:0]
    if labels is None:
        held_out = min(max(1, round(rows * fraction)), rows - 1)
        return order[held_out:], order[:held_out]
    training, validation = [], []
    for label in np.unique(labels):
        members = order[labels[order] == label]
        held_out = min(round(len(members) * fraction), len(members) - 1)
        validation.append(members[:held_out])
        training.append(members[held_out:])
    training_rows, validation_rows = np.concatenate(training), np.concatenate(validation)
    return generator.permutation(training_rows), generator.permutation(validation_rows)


@dataclass
class Preprocessing:
    """What turns a table into network inputs and outputs into answers.

    x_std = (x − feature_mean) / feature_std per feature (a constant column has std 1);
    classification: outputs (N, C) of logits -> the label of the largest, probabilities by
    softmax; regression: output (N, 1) -> value = output · target_std + target_mean.
    """

    feature_names: list[str]
    feature_mean: np.ndarray
    feature_std: np.ndarray
    task: str
    target: str | None = None
    classes: list[Label] | None = None
    target_mean: float = 0.0
    target_std: float = 1.0

    @classmethod
    def fit(
        cls,
        feature_names: Sequence[str],
        features: np.ndarray,
        *,
        task: str,
        target: str | None = None,
        classes: Sequence[Label] | None = None,
        target_values: np.ndarray | None = None,
    ) -> Preprocessing:
        """The statistics of ``features`` (N, F) (and of a regression target (N,))."""
        mean = features.mean(axis=0)
        std = features.std(axis=0)
        std[std < 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0  # constant column: leave as is
        target_mean, target_std = 0.0, 1.0
        if task == REGRESS and target_values is not None:
            target_mean, target_std = float(target_values.mean()), float(target_values.std())
            if not target_std > 1e-12 * max(1.0, abs(target_mean)):
                target_std = 1.0
        return cls(list(feature_names), mean, std, task, target,
                   list(classes) if classes is not None else None, target_mean, target_std)

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == CLASSIFY and self.classes else 1

    def features(self, table: Table) -> np.ndarray:
        """The model's feature columns of ``table``, found by name, as raw numbers (N, F)."""
        absent = [name for name in self.feature_names if name not in table.columns]
        if absent:
            raise DataError(
                f"{table.name} lacks the model's feature column"
                f"{'s' if len(absent) > 1 else ''} {quote_list(absent)}; the model was trained "
                f"on {quote_list(self.feature_names)}, and the file has "
                f"{quote_list(table.columns)}."
            )
        return table.numbers(self.feature_names)

    def standardize(self, features: np.ndarray) -> np.ndarray:
        """(x − mean) / std, per feature: (N, F) -> (N, F)."""
        return (features - self.feature_mean) / self.feature_std

    def encode_target(self, table: Table) -> np.ndarray:
        """The target column as the model's target: class indices (N,) or scaled values (N,)."""
        if self.target is None:
            raise DataError("the model does not record which column it was trained to predict.")
        cells = target_cells(table, self.target)
        if self.task == CLASSIFY:
            return self._class_indices(table, cells)
        values = table.numbers([self.target])[:, 0]
        return (values - self.target_mean) / self.target_std

    def _class_indices(self, table: Table, cells: list[str]) -> np.ndarray:
        known: dict[Any, int] = {}
        for index, label in enumerate(self.classes or []):
            known[str(label)] = index
            if not isinstance(label, str):
                known[float(label)] = index
        indices = np.empty(len(cells), dtype=np.int64)
        for row, cell in enumerate(cells):
            number = _as_number(cell)
            index = known.get(cell, known.get(number) if number is not None else None)
            if index is None:
                raise DataError(
                    f"{table.where(row, self.target or '')}: {cell!r} is not one of the model's "
                    f"classes ({quote_list([str(c) for c in self.classes or []])})."
                )
            indices[row] = index
        return indices

    def target_values(self, scaled: np.ndarray) -> np.ndarray:
        """A regression output or target in the original units: (N, 1) or (N,) -> (N,)."""
        return np.reshape(scaled, -1).astype(np.float64) * self.target_std + self.target_mean

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """softmax over the classes, row by row: (N, C) -> (N, C); stable for any logits."""
        shifted = outputs.astype(np.float64) - outputs.max(axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        return exponentials / exponentials.sum(axis=1, keepdims=True)

    def labels(self, outputs: np.ndarray) -> np.ndarray:
        """The predicted labels (classification) or values (regression): (N, out) -> (N,)."""
        if self.task == CLASSIFY:
            return np.asarray(self.classes)[outputs.argmax(axis=1)]
        return self.target_values(outputs)

    def to_metadata(self) -> dict[str, Any]:
        """The JSON-able metadata ``gn.save`` stores with the model."""
        metadata: dict[str, Any] = {
            "task": self.task,
            "target": self.target,
            "feature_names": list(self.feature_names),
            "feature_mean": self.feature_mean.tolist(),
            "feature_std": self.feature_std.tolist(),
        }
        if self.task == CLASSIFY:
            metadata["classes"] = list(self.classes or [])
        else:
            metadata["target_mean"] = self.target_mean
            metadata["target_std"] = self.target_std
        return metadata

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any], *, source: str) -> Preprocessing:
        """The Preprocessing saved by ``to_metadata``; DataError saying what is absent or wrong."""
        problem = _metadata_problem(metadata)
        if problem:
            raise DataError(
                f"{source} is a glassnet model but not one trained on a table ({problem}); "
                "`glassnet train` saves the feature names, statistics and labels it needs."
            )
        return cls(
            feature_names=list(metadata["feature_names"]),
            feature_mean=np.asarray(metadata["feature_mean"], dtype=np.float64),
            feature_std=np.asarray(metadata["feature_std"], dtype=np.float64),
            task=metadata["task"],
            target=metadata.get("target"),
            classes=list(metadata["classes"]) if metadata["task"] == CLASSIFY else None,
            target_mean=float(metadata.get("target_mean", 0.0)),
            target_std=float(metadata.get("target_std", 1.0)),
        )


def _numbers(value: Any, length: int) -> bool:
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def _metadata_problem(metadata: Mapping[str, Any]) -> str | None:
    """What makes ``metadata`` unusable as a Preprocessing, or None."""
    names = metadata.get("feature_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return "its metadata has no list of feature_names"
    for key in ("feature_mean", "feature_std"):
        if not _numbers(metadata.get(key), len(names)):
            return f"its metadata's {key} is not a list of {len(names)} numbers"
    if not all(value > 0 for value in metadata["feature_std"]):
        return "its metadata's feature_std has values <= 0"
    task = metadata.get("task")
    if task not in TASKS:
        return f"its metadata's task is {task!r}, not one of {TASKS}"
    if task == CLASSIFY:
        classes = metadata.get("classes")
        if not isinstance(classes, list) or len(classes) < 2:
            return "its metadata lists fewer than two classes"
    elif not _numbers([metadata.get("target_mean", 0.0), metadata.get("target_std", 1.0)], 2):
        return "its metadata's target_mean / target_std are not numbers"
    return None
