"""A bar chart of permutation importances: one bar per column, its spread over the repeats as
an error bar, largest at the top."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import numpy as np


def importance_bars(
    columns: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    path: str | PathLike | None = None,
    *,
    score_name: str = "score",
    title: str | None = None,
):  # -> matplotlib.figure.Figure
    """Horizontal bars of ``mean`` (the drop in ``score_name`` when a column is shuffled) with
    ``std`` as error bars, in the order given, first at the top; saved to ``path`` if given."""
    from glassnet.plot import new_figure

    if not len(columns) == len(mean) == len(std):
        raise ValueError(f"columns, mean and std must have one length; got {len(columns)}, "
                         f"{len(mean)}, {len(std)}.")
    figure = new_figure(7.0, 1.0 + 0.35 * max(len(columns), 1))
    axes = figure.add_subplot()
    positions = np.arange(len(columns))[::-1]
    axes.barh(positions, mean, xerr=std, color="#4477aa", ecolor="#222222", capsize=3)
    axes.set_yticks(positions, labels=list(columns))
    axes.axvline(0.0, color="#888888", linewidth=0.8)
    axes.set_xlabel(f"drop in {score_name} when the column is shuffled")
    if title:
        axes.set_title(title)
    if path is not None:
        figure.savefig(path)
    return figure
