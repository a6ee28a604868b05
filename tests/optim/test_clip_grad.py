"""glassnet.nn.utils.clip_grad_norm_ / clip_grad_value_: the norm returned and the scaling done."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.errors import TrainingDiverged
from glassnet.nn import Parameter
from glassnet.nn.utils import clip_grad_norm_, clip_grad_value_

pytestmark = pytest.mark.filterwarnings("error")


def parameters_with_grads(*grads, dtype=np.float64):
    params = []
    for grad in grads:
        param = Parameter(np.zeros(np.shape(grad)), dtype=dtype)
        param.grad = None if grad is None else np.array(grad, dtype=dtype)
        params.append(param)
    return params


def test_returns_total_norm_and_scales_to_max_norm():
    params = parameters_with_grads([[3.0, 0.0], [0.0, 0.0]], [4.0, 0.0], [12.0])
    total = clip_grad_norm_(params, max_norm=1.3)
    assert isinstance(total, float)
    assert total == 13.0
    coefficient = 1.3 / (13.0 + 1e-6)  # PyTorch's coefficient, with its 1e-6
    np.testing.assert_array_equal(params[1].grad, np.array([4.0, 0.0]) * coefficient)
    clipped = math.sqrt(sum(float(np.sum(p.grad**2)) for p in params))
    assert clipped == pytest.approx(1.3, rel=1e-6)


def test_leaves_small_gradients_alone_and_skips_missing_ones():
    params = parameters_with_grads([0.3, 0.4], None)
    kept = params[0].grad
    assert clip_grad_norm_(params, max_norm=1.0) == pytest.approx(0.5, rel=1e-15)
    np.testing.assert_array_equal(params[0].grad, [0.3, 0.4])
    assert params[0].grad is kept  # in place: the same array
    assert params[1].grad is None
    assert clip_grad_norm_(parameters_with_grads(None), 1.0) == 0.0


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf])
def test_other_norm_types(norm_type):
    grads = [np.array([1.0, -2.0, 3.0]), np.array([[-4.0], [0.5]])]
    params = parameters_with_grads(*grads)
    flat = np.concatenate([g.ravel() for g in grads])
    expected = (
        np.max(np.abs(flat))
        if norm_type == math.inf
        else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    )
    assert clip_grad_norm_(params, max_norm=0.5, norm_type=norm_type) == pytest.approx(
        expected, rel=1e-14
    )
    np.testing.assert_allclose(params[1].grad, grads[1] * 0.5 / (expected + 1e-6), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_gradients_do_not_overflow(dtype):
    huge = float(np.finfo(dtype).max) / 4
    params = parameters_with_grads([huge, huge], dtype=dtype)
    with np.errstate(all="raise"):
        total = clip_grad_norm_(params, max_norm=1.0)
    assert total == pytest.approx(huge * math.sqrt(2), rel=1e-6)
    np.testing.assert_allclose(params[0].grad, [1 / math.sqrt(2)] * 2, rtol=1e-6)
    assert params[0].grad.dtype == dtype


def test_non_finite_norm_raises_when_asked():
    params = parameters_with_grads([1.0, np.nan])
    with pytest.raises(TrainingDiverged, match="norm of the gradients is nan"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="norm_type must be positive"):
        clip_grad_norm_(params, 1.0, norm_type=0)


def test_clip_grad_value_clamps_in_place():
    (param,) = parameters_with_grads([-3.0, 0.2, 5.0])
    kept = param.grad
    clip_grad_value_(param, 1.0)
    np.testing.assert_array_equal(param.grad, [-1.0, 0.2, 1.0])
    assert param.grad is kept
