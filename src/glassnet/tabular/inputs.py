"""Rows in any of the forms people hold them (a Table, a pandas DataFrame, an array) -> the
network's inputs, by the model's feature columns (``glassnet.tabular.columns``).

``encode(columns, rows)`` is the whole transform, with NumPy and the stored numbers only:
numeric cells imputed and standardised, text cells one-hot. A cell that cannot be used (text in
a numeric column, a missing number the model has no value for, a value too far out to
standardise) is a DataError naming its row and column; categories the model never saw become
all zeros, with one ``UnseenCategoryWarning`` per call naming them.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.tabular.columns import CategoryColumn, FeatureColumn, NumericColumn, input_width
from glassnet.tabular.table import DataError, Table, is_missing, quote_list, show

MAX_UNSEEN_SHOWN = 3  # values named per column in the warning
MISSING_SHOWN = "(a missing cell)"  # a missing cell in a column that had none at training

Where = Callable[[int, str], str]  # (row, column name) -> "data.csv, line 7, column 'age'"


class UnseenCategoryWarning(UserWarning):
    """Some text cells hold categories the model never saw in training: they are encoded as all
    zeros (no category), as scikit-learn's ``OneHotEncoder(handle_unknown="ignore")`` does."""


def _not_a_number(cell: str) -> str:
    try:
        float(cell)
    except ValueError:
        return f"{show(cell)} is not a number."
    return f"{show(cell)} is not a finite number."


def _parse_cell(cell: Any) -> float | None:
    """A cell as a finite float, NaN when missing, None when it is not a number."""
    if cell is None:
        return math.nan
    if isinstance(cell, str):
        if is_missing(cell):
            return math.nan
        try:
            value = float(cell)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    if isinstance(cell, (int, float, np.integer, np.floating)):  # bool is an int, as in NumPy
        value = float(cell)
        return value if math.isfinite(value) or math.isnan(value) else None
    return math.nan if _is_missing_object(cell) else None


def _is_missing_object(cell: Any) -> bool:
    """pandas' NA and NaT, and anything else pandas calls missing."""
    try:
        import pandas
    except ImportError:
        return False
    missing = pandas.isna(cell)
    return isinstance(missing, (bool, np.bool_)) and bool(missing)


def _as_text(cell: Any) -> str | None:
    """A cell of a text column as stripped text; None when missing."""
    if cell is None:
        return None
    if isinstance(cell, str):
        return None if is_missing(cell) else cell.strip()
    if isinstance(cell, float) and math.isnan(cell) or _is_missing_object(cell):
        return None
    return str(cell).strip()


class TableRows:
    """A Table's cells by column name; messages name file, line and column."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def where(self, row: int, name: str) -> str:
        return self.table.where(row, name)

    def parse_numbers(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values (N,), NaN where missing or not a number; bad (N,) bool: not a number)."""
        numbers = self.table.numeric_column(name)
        if numbers is not None:
            finite = np.isfinite(numbers)
            bad = np.zeros(len(numbers), dtype=bool)
            if finite.all():
                return numbers, bad
            cells = self.table.text(name)
            for row in np.flatnonzero(~finite):
                bad[row] = not is_missing(cells[row])
            return np.where(finite, numbers, math.nan), bad
        cells = self.table.text(name)
        values = np.empty(len(cells), dtype=np.float64)
        bad = np.zeros(len(cells), dtype=bool)
        for row, cell in enumerate(cells):
            value = _parse_cell(cell)
            bad[row] = value is None
            values[row] = math.nan if value is None else value
        return values, bad

    def bad_cell(self, row: int, name: str) -> str:
        """Why a cell that is not a number is not: "'abc' is not a number."."""
        return _not_a_number(self.table.text(name)[row])

    def numbers(self, name: str) -> np.ndarray:
        values, bad = self.parse_numbers(name)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(f"{self.where(row, name)}: {self.bad_cell(row, name)}")
        return values

    def texts(self, name: str) -> list[str | None]:
        return [None if is_missing(cell) else cell for cell in self.table.text(name)]


