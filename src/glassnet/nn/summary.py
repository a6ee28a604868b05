"""``Module.summary``: the layers of a model, their output shapes and parameter counts, as a table.

The output shapes come from one forward pass on a batch of zeros (or the given input), run in
eval mode under ``no_grad`` with a forward hook on every sub-module; the training flags are
restored afterwards, so running statistics and the random generator are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassnet.autograd import Tensor, get_default_dtype, no_grad
from glassnet.errors import ShapeError

if TYPE_CHECKING:
    from glassnet.nn.module import Module

DUMMY_BATCH = 2  # two rows, so the batch axis is recognisable (and shown as N) in every output


@dataclass
class LayerRow:
    """One line of the table: dotted name, type, output shape (None if not run), parameters."""

    name: str
    type_name: str
    depth: int
    output_shape: str | None
    num_parameters: int


@dataclass
class ModelSummary:
    """The result of ``Module.summary``: rows and totals; ``str()`` or ``print`` gives the table."""

    model_name: str
    rows: list[LayerRow] = field(default_factory=list)
    total_parameters: int = 0
    trainable_parameters: int = 0
    input_shape: str | None = None

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters

    def __str__(self) -> str:
        headers = ("Layer (type)", "Output shape", "Param #")
        lines = [
            ("  " * row.depth + f"{row.name} ({row.type_name})",
             row.output_shape or "-",
             f"{row.num_parameters:,}")
            for row in self.rows
        ]
        widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(headers)]
        widths[1] = max(widths[1], len(self.input_shape or ""))

        def format_line(cells: Sequence[str]) -> str:
            line = f"{cells[0]:<{widths[0]}}   {cells[1]:<{widths[1]}}   {cells[2]:>{widths[2]}}"
            return line.rstrip()

        rule = "=" * (sum(widths) + 6)
        out = [f"{self.model_name} summary", rule, format_line(headers), rule]
        if self.input_shape is not None:
            out.append(format_line(("input", self.input_shape, "")))
        out += [format_line(line) for line in lines]
        out += [
            rule,
            f"Total params: {self.total_parameters:,}",
            f"Trainable params: {self.trainable_parameters:,}",
            f"Non-trainable params: {self.non_trainable_parameters:,}",
        ]
        return "\n".join(out)

    __repr__ = __str__


def _shape_text(value: Any, batch: int | None) -> str:
    """(N, 16) for a Tensor whose first axis is the batch; tuples of outputs joined by commas."""
    if isinstance(value, (tuple, list)):
        return ", ".join(_shape_text(v, batch) for v in value)
    shape = tuple(np.shape(value.data if isinstance(value, Tensor) else value))
    parts = [str(n) for n in shape]
    if batch is not None and parts and shape[0] == batch:
        parts[0] = "N"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _dummy_input(model: Module, input_shape: Any) -> np.ndarray:
    try:
        shape = tuple(int(n) for n in input_shape)
    except TypeError:
        shape = (int(input_shape),)
    if any(n < 0 for n in shape):
        raise ShapeError(f"summary: input_shape must hold sizes >= 0; got {input_shape}.")
    dtype = next((p.dtype for p in model.parameters()), np.dtype(get_default_dtype()))
    return np.zeros((DUMMY_BATCH, *shape), dtype=dtype)


def summarize(model: Module, input_shape: Any = None, input: Any = None) -> ModelSummary:
    """Build the ``ModelSummary`` of ``model`` (see ``Module.summary``)."""
    if isinstance(input_shape, (np.ndarray, Tensor)):
        input_shape, input = None, input_shape
    if input_shape is not None and input is not None:
        raise ValueError("summary: give input_shape or input, not both.")
    batch: int | None = None
    if input_shape is not None:
        input, batch = _dummy_input(model, input_shape), DUMMY_BATCH
    named = list(model.named_modules())[1:]  # the model itself is the table's title
    outputs: dict[int, str] = {}
    input_text = None
    if input is not None:
        input_text = _shape_text(input, batch)

        def record(module: Module, _inputs: tuple, output: Any) -> None:
            outputs.setdefault(id(module), _shape_text(output, batch))

        handles = [module.register_forward_hook(record) for _, module in named]
        modes = [(module, module.training) for module in model.modules()]
        try:
            model.eval()
            with no_grad():
                model(input)
        finally:
            for handle in handles:
                handle.remove()
            for module, training in modes:
                object.__setattr__(module, "training", training)
    summary = ModelSummary(type(model).__name__, input_shape=input_text)
    for name, module in named:
        summary.rows.append(LayerRow(
            name=name,
            type_name=type(module).__name__,
            depth=name.count("."),
            output_shape=outputs.get(id(module)),
            num_parameters=module.num_parameters(),
        ))
    summary.total_parameters = model.num_parameters()
    summary.trainable_parameters = model.num_parameters(trainable_only=True)
    return summary
