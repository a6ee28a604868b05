"""Linear: shapes, PyTorch's default init, dtype, input checks, gradients."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.functional import linear_ops


def test_layout_and_forward_match_numpy(rng):
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-6)


def test_extra_leading_axes_are_batch_axes(rng):
    layer = nn.Linear(4, 3)
    x = rng.normal(size=(2, 5, 4))
    assert layer(x).shape == (2, 5, 3)
    np.testing.assert_allclose(layer(x).data[1], layer(x[1]).data, rtol=1e-6)


def test_without_bias():
    layer = nn.Linear(2, 3, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_allclose(layer(np.ones((1, 2))).data, layer.weight.data.sum(1)[None])


def test_default_init_is_uniform_within_one_over_sqrt_fan_in():
    gn.manual_seed(0)
    in_features = 400
    layer = nn.Linear(in_features, 300)
    bound = 1 / math.sqrt(in_features)
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound  # fills the interval, not a narrower one
    # U(−b, b) has standard deviation b/√3 and mean 0
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(layer.weight.data.mean()) < 0.01 * bound


def test_same_seed_same_weights_and_float32_by_default():
    gn.manual_seed(3)
    first = nn.Linear(3, 2)
    gn.manual_seed(3)
    second = nn.Linear(3, 2)
    np.testing.assert_array_equal(first.weight.data, second.weight.data)
    np.testing.assert_array_equal(first.bias.data, second.bias.data)
    assert first.weight.dtype == np.float32 and first.bias.dtype == np.float32
    assert first(np.ones((1, 3))).dtype == np.float32


def test_float64_model_draws_the_same_weights_at_higher_precision(float64_default):
    gn.manual_seed(3)
    layer = nn.Linear(3, 2)
    assert layer.weight.dtype == np.float64
    gn.set_default_dtype(np.float32)
    gn.manual_seed(3)
    single = nn.Linear(3, 2)
    np.testing.assert_array_equal(single.weight.data, layer.weight.data.astype(np.float32))


def test_wrong_feature_count_is_a_shape_error():
    layer = nn.Linear(4, 2)
    with pytest.raises(gn.ShapeError) as error:
        layer(np.zeros((10, 3)))
    assert str(error.value) == "Linear expects input of shape (batch, 4); got (10, 3)."


def test_one_sample_gets_a_reshape_hint():
    with pytest.raises(gn.ShapeError, match=r"got \(4,\)\. For one sample, use x.reshape\(1, -1\)"):
        nn.Linear(4, 2)(np.zeros(4))


@pytest.mark.parametrize("bias", [True, False])
def test_gradients_match_finite_differences(float64_default, check_gradients, rng, bias):
    layer = nn.Linear(3, 2, bias=bias)
    x = gn.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    assert check_gradients(layer, x)


def test_reset_parameters_redraws():
    layer = nn.Linear(3, 3)
    before = layer.weight.data.copy()
    layer.reset_parameters()
    assert not np.array_equal(before, layer.weight.data)


def test_identity_returns_its_input_and_ignores_arguments():
    x = gn.tensor([[1.0, 2.0]])
    assert nn.Identity(54, unused="yes")(x) is x


@pytest.mark.parametrize("rows", [1, 1024])
def test_inference_without_a_graph_follows_the_switch_with_the_same_numbers(rows, monkeypatch):
    # 1024 rows: the fast path adds the biases through BLAS's ger, the same bits as NumPy's add
    made = []

    def spy(self, x, weight, bias=None):
        made.append(forward)
        return forward(self, x, weight, bias)

    model = nn.Sequential(nn.Linear(300, 200), nn.ReLU(), nn.Linear(200, 10))
    x = gn.tensor(np.random.default_rng(0).normal(size=(rows, 300)))
    forward = linear_ops.forward_through_blas
    monkeypatch.setattr(linear_ops.LinearOp, "forward", spy)  # the variant the switch bound
    with gn.no_grad():
        fast = model(x).data
    monkeypatch.undo()
    with gn.no_grad(), gn.fast_paths.disabled():
        forward = linear_ops.LinearOp.forward
        monkeypatch.setattr(linear_ops.LinearOp, "forward", spy)
        reference = model(x).data
        monkeypatch.undo()
    assert made == [linear_ops.forward_through_blas] * 2 + [forward] * 2
    assert forward is not linear_ops.forward_through_blas
    np.testing.assert_array_equal(fast, reference)
