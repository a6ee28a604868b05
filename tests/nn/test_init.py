"""nn.init: PyTorch's gains and formulas, checked by the statistics of large draws."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.nn import init

SHAPE = (300, 500)  # fan_out = 300, fan_in = 500: 150 000 draws, std known to well under 1 %


def _weight():
    return nn.Parameter(np.empty(SHAPE, dtype=np.float32))


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 0, math.sqrt(2)), ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope must be a number"):
        init.calculate_gain("leaky_relu", True)


def test_fans_of_linear_and_convolution_weights():
    assert init.calculate_fan_in_and_fan_out(np.empty((3, 5))) == (5, 3)
    assert init.calculate_fan_in_and_fan_out(np.empty((8, 4, 3, 3))) == (36, 72)
    with pytest.raises(gn.ShapeError, match="at least 2 dimensions"):
        init.calculate_fan_in_and_fan_out(np.empty(4))


def _check_uniform(values, bound):
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_xavier_uniform_bound():
    gain = 1.5
    weight = init.xavier_uniform_(_weight(), gain=gain)
    _check_uniform(weight.data, gain * math.sqrt(6 / (500 + 300)))


def test_xavier_normal_std():
    weight = init.xavier_normal_(_weight(), gain=2.0)
    assert weight.data.std() == pytest.approx(2.0 * math.sqrt(2 / 800), rel=0.01)
    assert abs(weight.data.mean()) < 0.01 * weight.data.std()


@pytest.mark.parametrize("mode, fan", [("fan_in", 500), ("fan_out", 300)])
def test_kaiming_uniform_bound(mode, fan):
    weight = init.kaiming_uniform_(_weight(), mode=mode, nonlinearity="relu")
    _check_uniform(weight.data, math.sqrt(2) * math.sqrt(3 / fan))


@pytest.mark.parametrize("a", [0.0, 0.2])
def test_kaiming_normal_std_uses_the_leaky_relu_gain(a):
    weight = init.kaiming_normal_(_weight(), a=a)
    expected = math.sqrt(2 / (1 + a * a)) / math.sqrt(500)
    assert weight.data.std() == pytest.approx(expected, rel=0.01)


def test_kaiming_uniform_with_a_sqrt5_is_linear_default():
    weight = init.kaiming_uniform_(_weight(), a=math.sqrt(5))
    _check_uniform(weight.data, 1 / math.sqrt(500))


def test_kaiming_rejects_unknown_mode():
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'"):
        init.kaiming_normal_(_weight(), mode="fan_avg")


def test_uniform_normal_and_constants():
    weight = init.uniform_(_weight(), -2.0, 3.0)
    assert weight.data.min() >= -2.0 and weight.data.max() < 3.0
    assert weight.data.mean() == pytest.approx(0.5, abs=0.02)
    weight = init.normal_(_weight(), mean=1.0, std=0.5)
    assert weight.data.mean() == pytest.approx(1.0, abs=0.005)
    assert weight.data.std() == pytest.approx(0.5, rel=0.01)
    assert np.all(init.constant_(_weight(), 0.25).data == 0.25)
    assert np.all(init.zeros_(_weight()).data == 0)
    assert np.all(init.ones_(_weight()).data == 1)


@pytest.mark.parametrize("fill", [
    init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
    init.kaiming_uniform_, init.kaiming_normal_,
])
def test_in_place_reproducible_and_dtype_preserving(fill):
    weight = _weight()
    array = weight.data
    gn.manual_seed(11)
    assert fill(weight) is weight
    assert weight.data is array and array.dtype == np.float32
    gn.manual_seed(11)
    again = fill(np.empty(SHAPE, dtype=np.float64))  # ndarrays are accepted too
    np.testing.assert_array_equal(array, again.astype(np.float32))  # drawn in float64, then cast
    assert not np.array_equal(fill(_weight()).data, array)  # the generator moved on


def test_rejects_non_floating_data():
    with pytest.raises(gn.DTypeError, match="floating"):
        init.normal_(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(gn.DTypeError, match="got list"):
        init.zeros_([1.0, 2.0])


def test_zero_element_tensor_is_left_alone_with_a_warning():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(np.empty((0, 3)))
