"""Making tensors: dtypes, attributes, and the data glassnet refuses."""

import numpy as np
import pytest

import glassnet as gn


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(1.5, id="python-float"),
        pytest.param([1.0, 2.0], id="list"),
        pytest.param(np.ones((2, 3)), id="float64-array"),
        pytest.param(np.ones(3, dtype=np.float16), id="float16-array"),
    ],
)
def test_floating_data_defaults_to_float32(data):
    assert gn.tensor(data).dtype == np.float32


def test_explicit_dtype_float64_is_kept():
    t = gn.tensor([1.0, 2.0], dtype=np.float64)
    assert t.dtype == np.float64
    assert (t + 1.0).dtype == np.float64


def test_set_default_dtype_float64(float64_default):
    assert gn.get_default_dtype() is np.float64
    assert gn.tensor([1.0, 2.0]).dtype == np.float64
    assert gn.tensor(np.ones(2, dtype=np.float32)).dtype == np.float64


def test_set_default_dtype_refuses_non_floats():
    with pytest.raises(gn.DTypeError, match="float32 or float64"):
        gn.set_default_dtype(np.int32)


@pytest.mark.parametrize(
    "data, dtype",
    [
        pytest.param([1, 2], np.int64, id="int"),
        pytest.param([True, False], np.bool_, id="bool"),
    ],
)
def test_integer_and_bool_data_keep_their_dtype(data, dtype):
    assert gn.tensor(data).dtype == dtype


def test_attributes():
    values = np.arange(6.0).reshape(2, 3)
    t = gn.tensor(values, requires_grad=True)
    assert isinstance(t.data, np.ndarray)
    np.testing.assert_array_equal(t.data, values)
    assert t.grad is None
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.dtype == np.float32
    assert t.requires_grad is True
    assert gn.tensor(values).requires_grad is False
    assert t.numpy() is t.data
    t.sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones((2, 3)))


def test_item_returns_a_python_number():
    value = gn.tensor([[2.5]]).item()
    assert value == 2.5
    assert type(value) is float


def test_item_of_a_non_scalar_raises():
    with pytest.raises(ValueError):
        gn.tensor([1.0, 2.0]).item()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_detach_cuts_the_graph_and_keeps_dtype(dtype):
    x = gn.tensor([1.0, 2.0], requires_grad=True, dtype=dtype)
    y = x * 3.0
    d = y.detach()
    assert d.requires_grad is False
    assert d.grad_fn is None
    assert d.dtype == dtype
    np.testing.assert_array_equal(d.data, y.data)
    out = (d * x).sum()
    out.backward()
    np.testing.assert_array_equal(x.grad, d.data)  # d is a constant: ∂(d·x)/∂x = d only


def test_astype_to_float_stays_in_the_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_astype_to_int_is_a_constant():
    y = gn.tensor([1.7, 2.2], requires_grad=True).astype(np.int64)
    assert y.dtype == np.int64
    assert y.requires_grad is False


@pytest.mark.parametrize(
    "data, match",
    [
        pytest.param("abc", "str", id="string"),
        pytest.param(["a", "b"], "str", id="list-of-strings"),
        pytest.param([object(), object()], "object", id="objects"),
        pytest.param([1.0, None], "object", id="none-inside"),
        pytest.param([1 + 2j], "complex", id="complex"),
        pytest.param(np.ones(2, dtype=np.complex64), "complex", id="complex-array"),
    ],
)
def test_non_numeric_data_is_refused(data, match):
    with pytest.raises(gn.DTypeError, match=match) as caught:
        gn.tensor(data)
    assert isinstance(caught.value, TypeError)


def test_requires_grad_on_integer_data_is_refused():
    with pytest.raises(gn.DTypeError, match="only floating tensors can require gradients"):
        gn.tensor([1, 2, 3], requires_grad=True)


def test_requires_grad_on_integer_data_with_float_dtype_is_allowed():
    t = gn.tensor([1, 2, 3], requires_grad=True, dtype=np.float64)
    assert t.dtype == np.float64 and t.requires_grad


def test_matmul_shape_error_names_both_shapes():
    a, b = gn.tensor(np.ones((3, 4))), gn.tensor(np.ones((5, 2)))
    with pytest.raises(gn.ShapeError, match=r"\(3, 4\).*\(5, 2\)") as caught:
        a @ b
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        pytest.param((3,), (4,), id="vector-vector"),
        pytest.param((2, 3), (4,), id="matrix-vector"),
        pytest.param((2, 2, 3), (3, 3, 2), id="batch-dims-do-not-broadcast"),
        pytest.param((), (3,), id="scalar"),
    ],
)
def test_matmul_shape_errors(a_shape, b_shape):
    with pytest.raises(gn.ShapeError, match=r"matmul"):
        gn.tensor(np.ones(a_shape)) @ gn.tensor(np.ones(b_shape))


def test_reshape_error_names_the_shapes():
    with pytest.raises(gn.ShapeError, match=r"\(2, 3\).*\(4,\)"):
        gn.tensor(np.ones((2, 3))).reshape(4)


def test_comparisons_give_constant_bool_masks():
    x = gn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == np.bool_
    assert mask.requires_grad is False
    np.testing.assert_array_equal(mask.data, [False, False, True])


def test_repr_works_after_backward_freed_the_graph():
    x = gn.tensor([2.0], requires_grad=True)
    y = x**3
    y.sum().backward()
    assert "pow3" in repr(y)
