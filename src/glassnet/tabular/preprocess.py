"""From a table to what a network trains on, and back: features standardised with the training
rows' statistics, class labels as indices, a regression target scaled to unit variance.

Everything needed to repeat the preprocessing on new rows is kept in ``Preprocessing`` and saved
in the model file's metadata (``to_metadata`` / ``from_metadata``), as plain JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.tabular.metadata import (
    CLASSIFY,
    REGRESS,
    SMALLEST_STD,
    check_table_metadata,
    has_table_metadata,
)
from glassnet.tabular.table import DataError, Table, is_missing, quote_list, show

MAX_GUESSED_CLASSES = 10  # whole numbers with at most this many distinct values are classes
CONSTANT = 1e-12  # a column whose std is at most this fraction of its largest |value| is constant

Label = str | int | float
Where = Callable[[int, str], str]  # (row, feature name) -> "data.csv, line 7, column 'age'"


def _as_number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def target_cells(table: Table, target: str) -> list[str]:
    """The target column's text cells; DataError naming the rows where it is missing."""
    table.column_index(target, role="target column")
    cells = table.text(target)
    missing = [row for row, cell in enumerate(cells) if is_missing(cell)]
    if missing:
        lines = ", ".join(str(line) for line in table.lines_of(missing[:5], target))
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        count = "a missing value" if len(missing) == 1 else f"{len(missing)} missing values"
        raise DataError(
            f"{table.name}: the target column {show(target)} has {count} "
            f"(line{'s' if len(missing) > 1 else ''} {lines}{more}); "
            "drop those rows or fill them in first."
        )
    return cells


def target_column(table: Table, target: str) -> np.ndarray | list[str]:
    """The target column: float64 numbers (N,) when every cell is a finite number as pandas
    read it, else its text cells (checked for missing values)."""
    table.column_index(target, role="target column")
    numbers = table.numeric_column(target)
    if numbers is not None and np.isfinite(numbers).all():
        return numbers
    return target_cells(table, target)


def guess_task(table: Table, target: str) -> tuple[str, str]:
    """(CLASSIFY or REGRESS, why): text or few distinct whole numbers are classes, others values."""
    column = target_column(table, target)
    if isinstance(column, np.ndarray):
        distinct = np.unique(column)
    else:
        numbers = [_as_number(cell) for cell in column]
        text = next((cell for cell, number in zip(column, numbers, strict=True)
                     if number is None), None)
        if text is not None:
            return CLASSIFY, f"{show(target)} holds text such as {show(text)}"
        distinct = np.unique(np.array(numbers, dtype=np.float64))
    if np.all(distinct == np.floor(distinct)):
        count = len(distinct)
        if count <= MAX_GUESSED_CLASSES:
            return CLASSIFY, (f"{show(target)} holds whole numbers with only {count} distinct "
                              "values")
        return REGRESS, (f"{show(target)} holds whole numbers with {count} distinct values "
                         f"(more than {MAX_GUESSED_CLASSES})")
    return REGRESS, f"{show(target)} holds numbers with fractions"


def class_labels(cells: Sequence[str] | np.ndarray) -> tuple[list[Label], np.ndarray]:
    """(sorted distinct labels, index of each cell's label). Numbers compare as numbers
    ("1" and "1.0" are one class, saved as 1); anything else as text. ``cells`` is text, or the
    numbers of a column that holds only numbers."""
    if isinstance(cells, np.ndarray):
        numbers = cells.astype(np.float64)
    else:
        parsed = [_as_number(cell) for cell in cells]
        if any(number is None for number in parsed):
            distinct, indices = np.unique(np.array(cells, dtype=object), return_inverse=True)
            return [str(label) for label in distinct], indices.astype(np.int64).reshape(-1)
        numbers = np.array(parsed, dtype=np.float64)
    distinct, indices = np.unique(numbers, return_inverse=True)
    labels: list[Label] = [int(v) if float(v).is_integer() else float(v) for v in distinct]
    return labels, indices.astype(np.int64).reshape(-1)


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


