"""Raw table columns as ONNX graph inputs, encoded into the network input inside the graph.

The ``columns`` part of ``onnx_parts()`` lists a table's columns in the order the network input
lays them out (``glassnet.tabular`` writes it); each becomes one graph input of shape
(batch, 1), named after the column:

- ``{"name", "kind": "numeric", "median", "mean", "std"}``: a float32 input, NaN = missing. It
  contributes (x̃ − mean) / std with x̃ = median where x is NaN, then, when ``median`` is not
  None, the indicator 1.0 where x is NaN else 0.0 (unscaled). ``median`` None means the column
  had no missing cell at training, so there is nothing honest to impute: a NaN stays NaN
  (a regressor predicts NaN for that row; a classifier's probabilities are NaN and the
  graph refuses to give it a label, see ``_estimators``).
- ``{"name", "kind": "category", "categories", "missing_label"}``: a string input, "" =
  missing. It contributes one 0/1 entry per category, in the listed order: 1 where the cell
  equals the category, or where the cell is "" and the category is ``missing_label``. A cell
  equal to none of them (unseen at training; "" too when ``missing_label`` is None) gives zeros.

Input names are C identifiers (the ONNX IR asks for them): other characters become "_", a
leading digit gets the prefix "column_", clashes get "_1", "_2"; the model property
``input_columns`` (JSON) maps each input back to its column.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import onnx

from glassnet.onnx._graph import ML_DOMAIN, GraphBuilder, tensor_input

NUMERIC, CATEGORY = "numeric", "category"
_KEYS = {NUMERIC: {"name", "kind", "median", "mean", "std"},
         CATEGORY: {"name", "kind", "categories", "missing_label"}}
MISSING_CELL = ""  # what a missing category cell is in the graph's string input
COLUMNS_PROPERTY = "input_columns"


@dataclass(frozen=True)
class NumericColumn:
    """(x̃ − mean) / std, x̃ = median where x is NaN; then the NaN indicator if median is set."""

    name: str
    median: float | None
    mean: float
    std: float

    @property
    def width(self) -> int:
        return 1 if self.median is None else 2


@dataclass(frozen=True)
class CategoryColumn:
    """One 0/1 entry per category; "" counts as ``missing_label``; unseen cells give zeros."""

    name: str
    categories: tuple[str, ...]
    missing_label: str | None

    @property
    def width(self) -> int:
        return len(self.categories)


Column = NumericColumn | CategoryColumn


def _finite_number(value: Any, where: str, field: str) -> float:
    if not isinstance(value, Real) or isinstance(value, bool):
        raise TypeError(f"{where}[{field!r}] must be a number; got {type(value).__name__} "
                        f"{value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{where}[{field!r}] must be finite; got {value!r}.")
    return float(value)


def _numeric(entry: dict[str, Any], where: str) -> NumericColumn:
    median = entry["median"]
    if median is not None:
        median = _finite_number(median, where, "median")
    std = _finite_number(entry["std"], where, "std")
    if not np.float32(std) > 0:  # the graph divides in float32: a smaller std would give inf
        raise ValueError(f"{where}['std'] must be positive (and at least float32's smallest "
                         f"number); got {std!r}.")
    return NumericColumn(entry["name"], median, _finite_number(entry["mean"], where, "mean"), std)


def _category(entry: dict[str, Any], where: str) -> CategoryColumn:
    categories, missing_label = entry["categories"], entry["missing_label"]
    if not isinstance(categories, (list, tuple)) or not all(isinstance(c, str) for c in categories):
        raise TypeError(f"{where}['categories'] must be a list of strings; got {categories!r}.")
    if not categories:
        raise ValueError(f"{where}['categories'] is empty; a category column needs at least one.")
    if len(set(categories)) != len(categories):
        repeated = sorted({c for c in categories if categories.count(c) > 1})
        raise ValueError(f"{where}['categories'] lists {repeated} more than once.")
    if MISSING_CELL in categories:
        raise ValueError(f"{where}['categories'] holds the empty string, which the ONNX input "
                         "uses for a missing cell; name the missing cells' category in "
                         "'missing_label' instead.")
    if missing_label is not None and missing_label not in categories:
        raise ValueError(f"{where}['missing_label'] must be None or one of the categories; got "
                         f"{missing_label!r}, categories {list(categories)}.")
    return CategoryColumn(entry["name"], tuple(categories), missing_label)


def parse_columns(columns: Any) -> list[Column]:
    """The ``columns`` part checked: TypeError for a wrong structure, ValueError for values."""
    if not isinstance(columns, (list, tuple)) or not columns:
        raise TypeError(f"onnx_parts()['columns'] must be a non-empty list of dicts; got "
                        f"{columns!r:.80}.")
    parsed: list[Column] = []
    for index, entry in enumerate(columns):
        where = f"onnx_parts()['columns'][{index}]"
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if not isinstance(kind, str) or kind not in _KEYS:
            raise TypeError(f"{where} must be a dict with 'kind' {NUMERIC!r} or {CATEGORY!r}; "
                            f"got {entry!r:.120}.")
        if set(entry) != _KEYS[kind]:
            raise TypeError(f"{where} ({kind}) must have exactly the keys {sorted(_KEYS[kind])};"
                            f" got {sorted(entry)}.")
        if not isinstance(entry["name"], str):
            raise TypeError(f"{where}['name'] must be a string; got {entry['name']!r}.")
        parsed.append(_numeric(entry, where) if kind == NUMERIC else _category(entry, where))
    names = [column.name for column in parsed]
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"onnx_parts()['columns'] names {repeated} more than once.")
    return parsed


def input_name(column_name: str) -> str:
    """``column_name`` as a C identifier: "petal width (cm)" → "petal_width__cm_"."""
    identifier = re.sub(r"[^A-Za-z0-9_]", "_", column_name)
    return identifier if identifier[:1].isalpha() or identifier[:1] == "_" else \
        f"column_{identifier}"


def _numeric_nodes(b: GraphBuilder, column: NumericColumn, x: str) -> list[str]:
    if column.median is not None:
        missing = b.node("IsNaN", [x], f"{x}_IsNaN")
        x = b.node("Where", [missing, b.constant(f"{x}.median", column.median), x],
                   f"{x}_impute")
    centred = b.node("Sub", [x, b.constant(f"{x}.mean", column.mean)], f"{x}_Sub")
    pieces = [b.node("Div", [centred, b.constant(f"{x}.std", column.std)], f"{x}_Div")]
    if column.median is not None:
        pieces.append(b.cast(missing, np.float32, f"{x}_indicator"))
    return pieces


def _category_nodes(b: GraphBuilder, column: CategoryColumn, x: str) -> list[str]:
    """cell → its category's position (-1 if none) → == 0..K−1 → (batch, K) 0/1 floats."""
    keys, positions = list(column.categories), list(range(column.width))
    if column.missing_label is not None:
        keys.append(MISSING_CELL)
        positions.append(column.categories.index(column.missing_label))
    codes = b.node("LabelEncoder", [x], f"{x}_LabelEncoder", domain=ML_DOMAIN,
                   keys_strings=keys, values_int64s=positions, default_int64=-1)
    all_positions = b.constant(f"{x}.positions", np.arange(column.width), dtype=np.int64)
    matches = b.node("Equal", [codes, all_positions], f"{x}_Equal")
    return [b.cast(matches, np.float32, f"{x}_one_hot")]


