"""The perceptron: a weighted vote of binary inputs against a threshold, and how it learns.

The tutorial introduces neurons with the perceptron ("感知机"): several inputs, one weight per
input, and an output of 1 when the weighted sum exceeds a threshold. ``hiking.py`` holds the
tutorial's weekend-hiking example built from this class.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from glassnet.tutorial._checks import as_binary_labels, as_rows


class Perceptron:
    """ŷ = 1 if w·x > threshold else 0.   x: (n_inputs,) -> 0 or 1;  X: (N, n_inputs) -> (N,).

    Build one from known weights, ``Perceptron([8, 10, 1], threshold=5)``, or start from zeros
    and learn the weights from examples with ``Perceptron.zeros(n_inputs).fit(X, y)``.

    Parameters
    ----------
    weights : array-like of shape (n_inputs,)
        How much each input counts towards a 1.
    threshold : float
        The weighted sum must be strictly greater than this for the output to be 1.

    Attributes set by ``fit``
    -------------------------
    errors_per_epoch_ : list[int]
        How many examples were misclassified (and so caused an update) in each epoch.
    converged_ : bool
        Whether the last epoch had no errors, i.e. every example is classified correctly.
    """

    def __init__(self, weights: ArrayLike, threshold: float = 0.0) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1 or self.weights.size == 0:
            raise ValueError(
                f"Perceptron expects weights of shape (n_inputs,); got {self.weights.shape}."
            )
        self.threshold = float(threshold)

    @classmethod
    def zeros(cls, n_inputs: int) -> Perceptron:
        """An untrained perceptron: all weights 0 and threshold 0, so it answers 0 to everything."""
        if n_inputs < 1:
            raise ValueError(f"Perceptron.zeros expects n_inputs >= 1; got {n_inputs}.")
        return cls(np.zeros(n_inputs), threshold=0.0)

    @property
    def n_inputs(self) -> int:
        """How many inputs the perceptron takes."""
        return self.weights.size

    def weighted_sum(self, inputs: ArrayLike) -> float | np.ndarray:
        """w·x = sum_i w_i * x_i.   (n_inputs,) -> float;  (N, n_inputs) -> (N,)."""
        array = np.asarray(inputs, dtype=np.float64)
        rows = as_rows(np.atleast_2d(array), self.n_inputs, who="Perceptron")
        sums = rows @ self.weights
        return float(sums[0]) if array.ndim == 1 else sums

    def predict(self, inputs: ArrayLike) -> int | np.ndarray:
        """1 if w·x > threshold else 0.   (n_inputs,) -> int;  (N, n_inputs) -> (N,) of int."""
        sums = self.weighted_sum(inputs)
        if isinstance(sums, float):
            return int(sums > self.threshold)
        return (sums > self.threshold).astype(np.int64)

    def fit(
        self, X: ArrayLike, y: ArrayLike, epochs: int = 100, learn_rate: float = 1.0
    ) -> Perceptron:
        """Rosenblatt's learning rule, one example at a time; returns self.

        For each example (x, y) with prediction ŷ:

            w         <- w + learn_rate * (y - ŷ) * x
            threshold <- threshold - learn_rate * (y - ŷ)

        Correct answers (y = ŷ) change nothing; a missed 1 raises the sum for inputs like x and
        lowers the bar, a false 1 does the opposite. X: (N, n_inputs), y: (N,) of 0/1.

        Training stops after the first epoch without errors. If the examples can be separated
        by a line (a plane, in more dimensions) that is guaranteed to happen after finitely many
        updates (the perceptron convergence theorem). If they cannot, as for XOR, every epoch
        has at least one error: an epoch without errors would leave the weights unchanged and
        so classify every example correctly, which no line can do for XOR.

        >>> from glassnet.tutorial.data import xor_data
        >>> X, y = xor_data()
        >>> learner = Perceptron.zeros(2).fit(X, y, epochs=100)
        >>> learner.converged_, min(learner.errors_per_epoch_) > 0
        (False, True)
        """
        rows = as_rows(X, self.n_inputs, who="Perceptron.fit")
        labels = as_binary_labels(y, rows.shape[0], who="Perceptron.fit")
        self.errors_per_epoch_: list[int] = []
        self.converged_ = False
        for _ in range(epochs):
            errors = 0
            for x, label in zip(rows, labels, strict=True):
                prediction = int(x @ self.weights > self.threshold)
                update = learn_rate * (label - prediction)
                if update != 0:
                    self.weights += update * x
                    self.threshold -= update
                    errors += 1
            self.errors_per_epoch_.append(errors)
            if errors == 0:
                self.converged_ = True
                break
        return self

    def __repr__(self) -> str:
        return f"Perceptron(weights={self.weights.tolist()}, threshold={self.threshold})"
