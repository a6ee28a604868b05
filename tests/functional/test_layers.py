"""linear (weight of shape (out, in)) and dropout (inverted, seeded by gn.manual_seed)."""

import contextlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.functional import linear_ops


def leaf(values):
    return gn.tensor(values, requires_grad=True, dtype=np.float64)


@pytest.mark.parametrize(
    "x_shape",
    [
        pytest.param((5, 3), id="batch"),
        pytest.param((1, 3), id="batch-of-one"),
        pytest.param((64, 3), id="batch-of-64"),
        pytest.param((3,), id="one-sample"),
        pytest.param((2, 5, 3), id="extra-batch-axis"),
    ],
)
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
def test_linear_values_and_gradients(x_shape, with_bias, rng):
    x_values, weight_values = rng.normal(size=x_shape), rng.normal(size=(4, 3))
    bias_values = rng.normal(size=4)
    inputs = [leaf(x_values), leaf(weight_values)] + ([leaf(bias_values)] if with_bias else [])
    out = F.linear(*inputs)
    expected = x_values @ weight_values.T + (bias_values if with_bias else 0.0)
    assert out.shape == x_shape[:-1] + (4,)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gn.gradcheck(F.linear, inputs)


@pytest.mark.parametrize("batch", [1, 5, 300])
def test_linear_gradient_formulas(batch, rng):
    x, weight = leaf(rng.normal(size=(batch, 3))), leaf(rng.normal(size=(4, 3)))
    bias = leaf(np.zeros(4))
    grad = rng.normal(size=(batch, 4))
    F.linear(x, weight, bias).backward(grad)
    np.testing.assert_allclose(x.grad, grad @ weight.data)
    np.testing.assert_allclose(weight.grad, grad.T @ x.data)
    np.testing.assert_allclose(bias.grad, grad.sum(axis=0))
    # a leaf owns its .grad (optimizers and users may change it in place), never a view
    assert not np.shares_memory(bias.grad, grad) and not np.shares_memory(weight.grad, grad)


SHAPES = [
    pytest.param((5, 3), (4, 3), id="small"),
    pytest.param((1, 300), (200, 300), id="one-row"),
    pytest.param((600, 300), (2, 300), id="large-input-gradient"),
    pytest.param((2, 600), (300, 600), id="large-weight-gradient"),
    pytest.param((1, 600), (300, 600), id="large-outer-product"),  # batch of one: k = 1 in ∂W
    pytest.param((600, 1), (300, 1), id="large-output-from-one-feature"),  # k = 1 forward
    pytest.param((200, 300), (400, 300), id="wide"),
    pytest.param((2, 50, 30), (40, 30), id="extra-batch-axis"),
    pytest.param((30,), (40, 30), id="one-sample"),
]


def _linear_values_and_gradients(x_shape, weight_shape, dtype, with_bias=True):
    rng = np.random.default_rng(7)
    x = gn.tensor(rng.normal(size=x_shape), requires_grad=True, dtype=dtype)
    weight = gn.tensor(rng.normal(size=weight_shape), requires_grad=True, dtype=dtype)
    bias = gn.tensor(rng.normal(size=weight_shape[0]), requires_grad=True, dtype=dtype)
    out = F.linear(x, weight, bias if with_bias else None)
    grad = rng.normal(size=out.shape).astype(dtype)
    out.backward(grad)
    return out, grad, [out.data, x.grad, weight.grad] + ([bias.grad] if with_bias else [])


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, weight_shape", SHAPES)
def test_the_fast_linear_op_computes_what_the_reference_computes(x_shape, weight_shape, dtype,
                                                                 with_bias):  # fmt: skip
    fast_out, grad, fast = _linear_values_and_gradients(x_shape, weight_shape, dtype, with_bias)
    with gn.fast_paths.disabled():
        reference_out, _, reference = _linear_values_and_gradients(x_shape, weight_shape, dtype,
                                                                   with_bias)  # fmt: skip
    # the products and the bias add: the same bits
    for fast_array, reference_array in zip(fast[:3], reference[:3], strict=True):
        np.testing.assert_array_equal(fast_array, reference_array)
        assert fast_array.dtype == dtype
    if with_bias:  # ∂b, ones·g against g.sum(axis=0): both within N·ε·Σ|g| of the exact sum
        grad_rows = np.abs(grad.reshape(-1, grad.shape[-1]).astype(np.float64))
        bound = 2 * len(grad_rows) * np.finfo(dtype).eps * grad_rows.sum(axis=0)
        assert np.all(np.abs(fast[3] - reference[3]) <= bound)
        assert fast[3].dtype == dtype


