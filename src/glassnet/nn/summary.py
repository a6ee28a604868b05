"""``Module.summary``: the layers of a model, their output shapes and parameter counts, as a table.

The output shapes come from forward passes on batches of zeros (or one pass on the given input),
run in eval mode under ``no_grad`` with a forward hook on every sub-module; the training flags are
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

# Two passes, on 2 rows and on 3: an axis of an output that is 2 long in the first and 3 in the
# second is the batch axis, shown as N, wherever a layer puts it (a recurrent layer's h_n is
# (layers, N, hidden)); any other axis keeps its size, even one that happens to equal a batch size.
DUMMY_BATCHES = (2, 3)


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


def _shapes(value: Any) -> list[tuple[int, ...]]:
    """The shape of each array in a layer's output (a Tensor, an array, or a tuple of them)."""
    if isinstance(value, (tuple, list)):
        return [shape for item in value for shape in _shapes(item)]
    return [tuple(np.shape(value.data if isinstance(value, Tensor) else value))]


def _shape_text(passes: Sequence[list[tuple[int, ...]]]) -> str:
    """(N, 16) from the shapes one output had in each pass (see DUMMY_BATCHES); one pass: the
    sizes as they are. Several arrays are joined by commas."""
    name_batch_axis = len(passes) == len(DUMMY_BATCHES)
    texts = []
    for index, shape in enumerate(passes[0]):
        parts = [str(n) for n in shape]
        if name_batch_axis:
            same_array = [shapes[index] for shapes in passes if index < len(shapes)]
            # not strict: an axis a pass lacks cannot be the batch axis
            for axis, sizes in enumerate(zip(*same_array, strict=False)):
                if sizes == DUMMY_BATCHES:
                    parts[axis] = "N"
        texts.append("(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")")
    return ", ".join(texts)


def _dummy_input(model: Module, input_shape: Any, batch: int) -> np.ndarray:
    try:
        shape = tuple(int(n) for n in input_shape)
    except TypeError:
        shape = (int(input_shape),)
    if any(n < 0 for n in shape):
        raise ShapeError(f"summary: input_shape must hold sizes >= 0; got {input_shape}.")
    dtype = next((p.dtype for p in model.parameters()), np.dtype(get_default_dtype()))
    return np.zeros((batch, *shape), dtype=dtype)


def summarize(model: Module, input_shape: Any = None, input: Any = None) -> ModelSummary:
    """Build the ``ModelSummary`` of ``model`` (see ``Module.summary``)."""
    if isinstance(input_shape, (np.ndarray, Tensor)):
        input_shape, input = None, input_shape
    if input_shape is not None and input is not None:
        raise ValueError("summary: give input_shape or input, not both.")
    inputs = [input] if input is not None else []
    if input_shape is not None:
        inputs = [_dummy_input(model, input_shape, batch) for batch in DUMMY_BATCHES]
    named = list(model.named_modules())[1:]  # the model itself is the table's title
    # per pass, each module's output shapes (its first output, if a pass calls it twice)
    passes: list[dict[int, list[tuple[int, ...]]]] = []
    outputs: dict[int, str] = {}
    input_text = None
    if inputs:
        input_text = _shape_text([_shapes(x) for x in inputs])

        def record(module: Module, _inputs: tuple, output: Any) -> None:
            passes[-1].setdefault(id(module), _shapes(output))

        handles = [module.register_forward_hook(record) for _, module in named]
        modes = [(module, module.training) for module in model.modules()]
        try:
            model.eval()
            with no_grad():
                for x in inputs:
                    passes.append({})
                    model(x)
        finally:
            for handle in handles:
                handle.remove()
            for module, training in modes:
                object.__setattr__(module, "training", training)
        outputs = {key: _shape_text([shapes[key] for shapes in passes]) for key in passes[0]
                   if all(key in shapes for shapes in passes)}
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
