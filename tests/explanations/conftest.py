"""Explanation fixtures: MLPs built from glassnet tensors and differentiated again by hand."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F

F64 = np.float64
SLOPES = {  # f(z) and f′(z) by hand
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(F64)),
    "sigmoid": (  # from e^−|z|, which cannot overflow
        lambda z: np.where(z >= 0, 1, np.exp(-np.abs(z))) / (1 + np.exp(-np.abs(z))),
        lambda z: np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2,
    ),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}
GLASSNET_ACTIVATIONS = {"relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh}


class MLP:
    """Linear layers with one activation between them, as glassnet tensors and by hand."""

    def __init__(self, sizes, activation, loss, seed=0, batch=16, bias_shift=0.0, scale=1.0):
        rng = np.random.default_rng(seed)
        self.activation, self.loss_name = activation, loss
        self.x = rng.normal(size=(batch, sizes[0])) * scale
        self.weights = [rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
                        for n_in, n_out in zip(sizes, sizes[1:], strict=False)]
        self.biases = [rng.normal(size=n_out) * 0.1 + bias_shift for n_out in sizes[1:]]
        if loss == "cross_entropy":
            self.target = rng.integers(0, sizes[-1], size=batch)
        else:
            self.target = rng.normal(size=(batch, sizes[-1]))
        self.W = [gn.tensor(w, requires_grad=True, dtype=F64, name=f"W{k + 1}")
                  for k, w in enumerate(self.weights)]
        self.b = [gn.tensor(b, requires_grad=True, dtype=F64, name=f"b{k + 1}")
                  for k, b in enumerate(self.biases)]
        out = gn.tensor(self.x, dtype=F64)
        for k in range(len(self.W)):
            out = F.linear(out, self.W[k], self.b[k])
            if k < len(self.W) - 1:
                out = GLASSNET_ACTIVATIONS[activation](out)
        target = gn.tensor(self.target) if loss == "cross_entropy" else gn.tensor(self.target,
                                                                                dtype=F64)
        self.loss = (F.cross_entropy(out, target) if loss == "cross_entropy"
                     else F.mse_loss(out, target))
        self._by_hand()

    def _by_hand(self):
        f, slope = SLOPES[self.activation]
        inputs, pre, post = [], [], []
        a = self.x
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            inputs.append(a)
            z = a @ w.T + b
            pre.append(z)
            a = f(z) if k < len(self.weights) - 1 else z
            post.append(a)
        out = post[-1]
        if self.loss_name == "cross_entropy":
            p = np.exp(out - out.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(out)), self.target] -= 1
            top = p / len(out)
        else:
            top = 2 * (out - self.target) / out.size
        count = len(self.weights)
        self.inputs, self.pre = inputs, pre
        self.grad_post, self.grad_pre = [None] * count, [None] * count
        self.slopes, self.grad_weight, self.grad_input = ([None] * count for _ in range(3))
        upstream = top
        for k in reversed(range(count)):
            self.grad_post[k] = upstream
            if k < count - 1:
                self.slopes[k] = slope(pre[k])
                self.grad_pre[k] = self.slopes[k] * upstream
            else:
                self.grad_pre[k] = upstream
            self.grad_weight[k] = self.grad_pre[k].T @ inputs[k]
            self.grad_input[k] = self.grad_pre[k] @ self.weights[k]
            upstream = self.grad_input[k]


@pytest.fixture
def make_mlp():
    """The MLP class: ``make_mlp(sizes, activation, loss, seed=…)`` builds one."""
    return MLP
