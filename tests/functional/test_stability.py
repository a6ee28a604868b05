"""Extreme inputs: finite values and gradients with every warning and floating-point event
raised as an error, and SciPy's values to 1e-12 in float64 wherever they are representable."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import scipy.special

import glassnet as gn
import glassnet.functional as F


@contextmanager
def strict_floating_point() -> Iterator[None]:
    """Every warning and every NumPy floating-point event (even underflow) becomes an error.

    Only glassnet runs inside it; the references and the comparisons run outside.
    """
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield

MAGNITUDES = [1e4, 710.0, 89.0, 0.0]
DTYPES = [pytest.param(np.float32, id="float32"), pytest.param(np.float64, id="float64")]
TARGET_PROBABILITIES = np.array([[1.0, 0.0, 0.3, 1.0, 0.0, 0.5]])
SOFT_TARGET = np.array([[0.1, 0.2, 0.3, 0.1, 0.2, 0.1]])


def extreme_row(magnitude: float) -> np.ndarray:
    """One row with ±magnitude, half of it, and ordinary values: (1, 6)."""
    return np.array([[magnitude, -magnitude, magnitude / 2, -magnitude / 2, 0.0, 1.0]])


def quiet(function, *args, **kwargs):
    """SciPy's reference, its own underflows allowed."""
    with np.errstate(under="ignore"):
        return function(*args, **kwargs)


# (glassnet function of logits (1, 6), SciPy reference on the float64 array)
STABLE_FUNCTIONS = [
    pytest.param(F.sigmoid, lambda a: quiet(scipy.special.expit, a), id="sigmoid"),
    pytest.param(F.softplus, lambda a: -quiet(scipy.special.log_expit, -a), id="softplus"),
    pytest.param(
        lambda t: F.softmax(t, axis=-1), lambda a: quiet(scipy.special.softmax, a, axis=-1),
        id="softmax",
    ),
    pytest.param(
        lambda t: F.log_softmax(t, axis=-1),
        lambda a: quiet(scipy.special.log_softmax, a, axis=-1),
        id="log_softmax",
    ),
    pytest.param(
        lambda t: F.logsumexp(t, axis=-1), lambda a: quiet(scipy.special.logsumexp, a, axis=-1),
        id="logsumexp",
    ),
    pytest.param(
        lambda t: F.binary_cross_entropy_with_logits(t, TARGET_PROBABILITIES, reduction="none"),
        lambda a: -(
            TARGET_PROBABILITIES * quiet(scipy.special.log_expit, a)
            + (1 - TARGET_PROBABILITIES) * quiet(scipy.special.log_expit, -a)
        ),
        id="bce_with_logits",
    ),
    pytest.param(
        lambda t: F.cross_entropy(t, np.array([1]), reduction="none"),
        lambda a: -quiet(scipy.special.log_softmax, a, axis=-1)[:, 1],
        id="cross_entropy",
    ),
    pytest.param(
        lambda t: F.cross_entropy(t, np.array([4]), reduction="none", label_smoothing=0.1),
        lambda a: -(
            0.9 * quiet(scipy.special.log_softmax, a, axis=-1)[:, 4]
            + 0.1 * quiet(scipy.special.log_softmax, a, axis=-1).mean(axis=-1)
        ),
        id="cross_entropy-smoothed",
    ),
    pytest.param(
        lambda t: F.cross_entropy(t, SOFT_TARGET, reduction="none", label_smoothing=0.2),
        lambda a: -(
            (0.8 * SOFT_TARGET + 0.2 / 6) * quiet(scipy.special.log_softmax, a, axis=-1)
        ).sum(axis=-1),
        id="cross_entropy-probabilities",
    ),
]


