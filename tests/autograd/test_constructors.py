"""gn.tensor copies, as torch.tensor does; as_tensor shares when it can; from_numpy always
shares; Parameter shares a Tensor's array and copies anything else."""

import doctest

import numpy as np
import pytest

import glassnet as gn
import glassnet.autograd
from glassnet import nn, optim
from glassnet.autograd import as_tensor, constructors, from_numpy


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(np.zeros(3, dtype=np.float32), id="float32-array"),
        pytest.param(np.zeros(3, dtype=np.int64), id="int64-array"),
        pytest.param(np.zeros((3, 2), dtype=np.float32)[:, 0], id="strided-view"),
        pytest.param(memoryview(np.zeros(3, dtype=np.float32)), id="buffer"),
    ],
)
def test_tensor_copies_data_it_could_have_shared(source):
    t = gn.tensor(source)
    assert not np.shares_memory(t.data, np.asarray(source))
    t.data += 1
    np.testing.assert_array_equal(np.asarray(source), 0)


def test_tensor_copies_like_torch_tensor():
    torch = pytest.importorskip("torch")
    source = np.zeros(3, dtype=np.float32)
    assert not np.shares_memory(torch.tensor(source).numpy(), source)
    assert not np.shares_memory(gn.tensor(source).data, source)


def test_an_optimizer_step_leaves_the_initial_weights_alone():
    initial = np.array([1.0, 2.0], dtype=np.float32)
    weight = gn.tensor(initial, requires_grad=True)
    (weight * weight).sum().backward()
    optim.SGD([weight], lr=0.5).step()
    np.testing.assert_array_equal(initial, [1.0, 2.0])
    np.testing.assert_array_equal(weight.data, [0.0, 0.0])  # w − 0.5·2w


def test_tensor_of_a_tensor_is_a_detached_copy():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = gn.tensor(x * 2.0)
    assert y.grad_fn is None and not y.requires_grad
    y.data += 1
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_tensor_keeps_a_column_major_layout():
    source = np.asfortranarray(np.ones((4, 3), dtype=np.float32))
    assert gn.tensor(source).data.flags.f_contiguous


def test_as_tensor_shares_an_array_of_the_right_dtype():
    source = np.zeros(3, dtype=np.float32)
    t = as_tensor(source)
    assert t.data is source
    t.data += 1
    np.testing.assert_array_equal(source, 1)
    ints = np.arange(3)
    assert as_tensor(ints).data is ints
    doubles = np.zeros(3)
    assert as_tensor(doubles, dtype=np.float64).data is doubles


def test_as_tensor_converts_when_it_must_as_tensor_does():
    doubles = np.zeros(3)
    t = as_tensor(doubles)  # floating data takes the default dtype, like gn.tensor
    assert t.dtype == np.float32
    assert not np.shares_memory(t.data, doubles)
    assert as_tensor([1.0, 2.0]).dtype == np.float32


def test_as_tensor_returns_a_tensor_itself_or_converts_it_in_the_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    assert as_tensor(x) is x
    assert as_tensor(x, dtype=np.float32) is x
    wide = as_tensor(x, dtype=np.float64)
    assert wide.dtype == np.float64
    (wide * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_as_tensor_of_a_tensor_is_the_tensor_in_torch_too():
    torch = pytest.importorskip("torch")
    x = torch.zeros(2, requires_grad=True)
    assert torch.as_tensor(x) is x


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.bool_])
def test_from_numpy_shares_and_keeps_the_dtype(dtype):
    source = np.zeros(4, dtype=dtype)
    t = from_numpy(source)
    assert t.data is source
    assert t.dtype == dtype
    assert not t.requires_grad and t.grad_fn is None


def test_from_numpy_shares_a_view_and_sees_changes_both_ways():
    base = np.zeros((3, 2))
    t = from_numpy(base[:, 1])
    t.data[0] = 5.0
    base[2, 1] = 7.0
    np.testing.assert_array_equal(t.data, [5.0, 0.0, 7.0])


@pytest.mark.parametrize(
    "data", [[1.0, 2.0], 3.0, gn.tensor([1.0])], ids=["list", "number", "tensor"]
)
def test_from_numpy_refuses_anything_but_an_array(data):
    with pytest.raises(gn.DTypeError, match="from_numpy expects a NumPy array"):
        from_numpy(data)


def test_from_numpy_refuses_an_array_of_text():
    with pytest.raises(gn.DTypeError, match="numeric"):
        from_numpy(np.array(["a", "b"]))


def test_parameter_copies_an_array_so_training_leaves_it_alone():
    initial = np.ones(2, dtype=np.float32)
    weight = nn.Parameter(initial)
    assert not np.shares_memory(weight.data, initial)
    weight.grad = np.ones(2, dtype=np.float32)
    optim.SGD([weight], lr=0.5).step()
    np.testing.assert_array_equal(initial, [1.0, 1.0])


def test_parameter_of_a_tensor_shares_it_and_keeps_its_dtype_as_torch():
    source = gn.tensor([1.0, 2.0], dtype=np.float64)
    weight = nn.Parameter(source)
    assert weight.data is source.data
    assert weight.dtype == np.float64
    assert weight.requires_grad
    torch = pytest.importorskip("torch")
    reference = torch.zeros(2, dtype=torch.float64)
    assert torch.nn.Parameter(reference).data_ptr() == reference.data_ptr()


def test_parameter_from_numpy_trains_the_array_in_place():
    values = np.ones(2, dtype=np.float32)
    weight = nn.Parameter(from_numpy(values))
    weight.grad = np.ones(2, dtype=np.float32)
    optim.SGD([weight], lr=0.5).step()
    np.testing.assert_array_equal(values, [0.5, 0.5])


def test_parameter_with_another_dtype_converts_a_copy():
    source = gn.tensor([1.0, 2.0])
    weight = nn.Parameter(source, dtype=np.float64)
    assert weight.dtype == np.float64
    assert not np.shares_memory(weight.data, source.data)


def test_the_constructors_examples_run():
    # the examples say gn.tensor / gn.as_tensor / gn.from_numpy: the names glassnet.autograd
    # defines, which glassnet re-exports
    result = doctest.testmod(
        constructors, extraglobs={"gn": glassnet.autograd, "np": np}, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted >= 7
    assert result.failed == 0
