"""flatten / unflatten: nested optimizer-style state through (tensors, JSON) and back, exactly."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from glassnet.io.nested import flatten, unflatten


def round_trip(value: Any, prefix: str = "optim") -> Any:
    description, tensors = flatten(value, prefix)
    text = json.dumps(description, allow_nan=False)  # what the file stores: strict JSON
    return unflatten(json.loads(text), {k: v.copy() for k, v in tensors.items()})


def test_adam_like_state_round_trips_with_readable_tensor_names(assert_same):
    state = {
        "state": {0: {"step": 12, "exp_avg": np.arange(6.0).reshape(2, 3),
                      "exp_avg_sq": np.full(3, 1e-300)},
                  1: {"step": np.int64(12), "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                          "amsgrad": False, "params": [0, 1], "name": None}],
    }
    description, tensors = flatten(state, "optim")
    assert sorted(tensors) == ["optim/state/0/exp_avg", "optim/state/0/exp_avg_sq",
                               "optim/state/1/step"]
    assert_same(round_trip(state), state)


def test_special_values_round_trip(assert_same):
    state = {
        "floats": [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308],
        "big_int": 2**127 + 1,  # PCG64's state is a 128-bit integer
        "scalars": [np.float32(0.1), np.float64(0.1), np.int8(-3), np.bool_(True),
                    np.uint64(2**64 - 1), np.float16(1.5)],
        "arrays": [np.zeros((0, 3)), np.array(7), np.array([True, False]),
                   np.arange(4, dtype=np.int32)[::2], np.asfortranarray(np.ones((2, 3)))],
        "keys": {0: "int", "0": "str", 1.5: "float", None: "none", True: "bool",
                 (1, "a"): "tuple", "$dollar": "escaped"},
        "nested": ((), [], {}, [[[]]], ("a", ("b",))),
        "text": "ünïcode \"quoted\" {$array}",
        "tag_lookalike": {"$array": "not really"},
    }
    assert_same(round_trip(state), state)


def test_rng_state_round_trips_and_restores_the_same_stream():
    gn.manual_seed(5)
    gn.random.default_generator().normal(size=3)
    state = gn.random.get_rng_state()
    restored = round_trip({"rng": state})["rng"]
    assert restored == state
    expected = gn.random.default_generator().normal(size=4)
    gn.random.set_rng_state(restored)
    assert gn.random.default_generator().normal(size=4).tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"tensor": gn.tensor([1.0])}, "cannot store a Tensor at 'optim/tensor'"),
        ({"f": lambda: 0}, "cannot store a function"),
        ({"s": {1, 2}}, "cannot store a set"),
        ({"a": np.array(["x"])}, "arrays of dtype <U1 cannot be stored"),
        ({"a": np.array([1 + 2j])}, "arrays of dtype complex128 cannot be stored"),
        ({"a": np.array([None], dtype=object)}, "arrays of dtype object cannot be stored"),
        ({np.array([1]).tobytes(): 1}, "cannot store a bytes"),
    ],
)
def test_unsupported_values_are_type_errors_naming_the_place(value, message):
    with pytest.raises(TypeError, match=message):
        flatten(value, "optim")


@pytest.mark.parametrize(
    ("description", "tensors", "message"),
    [
        ({"$array": "missing"}, {}, "missing tensor 'missing'"),
        ([{"$array": "a"}, {"$array": "a"}], {"a": np.ones(1)}, "referenced twice"),
        ({"x": 1}, {"stray": np.ones(1)}, "not referenced by the metadata: stray"),
        ({"$array": "a", "$scalar": True}, {"a": np.ones(2)}, "should be a scalar"),
        ({"$float": "pi"}, {}, "must be 'nan', 'inf' or '-inf'"),
        ({"$tuple": 3}, {}, "malformed \\$tuple"),
        ({"$dict": [[1]]}, {}, r"must be \[key, value\] pairs"),
        ({"$dict": [[[1, 2], "v"]]}, {}, "unhashable dict key"),
        ({"$eval": "__import__('os')"}, {}, "unknown tag"),
        ({"$tuple": [], "$float": "nan"}, {}, "malformed tagged value"),
    ],
)
def test_malformed_descriptions_are_model_format_errors(description, tensors, message):
    with pytest.raises(gn.ModelFormatError, match=message):
        unflatten(description, tensors)


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(np.float32, st.floats(width=32)),
    st.builds(lambda shape, seed: np.random.default_rng(seed).normal(size=shape),
              st.lists(st.integers(0, 3), max_size=3).map(tuple), st.integers(0, 100)),
)
_keys = st.one_of(st.text(max_size=4), st.integers(-5, 5))
_states = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_keys, children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_states)
def test_any_nested_state_round_trips_exactly(assert_same, state):
    assert_same(round_trip(state), state)
