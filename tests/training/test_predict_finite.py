"""predict refuses NaN and inf in X even when it finds them after the first layer (the fast
check for a Sequential starting with a Linear), and returns what model(x) returns otherwise."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.training import predict

BAD_VALUES = [pytest.param(np.nan, "Input X contains NaN.", id="nan"),
              pytest.param(np.inf, "Input X contains infinity.", id="inf"),
              pytest.param(-np.inf, "Input X contains infinity.", id="minus-inf")]  # fmt: skip


def mlp(dtype=np.float32, in_features=6) -> nn.Sequential:
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(in_features, 5), nn.ReLU(), nn.Linear(5, 3))
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(dtype)
    return model


def inputs(rows=20, features=6, dtype=np.float32, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, features)).astype(dtype)


def model_output(model, X):
    with gn.no_grad():
        return model.eval()(gn.tensor(X, dtype=X.dtype)).data


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("value, message", BAD_VALUES)
def test_every_position_of_a_bad_value_is_found(value, message, dtype):
    model, X = mlp(dtype), inputs(rows=9, dtype=dtype)
    for row in range(X.shape[0]):
        for column in range(X.shape[1]):
            bad = X.copy()
            bad[row, column] = value
            with pytest.raises(ValueError, match=re.escape(message)):
                predict(model, bad, batch_size=4)  # also in the batches after the first


@pytest.mark.parametrize("value, message", BAD_VALUES)
def test_found_where_the_checked_weights_are_zero_or_a_relu_would_hide_it(value, message):
    """Row 0 of the first weight has a zero where the bad value is (a BLAS may skip that term),
    and every weight is positive, so −inf gives −inf before the ReLU turns it into 0."""
    model, X = mlp(), inputs()
    weight = np.abs(model[0].weight.data) + 0.1
    weight[0, 2] = 0.0
    model[0].weight.data = weight
    X[7, 2] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        predict(model, X)


def test_first_layer_weights_full_of_zeros_fall_back_to_checking_X():
    model, X = mlp(), inputs()
    model[0].weight.data[:, 0] = 0.0  # no row of the weight without a zero
    np.testing.assert_array_equal(predict(model, X), model_output(model, X))
    X[3, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("Input X contains infinity.")):
        predict(model, X)


@pytest.mark.parametrize("where", ["model", "first layer"])
def test_hooks_and_other_models_are_checked_on_X(where):
    model, X = mlp(), inputs()
    calls = []
    (model if where == "model" else model[0]).register_forward_hook(
        lambda module, args, output: calls.append(1)
    )
    np.testing.assert_array_equal(predict(model, X, batch_size=8), model_output(model, X))
    assert calls  # the hook ran
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN.")):
        predict(model, X)


def test_a_model_that_does_not_start_with_linear_is_checked_on_X():
    model = nn.Sequential(nn.Tanh(), nn.Linear(6, 2))
    X = inputs()
    X[0, 0] = -np.inf
    with pytest.raises(ValueError, match=re.escape("Input X contains infinity.")):
        predict(model, X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size", [1, 7, 1024])
def test_predictions_equal_the_models_output(dtype, batch_size):
    model, X = mlp(dtype), inputs(rows=30, dtype=dtype)
    out = predict(model.train(), X, batch_size=batch_size)
    assert out.dtype == dtype and model.training  # the mode is restored
    # batch by batch: BLAS may round a product of 1 row and one of 30 rows differently
    batches = [model_output(model, X[i : i + batch_size]) for i in range(0, 30, batch_size)]
    np.testing.assert_array_equal(out, np.concatenate(batches))
    model.train()


def test_predictions_are_row_major_even_when_the_last_layer_is_wide():
    model = nn.Sequential(nn.Linear(4, 400))
    X = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    with gn.no_grad():
        raw = model(gn.tensor(X)).data
    out = predict(model, X)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, raw)
    in_batches = predict(model, X, batch_size=50)
    assert in_batches.flags.c_contiguous
    np.testing.assert_allclose(in_batches, raw, rtol=1e-6, atol=1e-6)


def test_inputs_with_extra_axes_are_checked_row_by_row():
    model = mlp()
    X = np.random.default_rng(0).normal(size=(4, 3, 6)).astype(np.float32)
    np.testing.assert_array_equal(predict(model, X), model_output(model, X))
    X[2, 1, 4] = np.nan
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN.")):
        predict(model, X)


def test_a_finite_X_that_overflows_the_model_is_not_refused():
    """inf in the output with a finite X is the model's doing, not bad input: returned as is,
    with the warnings model(x) gives."""
    model, X = mlp(), inputs()
    model[0].weight.data[...] = 1e30
    X[4] = 1e10
    with warnings.catch_warnings(record=True) as from_predict:
        warnings.simplefilter("always")
        out = predict(model, X)
    with warnings.catch_warnings(record=True) as from_model:
        warnings.simplefilter("always")
        expected = model_output(model, X)
    assert not np.isfinite(out[4]).all() and np.isfinite(out[:4]).all()
    np.testing.assert_array_equal(out, expected)
    assert [str(w.message) for w in from_predict] == [str(w.message) for w in from_model]


@pytest.mark.parametrize("value, message", BAD_VALUES)
def test_a_bad_value_raises_the_error_even_when_warnings_are_errors(value, message):
    model, X = mlp(), inputs()
    model[0].weight.data[:, 2] = 0.0  # inf·0: an invalid operation in the first product
    X[7, 2] = value
    with np.errstate(all="raise"), pytest.raises(ValueError, match=re.escape(message)):
        predict(model, X)


def test_a_value_too_large_for_the_models_dtype_is_named_as_such():
    model, X = mlp(), inputs(dtype=np.float64)
    X[2, 3] = 1e300  # finite in float64, inf in the model's float32
    with pytest.raises(ValueError, match="contains infinity or a value too large for float32"):
        predict(model, X)
