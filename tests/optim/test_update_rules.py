"""Each optimizer's 25-step trajectory against the reference written from the published
pseudo-code, in float64; plus the properties the in-place implementation promises."""

from __future__ import annotations

import contextlib
import importlib
import tracemalloc

import numpy as np
import pytest
from optim_cases import (
    CASES,
    PARAMETRIZED_CASES,
    make_parameters,
    max_relative_error,
    run_glassnet,
)
from optim_reference import REFERENCES, initial_weights, run_reference

import glassnet as gn
import glassnet.optim as optim
from glassnet.nn import Parameter

STEPS = 25
TOLERANCE = 1e-12  # PyTorch parity needs 1e-6; the same float64 arithmetic agrees to ~1e-15

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_trajectory_matches_reference(name, options, update_path):
    params = make_parameters()
    run_glassnet(getattr(optim, name)(params, **options), params, STEPS)
    reference = [REFERENCES[name](**options) for _ in params]
    expected = run_reference(reference, initial_weights(), STEPS)
    for param, start, target in zip(params, initial_weights(), expected, strict=True):
        assert np.all(np.isfinite(target))
        assert np.max(np.abs(target - start)) > 1e-3  # the test problem really moved
        assert max_relative_error(param.data, target) < TOLERANCE


GROUP_OPTIONS = {
    "SGD": ({"lr": 0.01}, {"lr": 2e-3, "momentum": 0.9, "weight_decay": 0.1}),
    "Adam": ({"lr": 0.01}, {"lr": 0.03, "amsgrad": True}),
    "AdamW": ({"lr": 0.01, "weight_decay": 0.3}, {"lr": 0.002}),
    "RMSprop": ({"lr": 0.01, "centered": True}, {"lr": 0.003, "momentum": 0.5}),
    "Adagrad": ({"lr": 0.2}, {"lr": 0.05, "lr_decay": 0.1}),
}


@pytest.mark.parametrize("name", list(GROUP_OPTIONS))
def test_parameter_groups_use_their_own_hyperparameters(name, update_path):
    weight_options, bias_options = GROUP_OPTIONS[name]
    weight, bias = make_parameters()
    optimizer = getattr(optim, name)(
        [{"params": [weight], **weight_options}, {"params": [bias], **bias_options}]
    )
    run_glassnet(optimizer, [weight, bias], STEPS)
    reference = [REFERENCES[name](**weight_options), REFERENCES[name](**bias_options)]
    expected_weight, expected_bias = run_reference(reference, initial_weights(), STEPS)
    assert max_relative_error(weight.data, expected_weight) < TOLERANCE
    assert max_relative_error(bias.data, expected_bias) < TOLERANCE
    assert optimizer.param_groups[1]["lr"] == bias_options["lr"]


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_float32_stays_float32_and_updates_in_place(name, options, update_path):
    params = make_parameters(np.float32)
    arrays = [p.data for p in params]
    optimizer = getattr(optim, name)(params, **options)
    run_glassnet(optimizer, params, 2)
    buffers = {
        (id(p), key): value
        for p in params
        for key, value in optimizer.state.get(p, {}).items()
        if isinstance(value, np.ndarray)
    }
    run_glassnet(optimizer, params, 5)
    for param, array in zip(params, arrays, strict=True):
        assert param.data is array
        assert param.data.dtype == np.float32
        for value in optimizer.state.get(param, {}).values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
    for param in params:
        for key, value in optimizer.state.get(param, {}).items():
            if isinstance(value, np.ndarray):
                assert buffers[(id(param), key)] is value  # state is updated, not replaced


def test_float32_trajectory_stays_close_to_float64():
    params32, params64 = make_parameters(np.float32), make_parameters(np.float64)
    run_glassnet(optim.Adam(params32, lr=0.01), params32, STEPS)
    run_glassnet(optim.Adam(params64, lr=0.01), params64, STEPS)
    for low, high in zip(params32, params64, strict=True):
        assert max_relative_error(low.data.astype(np.float64), high.data) < 1e-4