def test_the_switch_binds_the_fast_forward_and_backward_while_it_is_on():
    op = linear_ops.LinearOp
    assert op.forward is linear_ops.forward_through_blas
    assert op.backward is linear_ops.backward_through_blas
    with gn.fast_paths.disabled():
        assert op.forward.__qualname__ == "LinearOp.forward"
        assert op.backward.__qualname__ == "LinearOp.backward"
    assert op.forward is linear_ops.forward_through_blas


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_linear_computes_the_same_whatever_the_layout_of_its_input(fast, rng):
    values = rng.normal(size=(200, 300))
    weight = rng.normal(size=(400, 300))
    grad = rng.normal(size=(200, 400))
    results = []
    with contextlib.nullcontext() if fast else gn.fast_paths.disabled():
        for layout in (np.ascontiguousarray(values), np.asfortranarray(values)):
            x, w = leaf(layout), leaf(weight)
            out = F.linear(x, w)
            out.backward(grad)
            results.append([out.data, x.grad, w.grad])
    for row_major, column_major in zip(*results, strict=True):
        np.testing.assert_allclose(column_major, row_major, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(results[0][0], values @ weight.T, rtol=1e-12, atol=1e-10)


def test_the_op_is_named_for_the_function_not_the_layer():
    out = F.linear(gn.tensor(np.ones((2, 3)), requires_grad=True), gn.tensor(np.ones((4, 3))))
    assert out._ctx.label == "linear"
    assert "grad_fn=linear" in repr(out)
    assert linear_ops.LinearOp.__name__ != "Linear"


def test_linear_with_a_constant_input_only_differentiates_the_parameters(rng):
    weight = leaf(rng.normal(size=(2, 3)))
    F.linear(rng.normal(size=(4, 3)), weight).sum().backward()
    assert weight.grad.shape == (2, 3)


def test_linear_shape_error_names_the_expected_features(rng):
    weight = gn.tensor(rng.normal(size=(4, 3)))
    with pytest.raises(gn.ShapeError, match=r"\(batch, 3\).*\(4, 3\).*\(5, 2\)"):
        F.linear(gn.tensor(np.ones((5, 2))), weight)


def test_dropout_in_eval_mode_is_the_identity():
    x = gn.tensor(np.arange(1.0, 7.0), requires_grad=True)
    out = F.dropout(x, p=0.5, training=False)
    np.testing.assert_array_equal(out.data, x.data)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(6))


def test_dropout_p0_keeps_everything():
    x = gn.tensor(np.arange(1.0, 7.0))
    np.testing.assert_array_equal(F.dropout(x, p=0.0).data, x.data)


def test_dropout_p1_drops_everything():
    x = gn.tensor(np.arange(1.0, 7.0), requires_grad=True)
    out = F.dropout(x, p=1.0)
    np.testing.assert_array_equal(out.data, np.zeros(6))
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(6))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_scales_the_survivors_by_one_over_keep(p):
    gn.manual_seed(3)
    x = gn.tensor(np.full(10_000, 2.0), requires_grad=True, dtype=np.float64)
    out = F.dropout(x, p=p)
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], 2.0 / (1 - p))
    dropped_fraction = 1 - kept.mean()
    assert abs(dropped_fraction - p) < 4 * np.sqrt(p * (1 - p) / x.size)  # 4 σ of a binomial
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / (1 - p))  # the same mask as the forward pass


def test_dropout_draws_the_same_mask_whatever_the_layout_of_its_input(rng):
    # the mask depends on the seed and the shape alone, so a run is reproducible whatever
    # layout an earlier op handed over
    values = rng.normal(size=(300, 200)) + 5.0  # no zeros of its own
    outputs, gradients = [], []
    for layout in (np.ascontiguousarray(values), np.asfortranarray(values)):
        x = gn.tensor(layout, requires_grad=True, dtype=np.float64)
        gn.manual_seed(4)
        out = F.dropout(x, p=0.25)
        out.sum().backward()
        outputs.append(out.data)
        gradients.append(x.grad)
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(gradients[0], gradients[1])
    kept = outputs[0] != 0
    np.testing.assert_allclose(outputs[0][kept], values[kept] / 0.75)
    assert abs(1 - kept.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / kept.size)
    np.testing.assert_allclose(gradients[0], kept / 0.75)


def test_dropout_preserves_the_mean():
    gn.manual_seed(11)
    p, size = 0.3, 200_000
    out = F.dropout(gn.tensor(np.ones(size), dtype=np.float64), p=p)
    standard_error = np.sqrt(p / (1 - p) / size)  # std of mask/(1 − p) is √(p/(1 − p))
    assert abs(out.data.mean() - 1.0) < 4 * standard_error


def test_dropout_gradient_matches_finite_differences_with_a_fixed_mask(rng):
    x = leaf(rng.normal(size=(3, 4)))

    def seeded_dropout(t):
        gn.manual_seed(5)  # the same mask at every evaluation
        return F.dropout(t, p=0.4)

    assert gn.gradcheck(seeded_dropout, [x])


def test_same_seed_gives_the_same_mask_bit_for_bit():
    x = gn.tensor(np.ones((64, 64)))
    gn.manual_seed(123)
    first = F.dropout(x, p=0.5).data
    gn.manual_seed(123)
    second = F.dropout(x, p=0.5).data
    assert first.tobytes() == second.tobytes()


def test_different_seeds_give_different_masks():
    x = gn.tensor(np.ones((64, 64)))
    gn.manual_seed(123)
    first = F.dropout(x, p=0.5).data
    gn.manual_seed(124)
    second = F.dropout(x, p=0.5).data
    assert not np.array_equal(first, second)


def test_successive_calls_draw_new_masks():
    x = gn.tensor(np.ones((64, 64)))
    gn.manual_seed(0)
    assert not np.array_equal(F.dropout(x).data, F.dropout(x).data)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_a_probability_outside_0_1(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(gn.tensor([1.0]), p=p)
