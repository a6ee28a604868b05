"""Activation layers, Flatten and Dropout: values against NumPy, gradients, modes."""

import math

import numpy as np
import pytest
from scipy.special import erf

import glassnet as gn
from glassnet import nn


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = [
    pytest.param(nn.ReLU(), lambda x: np.maximum(x, 0), id="ReLU"),
    pytest.param(nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), id="LeakyReLU"),
    pytest.param(nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), id="Sigmoid"),
    pytest.param(nn.Tanh(), np.tanh, id="Tanh"),
    pytest.param(nn.GELU(), lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))), id="GELU"),
    pytest.param(
        nn.GELU("tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        id="GELU-tanh",
    ),
    pytest.param(nn.Softplus(), lambda x: np.log1p(np.exp(x)), id="Softplus"),
    pytest.param(nn.Softmax(), lambda x: _softmax(x, -1), id="Softmax"),
    pytest.param(nn.Softmax(dim=0), lambda x: _softmax(x, 0), id="Softmax-dim0"),
    pytest.param(nn.LogSoftmax(), lambda x: np.log(_softmax(x, -1)), id="LogSoftmax"),
]


@pytest.mark.parametrize("layer, reference", ACTIVATIONS)
def test_values_match_numpy(layer, reference, rng):
    x = rng.normal(scale=2.0, size=(4, 5))
    np.testing.assert_allclose(layer(gn.tensor(x, dtype=np.float64)).data, reference(x),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layer, reference", ACTIVATIONS)
def test_gradients_match_finite_differences(
    layer, reference, float64_default, check_gradients, rng
):
    x = gn.tensor(rng.normal(scale=2.0, size=(3, 4)), requires_grad=True)
    x.data[np.abs(x.data) < 1e-3] = 0.5  # keep ReLU's kink out of the finite differences
    assert check_gradients(layer, x)


def test_activations_keep_float32():
    x = np.linspace(-3, 3, 7, dtype=np.float32).reshape(1, 7)
    for layer in (nn.ReLU(), nn.GELU(), nn.Softmax(), nn.Sigmoid()):
        assert layer(x).dtype == np.float32


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("erf")


class TestFlatten:
    @pytest.mark.parametrize("start, end, expected", [
        (1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)), (-2, -1, (2, 3, 20)),
        (2, 2, (2, 3, 4, 5)),
    ])
    def test_shapes_follow_pytorch(self, start, end, expected):
        x = gn.tensor(np.arange(120.0).reshape(2, 3, 4, 5))
        out = nn.Flatten(start, end)(x)
        assert out.shape == expected
        np.testing.assert_array_equal(out.data.reshape(-1), np.arange(120.0))

    def test_gradients(self, float64_default, check_gradients, rng):
        x = gn.tensor(rng.normal(size=(2, 3, 2)), requires_grad=True)
        assert check_gradients(nn.Flatten(), x)

    def test_bad_axes_are_shape_errors(self):
        with pytest.raises(gn.ShapeError, match="axes that exist"):
            nn.Flatten(start_dim=3)(np.zeros((2, 3)))
        with pytest.raises(gn.ShapeError, match="comes after end_dim"):
            nn.Flatten(start_dim=-1, end_dim=0)(np.zeros((2, 3)))


class TestDropout:
    def test_is_the_identity_in_eval_mode(self, rng):
        layer = nn.Dropout(0.5).eval()
        x = gn.tensor(rng.normal(size=(10, 10)))
        np.testing.assert_array_equal(layer(x).data, x.data)

    def test_training_zeros_a_fraction_p_and_scales_the_rest(self):
        gn.manual_seed(0)
        out = nn.Dropout(0.3)(np.ones((200, 200), dtype=np.float32)).data
        kept = out != 0
        assert kept.mean() == pytest.approx(0.7, abs=0.01)
        np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
        assert out.dtype == np.float32

    def test_same_seed_same_mask(self):
        gn.manual_seed(5)
        first = nn.Dropout()(np.ones((4, 4))).data
        gn.manual_seed(5)
        np.testing.assert_array_equal(nn.Dropout()(np.ones((4, 4))).data, first)

    def test_gradient_is_the_mask(self, float64_default, rng):
        layer = nn.Dropout(0.4)

        def seeded(x):
            gn.manual_seed(7)  # the same mask at every evaluation of the finite differences
            return layer(x)

        x = gn.tensor(rng.normal(size=(3, 4)), requires_grad=True)
        assert gn.gradcheck(seeded, [x])

    @pytest.mark.parametrize("p", [-0.1, 1.5])
    def test_rejects_probabilities_outside_zero_one(self, p):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