def traced_peak_bytes(action) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_fast_steps_allocate_no_parameter_sized_arrays(name, options):
    """The fast updates (gn.fast_paths on, the default) compute in a shared workspace; the
    references allocate their temporaries as the formulas read."""
    param = Parameter(np.linspace(-1, 1, 200_000, dtype=np.float32), dtype=np.float32)
    param.grad = np.cos(3 * param.data) + 0.5
    optimizer = getattr(optim, name)([param], **options)
    optimizer.step()
    optimizer.step()  # buffers now exist
    array_bytes = param.data.nbytes
    # tracemalloc sees NumPy's array memory: the naive update allocates a full array
    naive_peak = traced_peak_bytes(lambda: param.data - 0.1 * param.grad)
    assert naive_peak >= array_bytes
    assert traced_peak_bytes(lambda: [optimizer.step() for _ in range(3)]) < array_bytes // 10


def test_parameters_without_gradient_are_skipped():
    used, unused = make_parameters()
    before = unused.data.copy()
    optimizer = optim.Adam([used, unused], lr=0.1)
    used.grad = np.ones_like(used.data)
    optimizer.step()
    np.testing.assert_array_equal(unused.data, before)
    assert unused not in optimizer.state
    assert optimizer.state[used]["step"] == 1


def test_training_through_autograd_matches_reference():
    rng = np.random.default_rng(7)
    inputs, targets = rng.normal(size=(16, 3)), rng.normal(size=16)
    weight = Parameter(np.zeros(3), dtype=np.float64)
    optimizer = optim.Adam([weight], lr=0.05)
    x, y = gn.tensor(inputs, dtype=np.float64), gn.tensor(targets, dtype=np.float64)
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = ((x @ weight - y) ** 2).mean()
        loss.backward()
        optimizer.step()

    def mse_gradient(w):
        return [2 / len(targets) * inputs.T @ (inputs @ w - targets)]

    (expected,) = run_reference([REFERENCES["Adam"](lr=0.05)], [np.zeros(3)], STEPS, mse_gradient)
    assert max_relative_error(weight.data, expected) < TOLERANCE


def test_closure_is_evaluated_and_its_loss_returned():
    (weight,) = [Parameter(np.array([3.0]), dtype=np.float64)]
    optimizer = optim.SGD([weight], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 9.0
    assert weight.data[0] == 3.0 - 0.25 * 6.0


def test_cases_cover_every_option():
    seen = {(name, key) for name, options in CASES for key in options}
    for name, expected in {
        "SGD": {"momentum", "dampening", "nesterov", "weight_decay", "maximize"},
        "Adam": {"amsgrad", "weight_decay", "maximize", "betas", "eps"},
        "AdamW": {"amsgrad", "weight_decay", "maximize"},
        "RMSprop": {"alpha", "centered", "momentum", "weight_decay", "maximize"},
        "Adagrad": {"lr_decay", "initial_accumulator_value", "eps", "weight_decay", "maximize"},
    }.items():
        assert {(name, key) for key in expected} <= seen


def test_first_fast_step_allocates_state_and_one_shared_scratch_array():
    params = [Parameter(np.ones(100_000, dtype=np.float32), dtype=np.float32) for _ in range(2)]
    for param in params:
        param.grad = np.full_like(param.data, 0.5)
    optimizer = optim.Adam(params)
    array_bytes = params[0].data.nbytes
    # exp_avg and exp_avg_sq for each parameter, and one scratch array that both share
    peak = traced_peak_bytes(optimizer.step)
    assert 5 * array_bytes <= peak < 5.5 * array_bytes


def test_sgd_steps_parameters_of_different_dtypes_in_one_group_each_in_its_own(update_path):
    """The fast update multiplies small parameters by lr as a 0-d array (see _blas.axpy); one
    group may mix dtypes, so each parameter must get lr in its own dtype (NumPy's value)."""
    dtypes = [np.float32, np.float64, np.float32, np.float16, np.float64]
    rng = np.random.default_rng(0)
    params = [Parameter(rng.normal(size=5).astype(dtype), dtype=dtype) for dtype in dtypes]
    grads = [rng.normal(size=5).astype(dtype) for dtype in dtypes]
    expected = [p.data - 0.3 * g for p, g in zip(params, grads, strict=True)]
    for param, grad in zip(params, grads, strict=True):
        param.grad = grad.copy()
    optim.SGD(params, lr=0.3).step()
    for param, want, dtype in zip(params, expected, dtypes, strict=True):
        assert param.data.dtype == dtype
        np.testing.assert_array_equal(param.data, want)


def test_sgd_small_parameters_follow_a_changed_lr_at_once(update_path):
    """The 0-d lr of small parameters is kept across steps: a new lr (set by hand or by a
    scheduler, in one group or another) must be used from the next step on."""
    first = Parameter(np.zeros(3, dtype=np.float32), dtype=np.float32)
    second = Parameter(np.zeros(3, dtype=np.float32), dtype=np.float32)
    optimizer = optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.5}], lr=0.1)
    expected_first, expected_second = np.zeros(3, np.float32), np.zeros(3, np.float32)
    for lr in (0.1, 0.1, 0.25, 1e-3):
        optimizer.param_groups[0]["lr"] = lr
        first.grad, second.grad = np.ones(3, np.float32), np.ones(3, np.float32)
        optimizer.step()
        expected_first -= np.float32(lr)
        expected_second -= np.float32(0.5)
        np.testing.assert_array_equal(first.data, expected_first)
        np.testing.assert_array_equal(second.data, expected_second)


