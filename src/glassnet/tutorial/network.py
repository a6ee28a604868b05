"""The tutorial's trainable network: 2 inputs, 2 hidden sigmoid neurons, 1 sigmoid output.

Section "Numpy 实现一个可学习的神经网络". The Chinese text shows this part only as images; the
network, its hand-derived partial derivatives and its training loop follow the Victor Zhou
original ("Machine Learning for Beginners: An Introduction to Neural Networks") that it
translates, keeping its names w1..w6, b1..b3 so the code reads beside the formulas.

    h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
    h2 = sigmoid(w3 * x1 + w4 * x2 + b2)
    o1 = sigmoid(w5 * h1 + w6 * h2 + b3)          y_pred = o1

For one sample the loss is L = (y_true - y_pred)^2, and every partial derivative is a product
along the path from the parameter to L (the chain rule), for example

    dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1
           = -2 (y_true - y_pred) * w5 f'(sum_o1) * x1 f'(sum_h1)

with f' = deriv_sigmoid and sum_h1, sum_o1 the totals that went into the sigmoids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from glassnet.tutorial._checks import as_rows, as_sample, as_targets
from glassnet.tutorial.activations import deriv_sigmoid, mse_loss, sigmoid

if TYPE_CHECKING:
    from glassnet.tutorial.autograd_network import AutogradPass

PARAMETER_NAMES: tuple[str, ...] = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")
RECORD_EVERY = 10  # epochs between loss records, as the tutorial prints


class ForwardPass(NamedTuple):
    """Everything one forward pass computes: the sums into each sigmoid and what came out."""

    sum_h1: float
    h1: float
    sum_h2: float
    h2: float
    sum_o1: float
    o1: float


class TrainableNetwork:
    """The 2-2-1 sigmoid network trained by hand-derived gradients.   x: (2,) -> float in (0, 1).

    Parameters
    ----------
    seed : int or None
        Seed for ``np.random.default_rng``; the nine parameters are drawn from a standard
        normal distribution in the order w1..w6, b1..b3. ``None`` draws fresh randomness.
    """

    def __init__(self, seed: int | None = None) -> None:
        rng = np.random.default_rng(seed)
        # the tutorial's names: they are the labels on its figures and formulas
        self.w1 = float(rng.normal())
        self.w2 = float(rng.normal())
        self.w3 = float(rng.normal())
        self.w4 = float(rng.normal())
        self.w5 = float(rng.normal())
        self.w6 = float(rng.normal())
        self.b1 = float(rng.normal())
        self.b2 = float(rng.normal())
        self.b3 = float(rng.normal())

    def parameters(self) -> dict[str, float]:
        """The current parameters by name: {"w1": ..., ..., "b3": ...} (a copy)."""
        return {name: getattr(self, name) for name in PARAMETER_NAMES}

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Overwrite some or all parameters by name, e.g. ``set_parameters({"w1": 0.5})``."""
        unknown = sorted(set(values) - set(PARAMETER_NAMES))
        if unknown:
            raise ValueError(
                f"TrainableNetwork has parameters {list(PARAMETER_NAMES)}; got unknown {unknown}."
            )
        for name, value in values.items():
            setattr(self, name, float(value))

    def forward_pass(self, x: ArrayLike) -> ForwardPass:
        """All intermediate values for one sample (x1, x2).   (2,) -> ForwardPass."""
        x1, x2 = as_sample(x, 2, who="TrainableNetwork")
        sum_h1 = self.w1 * x1 + self.w2 * x2 + self.b1
        h1 = float(sigmoid(sum_h1))
        sum_h2 = self.w3 * x1 + self.w4 * x2 + self.b2
        h2 = float(sigmoid(sum_h2))
        sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
        o1 = float(sigmoid(sum_o1))
        return ForwardPass(float(sum_h1), h1, float(sum_h2), h2, float(sum_o1), o1)

    def feedforward(self, x: ArrayLike) -> float:
        """y_pred = o1 for one sample.   (2,) -> float."""
        return self.forward_pass(x).o1

    def predict(self, X: ArrayLike) -> np.ndarray:
        """y_pred for each row.   (N, 2) -> (N,)."""
        rows = as_rows(X, 2, who="TrainableNetwork.predict")
        return np.array([self.feedforward(row) for row in rows], dtype=np.float64)

    def gradients(self, x: ArrayLike, y_true: float) -> dict[str, float]:
        """dL/dparameter for L = (y_true - y_pred)^2 on one sample, by the chain rule.

        Returns {"w1": dL/dw1, ..., "b3": dL/db3} as float64 numbers.
        """
        x1, x2 = as_sample(x, 2, who="TrainableNetwork.gradients")
        sums = self.forward_pass((x1, x2))
        d_L_d_ypred = -2.0 * (float(y_true) - sums.o1)

        # output neuron o1 = f(w5 h1 + w6 h2 + b3)
        slope_o1 = float(deriv_sigmoid(sums.sum_o1))
        d_ypred_d_w5 = sums.h1 * slope_o1
        d_ypred_d_w6 = sums.h2 * slope_o1
        d_ypred_d_b3 = slope_o1
        d_ypred_d_h1 = self.w5 * slope_o1
        d_ypred_d_h2 = self.w6 * slope_o1

        # hidden neuron h1 = f(w1 x1 + w2 x2 + b1)
        slope_h1 = float(deriv_sigmoid(sums.sum_h1))
        d_h1_d_w1 = x1 * slope_h1
        d_h1_d_w2 = x2 * slope_h1
        d_h1_d_b1 = slope_h1

        # hidden neuron h2 = f(w3 x1 + w4 x2 + b2)
        slope_h2 = float(deriv_sigmoid(sums.sum_h2))
        d_h2_d_w3 = x1 * slope_h2
        d_h2_d_w4 = x2 * slope_h2
        d_h2_d_b2 = slope_h2

        partials = {
            "w1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1,
            "w2": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w2,
            "w3": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w3,
            "w4": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w4,
            "w5": d_L_d_ypred * d_ypred_d_w5,
            "w6": d_L_d_ypred * d_ypred_d_w6,
            "b1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_b1,
            "b2": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_b2,
            "b3": d_L_d_ypred * d_ypred_d_b3,
        }
        return {name: float(value) for name, value in partials.items()}

    def autograd_graph(self, x: ArrayLike, y_true: float) -> AutogradPass:
        """This network's loss on one sample as a glassnet graph, ready for ``gn.explain``.

        The parameters become float64 leaf tensors named "w1".."b3"; h1, h2, y_pred and the
        loss L are named too. x: (2,), y_true: float.
        """
        from glassnet.tutorial.autograd_network import build_graph  # the one place autograd enters

        return build_graph(self.parameters(), x, y_true)

    def autograd_gradients(self, x: ArrayLike, y_true: float) -> dict[str, float]:
        """The same partials as ``gradients``, computed by glassnet's autograd instead of by hand.

        Returns {"w1": dL/dw1, ..., "b3": dL/db3}; the two agree to rounding (1e-12).
        """
        from glassnet.tutorial.autograd_network import autograd_gradients

        return autograd_gradients(self.parameters(), x, y_true)

    def train(
        self,
        data: ArrayLike,
        y_trues: ArrayLike,
        learn_rate: float = 0.1,
        epochs: int = 1000,
        *,
        verbose: bool = False,
        callback: Callable[[int, float], None] | None = None,
    ) -> list[tuple[int, float]]:
        """Stochastic gradient descent, one sample at a time; returns [(epoch, loss), ...].

        For every sample (x, y_true), every parameter p is updated from the partials of that
        sample's loss, all computed before any parameter changes:

            p <- p - learn_rate * dL/dp

        A positive partial lowers the parameter, a negative one raises it. Every 10 epochs
        (0, 10, ..., after that epoch's updates) the MSE over all of ``data`` is recorded;
        ``verbose`` prints it as the tutorial does ("Epoch %d loss: %.3f") and ``callback``
        receives (epoch, loss). data: (N, 2), y_trues: (N,).
        """
        rows = as_rows(data, 2, who="TrainableNetwork.train")
        targets = as_targets(y_trues, rows.shape[0], who="TrainableNetwork.train")
        history: list[tuple[int, float]] = []
        for epoch in range(epochs):
            for x, y_true in zip(rows, targets, strict=True):
                partials = self.gradients(x, y_true)
                for name, partial in partials.items():
                    setattr(self, name, getattr(self, name) - learn_rate * partial)
            if epoch % RECORD_EVERY == 0:
                loss = mse_loss(targets, self.predict(rows))
                history.append((epoch, loss))
                if verbose:
                    print(f"Epoch {epoch} loss: {loss:.3f}")
                if callback is not None:
                    callback(epoch, loss)
        return history

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value:.4g}" for name, value in self.parameters().items())
        return f"TrainableNetwork({values})"
