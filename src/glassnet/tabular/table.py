"""A CSV file as a table of text cells that remembers where each cell came from.

Read with the standard library's ``csv`` module: a header row, then one row per record. Every
problem is reported as a ``DataError`` naming the file, the line and the column
("data.csv, line 7, column 'age': 'abc' is not a number"), so the fix is one look away.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glassnet.errors import GlassnetError

# Cells that mean "no value" in the files people export from spreadsheets, R and pandas.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MAX_LISTED = 5  # problems named one by one before "and N more"


class DataError(GlassnetError, ValueError):
    """A data file that cannot be used as it is: empty, ragged, missing or non-numeric cells."""


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_MARKERS


def quote_list(names: Sequence[str], limit: int = 12) -> str:
    """'a', 'b', 'c' (and 4 more)."""
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


@dataclass
class Table:
    """The cells of a CSV file as text: ``rows[i][j]`` is on line ``line_numbers[i]`` of ``path``,
    in column ``columns[j]``."""

    path: str
    columns: list[str]
    rows: list[list[str]]
    line_numbers: list[int]

    @property
    def name(self) -> str:
        """The file name as the user typed it, for messages."""
        return self.path

    def __len__(self) -> int:
        return len(self.rows)

    def column_index(self, column: str, *, role: str = "column") -> int:
        """The position of ``column``; a DataError listing the columns there are if absent."""
        try:
            return self.columns.index(column)
        except ValueError:
            raise DataError(
                f"{self.name} has no {role} {column!r}; its columns are {quote_list(self.columns)}."
            ) from None

    def text(self, column: str) -> list[str]:
        """The cells of one column, stripped of surrounding spaces."""
        index = self.column_index(column)
        return [row[index].strip() for row in self.rows]

    def where(self, row: int, column: str) -> str:
        """'data.csv, line 7, column 'age'' for row ``row`` (0-based) of the data."""
        return f"{self.name}, line {self.line_numbers[row]}, column {column!r}"

    def numbers(self, columns: Sequence[str]) -> np.ndarray:
        """The named columns as a float64 array (rows, len(columns)).

        Raises DataError at the first cell that is not a finite number, or naming every missing
        cell (up to a few) when some are empty or "NA".
        """
        indices = [self.column_index(column) for column in columns]
        values = np.empty((len(self.rows), len(indices)), dtype=np.float64)
        for j, index in enumerate(indices):
            cells = [row[index] for row in self.rows]
            try:  # fast path: NumPy parses a clean column in one call
                column = np.asarray(cells, dtype=np.float64)
            except ValueError:
                column = None
            if column is None or not np.isfinite(column).all():
                column = np.asarray(self._parse_slowly(cells, columns[j]), dtype=np.float64)
            values[:, j] = column
        self._refuse_missing(indices, columns)
        return values

    def _parse_slowly(self, cells: list[str], column: str) -> list[float]:
        """Each cell as a float, or a DataError naming the first bad one (missing cells: NaN,
        reported together afterwards)."""
        parsed = []
        for row, cell in enumerate(cells):
            if is_missing(cell):
                parsed.append(math.nan)
                continue
            try:
                value = float(cell)
            except ValueError:
                raise DataError(f"{self.where(row, column)}: {cell!r} is not a number.") from None
            if not math.isfinite(value):
                raise DataError(
                    f"{self.where(row, column)}: {cell!r} is not a finite number."
                )
            parsed.append(value)
        return parsed

    def _refuse_missing(self, indices: Sequence[int], columns: Sequence[str]) -> None:
        found = [
            (row, column)
            for row, cells in enumerate(self.rows)
            for index, column in zip(indices, columns, strict=True)
            if is_missing(cells[index])
        ]
        if not found:
            return
        named = "; ".join(
            f"line {self.line_numbers[row]}, column {column!r}"
            for row, column in found[:MAX_LISTED]
        )
        more = f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        values = "a missing value" if len(found) == 1 else f"{len(found)} missing values"
        raise DataError(
            f"{self.name} has {values} ({named}{more}); fill them in or drop those rows first."
        )


def read_csv(path: str | os.PathLike[str]) -> Table:
    """The file at ``path`` as a Table: a header row of unique names, then equally long rows.

    Blank lines are skipped. Raises DataError for an empty file, a file with no data rows, a
    header with empty or repeated names, a row with too few or too many fields, text that is not
    UTF-8; FileNotFoundError / IsADirectoryError / PermissionError when it cannot be opened.
    """
    name = os.fspath(path)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    header: list[str] | None = None
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            for record in reader:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line
                if header is None:
                    header = _check_header(name, record, reader.line_num)
                    continue
                if len(record) != len(header):
                    raise DataError(
                        f"{name}, line {reader.line_num}: {len(record)} fields, but the header "
                        f"has {len(header)} ({quote_list(header)})."
                    )
                rows.append(record)
                line_numbers.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise DataError(
            f"{name} is not UTF-8 text (byte {error.start}: {error.reason}); is it a CSV file?"
        ) from None
    except csv.Error as error:
        raise DataError(f"{name}, line {reader.line_num}: not readable as CSV ({error}).") from None
    if header is None:
        raise DataError(f"{name} is empty; expected a header row of column names, then data.")
    if not rows:
        raise DataError(f"{name} has a header but no data rows.")
    return Table(name, header, rows, line_numbers)


def _check_header(name: str, record: list[str], line: int) -> list[str]:
    header = [cell.strip() for cell in record]
    blank = [position + 1 for position, cell in enumerate(header) if not cell]
    if blank:
        raise DataError(
            f"{name}, line {line}: the header's field {blank[0]} is empty; every column needs "
            "a name."
        )
    repeated = sorted({cell for cell in header if header.count(cell) > 1})
    if repeated:
        raise DataError(f"{name}, line {line}: the header repeats {quote_list(repeated)}.")
    return header