def column_statistics(
    values: np.ndarray, descriptions: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each column of ``values`` (N, F), a constant column's std set to 1.

    A column is constant when its std is at most CONSTANT times its largest |value| (rounding
    noise). Columns of values beyond 1e±100 in size are computed divided by a power of two near
    their largest |value|: exact, and their squares neither overflow nor underflow. DataError,
    starting with the column's description ("data.csv: the feature column 'x'"), for a column
    whose spread is below float64's smallest normal number (dividing by it loses precision).
    """
    with np.errstate(all="ignore"):  # columns that overflow are computed again below
        largest = np.maximum(values.max(axis=0), -values.min(axis=0))
        mean = values.mean(axis=0)
        std = values.std(axis=0)
    for j in np.flatnonzero((largest != 0) & ~((1e-100 < largest) & (largest < 1e100))):
        scale = np.ldexp(1.0, np.frexp(largest[j])[1] - 1)  # largest / scale in [1, 2)
        column = values[:, j] / scale
        mean[j], std[j] = scale * column.mean(), scale * column.std()
    constant = std <= CONSTANT * largest
    tiny = np.flatnonzero(~constant & (std < SMALLEST_STD))
    if tiny.size:
        j = tiny[0]
        raise DataError(
            f"{descriptions[j]} varies by only {std[j]:.3g}, below float64's smallest normal "
            "number, so it cannot be standardised; rescale it (other units) first."
        )
    std[constant] = 1.0  # leave a constant column as it is: centred, not scaled
    return mean, std


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
        source: str = "",
    ) -> Preprocessing:
        """The statistics of ``features`` (N, F) (and of a regression target (N,)); DataError
        for a column (or target) whose statistics float64 cannot hold, its message starting
        with ``source`` (the file)."""
        prefix = f"{source}: " if source else ""
        mean, std = column_statistics(
            features, [f"{prefix}the feature column {show(name)}" for name in feature_names])
        target_mean, target_std = 0.0, 1.0
        if task == REGRESS and target_values is not None:
            target_stats = column_statistics(np.reshape(target_values, (-1, 1)),
                                             [f"{prefix}the target column {show(target or '')}"])
            target_mean, target_std = float(target_stats[0][0]), float(target_stats[1][0])
        return cls(list(feature_names), mean, std, task, target,
                   list(classes) if classes is not None else None, target_mean, target_std)

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == CLASSIFY and self.classes else 1

    def features(self, table: Table) -> np.ndarray:
        """The model's feature columns of ``table``, found by name, as raw numbers (N, F)."""
        present = set(table.columns)
        absent = [name for name in self.feature_names if name not in present]
        if absent:
            raise DataError(
                f"{table.name} lacks the model's feature column"
                f"{'s' if len(absent) > 1 else ''} {quote_list(absent)}; the model was trained "
                f"on {quote_list(self.feature_names)}, and the file has "
                f"{quote_list(table.columns)}."
            )
        return table.numbers(self.feature_names)

    def standardize(
        self, features: np.ndarray, *, largest: float = np.inf, where: Where | None = None
    ) -> np.ndarray:
        """(x − mean) / std, per feature: (N, F) -> (N, F). DataError for a value so far from
        the training rows' that the result is not finite or exceeds ``largest`` in size."""
        largest = min(largest, float(np.finfo(np.float64).max))  # inf and NaN never fit
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = (features - self.feature_mean) / self.feature_std
            fits = np.abs(scaled) <= largest
        if fits.all():
            return scaled
        row, j = np.argwhere(~fits)[0]
        name = self.feature_names[j]
        place = where(int(row), name) if where else f"row {row + 1}, feature {show(name)}"
        raise DataError(
            f"{place}: {features[row, j]:.6g} is too far from the training rows' values (mean "
            f"{self.feature_mean[j]:.6g}, std {self.feature_std[j]:.6g}) to standardise "
            f"(the result exceeds {largest:.3g})."
        )

    def encode_target(self, table: Table) -> np.ndarray:
        """The target column as the model's target: class indices (N,) or scaled values (N,)."""
        if self.target is None:
            raise DataError("the model does not record which column it was trained to predict.")
        column = target_column(table, self.target)
        if self.task == CLASSIFY:
            return self._class_indices(table, column)
        return self.scale_target(table.numbers([self.target])[:, 0], where=table.where)

    def scale_target(
        self, values: np.ndarray, *, largest: float = np.inf, where: Where | None = None
    ) -> np.ndarray:
        """(y − target_mean) / target_std: (N,) -> (N,). DataError for a value so far from the
        training rows' targets that the result is not finite or exceeds ``largest`` in size."""
        largest = min(largest, float(np.finfo(np.float64).max))  # inf and NaN never fit
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = (values - self.target_mean) / self.target_std
            outside = np.flatnonzero(~(np.abs(scaled) <= largest))
        if outside.size == 0:
            return scaled
        row = int(outside[0])
        target = self.target or "target"
        place = where(row, target) if where else f"row {row + 1}, target {show(target)}"
        raise DataError(
            f"{place}: {values[row]:.6g} is too far from the training rows' targets (mean "
            f"{self.target_mean:.6g}, std {self.target_std:.6g}) to scale (the result exceeds "
            f"{largest:.3g})."
        )

    def _class_indices(self, table: Table, column: np.ndarray | list[str]) -> np.ndarray:
        classes = self.classes or []
        if isinstance(column, np.ndarray) and not any(isinstance(c, str) for c in classes):
            known = np.array([float(label) for label in classes])
            order = np.argsort(known)
            spots = np.minimum(np.searchsorted(known[order], column), len(known) - 1)
            unknown = np.flatnonzero(known[order][spots] != column)
            if unknown.size == 0:
                return order[spots].astype(np.int64)
            row = int(unknown[0])
            raise self._unknown_class(table, row, table.text(self.target or "")[row])
        cells = column if isinstance(column, list) else target_cells(table, self.target or "")
        lookup: dict[Any, int] = {}
        for index, label in enumerate(classes):
            lookup[str(label)] = index
            if not isinstance(label, str):
                lookup[float(label)] = index
        indices = np.empty(len(cells), dtype=np.int64)
        for row, cell in enumerate(cells):
            number = _as_number(cell)
            index = lookup.get(cell, lookup.get(number) if number is not None else None)
            if index is None:
                raise self._unknown_class(table, row, cell)
            indices[row] = index
        return indices

    def _unknown_class(self, table: Table, row: int, cell: str) -> DataError:
        return DataError(
            f"{table.where(row, self.target or '')}: {show(cell)} is not one of the model's "
            f"classes ({quote_list([str(c) for c in self.classes or []])})."
        )

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
        """The Preprocessing saved by ``to_metadata``. DataError for metadata that does not
        describe a table model; ModelFormatError naming the first field that is wrong."""
        if not has_table_metadata(metadata):
            raise DataError(
                f"{source} is a glassnet model but not one trained on a table (its metadata "
                "has no feature names); `glassnet train` saves the feature names, statistics "
                "and labels it needs."
            )
        check_table_metadata(metadata, source=source)
        task = metadata["task"]
        return cls(
            feature_names=list(metadata["feature_names"]),
            feature_mean=np.asarray(metadata["feature_mean"], dtype=np.float64),
            feature_std=np.asarray(metadata["feature_std"], dtype=np.float64),
            task=task,
            target=metadata.get("target"),
            classes=list(metadata["classes"]) if task == CLASSIFY else None,
            target_mean=float(metadata.get("target_mean", 0.0)) if task == REGRESS else 0.0,
            target_std=float(metadata.get("target_std", 1.0)) if task == REGRESS else 1.0,
        )
