"""The table metadata ``glassnet train`` saves with a model, checked field by field on loading.

A model file comes from anywhere, so every field is checked before it is used: its type, that
its numbers are finite and in range, its length. A problem is a ModelFormatError that names the
field and says what was expected and what the file holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from glassnet.errors import ModelFormatError
from glassnet.tabular.columns import (
    SMALLEST_STD,
    FeatureColumn,
    NumericColumn,
    columns_from_metadata,
)
from glassnet.tabular.table import show

CLASSIFY = "classify"
REGRESS = "regress"
TASKS = (CLASSIFY, REGRESS)


def has_table_metadata(metadata: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` claims to describe a table model (``glassnet train`` wrote it)."""
    return "task" in metadata or "feature_names" in metadata or "columns" in metadata


def _shown(value: Any) -> str:
    return show(value) if isinstance(value, str) else show(repr(value))[1:-1]


def _is_number(value: Any) -> bool:
    """A finite JSON number (bool is not one)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


class _Checker:
    def __init__(self, metadata: Mapping[str, Any], source: str) -> None:
        self.metadata = metadata
        self.source = source

    def fail(self, field: str, expected: str, found: Any) -> ModelFormatError:
        return ModelFormatError(
            f"{self.source}: the table metadata's {field} should be {expected}; it is "
            f"{_shown(found)}."
        )

    def number(self, field: str, *, smallest: float = -math.inf) -> float:
        value = self.metadata.get(field)
        if not _is_number(value) or value < smallest:
            expected = ("a finite number" if smallest == -math.inf
                        else f"a finite number of at least {smallest:.3g}")
            raise self.fail(field, expected, value)
        return float(value)

    def numbers(self, field: str, length: int, *, smallest: float = -math.inf) -> list[float]:
        values = self.metadata.get(field)
        what = f"a list of {length} finite numbers" + (
            f" of at least {smallest:.3g}" if smallest > -math.inf else "")
        if not isinstance(values, list) or len(values) != length:
            found = f"a list of {len(values)}" if isinstance(values, list) else values
            raise self.fail(field, what, found)
        for position, value in enumerate(values):
            if not _is_number(value) or value < smallest:
                raise self.fail(f"{field}[{position}]", what, value)
        return [float(value) for value in values]

    def names(self) -> list[str]:
        names = self.metadata.get("feature_names")
        expected = "a non-empty list of distinct, non-empty names"
        if not isinstance(names, list) or not names:
            raise self.fail("feature_names", expected, names)
        seen: set[str] = set()
        for position, name in enumerate(names):
            if not isinstance(name, str) or not name.strip() or "\x00" in name or name in seen:
                raise self.fail(f"feature_names[{position}]", expected, name)
            seen.add(name)
        return names

    def classes(self) -> list[Any]:
        classes = self.metadata.get("classes")
        expected = "a flat list of at least two distinct labels, all text or all finite numbers"
        if not isinstance(classes, list) or len(classes) < 2:
            raise self.fail("classes", expected, classes)
        text = all(isinstance(label, str) for label in classes)
        for position, label in enumerate(classes):
            if text and "\x00" in label or not text and not _is_number(label):
                raise self.fail(f"classes[{position}]", expected, label)
        keys = classes if text else [float(label) for label in classes]  # 1 and 1.0 are one
        seen: set[Any] = set()
        for position, key in enumerate(keys):
            if key in seen:
                raise self.fail(f"classes[{position}]", expected + " (this one repeats)",
                                classes[position])
            seen.add(key)
        return classes


def check_table_metadata(metadata: Mapping[str, Any], *, source: str) -> list[FeatureColumn]:
    """The feature columns of a table model's metadata: its ``columns``, or (numbers only)
    ``feature_names`` / ``feature_mean`` / ``feature_std``. ModelFormatError naming the first
    field that is wrong."""
    checker = _Checker(metadata, source)
    task = metadata.get("task")
    if task not in TASKS:
        raise checker.fail("task", f"one of {TASKS}", task)
    if "columns" in metadata:
        for field in ("feature_names", "feature_mean", "feature_std"):
            if field in metadata:
                raise checker.fail(field, "absent (the metadata describes its columns)",
                                   metadata[field])
        columns: list[FeatureColumn] = columns_from_metadata(metadata["columns"], source=source)
    else:
        names = checker.names()
        mean = checker.numbers("feature_mean", len(names))
        std = checker.numbers("feature_std", len(names), smallest=SMALLEST_STD)
        columns = [NumericColumn(*column) for column in zip(names, mean, std, strict=True)]
    target = metadata.get("target")
    if target is not None and (not isinstance(target, str) or "\x00" in target):
        raise checker.fail("target", "a column name", target)
    if task == CLASSIFY:
        checker.classes()
    else:
        checker.number("target_mean")
        checker.number("target_std", smallest=SMALLEST_STD)
    return columns
