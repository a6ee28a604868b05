"""Values and gradients at extreme inputs, in float64, to 1e-12 relative.

tests/functional/test_stability.py checks one row per magnitude: values against SciPy, and that
gradients are finite. Here every gradient is compared with its closed form too, over a grid of
magnitudes (±1e4, ±710, ±89, the tails in between, 0) mixed within rows and with −inf masks, with
several upstream gradients, axes and reductions. glassnet runs with every NumPy floating-point
event and every warning raised as an error; SciPy computes the references outside of that.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp

import glassnet as gn
import glassnet.functional as F

TINY = np.finfo(np.float64).tiny
GRID = np.array([-1e4, -710.0, -89.0, -40.0, -20.0, -1.0, 0.0, 1.0, 20.0, 40.0, 89.0, 710.0,
                 1e4])
# Rows mixing the magnitudes, a few with −inf masks; no row is entirely masked.
ROWS = np.array([
    [1e4, 1e4 - 1.0, 1e4 - 2.5, -1e4],
    [710.0, 709.0, -710.0, 0.0],
    [89.0, -89.0, 0.0, -np.inf],
    [40.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [-1e4, -1e4 + 1.0, -np.inf, -np.inf],
    [-np.inf, 3.0, -np.inf, -2.0],
])
MASKED = ~np.isfinite(ROWS)
WEIGHTS = np.linspace(-1.5, 2.0, ROWS.size).reshape(ROWS.shape)  # an upstream gradient
with np.errstate(under="ignore"):
    SOFTMAX = sp.softmax(ROWS, axis=-1)


def strictly(function, values: np.ndarray, upstream=None) -> tuple[np.ndarray, np.ndarray]:
    """function(x) and its vector-Jacobian product with ``upstream`` (ones if None), under
    strict floating point."""
    x = gn.tensor(values, requires_grad=True, dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = function(x)
        out.backward(np.ones(out.shape) if upstream is None else upstream)
    assert out.dtype == np.float64 and x.grad.dtype == np.float64
    return out.data, x.grad


def assert_matches(ours: np.ndarray, expected: np.ndarray) -> None:
    """1e-12 relative wherever the reference is a normal number or infinite (then equal); where
    it underflows (|value| < tiny), ours must underflow too."""
    ours, expected = np.broadcast_to(ours, np.shape(expected)), np.asarray(expected)
    assert not np.isnan(ours).any()
    infinite = np.isinf(expected)
    assert np.array_equal(ours[infinite], expected[infinite])
    normal = (np.abs(expected) >= TINY) & ~infinite
    np.testing.assert_allclose(ours[normal], expected[normal], rtol=1e-12, atol=0)
    assert np.all(np.abs(ours[~normal & ~infinite]) < TINY)


def reference(function, *args, **kwargs):
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        return function(*args, **kwargs)


# -- element-wise ---------------------------------------------------------------------------
def test_sigmoid_and_its_gradient_sigma_x_times_sigma_minus_x():
    values = np.append(GRID, -np.inf)
    upstream = np.linspace(0.5, 2.0, values.size)
    ours, gradient = strictly(F.sigmoid, values, upstream)
    assert_matches(ours, reference(sp.expit, values))
    assert_matches(gradient, upstream * reference(lambda v: sp.expit(v) * sp.expit(-v), values))


def test_softplus_gradient_is_the_sigmoid():
    values = np.append(GRID, -np.inf)
    ours, gradient = strictly(F.softplus, values)
    assert_matches(ours, reference(np.logaddexp, 0.0, values))
    assert_matches(gradient, reference(sp.expit, values))


# -- along an axis --------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_its_gradient_s_times_w_minus_sum_sw(axis):
    rows = ROWS if axis == -1 else ROWS.T.copy()  # axis 0 sees the same rows as columns
    weights = WEIGHTS if axis == -1 else WEIGHTS.T.copy()
    softmax = SOFTMAX if axis == -1 else SOFTMAX.T
    ours, gradient = strictly(lambda t: F.softmax(t, axis=axis), rows, weights)
    assert_matches(ours, softmax)
    expected = softmax * (weights - (softmax * weights).sum(axis=axis, keepdims=True))
    assert_matches(gradient, expected)
    assert np.all(gradient[(MASKED if axis == -1 else MASKED.T)] == 0)


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_and_its_gradient_w_minus_softmax_times_sum_w(axis):
    rows = ROWS if axis == -1 else ROWS.T.copy()
    weights = WEIGHTS if axis == -1 else WEIGHTS.T.copy()
    softmax = SOFTMAX if axis == -1 else SOFTMAX.T
    ours, gradient = strictly(lambda t: F.log_softmax(t, axis=axis), rows, weights)
    assert_matches(ours, reference(sp.log_softmax, rows, axis=axis))
    assert_matches(gradient, weights - softmax * weights.sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis, keepdims", [(-1, False), (-1, True), (0, False), (None, False)])
def test_logsumexp_and_its_gradient_the_softmax(axis, keepdims):
    ours, gradient = strictly(lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims), ROWS)
    assert_matches(ours, reference(sp.logsumexp, ROWS, axis=axis, keepdims=keepdims))
    assert_matches(gradient, reference(sp.softmax, ROWS, axis=axis))


def test_logsumexp_of_large_nearly_equal_values_keeps_its_gradient_precise():
    """softmax = e^(x − logsumexp x) would carry logsumexp's rounding (|x|·2⁻⁵³ ≈ 1e-12 at
    x = 1e4) into the exponent; the gradient must not."""
    rows = 1e4 + np.array([[0.0, -0.3, -1.7, -2.9], [0.1, 0.2, 0.3, 0.4]])
    _, gradient = strictly(F.logsumexp, rows)
    assert_matches(gradient, sp.softmax(rows, axis=-1))


def test_logsumexp_of_an_all_masked_row_is_minus_inf_with_a_zero_gradient():
    rows = np.array([[-np.inf, -np.inf, -np.inf], [0.0, -np.inf, 1.0]])
    ours, gradient = strictly(F.logsumexp, rows)
    assert ours[0] == -np.inf and np.isclose(ours[1], np.logaddexp(0.0, 1.0), rtol=1e-15)
    assert np.all(gradient[0] == 0)
    assert_matches(gradient[1], sp.softmax(rows[1]))


# -- losses ---------------------------------------------------------------------------------
def scale_for(reduction: str, count: int) -> float:
    return 1.0 / count if reduction == "mean" else 1.0


def reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return losses.sum() / (losses.size if reduction == "mean" else 1)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("target", [0.0, 1.0, 0.25, 0.5])
def test_bce_with_logits_against_logaddexp_and_its_gradient(target, reduction):
    """ℓ = y·ln(1 + e⁻ˣ) + (1 − y)·ln(1 + eˣ);  ∂ℓ/∂x = (1 − y)·σ(x) − y·σ(−x), the form of
    σ(x) − y that keeps its relative precision when σ(x) rounds to y."""
    targets = np.full(GRID.shape, target)
    ours, gradient = strictly(
        lambda t: F.binary_cross_entropy_with_logits(t, targets, reduction=reduction), GRID
    )
    losses = target * np.logaddexp(0.0, -GRID) + (1 - target) * np.logaddexp(0.0, GRID)
    assert_matches(ours, reduce(losses, reduction))
    closed_form = reference(lambda v: (1 - target) * sp.expit(v) - target * sp.expit(-v), GRID)
    assert_matches(gradient, closed_form * scale_for(reduction, GRID.size))


CLASSES = np.array([0, 1, 1, 0, 2, 1, 3])  # never a masked class


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_cross_entropy_and_its_gradient_softmax_minus_onehot(reduction):
    """At the target, p − 1 is computed as −Σ_{j≠t} p_j, which keeps its relative precision
    when p rounds to 1 (a confident, right prediction)."""
    ours, gradient = strictly(lambda t: F.cross_entropy(t, CLASSES, reduction=reduction), ROWS)
    rows = np.arange(len(ROWS))
    log_probabilities = reference(sp.log_softmax, ROWS, axis=-1)
    assert_matches(ours, reduce(-log_probabilities[rows, CLASSES], reduction))
    expected = SOFTMAX.copy()
    others = SOFTMAX.copy()
    others[rows, CLASSES] = 0
    expected[rows, CLASSES] = -others.sum(axis=1)
    assert_matches(gradient, expected * scale_for(reduction, len(ROWS)))
    assert np.all(gradient[MASKED] == 0)


def test_cross_entropy_with_label_smoothing_gradient():
    smoothing, classes = 0.1, ROWS.shape[1]
    _, gradient = strictly(lambda t: F.cross_entropy(t, CLASSES, reduction="sum",
                                                     label_smoothing=smoothing), ROWS)
    rows = np.arange(len(ROWS))
    others = SOFTMAX.copy()
    others[rows, CLASSES] = 0
    expected = SOFTMAX - smoothing / classes
    expected[rows, CLASSES] = smoothing - smoothing / classes - others.sum(axis=1)
    assert_matches(gradient, expected)


def test_cross_entropy_with_soft_targets_gradient():
    finite = ROWS[:5]  # probability targets put weight on every class: no masks
    targets = np.array([[0.1, 0.2, 0.3, 0.4]] * len(finite))
    ours, gradient = strictly(lambda t: F.cross_entropy(t, targets, reduction="sum"), finite)
    log_probabilities = sp.log_softmax(finite, axis=-1)
    assert_matches(ours, -(targets * log_probabilities).sum())
    assert_matches(gradient, SOFTMAX[:5] - targets)
