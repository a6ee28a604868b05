"""The text's 2-input, 2-output illustration: ReLU hidden units, then a softmax output.

The text draws a network with two inputs, two ReLU hidden units and two outputs turned into
probabilities by softmax, ending at (0.98, 0.02) against the true answer (1, 0). Its figures are
images, so the numbers in them are not available: the default weights and input below are ours,
chosen to land on the same output and to show ReLU cutting a negative sum to 0.

    hidden = relu(hidden_weights @ x + hidden_bias)          (2,) -> (2,)
    output = softmax(output_weights @ hidden + output_bias)  (2,) -> (2,)

With the defaults and x = (2, 3):
hidden sums (5, -1) -> relu (5, 0) -> output sums (5, 1) -> softmax ≈ (0.982, 0.018).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from glassnet.tutorial._checks import as_sample
from glassnet.tutorial.activations import relu, softmax

EXAMPLE_INPUT: tuple[float, float] = (2.0, 3.0)
EXAMPLE_TARGET: tuple[float, float] = (1.0, 0.0)


class TwoByTwoTrace(NamedTuple):
    """Each step of one forward pass, shape (2,) each."""

    hidden_sums: np.ndarray
    hidden: np.ndarray
    output_sums: np.ndarray
    probabilities: np.ndarray


class TwoByTwoNetwork:
    """x: (2,) -> relu hidden (2,) -> softmax probabilities (2,).   Weights are (2, 2).

    >>> probabilities = TwoByTwoNetwork().feedforward(EXAMPLE_INPUT)
    >>> [round(p, 2) for p in probabilities.tolist()]
    [0.98, 0.02]
    """

    def __init__(
        self,
        hidden_weights: ArrayLike = ((1.0, 1.0), (1.0, -1.0)),
        hidden_bias: ArrayLike = (0.0, 0.0),
        output_weights: ArrayLike = ((1.0, 0.5), (0.2, -0.5)),
        output_bias: ArrayLike = (0.0, 0.0),
    ) -> None:
        self.hidden_weights = _square(hidden_weights, "hidden_weights")
        self.hidden_bias = as_sample(hidden_bias, 2, who="TwoByTwoNetwork hidden_bias")
        self.output_weights = _square(output_weights, "output_weights")
        self.output_bias = as_sample(output_bias, 2, who="TwoByTwoNetwork output_bias")

    def trace(self, x: ArrayLike) -> TwoByTwoTrace:
        """Every intermediate value for one input (x1, x2).   (2,) -> TwoByTwoTrace."""
        inputs = as_sample(x, 2, who="TwoByTwoNetwork")
        hidden_sums = self.hidden_weights @ inputs + self.hidden_bias
        hidden = relu(hidden_sums)
        output_sums = self.output_weights @ hidden + self.output_bias
        return TwoByTwoTrace(hidden_sums, hidden, output_sums, softmax(output_sums))

    def feedforward(self, x: ArrayLike) -> np.ndarray:
        """The output probabilities, positive and summing to 1.   (2,) -> (2,)."""
        return self.trace(x).probabilities


def _square(weights: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(weights, dtype=np.float64)
    if array.shape != (2, 2):
        raise ValueError(f"TwoByTwoNetwork expects {name} of shape (2, 2); got {array.shape}.")
    return array