def forward_and_backward(function, values: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """function(x) and the gradient of its sum, computed under strict floating point."""
    x = gn.tensor(values, requires_grad=True, dtype=dtype)
    with strict_floating_point():
        out = function(x)
        out.sum().backward()
    assert out.dtype == dtype
    assert x.grad.dtype == dtype
    return out.data, x.grad


@pytest.mark.parametrize("magnitude", MAGNITUDES, ids=lambda m: f"{m:g}")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function, reference", STABLE_FUNCTIONS)
def test_finite_values_and_gradients_at_extreme_inputs(function, reference, dtype, magnitude):
    values, gradient = forward_and_backward(function, extreme_row(magnitude), dtype)
    assert np.all(np.isfinite(values))
    assert np.all(np.isfinite(gradient))


@pytest.mark.parametrize("magnitude", MAGNITUDES, ids=lambda m: f"{m:g}")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function, reference", STABLE_FUNCTIONS)
def test_values_match_scipy(function, reference, dtype, magnitude):
    """float64: 1e-12 relative wherever SciPy's value is a normal number; float32: its own
    precision. Where the value underflows, ours must be as tiny."""
    values = extreme_row(magnitude)
    ours, _ = forward_and_backward(function, values, dtype)
    expected = reference(values)
    tiny = np.finfo(dtype).tiny
    normal = np.abs(expected) >= tiny
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours[normal], expected[normal], rtol=rtol, atol=0)
    assert np.all(np.abs(ours[~normal]) < tiny)


def test_sigmoid_and_softplus_keep_relative_precision_in_the_left_tail():
    """0.5·tanh(x/2) + 0.5 would give σ(−40) with relative error 1e-3, and σ(−89) as 0."""
    x = np.array([-700.0, -89.0, -40.0, -20.0])
    sigmoid, _ = forward_and_backward(F.sigmoid, x, np.float64)
    softplus, _ = forward_and_backward(F.softplus, x, np.float64)
    np.testing.assert_allclose(sigmoid, quiet(scipy.special.expit, x), rtol=1e-13)
    np.testing.assert_allclose(softplus, np.log1p(np.exp(x)), rtol=1e-13)


def test_softmax_of_large_nearly_equal_logits():
    """x − logsumexp(x) would lose |x|·2⁻⁵³ ≈ 1e-12 here; SciPy does not, nor may we."""
    values = np.array([[1e4, 1e4 - 1.0, 1e4 - 2.5]])
    log_softmax, _ = forward_and_backward(F.log_softmax, values, np.float64)
    softmax, _ = forward_and_backward(F.softmax, values, np.float64)
    np.testing.assert_allclose(log_softmax, scipy.special.log_softmax(values, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(softmax, scipy.special.softmax(values, axis=-1), rtol=1e-14)


MASKED = np.array([[0.5, -np.inf, 2.0, -np.inf], [-np.inf, 1.0, -1.0, 3.0]])
FINITE = np.isfinite(MASKED)
WEIGHTS = np.arange(8.0).reshape(2, 4)


def close(dtype) -> dict:
    return {"rtol": 1e-6 if dtype == np.float32 else 1e-14}


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_with_minus_inf_masks(dtype):
    x = gn.tensor(MASKED, requires_grad=True, dtype=dtype)
    with strict_floating_point():
        out = F.softmax(x)
        (out * WEIGHTS).sum().backward()
    np.testing.assert_allclose(out.data, scipy.special.softmax(MASKED, axis=-1), **close(dtype))
    assert np.all(out.data[~FINITE] == 0)
    assert np.all(np.isfinite(x.grad))
    assert np.all(x.grad[~FINITE] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_with_minus_inf_masks(dtype):
    x = gn.tensor(MASKED, requires_grad=True, dtype=dtype)
    with strict_floating_point():
        out = F.log_softmax(x)
        out[FINITE].sum().backward()
    expected = scipy.special.log_softmax(MASKED, axis=-1)
    assert np.all(out.data[~FINITE] == -np.inf)
    np.testing.assert_allclose(out.data[FINITE], expected[FINITE], **close(dtype))
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_with_minus_inf_masks(dtype):
    logsumexp, gradient = forward_and_backward(lambda t: F.logsumexp(t, axis=-1), MASKED, dtype)
    np.testing.assert_allclose(logsumexp, scipy.special.logsumexp(MASKED, axis=-1), **close(dtype))
    np.testing.assert_allclose(gradient, scipy.special.softmax(MASKED, axis=-1), **close(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_masked_wrong_classes(dtype):
    loss, gradient = forward_and_backward(lambda t: F.cross_entropy(t, [2, 3]), MASKED, dtype)
    expected = -scipy.special.log_softmax(MASKED, axis=-1)[[0, 1], [2, 3]].mean()
    np.testing.assert_allclose(loss, expected, **close(dtype))
    assert np.all(np.isfinite(gradient))
