"""The tutorial's tiny network, trained one sample at a time: micrograd, PyTorch, plain Python.

2 inputs -> 2 sigmoid hidden units -> 1 sigmoid output; loss (y_pred - y)^2 per sample;
SGD with lr 0.1; 1000 epochs over the 4 people = 4000 updates. One "step" is one update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from peers import TORCH_THREADS, Contender

# (weight - 135 lb, height - 66 in) -> 1 for female, as in the tutorial
PEOPLE = {
    "Alice": ((-2.0, -1.0), 1.0),
    "Bob": ((25.0, 6.0), 0.0),
    "Charlie": ((17.0, 4.0), 0.0),
    "Diana": ((-15.0, -6.0), 1.0),
}
STEPS = 4000


@dataclass(frozen=True)
class TinyData:
    """inputs (4, 2), targets (4,), parameters (9,): w1..w6 then b1..b3, float64."""

    inputs: np.ndarray
    targets: np.ndarray
    parameters: np.ndarray
    learning_rate: float = 0.1


def make_tiny_data(seed: int = 0) -> TinyData:
    """The four people, and N(0, 1) initial weights and biases as in the tutorial."""
    inputs = np.array([features for features, _ in PEOPLE.values()])
    targets = np.array([target for _, target in PEOPLE.values()])
    return TinyData(inputs, targets, np.random.default_rng(seed).normal(size=9))


def _samples(data: TinyData) -> list[tuple[tuple[float, float], float]]:
    """((x0, x1), y) per person, as Python floats."""
    pairs = zip(data.inputs.tolist(), data.targets.tolist(), strict=True)
    return [(tuple(x), y) for x, y in pairs]


def _sigmoid(x: float) -> float:
    return 0.5 * math.tanh(0.5 * x) + 0.5  # same value as 1/(1+e^-x), cannot overflow


class PythonByHand:
    """The tutorial's own backward pass: chain rule written out in Python floats."""

    def __init__(self, data: TinyData) -> None:
        self.samples = _samples(data)
        self.params = [float(p) for p in data.parameters]
        self.learning_rate, self.position = data.learning_rate, 0

    def forward(self, x0: float, x1: float) -> tuple[float, float, float]:
        w1, w2, w3, w4, w5, w6, b1, b2, b3 = self.params
        h1 = _sigmoid(w1 * x0 + w2 * x1 + b1)
        h2 = _sigmoid(w3 * x0 + w4 * x1 + b2)
        return h1, h2, _sigmoid(w5 * h1 + w6 * h2 + b3)

    def run(self, steps: int) -> int:
        lr = self.learning_rate
        for _ in range(steps):
            (x0, x1), y = self.samples[self.position]
            self.position = (self.position + 1) % 4
            w1, w2, w3, w4, w5, w6, b1, b2, b3 = self.params
            h1, h2, o = self.forward(x0, x1)
            d_o = -2.0 * (y - o) * o * (1.0 - o)  # dL/d(output pre-activation)
            d_h1 = d_o * w5 * h1 * (1.0 - h1)
            d_h2 = d_o * w6 * h2 * (1.0 - h2)
            self.params = [
                w1 - lr * d_h1 * x0, w2 - lr * d_h1 * x1,
                w3 - lr * d_h2 * x0, w4 - lr * d_h2 * x1,
                w5 - lr * d_o * h1, w6 - lr * d_o * h2,
                b1 - lr * d_h1, b2 - lr * d_h2, b3 - lr * d_o,
            ]  # fmt: skip
        return steps

    def predict(self) -> np.ndarray:
        return np.array([self.forward(*x)[2] for x, _ in self.samples])


def _micrograd_exp(x: Any) -> Any:
    """e^x as a micrograd node, in micrograd's own idiom (its 0.1.0 Value has no exp/tanh).

    micrograd 0.1.0 offers +, *, ** (number exponents only), relu and what derives from
    them (-, /): e^x cannot be composed from those, so this adds the one missing op.
    """
    from micrograd.engine import Value

    out = Value(math.exp(x.data), (x,), "exp")

    def _backward() -> None:
        x.grad += out.data * out.grad  # d e^x / dx = e^x

    out._backward = _backward
    return out


class Micrograd:
    """micrograd.engine.Value scalars; sigmoid(x) = 1 / (1 + exp(-x)) from micrograd ops."""

    def __init__(self, data: TinyData) -> None:
        from micrograd.engine import Value

        self.samples = _samples(data)
        self.params = [Value(float(p)) for p in data.parameters]
        self.learning_rate, self.position = data.learning_rate, 0

    def forward(self, x0: float, x1: float) -> Any:
        w1, w2, w3, w4, w5, w6, b1, b2, b3 = self.params

        def sigmoid(v: Any) -> Any:
            return 1 / (1 + _micrograd_exp(-v))

        h1 = sigmoid(w1 * x0 + w2 * x1 + b1)
        h2 = sigmoid(w3 * x0 + w4 * x1 + b2)
        return sigmoid(w5 * h1 + w6 * h2 + b3)

    def run(self, steps: int) -> int:
        for _ in range(steps):
            (x0, x1), y = self.samples[self.position]
            self.position = (self.position + 1) % 4
            loss = (self.forward(x0, x1) - y) ** 2
            for p in self.params:
                p.grad = 0.0
            loss.backward()
            for p in self.params:
                p.data -= self.learning_rate * p.grad
        return steps

    def predict(self) -> np.ndarray:
        return np.array([self.forward(*x).data for x, _ in self.samples])


class TorchPerSample:
    """nn.Sequential(Linear, Sigmoid, Linear, Sigmoid), F.mse_loss, optim.SGD, batch of 1."""

    def __init__(self, data: TinyData) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(TORCH_THREADS)
        self.model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
        p = torch.tensor(data.parameters, dtype=torch.float32)
        with torch.no_grad():
            self.model[0].weight.copy_(p[0:4].reshape(2, 2))
            self.model[0].bias.copy_(p[6:8])
            self.model[2].weight.copy_(p[4:6].reshape(1, 2))
            self.model[2].bias.copy_(p[8:9])
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=data.learning_rate)
        self.samples = [
            (torch.tensor([x], dtype=torch.float32), torch.tensor([[y]], dtype=torch.float32))
            for x, y in _samples(data)
        ]
        self.mse_loss, self.torch, self.position = nn.functional.mse_loss, torch, 0

    def run(self, steps: int) -> int:
        for _ in range(steps):
            x, y = self.samples[self.position]
            self.position = (self.position + 1) % 4
            self.optimizer.zero_grad()
            loss = self.mse_loss(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        return steps

    def predict(self) -> np.ndarray:
        with self.torch.no_grad():
            return np.array([self.model(x).item() for x, _ in self.samples])


TINY_PEERS: list[Contender] = [
    Contender("micrograd", "tiny", Micrograd, ("micrograd.engine",), "Value graph per sample"),
    Contender("torch_per_sample", "tiny", TorchPerSample, ("torch",), "batch of 1, float32"),
    Contender("python_by_hand", "tiny", PythonByHand, (), "tutorial's chain rule, floats"),
]
