"""The Optimizer base: parameter groups, zero_grad, input errors, and state_dict round trips
through the formats glassnet saves (arrays in safetensors, everything else in JSON)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from optim_cases import PARAMETRIZED_CASES, make_parameters, run_glassnet
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

import glassnet.optim as optim
from glassnet.errors import ShapeError
from glassnet.nn import Parameter


def through_files(state_dict: dict) -> dict:
    """What a checkpoint gives back: arrays through safetensors, the rest through JSON (so int
    keys come back as strings and tuples as lists). Fails if anything is not plain data."""
    arrays: dict[str, np.ndarray] = {}

    def split(value, path):
        if isinstance(value, np.ndarray):
            arrays[path] = value
            return {"__array__": path}
        if isinstance(value, dict):
            return {str(key): split(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [split(item, f"{path}.{index}") for index, item in enumerate(value)]
        assert value is None or type(value) in (bool, int, float, str), type(value)
        return value

    text = json.dumps(split(state_dict, "root"))
    loaded_arrays = load_arrays(save_arrays(arrays))

    def join(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                return loaded_arrays[value["__array__"]]
            return {key: join(item) for key, item in value.items()}
        if isinstance(value, list):
            return [join(item) for item in value]
        return value

    return join(json.loads(text))


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_state_dict_round_trip_continues_identically(name, options, dtype):
    uninterrupted = make_parameters(dtype)
    run_glassnet(getattr(optim, name)(uninterrupted, **options), uninterrupted, 25)

    first_half = make_parameters(dtype)
    optimizer = getattr(optim, name)(first_half, **options)
    run_glassnet(optimizer, first_half, 10)
    saved = through_files(optimizer.state_dict())
    run_glassnet(optimizer, first_half, 3)  # later steps must not change what was saved

    resumed = [Parameter(p.data.copy(), dtype=dtype) for p in make_parameters(dtype)]
    replay = getattr(optim, name)(resumed, **options)
    run_glassnet(replay, resumed, 10)  # the same weights as first_half had when saved
    fresh = getattr(optim, name)(resumed, lr=123.0)  # hyperparameters come from the file
    fresh.load_state_dict(saved)
    run_glassnet(fresh, resumed, 15)
    for expected, actual in zip(uninterrupted, resumed, strict=True):
        np.testing.assert_array_equal(actual.data, expected.data)
        assert actual.data.dtype == dtype
    for param in resumed:
        for value in fresh.state.get(param, {}).values():
            assert not isinstance(value, np.ndarray) or value.dtype == dtype


def test_state_dict_layout_follows_pytorch():
    weight, bias = make_parameters()
    optimizer = optim.Adam([{"params": [weight]}, {"params": [bias], "lr": 0.5}], amsgrad=True)
    run_glassnet(optimizer, [weight, bias], 2)
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert set(state["state"]) == {0, 1}
    assert set(state["state"][1]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["state"][1]["step"] == 2
    assert [group["params"] for group in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.5
    assert state["param_groups"][0]["betas"] == (0.9, 0.999)


def test_sgd_without_momentum_keeps_no_state():
    params = make_parameters()
    optimizer = optim.SGD(params, lr=0.01)
    run_glassnet(optimizer, params, 3)
    assert optimizer.state_dict()["state"] == {}


def test_adagrad_creates_its_state_up_front():
    params = make_parameters()
    optimizer = optim.Adagrad(params, initial_accumulator_value=0.25)
    state = optimizer.state_dict()["state"]
    assert state[0]["step"] == 0
    np.testing.assert_array_equal(state[1]["sum"], np.full(4, 0.25))


def test_load_state_dict_rejects_mismatches_and_changes_nothing():
    weight, bias = make_parameters()
    optimizer = optim.Adam([weight, bias], lr=0.1)
    run_glassnet(optimizer, [weight, bias], 2)
    saved = optimizer.state_dict()
    other = optim.Adam([bias, weight], lr=0.7)  # same count, shapes swapped
    with pytest.raises(ShapeError, match=r"shape \(3, 4\).*shape \(4,\)"):
        other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == 0.7 and other.state == {}
    with pytest.raises(ValueError, match="2 parameters; this optimizer's has 1"):
        optim.Adam([weight]).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter groups; this optimizer has 2"):
        optim.Adam([{"params": [weight]}, {"params": [bias]}]).load_state_dict(saved)


def test_zero_grad_sets_none_or_fills_zeros():
    weight, bias = make_parameters()
    optimizer = optim.SGD([weight, bias])
    weight.grad, bias.grad = np.ones((3, 4)), np.ones(4)
    kept = bias.grad
    optimizer.zero_grad(set_to_none=False)
    assert bias.grad is kept
    np.testing.assert_array_equal(bias.grad, 0.0)
    optimizer.zero_grad()
    assert weight.grad is None and bias.grad is None


def test_groups_take_missing_hyperparameters_from_defaults():
    weight, bias = make_parameters()
    optimizer = optim.SGD([{"params": weight}], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": [bias], "lr": 0.01, "note": "bias"})
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.01]
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert optimizer.param_groups[1]["note"] == "bias"
    assert optimizer.param_groups[0]["params"] == [weight]
    assert "Parameter Group 1" in repr(optimizer)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: optim.SGD(p, lr=-1), ValueError, "Invalid learning rate: -1.0; lr must be a"),
        (lambda p: optim.SGD(p, nesterov=True), ValueError, "Nesterov momentum needs"),
        (
            lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "dampening = 0",
        ),
        (
            lambda p: optim.Adam(p, betas=(0.9, 1.0)),
            ValueError,
            r"beta parameter at index 1: 1.0; betas\[1\] must be a finite number in \[0, 1\)",
        ),
        (lambda p: optim.RMSprop(p, alpha=-0.5), ValueError, "alpha must be a finite number >= 0"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), ValueError, "lr_decay must be a finite number"),
        (lambda p: optim.SGD([]), ValueError, "empty parameter list"),
        (lambda p: optim.SGD(p[0]), TypeError, "Wrap it in a list"),
        (lambda p: optim.SGD(set(p)), TypeError, "not a set"),
        (lambda p: optim.SGD([p[0], p[0]]), ValueError, "more than once"),
        (
            lambda p: optim.SGD([{"params": p}, {"params": p[:1]}]),
            ValueError,
            "more than one parameter group",
        ),
        (lambda p: optim.SGD([p[0].data]), TypeError, "got ndarray"),
    ],
)
def test_invalid_arguments_are_explained(make, error, message):
    with pytest.raises(error, match=message):
        make(make_parameters())


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda params: optim.Adam(params), id="adam"),
        pytest.param(lambda params: optim.SGD(params, lr=0.1), id="plain-sgd"),
        pytest.param(lambda params: optim.SGD(params, lr=0.1, momentum=0.9), id="momentum-sgd"),
    ],
)
def test_gradient_of_wrong_shape_is_an_error(make):
    weight, _ = make_parameters()
    weight.grad = np.ones((1, 4))  # would silently broadcast in an in-place update
    with pytest.raises(ShapeError, match=r"shape \(3, 4\) has a gradient of shape \(1, 4\)"):
        make([weight]).step()


def test_numpy_scalar_hyperparameters_are_saved_as_plain_numbers():
    params = make_parameters()
    optimizer = optim.SGD(params, lr=np.float32(0.5), momentum=np.float64(0.9))
    run_glassnet(optimizer, params, 2)
    saved = through_files(optimizer.state_dict())  # asserts every value is plain data
    assert saved["param_groups"][0]["lr"] == 0.5
    assert saved["state"]["0"]["momentum_buffer"].dtype == np.float64
