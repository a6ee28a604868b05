"""+ - * / ** unary − and @ with broadcasting: values, gradient shapes, and finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

FAST = settings(max_examples=25, deadline=None)

BINARY_OPS = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a**b, np.power),
}


def leaf(values, name=None):
    return gn.tensor(values, requires_grad=True, dtype=np.float64, name=name)


def positive_arrays(shape):
    """Values in [0.5, 2]: away from 0 so division and powers stay smooth."""
    return hnp.arrays(np.float64, shape, elements=st.floats(0.5, 2.0))


@pytest.mark.parametrize("op_name", list(BINARY_OPS))
@FAST
@given(data=st.data())
def test_binary_op_broadcasts_and_matches_finite_differences(op_name, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a_shape, b_shape = shapes.input_shapes
    a_values = data.draw(positive_arrays(a_shape))
    b_values = data.draw(positive_arrays(b_shape))
    if op_name in ("add", "sub", "mul"):  # these need no positivity: flip some signs
        signs = hnp.arrays(np.float64, a_shape, elements=st.sampled_from([-1.0, 1.0]))
        a_values = a_values * data.draw(signs)
    op, reference = BINARY_OPS[op_name]
    a, b = leaf(a_values, "a"), leaf(b_values, "b")
    out = op(a, b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.data, reference(a_values, b_values), rtol=1e-12)
    assert gn.gradcheck(op, [a, b])
    out.sum().backward()
    assert a.grad.shape == a_shape  # summed back over the broadcast axes
    assert b.grad.shape == b_shape


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        pytest.param((3, 1), (1, 4), id="column-row"),
        pytest.param((), (3, 4), id="scalar-matrix"),
        pytest.param((3, 4), (4,), id="matrix-vector"),
        pytest.param((2, 1, 4), (3, 1), id="3d-2d"),
    ],
)
@pytest.mark.parametrize("op_name", list(BINARY_OPS))
def test_binary_op_named_broadcasts(op_name, a_shape, b_shape, rng):
    op, _ = BINARY_OPS[op_name]
    a = leaf(rng.uniform(0.5, 2.0, a_shape))
    b = leaf(rng.uniform(0.5, 2.0, b_shape))
    assert gn.gradcheck(op, [a, b])


def test_broadcast_add_gradient_counts_the_copies():
    a = gn.tensor(np.zeros((3, 1)), requires_grad=True)
    b = gn.tensor(np.zeros((1, 4)), requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 4.0))  # each a[i] was used 4 times
    np.testing.assert_array_equal(b.grad, np.full((1, 4), 3.0))


def test_negation(rng):
    x = leaf(rng.normal(size=(2, 3)))
    np.testing.assert_array_equal((-x).data, -x.data)
    assert gn.gradcheck(lambda t: -t, [x])


@pytest.mark.parametrize(
    "op, reference",
    [
        pytest.param(lambda t: t + 2, lambda v: v + 2, id="tensor+int"),
        pytest.param(lambda t: 2.5 + t, lambda v: 2.5 + v, id="float+tensor"),
        pytest.param(lambda t: t - 1.5, lambda v: v - 1.5, id="tensor-float"),
        pytest.param(lambda t: 1.5 - t, lambda v: 1.5 - v, id="float-tensor"),
        pytest.param(lambda t: t * 3.0, lambda v: v * 3.0, id="tensor*float"),
        pytest.param(lambda t: 3.0 * t, lambda v: 3.0 * v, id="float*tensor"),
        pytest.param(lambda t: t / 4.0, lambda v: v / 4.0, id="tensor/float"),
        pytest.param(lambda t: 4.0 / t, lambda v: 4.0 / v, id="float/tensor"),
        pytest.param(lambda t: t**2, lambda v: v**2, id="tensor**2"),
        pytest.param(lambda t: t**0.5, lambda v: v**0.5, id="tensor**0.5"),
        pytest.param(lambda t: t**-1.5, lambda v: v**-1.5, id="tensor**-1.5"),
        pytest.param(lambda t: 2.0**t, lambda v: 2.0**v, id="float**tensor"),
        pytest.param(lambda t: np.full(3, 2.0) * t, lambda v: 2.0 * v, id="ndarray*tensor"),
        pytest.param(lambda t: np.arange(3.0) - t, lambda v: np.arange(3.0) - v, id="ndarray-t"),
    ],
)
def test_python_scalars_on_either_side(op, reference, rng):
    values = rng.uniform(0.5, 2.0, 3)
    out32 = op(gn.tensor(values))
    assert isinstance(out32, gn.Tensor)
    assert out32.dtype == np.float32  # a Python scalar does not promote float32
    np.testing.assert_allclose(out32.data, reference(values), rtol=1e-6)
    assert gn.gradcheck(op, [leaf(values)])


def test_pow_with_tensor_exponent_gradient_at_zero_base_is_finite():
    base = gn.tensor([0.0, 2.0], requires_grad=True, dtype=np.float64)
    exponent = gn.tensor([2.0, 3.0], requires_grad=True, dtype=np.float64)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8.0 * np.log(2.0)])  # 0^b · ln 0 → 0
    np.testing.assert_allclose(base.grad, [0.0, 12.0])


MATMUL_SHAPES = [
    pytest.param((3,), (3,), id="vector@vector"),
    pytest.param((3,), (3, 4), id="vector@matrix"),
    pytest.param((2, 3), (3,), id="matrix@vector"),
    pytest.param((2, 3), (3, 4), id="matrix@matrix"),
    pytest.param((5, 2, 3), (3, 4), id="batch@matrix"),
    pytest.param((2, 3), (5, 3, 4), id="matrix@batch"),
    pytest.param((5, 2, 3), (5, 3, 4), id="batch@batch"),
    pytest.param((2, 1, 2, 3), (5, 3, 4), id="broadcast-batch-dims"),
    pytest.param((3,), (5, 3, 4), id="vector@batch"),
    pytest.param((5, 2, 3), (3,), id="batch@vector"),
]


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
def test_matmul_values_and_gradients(a_shape, b_shape, rng):
    a_values, b_values = rng.normal(size=a_shape), rng.normal(size=b_shape)
    a, b = leaf(a_values, "a"), leaf(b_values, "b")
    out = a @ b
    np.testing.assert_allclose(out.data, a_values @ b_values, rtol=1e-12)
    assert gn.gradcheck(lambda p, q: p @ q, [a, b])
    assert gn.gradcheck(lambda p, q: gn.matmul(p, q), [a, b])


@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES)
def test_matmul_gradient_shapes(a_shape, b_shape, rng):
    a, b = leaf(rng.normal(size=a_shape)), leaf(rng.normal(size=b_shape))
    (a @ b).sum().backward()
    assert a.grad.shape == a_shape
    assert b.grad.shape == b_shape


def test_matmul_with_an_ndarray_on_either_side(rng):
    weight = rng.normal(size=(3, 2))
    x = leaf(rng.normal(size=(4, 3)))
    np.testing.assert_allclose((x @ weight).data, x.data @ weight)
    np.testing.assert_allclose((weight.T @ x.T).data, weight.T @ x.data.T)
    assert gn.gradcheck(lambda t: weight.T @ t.T, [x])


def test_only_inputs_that_require_grad_get_a_gradient(rng):
    a = leaf(rng.normal(size=(2, 3)))
    b = gn.tensor(rng.normal(size=(3, 2)), dtype=np.float64)
    (a @ b).sum().backward()
    assert a.grad is not None
    assert b.grad is None
