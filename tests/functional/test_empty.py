"""Ops on tensors with a zero-size dimension give PyTorch's values and gradients: an empty
result, a sum of 0, a mean of NaN, a logsumexp of −inf, and (empty or zero) gradients, never an
error or a warning."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

NO_CLASS = np.zeros(0, dtype=np.int64)  # class indices of an empty batch


class Case(NamedTuple):
    ours: Callable[..., gn.Tensor]
    theirs: Callable[..., Any]  # (torch, *tensors) -> torch.Tensor
    shapes: tuple[tuple[int, ...], ...]  # one float64 input that requires grad per shape
    expected: Any  # the forward value


def loss_cases(reduction: str) -> list[Any]:
    """Every loss over no elements: NaN for "mean", 0 for "sum", empty for "none"."""
    value = {"mean": np.nan, "sum": 0.0, "none": np.zeros(0)}[reduction]
    pairs = [
        ("mse", F.mse_loss, "mse_loss"),
        ("l1", F.l1_loss, "l1_loss"),
        ("huber", F.huber_loss, "huber_loss"),
        ("bce", F.binary_cross_entropy, "binary_cross_entropy"),
        ("bce-logits", F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits"),
    ]
    cases = [
        pytest.param(Case(
            lambda x, y, ours=ours: ours(x, y, reduction=reduction),
            lambda torch, x, y, name=name: getattr(torch.nn.functional, name)(
                x, y, reduction=reduction),
            ((0,), (0,)), value,
        ), id=f"{label}-{reduction}")
        for label, ours, name in pairs
    ]
    class_value = value if reduction != "none" else np.zeros(0)
    cases += [
        pytest.param(Case(
            lambda x: F.cross_entropy(x, NO_CLASS, reduction=reduction),
            lambda torch, x: torch.nn.functional.cross_entropy(
                x, torch.from_numpy(NO_CLASS), reduction=reduction),
            ((0, 3),), class_value,
        ), id=f"cross-entropy-indices-{reduction}"),
        pytest.param(Case(
            lambda x: F.cross_entropy(x, NO_CLASS, reduction=reduction, label_smoothing=0.1),
            lambda torch, x: torch.nn.functional.cross_entropy(
                x, torch.from_numpy(NO_CLASS), reduction=reduction, label_smoothing=0.1),
            ((0, 3),), class_value,
        ), id=f"cross-entropy-smoothing-{reduction}"),
        pytest.param(Case(
            lambda x, q: F.cross_entropy(x, q, reduction=reduction),
            lambda torch, x, q: torch.nn.functional.cross_entropy(x, q, reduction=reduction),
            ((0, 3), (0, 3)), class_value,
        ), id=f"cross-entropy-learned-probabilities-{reduction}"),
        pytest.param(Case(
            lambda x: F.nll_loss(x, NO_CLASS, reduction=reduction),
            lambda torch, x: torch.nn.functional.nll_loss(
                x, torch.from_numpy(NO_CLASS), reduction=reduction),
            ((0, 3),), class_value,
        ), id=f"nll-{reduction}"),
    ]
    return cases


def softmax_cases() -> list[Any]:
    cases = []
    for shape, axis in [((0,), 0), ((2, 0), 1), ((0, 3), 0), ((0, 3), 1), ((3, 0), 0)]:
        empty = np.zeros(shape)
        reduced = np.add.reduce(empty, axis=axis, keepdims=True)
        # the log of an empty sum is −inf; an empty result stays empty
        logsumexp = np.full(reduced.shape, -np.inf) if shape[axis] == 0 else reduced
        name = f"{shape}-axis{axis}"
        cases += [
            pytest.param(Case(
                lambda x, axis=axis: F.softmax(x, axis=axis),
                lambda torch, x, axis=axis: torch.softmax(x, dim=axis),
                (shape,), empty,
            ), id=f"softmax-{name}"),
            pytest.param(Case(
                lambda x, axis=axis: F.log_softmax(x, axis=axis),
                lambda torch, x, axis=axis: torch.log_softmax(x, dim=axis),
                (shape,), empty,
            ), id=f"log_softmax-{name}"),
            pytest.param(Case(
                lambda x, axis=axis: F.logsumexp(x, axis=axis),
                lambda torch, x, axis=axis: torch.logsumexp(x, dim=axis),
                (shape,), np.squeeze(logsumexp, axis=axis),
            ), id=f"logsumexp-{name}"),
            pytest.param(Case(
                lambda x, axis=axis: F.logsumexp(x, axis=axis, keepdims=True),
                lambda torch, x, axis=axis: torch.logsumexp(x, dim=axis, keepdim=True),
                (shape,), logsumexp,
            ), id=f"logsumexp-keepdims-{name}"),
        ]
    return cases


CASES = [
    *softmax_cases(),
    pytest.param(Case(lambda a, b: a @ b, lambda torch, a, b: a @ b, ((0,), (0,)), 0.0),
                 id="matmul-(0,)@(0,)"),
    pytest.param(Case(lambda a, b: a @ b, lambda torch, a, b: a @ b, ((2, 0), (0, 3)),
                      np.zeros((2, 3))), id="matmul-(2,0)@(0,3)"),
    pytest.param(Case(lambda a, b: a @ b, lambda torch, a, b: a @ b, ((0, 3), (3,)),
                      np.zeros(0)), id="matmul-(0,3)@(3,)"),
    pytest.param(Case(lambda a, b: a @ b, lambda torch, a, b: a @ b, ((0,), (0, 4)),
                      np.zeros(4)), id="matmul-(0,)@(0,4)"),
    pytest.param(Case(lambda a, b: a @ b, lambda torch, a, b: a @ b, ((2, 3, 0), (0,)),
                      np.zeros((2, 3))), id="matmul-batched-(2,3,0)@(0,)"),
    pytest.param(Case(lambda x: x.sum(), lambda torch, x: x.sum(), ((0, 3),), 0.0),
                 id="sum"),
    pytest.param(Case(lambda x: x.mean(), lambda torch, x: x.mean(), ((0,),), np.nan),
                 id="mean"),
    pytest.param(Case(lambda x: x.mean(axis=0), lambda torch, x: x.mean(dim=0), ((0, 3),),
                      np.full(3, np.nan)), id="mean-axis0"),
    pytest.param(Case(lambda x: x.max(axis=1), lambda torch, x: x.amax(dim=1), ((0, 3),),
                      np.zeros(0)), id="max-over-a-full-axis"),
    pytest.param(Case(lambda x, w, b: F.linear(x, w, b),
                      lambda torch, x, w, b: torch.nn.functional.linear(x, w, b),
                      ((0, 3), (2, 3), (2,)), np.zeros((0, 2))), id="linear-no-samples"),
    *loss_cases("mean"), *loss_cases("sum"), *loss_cases("none"),
]  # fmt: skip


def run_ours(case: Case) -> tuple[gn.Tensor, list[gn.Tensor]]:
    inputs = [gn.tensor(np.zeros(shape), requires_grad=True, dtype=np.float64)
              for shape in case.shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning about 0/0 or an empty reduction
        out = case.ours(*inputs)
        out.sum().backward()
    return out, inputs


@pytest.mark.parametrize("case", CASES)
def test_empty_inputs_give_the_expected_values_and_zero_gradients(case):
    out, inputs = run_ours(case)
    np.testing.assert_array_equal(out.data, case.expected)
    assert out.data.shape == np.shape(case.expected)
    assert out.dtype == np.float64
    for tensor, shape in zip(inputs, case.shapes, strict=True):
        assert tensor.grad is not None, "every input gets a gradient, as in PyTorch"
        np.testing.assert_array_equal(tensor.grad, np.zeros(shape))


@pytest.mark.parametrize("case", CASES)
def test_empty_inputs_match_torch(case):
    torch = pytest.importorskip("torch")
    out, inputs = run_ours(case)
    theirs = [torch.zeros(shape, dtype=torch.float64, requires_grad=True)
              for shape in case.shapes]
    expected = case.theirs(torch, *theirs)
    expected.sum().backward()
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    assert out.data.shape == tuple(expected.shape)
    for ours, reference in zip(inputs, theirs, strict=True):
        np.testing.assert_array_equal(ours.grad, reference.grad.numpy())


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_over_an_empty_axis_is_refused_as_in_torch(reduce):
    x = gn.tensor(np.zeros((0, 3)))
    with pytest.raises(gn.ShapeError, match="zero elements"):
        getattr(x, reduce)(axis=0)
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, IndexError)):
        getattr(torch.zeros(0, 3), f"a{reduce}")(dim=0)
