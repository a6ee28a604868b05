"""The target column: its task (classes or values), its class labels, and the seeded split of
the rows into training and validation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from glassnet.tabular.metadata import CLASSIFY, REGRESS
from glassnet.tabular.table import DataError, Table, is_missing, show

MAX_GUESSED_CLASSES = 10  # whole numbers with at most this many distinct values are classes

Label = str | int | float


def as_number(cell: str) -> float | None:
    """The cell as a finite float; None when it is not one."""
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
        numbers = [as_number(cell) for cell in column]
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
        parsed = [as_number(cell) for cell in cells]
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
