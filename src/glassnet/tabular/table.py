"""A CSV file as a table that remembers where each cell came from.

pandas holds the cells (``read_csv`` in ``glassnet.tabular.reading``): a column whose every cell is
a number is a NumPy column of numbers, any other column its text. Every problem is reported as a
``DataError`` naming the file, the line and the column ("data.csv, line 7, column 'age': 'abc' is
not a number"), so the fix is one look away; the line is found when the message is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.tabular._lines import Record

# Cells that mean "no value" in the files people export from spreadsheets, R and pandas,
# compared after stripping spaces and lowercasing.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MAX_LISTED = 5  # problems named one by one before "and N more"
MAX_SHOWN_CHARACTERS = 60  # of a cell quoted in a message
COPY_ELEMENTS = 2**22  # numbers copied out of pandas at a time: bounds the temporary copies
SMALL_FRAME = 2**19  # cells of a frame converted in one call, as Python objects


class DataError(GlassnetError, ValueError):
    """A data file that cannot be used as it is: empty, ragged, missing or non-numeric cells."""


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_MARKERS


def show(cell: str) -> str:
    """repr(cell), shortened to MAX_SHOWN_CHARACTERS: a 1 MB cell stays a one-line message."""
    if len(cell) <= MAX_SHOWN_CHARACTERS:
        return repr(cell)
    return f"{cell[:MAX_SHOWN_CHARACTERS]!r}... ({len(cell):,} characters)"


def quote_list(names: Sequence[str], limit: int = 12) -> str:
    """'a', 'b', 'c' (and 4 more)."""
    shown = ", ".join(show(name) for name in names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def is_exact_text(column: Any) -> bool:
    """Whether a pandas column holds every cell as the file's text (not parsed to numbers or
    booleans, in part or in whole)."""
    from pandas.api.types import infer_dtype

    return infer_dtype(column, skipna=False) in ("string", "empty")


class Table:
    """The cells of a CSV file: ``columns`` are the header's names (stripped of spaces), row
    ``i`` (from 0) starts on line ``line_numbers[i]`` of ``path``.

    Built by ``read_csv``; ``frame`` is the pandas DataFrame, ``read_text(position)`` re-reads one
    column as its exact text and ``find_records(rows)`` finds where some rows are in the file.
    ``notes`` are one-line remarks on how the file was read that its reader should see (the
    separator found, a header that looks like data), for a caller to print.
    """

    def __init__(
        self,
        path: str,
        columns: list[str],
        frame: Any,
        *,
        read_text: Callable[[int], list[str]],
        find_records: Callable[[Sequence[int]], list[Record]],
        notes: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.notes = list(notes)
        self.columns = columns
        self.frame = frame
        self._positions = {name: position for position, name in enumerate(columns)}
        self._kinds = [dtype.kind for dtype in frame.dtypes]  # "i", "u", "f": numbers
        self._all_numeric = all(kind in "iuf" for kind in self._kinds)
        self._read_text = read_text
        self._find_records = find_records
        self._all_lines: list[int] | None = None

    @property
    def name(self) -> str:
        """The file name as the user typed it, for messages."""
        return self.path

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def line_numbers(self) -> list[int]:
        """The line each row starts on (one pass over the file, kept)."""
        if self._all_lines is None:
            self._all_lines = [record.line for record in self._find_records(range(len(self)))]
        return self._all_lines

    def lines_of(self, rows: Sequence[int], column: str | None = None) -> list[int]:
        """The lines ``rows`` (0-based) start on, in the same order; with ``column``, the lines
        their cells in that column start on (they differ after a line break inside quotes)."""
        if column is None and self._all_lines is not None:
            return [self._all_lines[row] for row in rows]
        records = self._find_records(rows)
        if column is None:
            return [record.line for record in records]
        position = self.column_index(column)
        return [record.line_of_field(position) for record in records]

    def column_index(self, column: str, *, role: str = "column") -> int:
        """The position of ``column``; a DataError listing the columns there are if absent."""
        position = self._positions.get(column)
        if position is None:
            raise DataError(
                f"{self.name} has no {role} {show(column)}; its columns are "
                f"{quote_list(self.columns)}."
            )
        return position

    def where(self, row: int, column: str) -> str:
        """'data.csv, line 7, column 'age'' for row ``row`` (0-based) of the data."""
        return f"{self.name}, line {self.lines_of([row], column)[0]}, column {show(column)}"

    def text(self, column: str) -> list[str]:
        """The cells of one column as written in the file, stripped of surrounding spaces."""
        position = self.column_index(column)
        cells = self.frame.iloc[:, position]
        raw = cells.tolist() if is_exact_text(cells) else self._read_text(position)
        return [cell.strip() for cell in raw]

    def numeric_column(self, column: str) -> np.ndarray | None:
        """The column as float64 if pandas read every cell of it as a number, else None."""
        position = self.column_index(column)
        if self._kinds[position] not in "iuf":
            return None
        return self.frame.iloc[:, position].to_numpy(dtype=np.float64)

    def numbers(self, columns: Sequence[str]) -> np.ndarray:
        """The named columns as a float64 array (rows, len(columns)).

        Raises DataError at the first cell (in file order) that is not a finite number, or
        naming every missing cell (up to a few) when some are empty or "NA".
        """
        positions = [self.column_index(column) for column in columns]
        if self._all_numeric and positions == list(range(len(self.columns))):
            whole = self._whole_frame()
            if whole is not None:
                return whole
        values = np.empty((len(self), len(positions)), dtype=np.float64)
        kinds = [self._kinds[position] for position in positions]
        numeric = [j for j, kind in enumerate(kinds) if kind in "iuf"]
        problems = self._copy_numeric(values, numeric, positions)
        missing: list[tuple[int, int]] = []
        for j, kind in enumerate(kinds):
            if kind not in "iuf":
                problems += self._parse_text(values, j, columns[j], missing)
        if problems:
            row, j, message = min(problems)
            raise DataError(f"{self.where(row, columns[j])}: {message}")
        if missing:
            self._refuse_missing(sorted(missing), columns)
        return values

    def _whole_frame(self) -> np.ndarray | None:
        """Every column, when pandas holds them as one float64 block: that block itself, read
        only (no copy, as ``DataFrame.to_numpy`` gives it), once every cell is checked finite;
        None otherwise (the caller copies and reports)."""
        whole = self.frame.to_numpy(dtype=np.float64, copy=False)
        if not np.shares_memory(whole, self.frame.iloc[:, 0].to_numpy(copy=False)):
            return None  # several blocks, or a conversion: a copy like any other
        everything = list(range(len(self.columns)))
        if self._non_finite(whole, 0, everything, everything):
            return None  # the copying route names the first bad cell
        whole = whole.view()
        whole.flags.writeable = False  # the table's own memory: read, never changed
        return whole

    def _copy_numeric(
        self, values: np.ndarray, numeric: list[int], positions: list[int]
    ) -> list[tuple[int, int, str]]:
        """Copy pandas' number columns ``numeric`` (indices into ``positions``) into ``values``,
        COPY_ELEMENTS at a time; the first non-finite cell of each column that has one, as
        (row, j, message)."""
        if not numeric:
            return []
        problems: list[tuple[int, int, str]] = []
        wanted = [positions[j] for j in numeric]
        every_column = wanted == list(range(len(self.columns)))
        targets = slice(None) if numeric == list(range(values.shape[1])) else numeric
        # pandas keeps a column per block after read_csv, and taking columns costs per block (a
        # second for 80,000 columns), so wide frames are converted whole, a block of rows at a
        # time when every column is numbers, or at once as objects when the frame is small.
        if self.frame.size <= SMALL_FRAME:
            kind = np.float64 if self._all_numeric else object
            chunk = self.frame.to_numpy(dtype=kind)
            chunk = (chunk if every_column else chunk[:, wanted]).astype(np.float64, copy=False)
            values[:, targets] = chunk
            return self._non_finite(chunk, 0, numeric, positions)
        if self._all_numeric:
            step = max(1, COPY_ELEMENTS // len(self.columns))
            for start in range(0, len(values), step):
                chunk = self.frame.iloc[start:start + step].to_numpy(np.float64)
                chunk = chunk if every_column else chunk[:, wanted]
                values[start:start + step, targets] = chunk
                problems += self._non_finite(chunk, start, numeric, positions)
            return problems
        step = max(1, COPY_ELEMENTS // max(1, len(values)))
        for start in range(0, len(numeric), step):
            block = numeric[start:start + step]
            chunk = self.frame.iloc[:, [positions[j] for j in block]].to_numpy(np.float64)
            values[:, block] = chunk
            problems += self._non_finite(chunk, 0, block, positions)
        return problems

    def _non_finite(
        self, chunk: np.ndarray, first_row: int, targets: list[int], positions: list[int]
    ) -> list[tuple[int, int, str]]:
        """(row, j, message) for the first non-finite cell of each column of ``chunk`` (rows
        from ``first_row``, column k is ``targets[k]``) that has one."""
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(chunk.sum()):  # one cheap pass; the search only when it fails
                return []
        bad = ~np.isfinite(chunk)
        problems = []
        for k in np.flatnonzero(bad.any(axis=0)):
            row = first_row + int(np.argmax(bad[:, k]))
            cell = self.text(self.columns[positions[targets[k]]])[row]
            problems.append((row, targets[k], f"{show(cell)} is not a finite number."))
        return problems

    def _parse_text(
        self, values: np.ndarray, j: int, column: str, missing: list[tuple[int, int]]
    ) -> list[tuple[int, int, str]]:
        """Each cell of a text column as Python's float() reads it into ``values[:, j]``; missing
        cells are NaN and listed in ``missing``; the first bad cell as [(row, j, message)]."""
        for row, cell in enumerate(self.text(column)):
            if is_missing(cell):
                values[row, j] = math.nan
                missing.append((row, j))
                continue
            try:
                value = float(cell)
            except ValueError:
                return [(row, j, f"{show(cell)} is not a number.")]
            if not math.isfinite(value):
                return [(row, j, f"{show(cell)} is not a finite number.")]
            values[row, j] = value
        return []

    def _refuse_missing(self, found: list[tuple[int, int]], columns: Sequence[str]) -> None:
        listed = found[:MAX_LISTED]
        records = self._find_records([row for row, _ in listed])  # one pass for all of them
        named = "; ".join(
            f"line {record.line_of_field(self.column_index(columns[j]))}, column "
            f"{show(columns[j])}" for record, (_, j) in zip(records, listed, strict=True)
        )
        more = f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        count = "a missing value" if len(found) == 1 else f"{len(found)} missing values"
        raise DataError(
            f"{self.name} has {count} ({named}{more}); fill them in or drop those rows first."
        )
