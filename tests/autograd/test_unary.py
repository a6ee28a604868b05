"""Element-wise Tensor methods: values against NumPy/SciPy, gradients against finite differences."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

FAST = settings(max_examples=20, deadline=None)

# Inputs keep 0.01 away from kinks (relu, abs, clip bounds) so finite differences are smooth.
UNARY = [
    pytest.param(lambda t: t.exp(), np.exp, (-3.0, 3.0), id="exp"),
    pytest.param(lambda t: t.log(), np.log, (0.1, 5.0), id="log"),
    pytest.param(lambda t: t.sqrt(), np.sqrt, (0.1, 5.0), id="sqrt"),
    pytest.param(lambda t: t.abs(), np.abs, (-3.0, 3.0), id="abs"),
    pytest.param(lambda t: abs(t), np.abs, (-3.0, 3.0), id="builtin-abs"),
    pytest.param(lambda t: t.tanh(), np.tanh, (-3.0, 3.0), id="tanh"),
    pytest.param(lambda t: t.sigmoid(), scipy.special.expit, (-8.0, 8.0), id="sigmoid"),
    pytest.param(lambda t: t.relu(), lambda a: np.maximum(a, 0), (-3.0, 3.0), id="relu"),
    pytest.param(lambda t: t.clip(-1.0, 0.5), lambda a: np.clip(a, -1.0, 0.5), (-3, 3), id="clip"),
    pytest.param(lambda t: t.clip(min=0.2), lambda a: np.maximum(a, 0.2), (-3, 3), id="clip-min"),
    pytest.param(lambda t: t.clip(max=0.2), lambda a: np.minimum(a, 0.2), (-3, 3), id="clip-max"),
]
KINKS = np.array([0.0, -1.0, 0.5, 0.2])


def away_from_kinks(values: np.ndarray) -> np.ndarray:
    near = np.min(np.abs(values[..., None] - KINKS), axis=-1) < 0.01
    return np.where(near, values + 0.05, values)


@pytest.mark.parametrize("op, reference, bounds", UNARY)
@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_unary_values_and_gradients(op, reference, bounds, shape, seed):
    values = away_from_kinks(np.random.default_rng(seed).uniform(*bounds, size=shape))
    x = gn.tensor(values, requires_grad=True, dtype=np.float64)
    out = op(x)
    assert out.shape == shape
    np.testing.assert_allclose(out.data, reference(values), rtol=1e-13, atol=1e-300)
    assert gn.gradcheck(op, [x])


@pytest.mark.parametrize(
    "op, expected",
    [
        pytest.param(lambda t: t.abs(), [-1.0, 0.0, 1.0], id="abs"),
        pytest.param(lambda t: t.relu(), [0.0, 0.0, 1.0], id="relu"),
        pytest.param(lambda t: t.clip(0.0, 1.0), [0.0, 1.0, 1.0], id="clip-bounds-inclusive"),
    ],
)
def test_gradient_at_the_kink_follows_pytorch(op, expected):
    x = gn.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    op(x).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize(
    "dtype, limit, rtol", [(np.float32, 79.0, 3e-6), (np.float64, 699.0, 1e-13)]
)
def test_sigmoid_value_and_slope_keep_relative_precision_wherever_exp_is_normal(
    dtype, limit, rtol
):
    values = np.concatenate([np.linspace(-limit, limit, 2001), [-20.0, 20.0, 37.0, 45.0]])
    x = gn.tensor(values, dtype=dtype, requires_grad=True)
    with np.errstate(all="raise"):
        y = x.sigmoid()
        y.sum().backward()
    exact = values.astype(dtype).astype(np.float64)
    np.testing.assert_allclose(y.data, scipy.special.expit(exact), rtol=rtol)
    slope = scipy.special.expit(exact) * scipy.special.expit(-exact)
    np.testing.assert_allclose(x.grad, slope, rtol=rtol)


@pytest.mark.parametrize(
    "values",
    [
        [np.nan, 100.0], [np.nan, -100.0], [1.0, np.nan],
        [np.nan] * 20 + [-100.0], [1.0] * 20 + [np.nan],
    ],
)
def test_sigmoid_with_nan_beside_large_values_raises_no_floating_point_error(values):
    x = gn.tensor(values, dtype=np.float32, requires_grad=True)
    with np.errstate(all="raise"):
        y = x.sigmoid()
        y.sum().backward()
    values = np.array(values)
    finite = ~np.isnan(values)
    assert np.all(np.isnan(y.data[~finite])) and np.all(np.isnan(x.grad[~finite]))
    expected = scipy.special.expit(values[finite].astype(np.float32).astype(np.float64))
    subnormal_step = np.finfo(np.float32).smallest_subnormal  # σ(−100) is a float32 subnormal
    np.testing.assert_allclose(y.data[finite], expected, rtol=3e-6, atol=subnormal_step)


def test_sigmoid_is_accurate_in_both_tails():
    values = np.array([-700.0, -89.0, -40.0, -1.0, 0.0, 1.0, 40.0, 700.0])
    out = gn.tensor(values, dtype=np.float64).sigmoid()
    np.testing.assert_allclose(out.data, scipy.special.expit(values), rtol=1e-13)
