"""Checks of values read from a model file's JSON: each returns the value, or raises
``ModelFormatError`` naming the field, what it must be and what it is.

JSON gives ints of any size (a 400-digit number), floats that overflowed to inf (``1e999``),
lists nested anywhere: nothing from a file reaches a constructor or NumPy before one of these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from glassnet.errors import ModelFormatError

Check = Callable[[Any, str], Any]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def refuse(field: str, requirement: str, value: Any) -> ModelFormatError:
    return ModelFormatError(f"{field} must be {requirement}; got {value!r:.60}.")


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(low: int = INT64_MIN, high: int = INT64_MAX) -> Check:
    def check(value: Any, field: str) -> int:
        if is_integer(value) and low <= value <= high:
            return value
        raise refuse(field, f"an integer from {low} to {high}", value)

    return check


def number(low: float = -math.inf, high: float = math.inf) -> Check:
    """A finite number from ``low`` to ``high``, returned as a float."""

    def check(value: Any, field: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            result = _as_float(value)
            if math.isfinite(result) and low <= result <= high:
                return result
        bounds = f" from {low} to {high}" if math.isfinite(low) or math.isfinite(high) else ""
        raise refuse(field, f"a finite number{bounds}", value)

    return check


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int too large for a float (a 400-digit number)
        return math.inf


def flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise refuse(field, "true or false", value)


def text(value: Any, field: str) -> str:
    if isinstance(value, str):
        return value
    raise refuse(field, "a string", value)


def optional(check: Check) -> Check:
    def check_or_none(value: Any, field: str) -> Any:
        return None if value is None else check(value, field)

    return check_or_none


def list_of(check: Check, length: int | None = None) -> Check:
    """A JSON list whose every item passes ``check`` (and of ``length`` items, if given)."""

    def check_list(value: Any, field: str) -> list[Any]:
        if not isinstance(value, list):
            raise refuse(field, "a list", value)
        if length is not None and len(value) != length:
            raise ModelFormatError(f"{field} must hold {length} values; it holds {len(value)}.")
        return [check(item, f"{field}[{i}]") for i, item in enumerate(value)]

    return check_list


def fields(
    record: Any, where: str, required: dict[str, Check], optional_fields: dict[str, Check]
) -> dict[str, Any]:
    """A JSON object's fields, each checked: the required ones present, no unknown ones."""
    if not isinstance(record, dict):
        raise refuse(where, "an object", record)
    missing = sorted(set(required) - set(record))
    if missing:
        raise ModelFormatError(f"{where}.{missing[0]} is missing.")
    unknown = sorted(set(record) - set(required) - set(optional_fields))
    if unknown:
        raise ModelFormatError(f"{where} holds unknown fields {unknown[:5]}.")
    checks = {**required, **optional_fields}
    return {name: checks[name](value, f"{where}.{name}") for name, value in record.items()}
