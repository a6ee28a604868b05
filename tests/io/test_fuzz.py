"""Fuzz gn.load: thousands of mutated files each load into a working model or raise
ModelFormatError — never another exception, never a hang."""

from __future__ import annotations

import collections
import json
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet.io.format import DOCUMENT_KEY, encode_file
from glassnet.io.serialize import read_bundle

CASES = 3000
SECONDS_PER_CASE = 2.0
HOSTILE_VALUES: list[Any] = [
    -1, 0, 1, 2, 3, 5, 2**31, 2**63, 10**30, 0.5, -0.0, 1e308, "", "Linear", "Sequential", "ReLU",
    "Tanh", None, True, False, [], {}, [1, 2], {"type": "ReLU"}, "none", "tanh", "__import__",
]
JSON_CHARACTERS = b'{}[]":,0123456789-.eE tfn\\'


def _hostile(rng: np.random.Generator) -> Any:
    return HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]


def _split(data: bytes) -> tuple[dict, bytes]:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def _frame(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def _random_path(rng: np.random.Generator, tree: Any) -> list:
    """A path to a random node of a JSON tree (possibly the root's child)."""
    path: list = []
    node = tree
    while isinstance(node, (dict, list)) and node and (not path or rng.random() < 0.7):
        key = list(node)[rng.integers(len(node))] if isinstance(node, dict) else int(
            rng.integers(len(node)))
        path.append(key)
        node = node[key]
    return path


def _mutators(valid: bytes) -> list[Callable[[np.random.Generator], bytes]]:
    header, data_section = _split(valid)
    document = json.loads(header["__metadata__"][DOCUMENT_KEY])
    tensors = safetensors.numpy.load(valid)
    header_end = len(valid) - len(data_section)

    def flip_bits(rng):
        data = bytearray(valid)
        for _ in range(rng.integers(1, 5)):
            data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        return bytes(data)

    def overwrite_bytes(rng):
        data = bytearray(valid)
        start = int(rng.integers(len(data)))
        chunk = rng.integers(0, 256, size=int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        data[start : start + len(chunk)] = chunk
        return bytes(data[: len(valid)])

    def truncate(rng):
        return valid[: int(rng.integers(len(valid)))]

    def insert_bytes(rng):
        position = int(rng.integers(len(valid) + 1))
        chunk = rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
        return valid[:position] + chunk + valid[position:]

    def delete_bytes(rng):
        start = int(rng.integers(len(valid)))
        return valid[:start] + valid[start + int(rng.integers(1, 9)) :]

    def edit_header_length(rng):
        length = int.from_bytes(valid[:8], "little")
        choices = [0, 1, length - 1, length + 1, length + 8, 2**32, 2**64 - 1,
                   int(rng.integers(0, 2 * length))]
        new = choices[rng.integers(len(choices))]
        return new.to_bytes(8, "little") + valid[8:]

    def edit_header_text(rng):
        data = bytearray(valid)
        for _ in range(rng.integers(1, 4)):
            data[rng.integers(8, header_end)] = JSON_CHARACTERS[rng.integers(len(JSON_CHARACTERS))]
        return bytes(data)

    def edit_tensor_table(rng):
        table = json.loads(json.dumps(header))
        name = list(table)[rng.integers(1, len(table))]  # entry 0 is __metadata__
        field = ["dtype", "shape", "data_offsets"][rng.integers(3)]
        if field == "dtype":
            table[name]["dtype"] = str(rng.choice(["F64", "F16", "I64", "U8", "BOOL", "BF16", "X"]))
        elif field == "shape":
            table[name]["shape"] = [int(d) for d in rng.integers(0, 9, size=rng.integers(0, 4))]
        else:
            table[name]["data_offsets"] = [int(o) for o in rng.integers(0, len(data_section) + 9,
                                                                      size=2)]
        return _frame(table, data_section)

    def edit_document_signed(rng):
        edited = json.loads(json.dumps(document))
        path = _random_path(rng, edited)
        if not path:
            return encode_file(tensors, edited)
        parent = edited
        for key in path[:-1]:
            parent = parent[key]
        action = rng.integers(3)
        if action == 0 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == 1 and isinstance(parent, dict):
            parent["extra_" + str(rng.integers(3))] = _hostile(rng)
        else:
            parent[path[-1]] = _hostile(rng)
        return encode_file(tensors, edited)

    def edit_tensors_signed(rng):
        edited = dict(tensors)
        name = list(edited)[rng.integers(len(edited))]
        action = rng.integers(4)
        if action == 0:
            del edited[name]
        elif action == 1:
            shape = tuple(int(d) for d in rng.integers(0, 7, size=rng.integers(0, 3)))
            dtype = [np.float32, np.float64, np.int64, np.uint8][rng.integers(4)]
            edited[name] = np.zeros(shape, dtype)
        elif action == 2:  # same shape, extreme values: 1e38 loads, NaN and inf are refused
            shape, dtype = edited[name].shape, edited[name].dtype
            if dtype.kind == "f":
                edited[name] = rng.choice([np.inf, -np.inf, np.nan, 1e38, 0.0], size=shape)
                edited[name] = edited[name].astype(dtype)
            else:
                edited[name] = rng.integers(-(2**62), 2**62, size=shape).astype(dtype)
        else:
            edited["stowaway"] = np.zeros(3, np.float32)
        return encode_file(edited, document)

    return [flip_bits, overwrite_bytes, truncate, insert_bytes, delete_bytes, edit_header_length,
            edit_header_text, edit_tensor_table, edit_document_signed, edit_tensors_signed]


class _CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _CaseTimeout


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer (POSIX)")
def test_mutated_files_load_or_raise_model_format_error(model_file):
    valid = Path(model_file).read_bytes()
    mutators = _mutators(valid)
    rng = np.random.default_rng(2024)
    x = np.random.default_rng(0).normal(size=(4, 3))
    outcomes: collections.Counter[str] = collections.Counter()
    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for case in range(CASES):
            mutate = mutators[case % len(mutators)]
            data = mutate(rng)
            signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_CASE)
            try:
                bundle = read_bundle(data)
                with np.errstate(all="ignore"):
                    output = bundle.model(x)
                assert output.shape == (4, 2), f"case {case} ({mutate.__name__}): {output.shape}"
                outcomes["loaded"] += 1
            except gn.ModelFormatError as error:
                # Group messages by their words, numbers and quoted names removed.
                outcomes[re.sub(r"'[^']*'|\d+|\(.*", "", str(error))[:50]] += 1
            except _CaseTimeout:
                pytest.fail(f"case {case} ({mutate.__name__}) took over {SECONDS_PER_CASE} s")
            except Exception as error:
                pytest.fail(f"case {case} ({mutate.__name__}) raised {type(error).__name__}: "
                            f"{error}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
    assert sum(outcomes.values()) == CASES
    assert outcomes["loaded"] > 0  # some mutations (padding, values) leave a valid model
    assert len(outcomes) > 20, outcomes  # the mutations reach many different checks
