"""The tutorial's activations and loss: its printed numbers, the formulas, extreme inputs."""

import warnings

import numpy as np
import pytest

from glassnet.tutorial import deriv_sigmoid, mse_loss, relu, sigmoid, softmax

EXTREMES = np.array([-1e308, -1000.0, -745.0, -30.0, 0.0, 30.0, 745.0, 1000.0, 1e308])


def test_sigmoid_reproduces_the_tutorial_formula_bit_for_bit_for_nonnegative_inputs():
    xs = np.linspace(0.0, 40.0, 401)
    assert np.array_equal(sigmoid(xs), 1 / (1 + np.exp(-xs)))


def test_sigmoid_matches_the_formula_for_negative_inputs():
    xs = np.linspace(-40.0, 0.0, 401)
    np.testing.assert_allclose(sigmoid(xs), 1 / (1 + np.exp(-xs)), rtol=1e-15, atol=0)


def test_sigmoid_of_a_number_is_a_scalar_and_of_a_list_an_array():
    assert np.ndim(sigmoid(0.0)) == 0
    assert sigmoid([0.0, 1.0, 2.0]).shape == (3,)
    assert sigmoid(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("function", [sigmoid, deriv_sigmoid, relu, softmax])
def test_extreme_inputs_give_finite_values_without_warnings(function):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = function(EXTREMES)
    assert np.all(np.isfinite(values))


def test_sigmoid_saturates_to_exactly_zero_and_one():
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(1000.0) == 1.0


def test_deriv_sigmoid_is_f_times_one_minus_f_and_matches_finite_differences():
    xs = np.linspace(-8.0, 8.0, 33)
    np.testing.assert_array_equal(deriv_sigmoid(xs), sigmoid(xs) * (1 - sigmoid(xs)))
    step = 1e-6
    central = (sigmoid(xs + step) - sigmoid(xs - step)) / (2 * step)
    np.testing.assert_allclose(deriv_sigmoid(xs), central, rtol=1e-8, atol=1e-10)
    assert deriv_sigmoid(0.0) == 0.25


def test_relu_keeps_positives_and_zeroes_the_rest():
    assert relu([-3.0, -0.5, 0.0, 0.5, 3.0]).tolist() == [0.0, 0.0, 0.0, 0.5, 3.0]


def test_softmax_rows_sum_to_one_and_ignore_a_constant_shift():
    logits = np.random.default_rng(0).normal(size=(4, 5)) * 10
    probabilities = softmax(logits)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(logits + 500.0), probabilities, rtol=1e-12)
    by_definition = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(probabilities, by_definition, rtol=1e-12)


def test_softmax_along_another_axis():
    logits = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(softmax(logits, axis=0), softmax(logits.T).T, rtol=1e-15)


def test_mse_loss_is_the_tutorial_s_exact_half_and_accepts_lists():
    assert mse_loss([1, 0, 0, 1], [0, 0, 0, 0]) == 0.5
    assert mse_loss(np.array([1, 0, 0, 1]), np.array([0, 0, 0, 0])) == 0.5
    assert isinstance(mse_loss([1.0], [0.0]), float)


def test_mse_loss_is_the_mean_of_squared_differences():
    y_true = np.array([0.5, -1.0, 2.0])
    y_pred = np.array([1.0, 1.0, 2.0])
    assert mse_loss(y_true, y_pred) == pytest.approx((0.25 + 4.0 + 0.0) / 3, rel=1e-15)


def test_mse_loss_refuses_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=r"same shape; got \(3,\) and \(3, 1\)"):
        mse_loss([1, 0, 1], [[1], [0], [1]])
    with pytest.raises(ValueError, match="at least one value"):
        mse_loss([], [])