class FrameRows:
    """A pandas DataFrame's columns by name (``labels``: name -> the frame's column label)."""

    def __init__(self, frame: Any, labels: dict[str, Any]) -> None:
        self.frame = frame
        self.labels = labels

    def __len__(self) -> int:
        return len(self.frame)

    def where(self, row: int, name: str) -> str:
        label = self.frame.index[row]
        label = label.item() if isinstance(label, np.generic) else label  # 7, not np.int64(7)
        return f"row {row + 1} (index {label!r}), column {show(name)}"

    def numbers(self, name: str) -> np.ndarray:
        column = self.frame[self.labels[name]]
        if column.dtype.kind in "biuf":
            values = column.to_numpy(dtype=np.float64, na_value=math.nan)
            infinite = np.flatnonzero(np.isinf(values))
            if infinite.size:
                row = int(infinite[0])
                raise DataError(f"{self.where(row, name)}: {values[row]} is not a finite number.")
            return values
        cells = column.tolist()
        values = np.empty(len(cells), dtype=np.float64)
        for row, cell in enumerate(cells):
            value = _parse_cell(cell)
            if value is None:
                shown = _not_a_number(cell) if isinstance(cell, str) else (
                    f"{show(repr(cell))[1:-1]} is not a finite number.")
                raise DataError(f"{self.where(row, name)}: {shown}")
            values[row] = value
        return values

    def texts(self, name: str) -> list[str | None]:
        return [_as_text(cell) for cell in self.frame[self.labels[name]].tolist()]


def frame_rows(frame: Any, names: Sequence[str], *, numbers_only: bool) -> FrameRows:
    """A DataFrame's columns found by name (str(label) == name); DataError naming the model's
    columns it lacks (extra columns are ignored) or one named twice."""
    labels = list(frame.columns)
    counts = Counter(str(label) for label in labels)
    absent = [name for name in names if name not in counts]
    if absent:
        by_position = (" Columns are found by name; pass an array to give the features by "
                       "position." if numbers_only else " Columns are found by name.")
        raise DataError(
            f"the DataFrame lacks the model's feature column{'s' if len(absent) > 1 else ''} "
            f"{quote_list(absent)}; its columns are {quote_list(list(counts))}.{by_position}"
        )
    repeated = [name for name in names if counts[name] > 1]
    if repeated:
        raise DataError(f"the DataFrame has more than one column named {quote_list(repeated)}.")
    label_of = {str(label): label for label in labels}
    return FrameRows(frame, {name: label_of[name] for name in names})


class ArrayRows:
    """A 2-D float array whose columns are the model's, in order; NaN is a missing cell."""

    def __init__(self, values: np.ndarray, names: Sequence[str]) -> None:
        self.values = values
        self.positions = {name: position for position, name in enumerate(names)}

    def __len__(self) -> int:
        return len(self.values)

    def where(self, row: int, name: str) -> str:
        return f"row {row + 1}, feature {show(name)}"

    def numbers_matrix(self, names: Sequence[str]) -> np.ndarray:
        """The named columns (N, len(names)); DataError at the first infinite value."""
        values = (self.values if list(self.positions) == list(names)
                  else self.values[:, [self.positions[name] for name in names]])
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(values.sum()):  # one cheap pass; the search only when it fails
                return values
        infinite = np.argwhere(np.isinf(values))
        if infinite.size:
            row, k = (int(i) for i in infinite[0])
            raise DataError(f"{self.where(row, names[k])}: {values[row, k]} is not a finite "
                            "number.")
        return values

    def numbers(self, name: str) -> np.ndarray:
        return self.numbers_matrix([name])[:, 0]

    def texts(self, name: str) -> list[str | None]:
        raise DataError(f"the model's column {show(name)} holds text; pass a DataFrame.")


Rows = TableRows | FrameRows | ArrayRows


