"""Reductions and the ops that move values: values against NumPy, gradients against finite
differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

FAST = settings(max_examples=25, deadline=None)

REDUCTIONS = ["sum", "mean", "max", "min"]


def leaf(values):
    return gn.tensor(values, requires_grad=True, dtype=np.float64)


@st.composite
def array_and_axis(draw):
    """A float64 array of 1–3 dims with distinct values (no ties for max/min), and an axis
    argument: None, an int (maybe negative) or a tuple of distinct axes."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    size = int(np.prod(shape))
    values = draw(st.permutations(range(size)))
    array = (np.array(values, dtype=np.float64) / size - 0.5).reshape(shape)
    ndim = len(shape)
    axis = draw(
        st.none()
        | st.integers(-ndim, ndim - 1)
        | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    )
    return array, axis


@pytest.mark.parametrize("reduction", REDUCTIONS)
@FAST
@given(case=array_and_axis(), keepdims=st.booleans())
def test_reduction_values_and_gradients(reduction, case, keepdims):
    values, axis = case
    x = leaf(values)
    out = getattr(x, reduction)(axis=axis, keepdims=keepdims)
    expected = getattr(np, reduction)(values, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("reduction", ["max", "min"])
def test_tied_extremes_share_the_gradient(reduction):
    x = leaf([[1.0, 1.0, 0.0], [2.0, 5.0, 5.0]] if reduction == "max" else [[1.0, 1.0, 3.0]])
    getattr(x, reduction)(axis=1).sum().backward()
    expected = [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]] if reduction == "max" else [[0.5, 0.5, 0.0]]
    np.testing.assert_array_equal(x.grad, expected)


def test_mean_gradient_is_one_over_count():
    x = leaf(np.ones((2, 5)))
    x.mean(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 5), 0.2))


SHAPE_OPS = [
    pytest.param(lambda t: t.reshape(6, 4), id="reshape-args"),
    pytest.param(lambda t: t.reshape((4, -1)), id="reshape-tuple-infer"),
    pytest.param(lambda t: t.flatten(), id="flatten"),
    pytest.param(lambda t: t.transpose(), id="transpose-reverse"),
    pytest.param(lambda t: t.transpose(1, 0, 2), id="transpose-axes"),
    pytest.param(lambda t: t.transpose((2, 0, 1)), id="transpose-tuple"),
    pytest.param(lambda t: t.reshape(6, 4).T, id="T"),
    pytest.param(lambda t: t[1], id="int-index"),
    pytest.param(lambda t: t[:, 1:3], id="slice"),
    pytest.param(lambda t: t[..., ::-2], id="ellipsis-negative-step"),
    pytest.param(lambda t: t[None, 0, :, 1], id="newaxis-mixed"),
    pytest.param(lambda t: t[[0, 0, 1]], id="repeated-int-array"),
    pytest.param(lambda t: t[:, [2, 0, 2], 1:], id="int-array-and-slice"),
    pytest.param(lambda t: t[[1, 1], [0, 0]], id="two-int-arrays"),
    pytest.param(lambda t: t[gn.tensor([0, 1, 1])], id="int-tensor-index"),
    pytest.param(lambda t: t[t > 0], id="bool-mask"),
]


@pytest.mark.parametrize("op", SHAPE_OPS)
def test_shape_ops_match_finite_differences(op, rng):
    x = leaf(rng.normal(size=(2, 3, 4)))
    assert gn.gradcheck(op, [x])


@pytest.mark.parametrize(
    "op, reference",
    [
        pytest.param(lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4), id="reshape"),
        pytest.param(lambda t: t.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1), id="axes"),
        pytest.param(lambda t: t[:, 1:3], lambda a: a[:, 1:3], id="slice"),
        pytest.param(lambda t: t[[0, 0, 1]], lambda a: a[[0, 0, 1]], id="int-array"),
    ],
)
def test_shape_op_values_match_numpy(op, reference, rng):
    values = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(op(gn.tensor(values, dtype=np.float64)).data, reference(values))


def test_repeated_indices_accumulate():
    x = gn.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 0.0])


def test_repeated_indices_accumulate_weighted():
    x = gn.tensor(np.zeros((3, 2)), requires_grad=True, dtype=np.float64)
    picked = x[[2, 0, 2, 2]]
    (picked * gn.tensor([[1.0], [2.0], [3.0], [4.0]], dtype=np.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0], [0.0, 0.0], [8.0, 8.0]])


@pytest.mark.parametrize("axis", [0, 1, -1], ids=["axis0", "axis1", "axis-1"])
def test_concatenate(axis, rng):
    parts = [leaf(rng.normal(size=(2, 3))) for _ in range(3)]
    out = gn.concatenate(parts, axis=axis)
    np.testing.assert_array_equal(out.data, np.concatenate([p.data for p in parts], axis=axis))
    assert gn.gradcheck(lambda *ts: gn.concatenate(ts, axis=axis), parts)


def test_concatenate_unequal_lengths_and_a_constant(rng):
    a, b = leaf(rng.normal(size=(2, 1))), leaf(rng.normal(size=(2, 4)))
    constant = np.ones((2, 2))
    assert gn.gradcheck(lambda p, q: gn.concatenate([p, constant, q], axis=1), [a, b])


def test_concatenate_shape_error():
    with pytest.raises(gn.ShapeError, match=r"\(2, 3\).*\(3, 3\)"):
        gn.concatenate([gn.tensor(np.ones((2, 3))), gn.tensor(np.ones((3, 3)))], axis=1)


@pytest.mark.parametrize("axis", [0, 1, 2, -1], ids=["axis0", "axis1", "axis2", "axis-1"])
def test_stack(axis, rng):
    parts = [leaf(rng.normal(size=(2, 3))), leaf(rng.normal(size=(2, 3)))]
    out = gn.stack(parts, axis=axis)
    np.testing.assert_array_equal(out.data, np.stack([p.data for p in parts], axis=axis))
    assert gn.gradcheck(lambda *ts: gn.stack(ts, axis=axis), parts)


def test_stack_shape_error():
    with pytest.raises(gn.ShapeError, match="one shape"):
        gn.stack([gn.tensor(np.ones(2)), gn.tensor(np.ones(3))])


@pytest.mark.parametrize(
    "condition_shape, a_shape, b_shape",
    [
        pytest.param((3, 4), (3, 4), (3, 4), id="same-shapes"),
        pytest.param((3, 4), (3, 1), (4,), id="broadcast-operands"),
        pytest.param((2, 3, 4), (3, 4), (), id="condition-largest"),
    ],
)
def test_where(condition_shape, a_shape, b_shape, rng):
    condition = rng.random(condition_shape) > 0.5
    a, b = leaf(rng.normal(size=a_shape)), leaf(rng.normal(size=b_shape))
    out = gn.where(condition, a, b)
    np.testing.assert_array_equal(out.data, np.where(condition, a.data, b.data))
    assert gn.gradcheck(lambda p, q: gn.where(condition, p, q), [a, b])


def test_where_gradient_goes_to_the_chosen_side():
    a = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = gn.tensor([4.0, 5.0, 6.0], requires_grad=True)
    gn.where(a > 1.5, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.0, 0.0])


def test_where_with_a_python_scalar():
    x = gn.tensor([-1.0, 2.0], requires_grad=True)
    out = gn.where(x > 0, x, 0.0)
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
