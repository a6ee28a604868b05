"""Reference optimizers, written line by line from the pseudo-code in PyTorch's documentation.

Deliberately plain: one parameter at a time, new arrays on every line, no ``out=``, nothing shared
with ``glassnet.optim``. Each ``update(theta, grad)`` returns the next theta.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class ReferenceSGD:
    def __init__(
        self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False
    ):
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov, self.maximize = weight_decay, nesterov, maximize
        self.t = 0
        self.b = None

    def update(self, theta, grad):
        self.t += 1
        g = -grad if self.maximize else grad
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta
        if self.momentum != 0:
            if self.t > 1:
                self.b = self.momentum * self.b + (1 - self.dampening) * g
            else:
                self.b = g
            if self.nesterov:
                g = g + self.momentum * self.b
            else:
                g = self.b
        return theta - self.lr * g


class ReferenceAdam:
    """Adam; with ``decoupled`` it is AdamW (θ ← θ − γλθ before the Adam step)."""

    def __init__(
        self,
        lr,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
        decoupled=False,
    ):
        self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps
        self.weight_decay, self.amsgrad, self.maximize = weight_decay, amsgrad, maximize
        self.decoupled = decoupled
        self.t = 0
        self.m = self.v = self.v_max = 0.0

    def update(self, theta, grad):
        self.t += 1
        g = -grad if self.maximize else grad
        if self.decoupled:
            theta = theta - self.lr * self.weight_decay * theta
        elif self.weight_decay != 0:
            g = g + self.weight_decay * theta
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g**2
        m_hat = self.m / (1 - self.beta1**self.t)
        if self.amsgrad:
            self.v_max = np.maximum(self.v_max, self.v)
            v_hat = self.v_max / (1 - self.beta2**self.t)
        else:
            v_hat = self.v / (1 - self.beta2**self.t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class ReferenceRMSprop:
    def __init__(
        self,
        lr,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.maximize = maximize
        self.v = self.b = self.g_ave = 0.0

    def update(self, theta, grad):
        g = -grad if self.maximize else grad
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta
        self.v = self.alpha * self.v + (1 - self.alpha) * g**2
        v_tilde = self.v
        if self.centered:
            self.g_ave = self.g_ave * self.alpha + (1 - self.alpha) * g
            v_tilde = v_tilde - self.g_ave**2
        if self.momentum > 0:
            self.b = self.momentum * self.b + g / (np.sqrt(v_tilde) + self.eps)
            return theta - self.lr * self.b
        return theta - self.lr * g / (np.sqrt(v_tilde) + self.eps)


class ReferenceAdagrad:
    def __init__(
        self,
        lr,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        maximize=False,
    ):
        self.lr, self.lr_decay, self.weight_decay, self.eps = lr, lr_decay, weight_decay, eps
        self.maximize = maximize
        self.state_sum = initial_accumulator_value
        self.t = 0

    def update(self, theta, grad):
        self.t += 1
        g = -grad if self.maximize else grad
        decayed_lr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta
        self.state_sum = self.state_sum + g**2
        return theta - decayed_lr * g / (np.sqrt(self.state_sum) + self.eps)


REFERENCES = {
    "SGD": ReferenceSGD,
    "Adam": ReferenceAdam,
    "AdamW": lambda lr=1e-3, weight_decay=1e-2, **options: ReferenceAdam(
        lr, weight_decay=weight_decay, decoupled=True, **options
    ),
    "RMSprop": ReferenceRMSprop,
    "Adagrad": ReferenceAdagrad,
}


def rosenbrock_gradients(weight: np.ndarray, bias: np.ndarray) -> list[np.ndarray]:
    """Gradients of Σᵢⱼ (1 − wᵢⱼ)² + 10·(bⱼ − wᵢⱼ²)², a curved valley coupling weight and bias."""
    residual = bias[None, :] - weight**2
    return [-2 * (1 - weight) - 40 * weight * residual, 20 * residual.sum(axis=0)]


def initial_weights(dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(1234)
    return [rng.normal(0, 0.5, size=(3, 4)).astype(dtype), rng.normal(0, 0.5, size=4).astype(dtype)]


def run_reference(
    updaters: Sequence,
    initial: Sequence[np.ndarray],
    steps: int,
    gradients: Callable[..., list[np.ndarray]] = rosenbrock_gradients,
) -> list[np.ndarray]:
    thetas = [np.array(x, dtype=np.float64) for x in initial]
    for _ in range(steps):
        grads = gradients(*thetas)
        thetas = [u.update(theta, g) for u, theta, g in zip(updaters, thetas, grads, strict=True)]
    return thetas
