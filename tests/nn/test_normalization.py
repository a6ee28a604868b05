"""BatchNorm1d and LayerNorm against the formulas in NumPy, in both modes; gradients."""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def _normalize(x, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


class TestBatchNorm1d:
    def test_training_forward_uses_the_biased_batch_variance(self, float64_default, rng):
        norm = nn.BatchNorm1d(3)
        norm.weight.data[...] = [1.0, 2.0, -0.5]
        norm.bias.data[...] = [0.0, 1.0, 3.0]
        x = rng.normal(loc=4.0, scale=3.0, size=(6, 3))
        expected = _normalize(x, 0) * norm.weight.data + norm.bias.data
        np.testing.assert_allclose(norm(x).data, expected, rtol=1e-12, atol=1e-12)

    def test_a_column_major_batch_normalizes_as_a_row_major_one(self, float64_default, rng):
        # whatever layout the layer before hands over
        x = rng.normal(loc=2.0, scale=3.0, size=(8, 20))
        results = []
        for layout in (np.ascontiguousarray(x), np.asfortranarray(x)):
            norm = nn.BatchNorm1d(20)
            norm.weight.data[...] = np.linspace(0.5, 2.0, 20)
            inputs = gn.tensor(layout, requires_grad=True)
            out = norm(inputs)
            (out * out * np.arange(160.0).reshape(8, 20)).sum().backward()
            results.append([out.data, inputs.grad, norm.weight.grad, norm.bias.grad,
                            norm.running_mean, norm.running_var])  # fmt: skip
        for row_major, column_major in zip(*results, strict=True):
            np.testing.assert_allclose(column_major, row_major, rtol=1e-12, atol=1e-12)

    def test_running_statistics_follow_momentum_and_unbiased_variance(self, float64_default, rng):
        norm = nn.BatchNorm1d(2, momentum=0.2)
        running_mean, running_var = np.zeros(2), np.ones(2)
        for step in range(1, 4):
            x = rng.normal(loc=step, scale=step, size=(5, 2))
            norm(x)
            batch_var_unbiased = ((x - x.mean(0)) ** 2).sum(0) / (5 - 1)
            running_mean = 0.8 * running_mean + 0.2 * x.mean(0)
            running_var = 0.8 * running_var + 0.2 * batch_var_unbiased
            np.testing.assert_allclose(norm.running_mean, running_mean, rtol=1e-12)
            np.testing.assert_allclose(norm.running_var, running_var, rtol=1e-12)
            assert int(norm.num_batches_tracked) == step

    def test_momentum_none_keeps_a_cumulative_average(self, float64_default, rng):
        norm = nn.BatchNorm1d(2, momentum=None)
        batches = [rng.normal(size=(4, 2)) for _ in range(3)]
        for x in batches:
            norm(x)
        np.testing.assert_allclose(norm.running_mean, np.mean([b.mean(0) for b in batches], 0))
        np.testing.assert_allclose(norm.running_var,
                                   np.mean([b.var(0, ddof=1) for b in batches], 0))

    def test_eval_uses_running_statistics_and_changes_nothing(self, float64_default, rng):
        norm = nn.BatchNorm1d(2)
        norm.running_mean[...] = [1.0, -2.0]
        norm.running_var[...] = [4.0, 0.25]
        norm.weight.data[...] = [2.0, 1.0]
        norm.bias.data[...] = [0.5, 0.0]
        norm.eval()
        x = rng.normal(size=(3, 2))
        expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 1.0] + [0.5, 0]
        np.testing.assert_allclose(norm(x).data, expected, rtol=1e-12)
        np.testing.assert_array_equal(norm.running_mean, [1.0, -2.0])
        assert int(norm.num_batches_tracked) == 0
        assert norm(x[:1]).shape == (1, 2)  # one sample is fine with running statistics

    def test_without_running_statistics_batch_statistics_serve_eval(self, float64_default, rng):
        norm = nn.BatchNorm1d(2, track_running_stats=False).eval()
        assert norm.running_mean is None and "running_mean" not in norm.state_dict()
        x = rng.normal(loc=3.0, size=(5, 2))
        np.testing.assert_allclose(norm(x).data, _normalize(x, 0), rtol=1e-12)

    def test_three_dimensional_input_normalises_over_batch_and_length(self, float64_default, rng):
        norm = nn.BatchNorm1d(3)
        x = rng.normal(loc=2.0, size=(4, 3, 5))
        np.testing.assert_allclose(norm(x).data, _normalize(x, (0, 2)), rtol=1e-12, atol=1e-12)
        count = 4 * 5
        unbiased = x.transpose(1, 0, 2).reshape(3, -1).var(1) * count / (count - 1)
        np.testing.assert_allclose(norm.running_var, 0.9 + 0.1 * unbiased, rtol=1e-12)

    def test_without_affine_there_are_no_parameters(self, rng):
        norm = nn.BatchNorm1d(2, affine=False)
        assert list(norm.parameters()) == [] and norm.weight is None
        x = rng.normal(size=(4, 2))
        np.testing.assert_allclose(norm(x).data, _normalize(x, 0), rtol=1e-5, atol=1e-6)

    def test_float32_stays_float32(self, rng):
        norm = nn.BatchNorm1d(2)
        out = norm(rng.normal(size=(4, 2)))
        assert out.dtype == np.float32 and norm.running_var.dtype == np.float32
        out.sum().backward()
        assert norm.weight.grad.dtype == np.float32

    def test_shape_errors(self):
        expected = ("BatchNorm1d(3) expects input of shape (batch, 3) or (batch, 3, length); "
                    "got (4, 2).")
        with pytest.raises(gn.ShapeError) as error:
            nn.BatchNorm1d(3)(np.zeros((4, 2)))
        assert str(error.value) == expected
        with pytest.raises(gn.ShapeError, match="more than 1 value per feature"):
            nn.BatchNorm1d(3)(np.zeros((1, 3)))

    @pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4)])
    @pytest.mark.parametrize("mode", ["train", "eval"])
    def test_gradients_match_finite_differences(
        self, float64_default, check_gradients, rng, shape, mode
    ):
        norm = nn.BatchNorm1d(shape[1])
        norm.weight.data[...] = rng.normal(size=shape[1])
        norm.bias.data[...] = rng.normal(size=shape[1])
        norm.running_mean[...] = rng.normal(size=shape[1])
        norm.running_var[...] = rng.uniform(0.5, 2.0, size=shape[1])
        norm.train(mode == "train")
        x = gn.tensor(rng.normal(scale=2.0, size=shape), requires_grad=True)
        assert check_gradients(norm, x)

    def test_bias_false_keeps_only_the_scale(self, float64_default, check_gradients, rng):
        norm = nn.BatchNorm1d(3, bias=False)
        assert [name for name, _ in norm.named_parameters()] == ["weight"]
        norm.weight.data[...] = rng.normal(size=3)
        x = gn.tensor(rng.normal(size=(4, 3)), requires_grad=True)
        assert check_gradients(norm, x)

    def test_gradient_of_input_alone(self, float64_default, check_gradients, rng):
        x = gn.tensor(rng.normal(size=(4, 3)), requires_grad=True)
        assert check_gradients(nn.BatchNorm1d(3, affine=False), x)

    def test_constant_feature_gives_zeros_not_nan(self):
        out = nn.BatchNorm1d(2)(np.full((4, 2), 1e6))
        assert np.all(out.data == 0)


