"""Forward and backward passes on a copy of the model, with every layer's input and output kept.

The model itself is never run: ``working_copy`` deep-copies it (and the optimizer with it, so the
copied optimizer updates the copied parameters), turns its dropout off (the masks would draw from
glassnet's generator and make the numbers change between calls) and forgets its gradients.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, detached, enable_grad
from glassnet.nn import Dropout, Module

SAMPLE_SIZE = 256
# The sample's rows come from a generator of their own: glassnet's is never drawn from.
SAMPLE_SEED = 0


def sample_rows(n_rows: int, size: int = SAMPLE_SIZE) -> np.ndarray:
    """Sorted indices of ``size`` rows out of ``n_rows`` (all of them when there are fewer),
    the same on every call."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(n_rows, size, replace=False))


def working_copy(model: Module, optimizer: Any = None) -> tuple[Module, Any]:
    """Deep copies of ``model`` and ``optimizer`` sharing their copied parameters; dropout off,
    no forward hooks, gradients None. The originals are not touched."""
    model_copy, optimizer_copy = copy.deepcopy((model, optimizer))
    for module in model_copy.modules():
        # the copy shares the user's hook functions, whose side effects would reach outside it
        module._forward_hooks.clear()
        if isinstance(module, Dropout):
            module.eval()
    model_copy.zero_grad()
    return model_copy, optimizer_copy


@dataclass
class LayerRecord:
    """One leaf module's call: its dotted name, class name, input x and output y (arrays)."""

    name: str
    kind: str
    module: Module
    input: np.ndarray | None
    output: np.ndarray | None


@dataclass
class Probe:
    """One forward (and, with a target, backward) pass of a working copy on the sample.

    ``records`` lists the leaf modules in the order they ran; ``gradients`` maps each parameter's
    dotted name to ∂L/∂parameter (None when the backward pass did not reach it).
    """

    records: list[LayerRecord]
    output: np.ndarray
    loss: float | None
    gradients: dict[str, np.ndarray | None] = field(default_factory=dict)
    output_module: str | None = None  # the leaf whose output is the model's output, if one is

    def last_record(self, name: str) -> LayerRecord | None:
        """The last call of the module named ``name``."""
        found = [record for record in self.records if record.name == name]
        return found[-1] if found else None

    def position(self, name: str) -> int | None:
        """Where the module named ``name`` first ran, counting leaf calls from 0."""
        for index, record in enumerate(self.records):
            if record.name == name:
                return index
        return None


def _array(value: Any) -> np.ndarray | None:
    if isinstance(value, Tensor):
        return value.data
    return value if isinstance(value, np.ndarray) else None


def run_probe(
    model: Module,
    X: np.ndarray,
    target: np.ndarray | None,
    loss_function: Callable[..., Any] | None,
) -> Probe:
    """Run ``model`` (a working copy) on ``X``; with a target and a loss, also backward.

    Forward hooks on every leaf module record what it received and returned. ``model`` keeps
    the gradients of this pass in ``.grad``.
    """
    records: list[LayerRecord] = []

    def recorder(name: str) -> Callable[[Module, tuple, Any], None]:
        def hook(module: Module, inputs: tuple, output: Any) -> None:
            first = _array(inputs[0]) if inputs else None
            records.append(LayerRecord(name, type(module).__name__, module, first,
                                       _array(output)))
        return hook

    handles = [module.register_forward_hook(recorder(name))
               for name, module in model.named_modules()
               if next(module.children(), None) is None]
    try:
        with enable_grad():
            output = model(detached(X))
            loss = None
            if target is not None and loss_function is not None:
                loss = loss_function(output, detached(target))
                loss.backward()
    finally:
        for handle in handles:
            handle.remove()
    output_array = _array(output)
    output_module = None
    if records and records[-1].output is output_array:
        output_module = records[-1].name
    gradients = {name: (None if parameter.grad is None else parameter.grad)
                 for name, parameter in model.named_parameters()}
    return Probe(records, output_array, None if loss is None else float(loss.data), gradients,
                 output_module)
