"""Function.apply: the plain loop and its unrolled fast variant record the same graph."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import Function, dtypes, function_and_tensor


def _inputs(count, requires_grad):
    rng = np.random.default_rng(count)
    return [gn.tensor(rng.normal(size=(2, 3)), requires_grad=flag)
            for flag in requires_grad[:count]]


OPS = [
    pytest.param(lambda ts: -ts[0], 1, id="one-input"),
    pytest.param(lambda ts: ts[0] * ts[1], 2, id="two-inputs"),
    pytest.param(lambda ts: gn.concatenate(ts), 3, id="three-inputs"),
    pytest.param(lambda ts: gn.stack(ts, axis=1), 4, id="four-inputs"),
]


def _run(op, count, requires_grad, grad_mode):
    tensors = _inputs(count, requires_grad)
    with gn.set_grad_enabled(grad_mode):
        out = op(tensors)
    node = out.grad_fn
    record = (out.data.copy(), out.requires_grad, node is not None,
              node.needs_input_grad if node else None)
    if out.requires_grad:
        (out * out).sum().backward()
    return record, [t.grad for t in tensors]


@pytest.mark.parametrize("op, count", OPS)
@pytest.mark.parametrize("requires_grad", [(True, False, True, False), (False,) * 4])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_the_plain_apply_and_the_fast_variant_agree(op, count, requires_grad, grad_mode):
    fast_record, fast_grads = _run(op, count, requires_grad, grad_mode)
    with gn.fast_paths.disabled():
        plain_record, plain_grads = _run(op, count, requires_grad, grad_mode)
    np.testing.assert_array_equal(fast_record[0], plain_record[0])
    assert fast_record[1:] == plain_record[1:]
    assert fast_record[1] == (grad_mode and any(requires_grad[:count]))
    for fast, plain in zip(fast_grads, plain_grads, strict=True):
        assert (fast is None) == (plain is None)
        if fast is not None:
            np.testing.assert_array_equal(fast, plain)


def test_the_switch_chooses_the_variant():
    """The switch binds Function.apply: the unrolled copy while on, the plain loop while off."""
    assert Function.apply is function_and_tensor._apply_unrolled
    with gn.fast_paths.disabled():
        assert Function.apply is not function_and_tensor._apply_unrolled
        assert Function.apply.__qualname__ == "Function.apply"
        x = gn.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert Function.apply is function_and_tensor._apply_unrolled


def test_function_is_defined_beside_tensor():
    """An op's output class is found by name in its own module, not through a registry."""
    assert gn.Function.__module__ == gn.Tensor.__module__ == function_and_tensor.__name__


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_scalar_one_is_a_shared_read_only_one_of_the_dtype(dtype):
    one = dtypes.scalar_one(np.dtype(dtype))
    assert one.shape == () and one.dtype == dtype and one == 1
    assert one is dtypes.scalar_one(np.dtype(dtype))
    with pytest.raises(ValueError, match="read-only"):
        one[()] = 2
