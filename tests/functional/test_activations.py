"""Activations: values against independent NumPy/SciPy formulas, gradients against finite
differences (float64)."""

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn
import glassnet.functional as F

FAST = settings(max_examples=20, deadline=None)


def leaf(values):
    return gn.tensor(values, requires_grad=True, dtype=np.float64)


def away_from_zero(values: np.ndarray) -> np.ndarray:
    """relu and leaky_relu have a kink at 0: keep finite differences off it."""
    return np.where(np.abs(values) < 0.01, values + 0.05, values)


ELEMENTWISE = [
    pytest.param(F.relu, lambda a: np.maximum(a, 0.0), id="relu"),
    pytest.param(F.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), id="leaky_relu"),
    pytest.param(
        lambda t: F.leaky_relu(t, negative_slope=0.2), lambda a: np.where(a > 0, a, 0.2 * a),
        id="leaky_relu-0.2",
    ),
    pytest.param(F.sigmoid, scipy.special.expit, id="sigmoid"),
    pytest.param(F.tanh, np.tanh, id="tanh"),
    pytest.param(F.softplus, lambda a: np.logaddexp(0.0, a), id="softplus"),
    pytest.param(
        F.gelu, lambda a: a * 0.5 * scipy.special.erfc(-a / math.sqrt(2.0)), id="gelu"
    ),
    pytest.param(
        lambda t: F.gelu(t, approximate="tanh"),
        lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3))),
        id="gelu-tanh",
    ),
]


@pytest.mark.parametrize("function, reference", ELEMENTWISE)
@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_elementwise_values_and_gradients(function, reference, shape, seed):
    values = away_from_zero(np.random.default_rng(seed).normal(scale=3.0, size=shape))
    x = leaf(values)
    out = function(x)
    assert out.shape == shape
    np.testing.assert_allclose(out.data, reference(values), rtol=1e-12, atol=1e-300)
    assert gn.gradcheck(function, [x])


def test_functions_accept_arrays_and_return_tensors():
    out = F.relu(np.array([-1.0, 2.0]))
    assert isinstance(out, gn.Tensor)
    np.testing.assert_array_equal(out.data, [0.0, 2.0])


def test_gelu_exact_matches_the_erf_formula_to_1e_12():
    """x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)); the left tail through erfc, which is 1 − erf
    without the cancellation."""
    x = np.concatenate([np.linspace(-10, 10, 2001), [-37.5, -30.0, -20.0, 20.0, 1e-8, -1e-8]])
    ours = F.gelu(gn.tensor(x, dtype=np.float64)).data
    with np.errstate(under="ignore"):
        center = x * 0.5 * (1.0 + scipy.special.erf(x / math.sqrt(2.0)))
        tail = x * 0.5 * scipy.special.erfc(-x / math.sqrt(2.0))
    reference = np.where(x < -1.0, tail, center)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=0)


def test_gelu_tanh_matches_pytorchs_formula_to_1e_12():
    x = np.linspace(-12, 12, 2401)
    ours = F.gelu(gn.tensor(x, dtype=np.float64), approximate="tanh").data
    reference = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-300)


def test_gelu_approximations_differ_slightly():
    x = gn.tensor(np.linspace(-3, 3, 61), dtype=np.float64)
    difference = np.abs(F.gelu(x).data - F.gelu(x, approximate="tanh").data)
    assert 0 < difference.max() < 1e-3


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(gn.tensor([1.0]), approximate="erf")


def test_gelu_gradient_in_the_tails():
    x = leaf(np.array([-8.0, -5.0, 5.0, 8.0]))
    assert gn.gradcheck(F.gelu, [x])
    assert gn.gradcheck(lambda t: F.gelu(t, approximate="tanh"), [x])


def softmax_axes():
    return st.sampled_from([0, 1, 2, -1, -2])


@FAST
@given(axis=softmax_axes(), seed=st.integers(0, 2**16))
def test_softmax_and_log_softmax_match_scipy(axis, seed):
    values = np.random.default_rng(seed).normal(scale=5.0, size=(2, 3, 4))
    x = gn.tensor(values, dtype=np.float64)
    np.testing.assert_allclose(
        F.softmax(x, axis=axis).data, scipy.special.softmax(values, axis=axis), rtol=1e-12
    )
    np.testing.assert_allclose(
        F.log_softmax(x, axis=axis).data, scipy.special.log_softmax(values, axis=axis), rtol=1e-12
    )


@pytest.mark.parametrize(
    "function",
    [
        pytest.param(F.softmax, id="softmax"),
        pytest.param(F.log_softmax, id="log_softmax"),
    ],
)
@pytest.mark.parametrize("axis", [0, 1, -1], ids=["axis0", "axis1", "axis-1"])
def test_softmax_family_gradients(function, axis, rng):
    x = leaf(rng.normal(size=(3, 4)))
    assert gn.gradcheck(lambda t: function(t, axis=axis), [x])


def test_softmax_rows_sum_to_one(rng):
    out = F.softmax(gn.tensor(rng.normal(size=(5, 7)), dtype=np.float64))
    np.testing.assert_allclose(out.data.sum(axis=-1), np.ones(5), rtol=1e-14)


@pytest.mark.parametrize(
    "axis",
    [
        pytest.param(None, id="all"),
        pytest.param(0, id="axis0"),
        pytest.param(-1, id="axis-1"),
        pytest.param((0, 2), id="axes-0-2"),
        pytest.param((-1, -2), id="axes-negative"),
    ],
)
@pytest.mark.parametrize("keepdims", [False, True], ids=["dropdims", "keepdims"])
def test_logsumexp_matches_scipy_and_finite_differences(axis, keepdims, rng):
    values = rng.normal(scale=3.0, size=(2, 3, 4))
    x = leaf(values)
    out = F.logsumexp(x, axis=axis, keepdims=keepdims)
    expected = scipy.special.logsumexp(values, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims), [x])


def test_logsumexp_default_axis_is_the_last():
    values = np.arange(6.0).reshape(2, 3)
    out = F.logsumexp(gn.tensor(values, dtype=np.float64))
    np.testing.assert_allclose(out.data, scipy.special.logsumexp(values, axis=-1), rtol=1e-14)
