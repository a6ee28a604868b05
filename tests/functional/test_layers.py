"""linear (weight of shape (out, in)) and dropout (inverted, seeded by gn.manual_seed)."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F


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


@pytest.mark.parametrize(
    "batch, in_features, out_features",
    [
        pytest.param(600, 300, 2, id="large-input-gradient"),  # x and its gradient: 180k
        pytest.param(2, 600, 300, id="large-weight-gradient"),  # weight gradient: 180k
        pytest.param(1, 600, 300, id="large-outer-product"),  # batch of one: k = 1
        pytest.param(600, 1, 300, id="large-output-from-one-feature"),  # forward with k = 1
        # no more rows than columns: output and input gradient laid out feature-major
        pytest.param(200, 300, 400, id="large-feature-major"),
        pytest.param(200, 1, 400, id="large-feature-major-from-one-feature"),
    ],
)
def test_linear_large_products_match_the_small_path(
    batch, in_features, out_features, monkeypatch
):
    # results of _MATMUL_FROM elements and more go through np.matmul instead of ndarray.dot
    from glassnet.functional import layers

    results = (batch * out_features, batch * in_features, out_features * in_features)
    assert max(results) >= layers._MATMUL_FROM

    def values_and_gradients():
        rng = np.random.default_rng(7)
        x = leaf(rng.normal(size=(batch, in_features)))
        weight = leaf(rng.normal(size=(out_features, in_features)))
        bias = leaf(rng.normal(size=out_features))
        out = F.linear(x, weight, bias)
        out.backward(rng.normal(size=out.shape))
        return [out.data, x.grad, weight.grad, bias.grad]

    large_path = values_and_gradients()
    monkeypatch.setattr(layers, "_MATMUL_FROM", 1 << 62)  # every product through ndarray.dot
    small_path = values_and_gradients()
    for large, small in zip(large_path, small_path, strict=True):
        np.testing.assert_allclose(large, small, rtol=1e-12, atol=1e-12)


def test_linear_lays_large_results_out_along_their_shorter_side(rng):
    # (N, out) with N <= out is computed as the transpose of a row-major (out, N) product; the
    # weight gradient keeps the weight's row-major layout, which optimizers read flat
    x = leaf(rng.normal(size=(128, 300)))
    wide = leaf(rng.normal(size=(256, 300)))
    narrow = leaf(rng.normal(size=(64, 256)))
    hidden = F.linear(x, wide)
    out = F.linear(hidden, narrow)
    assert hidden.data.flags.f_contiguous and not hidden.data.flags.c_contiguous
    assert out.data.flags.c_contiguous  # 128 rows > 64 columns
    out.sum().backward()
    assert wide.grad.flags.c_contiguous and narrow.grad.flags.c_contiguous
    expected_hidden = x.data @ wide.data.T
    np.testing.assert_allclose(hidden.data, expected_hidden, rtol=1e-12, atol=1e-10)
    ones = np.ones((128, 64))
    np.testing.assert_allclose(narrow.grad, ones.T @ expected_hidden, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(wide.grad, (ones @ narrow.data).T @ x.data, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(x.grad, ones @ narrow.data @ wide.data, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("order", ["C", "F"])
def test_linear_input_gradient_is_laid_out_like_the_input(order, rng):
    # then an elementwise op before the layer sees its value and its gradient in one layout
    from glassnet.functional import layers

    x = np.asarray(rng.normal(size=(200, 300)), order=order)
    weight, grad = rng.normal(size=(400, 300)), rng.normal(size=(200, 400))
    op = layers.Linear()
    op.needs_input_grad = (True, True)
    op.forward(x, weight)
    grad_x, grad_weight = op.backward(grad)
    assert grad_x.flags[f"{order}_CONTIGUOUS"] and grad_weight.flags.c_contiguous
    np.testing.assert_allclose(grad_x, grad @ weight, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(grad_weight, grad.T @ x, rtol=1e-12, atol=1e-10)


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


def test_dropout_on_a_feature_major_batch_draws_its_mask_in_that_layout(rng):
    # a mask in the other layout would make every product with it a strided, 5x slower pass
    x = gn.tensor(np.asfortranarray(rng.normal(size=(300, 200))), requires_grad=True,
                  dtype=np.float64)  # fmt: skip
    gn.manual_seed(4)
    out = F.dropout(x, p=0.25)
    assert out.data.flags.f_contiguous
    kept = out.data != 0
    np.testing.assert_allclose(out.data[kept], x.data[kept] / 0.75)
    assert abs(1 - kept.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / kept.size)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)


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