def columns_to_input(
    b: GraphBuilder, columns: list[Column]
) -> tuple[list[onnx.ValueInfoProto], str, dict[str, str]]:
    """One graph input per column and the network input they make, (batch, Σ widths).

    Returns (graph inputs, the network input's value name, model properties naming the
    column behind each input). Call before adding other nodes, so inputs keep their names.
    """
    inputs, pieces, mapping = [], [], []
    for column in columns:
        name = b.unique(input_name(column.name))
        if isinstance(column, NumericColumn):
            missing = "NaN = missing" if column.median is not None else \
                "no missing values at training: NaN gives NaN"
            doc = f"column {column.name!r}: numeric, float32 ({missing})"
            inputs.append(tensor_input(name, onnx.TensorProto.FLOAT, [1], doc))
            pieces += _numeric_nodes(b, column, name)
        else:
            doc = f"column {column.name!r}: category, string (\"\" = missing)"
            inputs.append(tensor_input(name, onnx.TensorProto.STRING, [1], doc))
            pieces += _category_nodes(b, column, name)
        kind = NUMERIC if isinstance(column, NumericColumn) else CATEGORY
        mapping.append({"input": name, "column": column.name, "kind": kind})
    network_input = pieces[0] if len(pieces) == 1 else \
        b.node("Concat", pieces, "columns_Concat", axis=1)
    return inputs, network_input, {COLUMNS_PROPERTY: json.dumps(mapping, ensure_ascii=False)}
