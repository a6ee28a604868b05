"""A model's feature columns as the network sees them, and as its file stores them.

Each feature column contributes a fixed run of network inputs, in the order the columns are
listed (the table's order among the chosen features):

- ``NumericColumn``: (x − mean) / std, x being the cell, or ``median`` where the cell is missing;
  then, when the column had missing cells at training (``median`` is not None), a missing
  indicator: 1.0 where the cell is missing, else 0.0 (not scaled). Width 1 or 2.
- ``CategoryColumn``: one 0/1 input per category, in sorted order (scikit-learn's
  ``OneHotEncoder``'s); a missing cell is the category ``missing_label`` when the column had
  missing cells at training; a value not among the categories gives all zeros. Width
  ``len(categories)``.

The model file stores each column as the plain dict ``describe()`` returns; ``BUILDERS`` maps a
kind's name to the function that checks such a dict and builds the column back, so nothing in a
file can name code to run.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from glassnet.errors import ModelFormatError
from glassnet.tabular.table import show

NUMERIC = "numeric"
CATEGORY = "category"
MISSING_LABEL = "(missing)"  # the category of a missing cell in a text column
MAX_STORED_CATEGORIES = 10_000  # per column, in a model file
MAX_STORED_COLUMNS = 1_000_000  # feature columns in a model file
MAX_INPUT_WIDTH = 4_000_000  # network inputs a model file's columns may describe
SMALLEST_STD = sys.float_info.min  # float64's smallest normal number: 1 / std is finite


@dataclass(frozen=True)
class NumericColumn:
    """A column of numbers: (x_imputed − mean) / std [, missing indicator]. Width 1, or 2 with
    the indicator (``median`` given: the column had missing cells at training)."""

    name: str
    mean: float
    std: float
    median: float | None = None

    kind = NUMERIC

    @property
    def width(self) -> int:
        return 1 if self.median is None else 2

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": NUMERIC, "median": self.median, "mean": self.mean,
                "std": self.std}


@dataclass(frozen=True)
class CategoryColumn:
    """A column of text: one 0/1 input per category (sorted); width ``len(categories)``.
    ``missing_label`` is the category a missing cell takes (None: no cell was missing)."""

    name: str
    categories: tuple[str, ...]
    missing_label: str | None = None

    kind = CATEGORY

    @property
    def width(self) -> int:
        return len(self.categories)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": CATEGORY, "categories": list(self.categories),
                "missing_label": self.missing_label}


FeatureColumn = NumericColumn | CategoryColumn


class _Field:
    """One field of the metadata, for messages: ``columns[3].std``."""

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path

    def fail(self, expected: str, found: Any, suffix: str = "") -> ModelFormatError:
        shown = show(found) if isinstance(found, str) else show(repr(found))[1:-1]
        return ModelFormatError(
            f"{self.source}: the table metadata's {self.path}{suffix} should be {expected}; it "
            f"is {shown}."
        )


def _is_number(value: Any) -> bool:
    """A finite JSON number (bool is not one)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _keys(entry: Mapping[str, Any], keys: tuple[str, ...], field: _Field) -> None:
    if set(entry) != set(keys):
        raise field.fail(f"a dict with exactly the keys {', '.join(keys)}",
                         sorted(map(str, entry)))


def _number(entry: Mapping[str, Any], key: str, field: _Field, *,
            smallest: float = -math.inf) -> float:
    value = entry[key]
    if not _is_number(value) or value < smallest:
        expected = ("a finite number" if smallest == -math.inf
                    else f"a finite number of at least {smallest:.3g}")
        raise field.fail(expected, value, f".{key}")
    return float(value)


def _numeric_column(name: str, entry: Mapping[str, Any], field: _Field) -> NumericColumn:
    _keys(entry, ("name", "kind", "median", "mean", "std"), field)
    median = None if entry["median"] is None else _number(entry, "median", field)
    return NumericColumn(name, _number(entry, "mean", field),
                         _number(entry, "std", field, smallest=SMALLEST_STD), median)


def _category_column(name: str, entry: Mapping[str, Any], field: _Field) -> CategoryColumn:
    _keys(entry, ("name", "kind", "categories", "missing_label"), field)
    categories = entry["categories"]
    expected = (f"a list of 1 to {MAX_STORED_CATEGORIES:,} distinct texts in sorted order")
    if not isinstance(categories, list) or not 0 < len(categories) <= MAX_STORED_CATEGORIES:
        found = f"a list of {len(categories):,}" if isinstance(categories, list) else categories
        raise field.fail(expected, found, ".categories")
    for position, category in enumerate(categories):
        if not isinstance(category, str) or "\x00" in category:
            raise field.fail(expected, category, f".categories[{position}]")
        if position and not categories[position - 1] < category:
            why = " (this one repeats)" if categories[position - 1] == category else ""
            raise field.fail(expected + why, category, f".categories[{position}]")
    missing_label = entry["missing_label"]
    if missing_label is not None and (not isinstance(missing_label, str)
                                      or missing_label not in categories):
        raise field.fail("null or one of the column's categories", missing_label,
                         ".missing_label")
    return CategoryColumn(name, tuple(categories), missing_label)


# A kind's name -> the function that checks its stored dict and builds the column.
BUILDERS: dict[str, Callable[[str, Mapping[str, Any], _Field], FeatureColumn]] = {
    NUMERIC: _numeric_column,
    CATEGORY: _category_column,
}


def columns_from_metadata(stored: Any, *, source: str) -> list[FeatureColumn]:
    """The feature columns a model file describes (its metadata's ``columns``), each checked;
    ModelFormatError naming the first field that is wrong (``columns[2].std``)."""
    whole = _Field(source, "columns")
    expected = f"a list of 1 to {MAX_STORED_COLUMNS:,} column descriptions"
    if not isinstance(stored, list) or not 0 < len(stored) <= MAX_STORED_COLUMNS:
        raise whole.fail(expected, f"a list of {len(stored):,}" if isinstance(stored, list)
                         else stored)
    columns: list[FeatureColumn] = []
    names: set[str] = set()
    width = 0
    for position, entry in enumerate(stored):
        field = _Field(source, f"columns[{position}]")
        if not isinstance(entry, dict):
            raise field.fail("a dict describing one column", entry)
        kind = entry.get("kind")
        if not isinstance(kind, str) or kind not in BUILDERS:
            raise field.fail(f"one of {tuple(BUILDERS)}", kind, ".kind")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or "\x00" in name or name in names:
            raise field.fail("a non-empty name no other column has", name, ".name")
        names.add(name)
        column = BUILDERS[kind](name, entry, field)
        width += column.width
        if width > MAX_INPUT_WIDTH:
            raise whole.fail(f"columns of at most {MAX_INPUT_WIDTH:,} network inputs in all",
                             f"{width:,} inputs by column {position}")
        columns.append(column)
    return columns


def input_width(columns: list[FeatureColumn]) -> int:
    """The number of network inputs the columns make."""
    return sum(column.width for column in columns)