class TestLayerNorm:
    def test_a_scalar_keeps_its_shape(self):
        # normalized_shape () on a 0-d input: the statistics are the value itself
        out = nn.LayerNorm(())(gn.tensor(np.float32(3.0)))
        assert out.shape == () and out.item() == 0.0

    def test_normalises_each_sample_over_the_last_axes(self, float64_default, rng):
        norm = nn.LayerNorm((3, 4))
        norm.weight.data[...] = rng.normal(size=(3, 4))
        norm.bias.data[...] = rng.normal(size=(3, 4))
        x = rng.normal(loc=5.0, scale=2.0, size=(2, 3, 4))
        expected = _normalize(x, (1, 2)) * norm.weight.data + norm.bias.data
        np.testing.assert_allclose(norm(x).data, expected, rtol=1e-12, atol=1e-12)

    def test_same_in_training_and_eval(self, rng):
        norm = nn.LayerNorm(4)
        x = rng.normal(size=(3, 4))
        np.testing.assert_array_equal(norm(x).data, norm.eval()(x).data)
        assert norm.state_dict().keys() == {"weight", "bias"}

    def test_options_remove_parameters(self):
        assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
        assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]

    def test_shape_error_names_the_expected_trailing_axes(self):
        with pytest.raises(gn.ShapeError, match=r"expects input of shape \(batch, …, 4\); "
                                                r"got \(2, 3\)"):
            nn.LayerNorm(4)(np.zeros((2, 3)))

    @pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 4)), ((2, 3), (2, 2, 3)),
                                                         (3, (2, 2, 3))])
    @pytest.mark.parametrize("affine", ["both", "weight", "none"])
    def test_gradients_match_finite_differences(
        self, float64_default, check_gradients, rng, normalized_shape, shape, affine
    ):
        norm = nn.LayerNorm(normalized_shape, elementwise_affine=affine != "none",
                            bias=affine == "both")
        for parameter in norm.parameters():
            parameter.data[...] = rng.normal(size=parameter.shape)
        x = gn.tensor(rng.normal(scale=2.0, size=shape), requires_grad=True)
        assert check_gradients(norm, x)


@pytest.mark.parametrize("scale", [1e30, 1e-30])
@pytest.mark.parametrize("make", [lambda: nn.BatchNorm1d(3), lambda: nn.LayerNorm(3)],
                         ids=["BatchNorm1d", "LayerNorm"])
def test_extreme_float32_inputs_stay_finite(make, scale):
    layer = make()
    x = gn.tensor(np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]]) * scale, requires_grad=True)
    # underflow to 0 of products like x̂·mean(ĝ·x̂) ~ 1e-56 is the right float32 answer
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        out = layer(x)
        (out * gn.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])).sum().backward()
    assert out.dtype == np.float32 and np.all(np.isfinite(out.data))
    assert np.all(np.isfinite(x.grad)) and np.all(np.abs(out.data) <= 2.0)
    if isinstance(layer, nn.BatchNorm1d):
        assert np.all(np.isfinite(layer.running_var))
