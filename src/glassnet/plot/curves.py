"""Training curves: the loss and each metric per epoch, training beside validation.

``history`` takes what training returns: a dict of per-epoch lists in Keras' layout
(``{"loss": [...], "val_loss": [...], "accuracy": [...], "val_accuracy": [...]}``, optionally
``"epoch": [...]``), an object with such a dict in ``.history`` (a History), or a list of
``(epoch, loss)`` pairs as ``TrainableNetwork.train`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import numpy as np

VALIDATION_PREFIX = "val_"


def _as_curves(history_or_dict: Any) -> tuple[np.ndarray | None, dict[str, list[float]]]:
    """(epochs or None, {name: values}) from any of the accepted layouts."""
    source = getattr(history_or_dict, "history", history_or_dict)
    if isinstance(source, Mapping):
        curves = {str(name): [float(v) for v in values] for name, values in source.items()}
        epochs = curves.pop("epoch", None)
        return (np.asarray(epochs) if epochs is not None else None), curves
    if isinstance(source, Sequence) and all(len(pair) == 2 for pair in source):
        pairs = np.asarray(source, dtype=np.float64).reshape(-1, 2)
        return pairs[:, 0], {"loss": pairs[:, 1].tolist()}
    raise TypeError(
        "history expects a dict of per-epoch lists ({'loss': [...], 'val_loss': [...]}), an "
        f"object with .history, or a list of (epoch, loss) pairs; got {type(source).__name__}."
    )


def _panels(curves: dict[str, list[float]]) -> list[str]:
    """The base names to draw, loss first: 'val_loss' joins 'loss' rather than getting a panel."""
    names = []
    for name in curves:
        base = name[len(VALIDATION_PREFIX):] if name.startswith(VALIDATION_PREFIX) else name
        if base not in names:
            names.append(base)
    return sorted(names, key=lambda base: base != "loss")


def history(
    history_or_dict: Any,
    path: str | PathLike | None = None,
    *,
    title: str | None = None,
    log_scale: bool = False,
):  # -> matplotlib.figure.Figure
    """Draw each metric's curve per epoch (training and validation) and return the Figure.

    One panel per metric (loss first), titled, with "epoch" on the x axis and a legend; with
    ``path`` the figure is also saved there (the format follows the extension, e.g. ``.png``).
    ``title`` heads the whole figure; ``log_scale`` puts the loss on a logarithmic axis, which
    shows late training better.
    """
    from glassnet.plot import new_figure

    epochs, curves = _as_curves(history_or_dict)
    if not any(curves.values()):
        raise ValueError("history has no values to draw: every curve is empty.")
    panels = _panels(curves)
    figure = new_figure(5.0 * len(panels), 3.6)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, base in zip(axes, panels, strict=True):
        _draw_panel(ax, base, epochs, curves, log_scale)
    if title:
        figure.suptitle(title)
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure


def _draw_panel(
    ax: Any, base: str, epochs: np.ndarray | None, curves: dict[str, list[float]], log_scale: bool
) -> None:
    """One metric: its training curve (solid) and validation curve (dashed) against epochs."""
    lines = ((base, "training", "-"), (VALIDATION_PREFIX + base, "validation", "--"))
    for name, label, style in lines:
        values = curves.get(name)
        if not values:
            continue
        if epochs is not None and len(epochs) == len(values):
            x = epochs
        else:  # Keras counts epochs from 1
            x = np.arange(1, len(values) + 1)
        ax.plot(x, values, style, label=label, linewidth=1.8)
    words = base.replace("_", " ")
    ax.set_title(f"{words.capitalize()} per epoch")
    ax.set_xlabel("epoch")
    drawn = [v for name, _, _ in lines for v in curves.get(name, [])]
    if log_scale and base == "loss" and min(drawn) > 0:
        ax.set_yscale("log")
        words += " (log scale)"
    ax.set_ylabel(words)
    ax.grid(True, alpha=0.3)
    ax.legend()
