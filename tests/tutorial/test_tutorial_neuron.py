"""The neuron and the fixed 2-2-1 network reproduce the tutorial's printed outputs exactly."""

import numpy as np
import pytest

from glassnet.tutorial import Neuron, OurNeuralNetwork, sigmoid


def test_neuron_prints_the_tutorial_s_number():
    assert Neuron([0, 1], 4).feedforward([2, 3]) == 0.9990889488055994
    assert Neuron(np.array([0, 1]), 4).feedforward(np.array([2, 3])) == 0.9990889488055994


def test_neuron_is_sigmoid_of_weighted_sum_plus_bias():
    neuron = Neuron([0.5, -1.5, 2.0], -0.25)
    x = [1.0, 2.0, -0.5]
    assert neuron.total(x) == 0.5 * 1.0 - 1.5 * 2.0 + 2.0 * -0.5 - 0.25
    assert neuron.feedforward(x) == sigmoid(neuron.total(x))


def test_our_neural_network_prints_the_tutorial_s_number():
    assert OurNeuralNetwork().feedforward([2, 3]) == 0.7216325609518421


def test_our_neural_network_is_three_neurons_composed():
    x = [-1.5, 0.75]
    hidden = sigmoid(0 * x[0] + 1 * x[1] + 0)
    expected = sigmoid(0 * hidden + 1 * hidden + 0)
    assert OurNeuralNetwork().feedforward(x) == pytest.approx(float(expected), rel=1e-15)


def test_neuron_says_what_shape_it_expected():
    with pytest.raises(ValueError, match=r"one sample of shape \(2,\); got \(3,\)"):
        Neuron([0, 1], 4).feedforward([1, 2, 3])
    with pytest.raises(ValueError, match="shape \\(n_inputs,\\)"):
        Neuron([[0, 1]], 4)