UPDATES = {  # optimizer -> (its module, its reference update, its fast update)
    "SGD": ("sgd", "sgd_update", "sgd_update_fast"),
    "Adam": ("adam", "adam_update", "adam_update_fast"),
    "AdamW": ("adam", "adam_update", "adam_update_fast"),
    "RMSprop": ("rmsprop", "rmsprop_update", "rmsprop_update_fast"),
    "Adagrad": ("adagrad", "adagrad_update", "adagrad_update_fast"),
}


@pytest.mark.parametrize("name", list(UPDATES))
def test_the_switch_chooses_the_update_at_every_step(name, monkeypatch):
    module_name, reference_name, fast_name = UPDATES[name]
    module = importlib.import_module(f"glassnet.optim.{module_name}")
    taken = []
    for label, function_name in (("reference", reference_name), ("fast", fast_name)):
        original = getattr(module, function_name)

        def spy(*arguments, label=label, original=original):
            taken.append(label)
            return original(*arguments)

        monkeypatch.setattr(module, function_name, spy)
    params = make_parameters()
    optimizer = getattr(optim, name)(params, lr=1e-3)
    run_glassnet(optimizer, params, 1)
    with gn.fast_paths.disabled():
        run_glassnet(optimizer, params, 2)
    run_glassnet(optimizer, params, 1)
    assert taken == ["fast", "reference", "reference", "fast"]


@pytest.mark.parametrize(("name", "options"), PARAMETRIZED_CASES)
def test_fast_and_reference_updates_keep_the_same_state(name, options):
    """Switching paths mid-training continues the same trajectory: both read and write the same
    state, and they agree to rounding."""
    steps = {}
    for path in ("fast", "reference", "mixed"):
        params = make_parameters()
        optimizer = getattr(optim, name)(params, **options)
        for step in range(STEPS):
            reference_step = path == "reference" or (path == "mixed" and step % 2)
            with gn.fast_paths.disabled() if reference_step else contextlib.nullcontext():
                run_glassnet(optimizer, params, 1)
        steps[path] = [p.data for p in params]
        state = optimizer.state_dict()["state"]
        steps[path + " state"] = [state[i][key] for i in sorted(state) for key in sorted(state[i])]
    for path in ("reference", "mixed"):
        for fast, other in zip(steps["fast"], steps[path], strict=True):
            assert max_relative_error(other, fast) < TOLERANCE
        for fast, other in zip(steps["fast state"], steps[path + " state"], strict=True):
            np.testing.assert_allclose(other, fast, rtol=1e-9)
