"""Nested Python state ↔ (tensors, JSON), without pickle, round-tripping exactly.

Optimizer, scheduler and training states are dicts of dicts, lists, numbers and numpy arrays.
``flatten`` moves every array into a flat ``{name: array}`` dict (names are paths such as
``optim/state/0/exp_avg``) and turns the rest into JSON, with small tagged objects for what JSON
cannot say by itself::

    {"$array": "optim/state/0/exp_avg"}        an ndarray, stored as that tensor
    {"$array": "...", "$scalar": true}          a NumPy scalar (np.float32(0.9)), as a 0-d tensor
    {"$tuple": [...]}                           a tuple
    {"$dict": [[key, value], ...]}              a dict with non-string keys ({0: ...}) or "$" keys
    {"$float": "nan" | "inf" | "-inf"}          a non-finite float

``unflatten`` rebuilds the value; anything it does not recognise is a ``ModelFormatError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from glassnet.errors import ModelFormatError
from glassnet.io.format import dtype_code

_TAGS = {"$array", "$scalar", "$tuple", "$dict", "$float"}
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
MAX_DEPTH = 64


def flatten(value: Any, prefix: str) -> tuple[Any, dict[str, np.ndarray]]:
    """(JSON-able description, {tensor name: array}) for a nested value; names start ``prefix/``.

    Accepted: dict, list, tuple, str, int, float, bool, None, numpy arrays and numpy scalars.
    Anything else is a TypeError naming where it was found.
    """
    tensors: dict[str, np.ndarray] = {}
    return _encode(value, prefix, tensors, depth=0), tensors


def _unique_name(path: str, tensors: Mapping[str, np.ndarray]) -> str:
    name, counter = path, 1
    while name in tensors:  # keys 0 and "0" share a path; the placeholder keeps them apart
        name = f"{path}#{counter}"
        counter += 1
    return name


def _encode(value: Any, path: str, tensors: dict[str, np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"state nested more than {MAX_DEPTH} levels deep at {path!r}.")
    if isinstance(value, (np.ndarray, np.generic)):  # first: np.float64 is also a float
        array = np.asarray(value)
        dtype_code(array)  # TypeError for object, string, complex arrays
        name = _unique_name(path, tensors)
        tensors[name] = np.array(array, copy=True)
        if isinstance(value, np.generic):
            return {"$array": name, "$scalar": True}
        return {"$array": name}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, list):
        return [_encode(item, f"{path}/{i}", tensors, depth + 1) for i, item in enumerate(value)]
    if isinstance(value, tuple):
        items = [_encode(item, f"{path}/{i}", tensors, depth + 1) for i, item in enumerate(value)]
        return {"$tuple": items}
    if isinstance(value, dict):
        plain = all(isinstance(key, str) and not key.startswith("$") for key in value)
        if plain:
            return {
                key: _encode(item, f"{path}/{key}", tensors, depth + 1)
                for key, item in value.items()
            }
        pairs = []
        for key, item in value.items():
            encoded_key = _encode(key, f"{path}/<key>", tensors, depth + 1)
            if isinstance(encoded_key, dict) and "$array" in encoded_key:
                raise TypeError(
                    f"dict keys at {path!r} must not be arrays; got {type(key).__name__}."
                )
            pairs.append([encoded_key, _encode(item, f"{path}/{key}", tensors, depth + 1)])
        return {"$dict": pairs}
    raise TypeError(
        f"cannot store a {type(value).__name__} at {path!r}: states may hold dicts, lists, "
        "tuples, str, int, float, bool, None, numpy arrays and numpy scalars."
    )


def unflatten(description: Any, tensors: Mapping[str, np.ndarray]) -> Any:
    """Rebuild what ``flatten`` described; each tensor must be used exactly once."""
    used: set[str] = set()
    value = _decode(description, tensors, used, "", depth=0)
    unused = sorted(set(tensors) - used)
    if unused:
        raise ModelFormatError(f"tensors not referenced by the metadata: {', '.join(unused[:5])}.")
    return value


def _decode(
    item: Any, tensors: Mapping[str, np.ndarray], used: set[str], path: str, depth: int
) -> Any:
    where = path or "<root>"
    if depth > MAX_DEPTH + 1:
        raise ModelFormatError(f"state nested more than {MAX_DEPTH} levels deep at {where}.")
    if item is None or isinstance(item, (bool, str, int, float)):
        return item
    if isinstance(item, list):
        return [_decode(v, tensors, used, f"{path}/{i}", depth + 1) for i, v in enumerate(item)]
    if not isinstance(item, dict):
        raise ModelFormatError(f"unexpected {type(item).__name__} at {where}.")
    tags = set(item) & _TAGS
    if not tags:
        if any(key.startswith("$") for key in item):
            raise ModelFormatError(f"unknown tag among {sorted(item)} at {where}.")
        return {k: _decode(v, tensors, used, f"{path}/{k}", depth + 1) for k, v in item.items()}
    if "$array" in tags:
        return _decode_array(item, tensors, used, where)
    if len(item) != 1:
        raise ModelFormatError(f"malformed tagged value {sorted(item)} at {where}.")
    (tag, content), = item.items()
    if tag == "$float":
        if content not in _SPECIAL_FLOATS:
            raise ModelFormatError(f"$float must be 'nan', 'inf' or '-inf' at {where}.")
        return _SPECIAL_FLOATS[content]
    if tag == "$tuple" and isinstance(content, list):
        return tuple(
            _decode(v, tensors, used, f"{path}/{i}", depth + 1) for i, v in enumerate(content)
        )
    if tag == "$dict" and isinstance(content, list):
        result = {}
        for pair in content:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ModelFormatError(f"$dict entries must be [key, value] pairs at {where}.")
            key = _decode(pair[0], tensors, used, f"{path}/<key>", depth + 1)
            try:
                result[key] = _decode(pair[1], tensors, used, f"{path}/{key}", depth + 1)
            except TypeError:  # an unhashable key such as a list
                raise ModelFormatError(f"unhashable dict key {key!r:.60} at {where}.") from None
        return result
    raise ModelFormatError(f"malformed {tag} at {where}.")


def _decode_array(
    item: dict, tensors: Mapping[str, np.ndarray], used: set[str], where: str
) -> Any:
    name, scalar = item["$array"], item.get("$scalar", False)
    if set(item) - {"$array", "$scalar"} or scalar is not True and "$scalar" in item:
        raise ModelFormatError(f"malformed $array reference at {where}.")
    if not isinstance(name, str) or name not in tensors:
        raise ModelFormatError(f"the metadata refers to a missing tensor {name!r:.80} at {where}.")
    if name in used:
        raise ModelFormatError(f"tensor {name!r} is referenced twice (second time at {where}).")
    used.add(name)
    array = tensors[name]
    if scalar:
        if array.ndim != 0:
            raise ModelFormatError(f"tensor {name!r} should be a scalar; has shape {array.shape}.")
        return array[()]
    return array
