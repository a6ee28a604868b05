"""Optimizer configurations shared by the optimizer tests: every option, alone and combined."""

from __future__ import annotations

import numpy as np
import pytest
from optim_reference import initial_weights, rosenbrock_gradients

import glassnet.optim as optim
from glassnet.nn import Parameter

# (optimizer name, keyword arguments); learning rates keep 25 steps on the valley finite
CASES = [
    ("SGD", {"lr": 5e-3}),
    ("SGD", {"lr": 2e-3, "momentum": 0.9}),
    ("SGD", {"lr": 2e-3, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 2e-3, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 5e-3, "weight_decay": 0.1}),
    ("SGD", {"lr": 1e-4, "maximize": True}),
    (
        "SGD",
        {"lr": 2e-5, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05, "maximize": True},
    ),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    (
        "Adam",
        {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-3, "amsgrad": True, "weight_decay": 0.05},
    ),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    (
        "RMSprop",
        {"lr": 0.005, "alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}),
]


def case_id(name: str, options: dict) -> str:
    return name + "".join(f"-{key}={value}" for key, value in options.items())


PARAMETRIZED_CASES = [
    pytest.param(name, options, id=case_id(name, options)) for name, options in CASES
]


def make_parameters(dtype=np.float64) -> list[Parameter]:
    return [Parameter(array, dtype=dtype) for array in initial_weights(dtype)]


def run_glassnet(optimizer: optim.Optimizer, params: list[Parameter], steps: int) -> None:
    """``steps`` updates, each with the gradients at the current weights."""
    for _ in range(steps):
        grads = rosenbrock_gradients(*(p.data for p in params))
        for param, grad in zip(params, grads, strict=True):
            param.grad = grad.astype(param.data.dtype)
        optimizer.step()


def max_relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual − expected| / max |expected|: relative to the array's scale, so entries that
    happen to cross zero do not blow the measure up."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))
