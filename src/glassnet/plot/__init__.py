"""Pictures of training and of networks, drawn with matplotlib (an optional dependency).

matplotlib is imported only when a picture is drawn, so ``import glassnet`` never needs it.
Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global backend switch), so
they work without a display and do not pile up in pyplot's list of open figures; save them with
``figure.savefig(path)`` or pass ``path=``.
"""

from __future__ import annotations

from types import ModuleType

from glassnet.plot.boundary import decision_boundary
from glassnet.plot.curves import history
from glassnet.plot.diagram import network
from glassnet.plot.importance import importance_bars

MISSING_MATPLOTLIB = "glassnet.plot needs matplotlib: pip install 'glassnet[plot]'"


def require_matplotlib() -> ModuleType:
    """The ``matplotlib`` module, or ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error
    return matplotlib


def new_figure(width: float, height: float):  # -> matplotlib.figure.Figure
    """An empty Figure on an Agg canvas, size in inches."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


__all__ = [
    "MISSING_MATPLOTLIB",
    "decision_boundary",
    "history",
    "importance_bars",
    "network",
    "new_figure",
    "require_matplotlib",
]