def encode(
    columns: Sequence[FeatureColumn], rows: Rows, *, largest: float = np.inf,
    where: Where | None = None,
) -> np.ndarray:
    """The network's inputs for ``rows``: (N, input_width(columns)) float64, in the columns'
    order; ``where(row, name)`` names a cell in messages (default: the rows' own)."""
    where = where or rows.where
    output = np.empty((len(rows), input_width(columns)), dtype=np.float64)
    offsets = np.cumsum([0] + [column.width for column in columns])
    numeric = [j for j, column in enumerate(columns) if isinstance(column, NumericColumn)]
    if numeric:
        scaled, indicators = _numeric_inputs([columns[j] for j in numeric], rows,
                                             largest=largest, where=where)
        if len(numeric) == output.shape[1]:  # every input a standardised number
            return scaled
        output[:, offsets[numeric]] = scaled
        for k, missing in indicators.items():
            output[:, offsets[numeric[k]] + 1] = missing
    unseen: dict[str, list[str]] = {}
    for j, column in enumerate(columns):
        if isinstance(column, CategoryColumn):
            block = output[:, offsets[j]:offsets[j + 1]]
            found = _one_hot(column, rows.texts(column.name), block)
            if found:
                unseen[column.name] = found
    if unseen:
        _warn_unseen(unseen)
    return output


def _numeric_inputs(
    columns: list[NumericColumn], rows: Rows, *, largest: float, where: Where
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """((x_imputed − mean) / std (N, F), {k: missing indicator (N,) of column k with a median})."""
    names = [column.name for column in columns]
    if isinstance(rows, ArrayRows):
        raw = rows.numbers_matrix(names)
    else:
        raw = np.column_stack([rows.numbers(name) for name in names])
    mean = np.array([column.mean for column in columns])
    std = np.array([column.std for column in columns])
    indicators: dict[int, np.ndarray] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        has_missing = not np.isfinite(raw.sum())  # one cheap pass; the search only when it fails
    if has_missing:
        missing = np.isnan(raw)
        medians = np.array([math.nan if c.median is None else c.median for c in columns])
        unfillable = missing & np.isnan(medians)
        if unfillable.any():
            row, k = (int(i) for i in np.argwhere(unfillable)[0])
            raise DataError(
                f"{where(row, names[k])}: the cell is missing, and the model has no value to "
                "fill in: the column had no missing cells in the training rows. Fill it in."
            )
        raw = np.where(missing, medians, raw)
        indicators = {k: missing[:, k].astype(np.float64) for k, column in enumerate(columns)
                      if column.median is not None}
    else:
        indicators = {k: np.zeros(len(raw)) for k, column in enumerate(columns)
                      if column.median is not None}
    largest = min(largest, float(np.finfo(np.float64).max))  # inf and NaN never fit
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (raw - mean) / std
        fits = np.abs(scaled) <= largest
    if fits.all():
        return scaled, indicators
    row, k = (int(i) for i in np.argwhere(~fits)[0])
    raise DataError(
        f"{where(row, names[k])}: {raw[row, k]:.6g} is too far from the training rows' values "
        f"(mean {mean[k]:.6g}, std {std[k]:.6g}) to standardise (the result exceeds "
        f"{largest:.3g})."
    )


def _one_hot(column: CategoryColumn, cells: list[str | None], block: np.ndarray) -> list[str]:
    """Fill ``block`` (N, K) with the cells' one-hot rows; the values not among the categories
    (in order of appearance, each once)."""
    index = {category: position for position, category in enumerate(column.categories)}
    block[:] = 0.0
    unseen: dict[str, None] = {}
    for row, cell in enumerate(cells):
        value = column.missing_label if cell is None else cell
        position = index.get(value) if value is not None else None
        if position is None:
            unseen[MISSING_SHOWN if cell is None else cell] = None
        else:
            block[row, position] = 1.0
    return list(unseen)


def _warn_unseen(unseen: dict[str, list[str]]) -> None:
    listed = "; ".join(f"column {show(name)}: {quote_list(values, MAX_UNSEEN_SHOWN)}"
                       for name, values in unseen.items())
    warnings.warn(f"categories the model never saw in training, encoded as no category (all "
                  f"zeros): {listed}.", UnseenCategoryWarning, stacklevel=2)
