"""A neuron with a bias, and the tutorial's fixed 2-2-1 network built from three of them.

Section "Numpy 实现神经元" and "Numpy 实现前向传播": a neuron weights its inputs, adds a bias
and squashes the total with the sigmoid; a network feeds the outputs of one layer of neurons
into the next.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from glassnet.tutorial._checks import as_sample
from glassnet.tutorial.activations import sigmoid


class Neuron:
    """y = sigmoid(w·x + b).   x: (n_inputs,) -> float in (0, 1).

    >>> Neuron([0, 1], 4).feedforward([2, 3])  # sigmoid(0*2 + 1*3 + 4) = sigmoid(7)
    0.9990889488055994
    """

    def __init__(self, weights: ArrayLike, bias: float) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1 or self.weights.size == 0:
            raise ValueError(
                f"Neuron expects weights of shape (n_inputs,); got {self.weights.shape}."
            )
        self.bias = float(bias)

    def total(self, inputs: ArrayLike) -> float:
        """The sum before the activation: w·x + b.   (n_inputs,) -> float."""
        x = as_sample(inputs, self.weights.size, who="Neuron")
        return float(np.dot(self.weights, x) + self.bias)

    def feedforward(self, inputs: ArrayLike) -> float:
        """Weight the inputs, add the bias, apply the sigmoid.   (n_inputs,) -> float."""
        return float(sigmoid(self.total(inputs)))

    def __repr__(self) -> str:
        return f"Neuron(weights={self.weights.tolist()}, bias={self.bias})"


class OurNeuralNetwork:
    """The tutorial's fixed network: 2 inputs -> hidden h1, h2 -> output o1.   (2,) -> float.

    Every neuron has the same weights w = [0, 1] and bias b = 0:

        h1 = h2 = sigmoid(0 * x1 + 1 * x2 + 0)
        o1 = sigmoid(0 * h1 + 1 * h2 + 0)

    >>> OurNeuralNetwork().feedforward([2, 3])
    0.7216325609518421
    """

    def __init__(self) -> None:
        weights = np.array([0.0, 1.0])
        bias = 0.0
        self.h1 = Neuron(weights, bias)
        self.h2 = Neuron(weights, bias)
        self.o1 = Neuron(weights, bias)

    def feedforward(self, x: ArrayLike) -> float:
        """The hidden neurons see x; the output neuron sees (h1, h2).   (2,) -> float."""
        out_h1 = self.h1.feedforward(x)
        out_h2 = self.h2.feedforward(x)
        return self.o1.feedforward([out_h1, out_h2])
