"""The network as neurons in columns, joined by its weights.

One column per layer of neurons: the inputs, then each ``Linear`` layer's outputs. A line joins
input i of a Linear to its output j and shows weight[j, i]: its colour says the sign and size
(red negative, blue positive, pale near zero); its width and opacity grow with |weight|. A
neuron's fill shows its bias on the same colour scale. Layers wider than ``max_neurons`` show
their first and last neurons with "⋮" between. What lies between two Linears (activations,
dropout, normalisation) is written under the column it acts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np

COLOURMAP = "RdBu"  # red < 0 < blue, white at zero


@dataclass
class Column:
    """One layer of neurons: how many, which are drawn, and what is written under it."""

    size: int
    caption: str
    bias: np.ndarray | None = None
    after: list[str] = field(default_factory=list)  # the layers applied to these neurons


def _describe(module: Any) -> str:
    name = type(module).__name__
    probability = getattr(module, "p", None)
    return f"{name}({probability:g})" if name == "Dropout" else name


def _columns(model: Any) -> tuple[list[Column], list[np.ndarray]]:
    """The columns of neurons and the weight matrices (out, in) between consecutive columns."""
    from glassnet.nn import Linear

    leaves = [module for module in model.modules() if next(module.children(), None) is None]
    linears = [module for module in leaves if isinstance(module, Linear)]
    if not linears:
        raise ValueError(
            f"network draws models built from Linear layers; {type(model).__name__} has none."
        )
    columns = [Column(linears[0].in_features, "input")]
    weights = []
    for module in leaves:
        if isinstance(module, Linear):
            weight = np.asarray(module.weight.data, dtype=np.float64)
            bias = None if module.bias is None else np.asarray(module.bias.data, np.float64)
            weights.append(weight)
            columns.append(Column(module.out_features,
                                  f"Linear {module.in_features}→{module.out_features}", bias))
        elif columns:
            columns[-1].after.append(_describe(module))
    return columns, weights


def shown_neurons(size: int, max_neurons: int) -> list[int | None]:
    """The neurons drawn, top to bottom; None marks the "⋮" standing for the hidden ones."""
    if size <= max_neurons:
        return list(range(size))
    head = (max_neurons - 1) // 2 + (max_neurons - 1) % 2
    tail = max_neurons - 1 - head
    return [*range(head), None, *range(size - tail, size)]


def network(
    model: Any,
    path: str | PathLike | None = None,
    *,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    title: str | None = None,
    max_neurons: int = 12,
):  # -> matplotlib.figure.Figure
    """Draw ``model``'s layers as columns of neurons joined by coloured weights; the Figure.

    ``input_names`` / ``output_names`` label the first and last columns' neurons (e.g. feature
    and class names). With ``path`` the figure is also saved there.
    """
    from glassnet.plot import new_figure, require_matplotlib

    require_matplotlib()
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    if max_neurons < 3:
        raise ValueError(f"max_neurons must be at least 3; got {max_neurons}.")
    columns, weights = _columns(model)
    shown = [shown_neurons(column.size, max_neurons) for column in columns]
    height = max(len(slots) for slots in shown)
    position = [{neuron: (x, (len(slots) - 1) / 2 - slot) for slot, neuron in enumerate(slots)}
                for x, slots in enumerate(shown)]

    drawn = [weight[np.ix_([j for j in shown[k + 1] if j is not None],
                           [i for i in shown[k] if i is not None])]
             for k, weight in enumerate(weights)]
    biases = [c.bias[[n for n in s if n is not None]] for c, s in zip(columns, shown, strict=True)
              if c.bias is not None]
    largest = max(float(np.max(np.abs(values), initial=0.0)) for values in drawn + biases)
    largest = largest if largest > 0 else 1.0
    norm = Normalize(-largest, largest)
    from matplotlib import colormaps

    cmap = colormaps[COLOURMAP]

    figure = new_figure(max(6.0, 2.0 * len(columns) + 2.0), max(4.0, 0.42 * height + 2.0))
    ax = figure.add_subplot()
    segments, values = [], []
    for k, weight in enumerate(weights):
        for j in (n for n in shown[k + 1] if n is not None):
            for i in (n for n in shown[k] if n is not None):
                segments.append([position[k][i], position[k + 1][j]])
                values.append(weight[j, i])
    values_array = np.asarray(values)
    order = np.argsort(np.abs(values_array))  # strong weights drawn last, on top
    strength = _strength(values_array[order], largest)
    colours = cmap(norm(values_array[order]))
    colours[:, 3] = 0.3 + 0.7 * strength
    ax.add_collection(LineCollection([segments[n] for n in order], colors=colours,
                                     linewidths=_line_width(strength), zorder=1))
    _draw_neurons(ax, columns, shown, position, cmap, norm, input_names, output_names)

    label_room = 0.7 if output_names is not None else 0.35
    ax.set_xlim(-0.9 if input_names is not None else -0.35, len(columns) - 1 + label_room)
    ax.set_ylim(-(height - 1) / 2 - 1.3, (height - 1) / 2 + 0.6)
    ax.axis("off")
    widths = " → ".join(str(column.size) for column in columns)
    ax.set_title(title or f"Network {widths}: weights as lines, biases as neuron fill")
    colourbar = figure.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.7, pad=0.02)
    colourbar.set_label("weight or bias (red < 0 < blue)")
    samples = [largest, largest / 2, largest / 10]
    ax.legend(handles=[Line2D([], [], color="0.2",
                              linewidth=_line_width(_strength(np.array(s), largest)),
                              label=f"|weight| = {s:.2g}") for s in samples],
              title="line width", loc="upper left", bbox_to_anchor=(0.0, 1.0), fontsize="small",
              framealpha=0.9)
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure


def _strength(weights: np.ndarray, largest: float) -> np.ndarray:
    """sqrt(|w| / largest) in [0, 1]: the square root keeps small weights visible beside big
    ones (a layer of 64 inputs starts with weights 8 times smaller than one of 1)."""
    return np.sqrt(np.abs(weights) / largest)


def _line_width(strength: np.ndarray) -> np.ndarray:
    return 0.3 + 3.2 * strength


def _draw_neurons(
    ax: Any,
    columns: list[Column],
    shown: list[list[int | None]],
    position: list[dict[int | None, tuple[float, float]]],
    cmap: Any,
    norm: Any,
    input_names: Sequence[str] | None,
    output_names: Sequence[str] | None,
) -> None:
    """Circles filled by bias (inputs white), "⋮" for hidden neurons, labels and captions."""
    last = len(columns) - 1
    bottom = min(y for spots in position for _, y in spots.values())
    for x, (column, slots) in enumerate(zip(columns, shown, strict=True)):
        neurons = [n for n in slots if n is not None]
        points = np.array([position[x][n] for n in neurons])
        fill = ["white"] * len(neurons) if column.bias is None else cmap(norm(column.bias[neurons]))
        ax.scatter(points[:, 0], points[:, 1], s=170, c=fill, edgecolors="0.15", linewidths=1.0,
                   zorder=3)
        if None in slots:
            ax.text(x, position[x][None][1], "⋮", ha="center", va="center", fontsize=16, zorder=3)
        names = input_names if x == 0 else output_names if x == last else None
        if names is not None:
            for neuron in neurons:
                if neuron < len(names):
                    side = -0.16 if x == 0 else 0.16
                    ax.text(x + side, position[x][neuron][1], str(names[neuron]),
                            ha="right" if x == 0 else "left", va="center", fontsize="small")
        caption = column.caption + (" + " + ", ".join(column.after) if column.after else "")
        count = f"{column.size} neuron{'s' if column.size != 1 else ''}"
        if column.size > len(neurons):
            count += f" ({len(neurons)} shown)"
        ax.text(x, bottom - 0.7, f"{caption}\n{count}", ha="center", va="top", fontsize="small")
