"""Decision regions: the class a model assigns to every point of the plane, with the data on top.

For models with two inputs. The plane around the data is sampled on a grid, the model is run on
every grid point (one ``gn.predict`` call), and each point is shaded with its predicted class's
colour; the data points are drawn in the same colours, darker, so mistakes stand out as dots of
one colour on another's ground.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from typing import Any

import numpy as np

from glassnet.errors import ShapeError

PADDING = 0.08  # of the data's span, added on every side


def _class_indices(y: Any, rows: int) -> np.ndarray:
    from glassnet.training.argument_checks import check_target_array

    labels = np.reshape(check_target_array(y), -1)
    if len(labels) != rows:
        raise ShapeError(f"X has {rows} rows but y has {len(labels)}; they need one label a row.")
    if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
        raise ValueError("decision_boundary expects y to hold class indices 0, 1, ...; "
                         "got non-integer values.")
    indices = labels.astype(np.int64)
    if indices.min() < 0:
        raise ValueError(f"decision_boundary expects class indices >= 0; got {indices.min()}.")
    return indices


def predicted_classes(model: Any, points: np.ndarray) -> np.ndarray:
    """The class index the model picks for each row: argmax of (N, C) outputs; a single output is
    a binary score (probability if the model ends with a Sigmoid, else a logit)."""
    from glassnet.training import predict
    from glassnet.training.metrics import last_layer_is_sigmoid

    outputs = predict(model, points)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    threshold = 0.5 if last_layer_is_sigmoid(model) else 0.0
    return (np.reshape(outputs, -1) > threshold).astype(np.int64)


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Two (resolution,) axes covering X's bounding box plus a margin."""
    axes = []
    for column in X.T:
        low, high = float(column.min()), float(column.max())
        margin = PADDING * (high - low) if high > low else 0.5 * max(1.0, abs(low))
        axes.append(np.linspace(low - margin, high + margin, resolution))
    return axes[0], axes[1]


def _palette(classes: int) -> tuple[list[Any], list[Any]]:
    """(point colours, region colours): tab10/tab20 hues, the regions mixed 70% with white."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if classes <= 10 else "tab20"]
    points = [np.asarray(cmap(i % cmap.N)) for i in range(classes)]
    regions = [0.3 * colour + 0.7 * np.ones(4) for colour in points]
    return points, regions


def decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    path: str | PathLike | None = None,
    *,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] = ("feature 1", "feature 2"),
    title: str | None = None,
    resolution: int = 300,
):  # -> matplotlib.figure.Figure
    """Shade the plane by the class ``model`` predicts; draw X coloured by its true class y.

    X: (N, 2) inputs as the model takes them; y: class indices (N,) matching the model's outputs
    ((N, C) logits -> argmax; (N, 1) -> a binary score). ``class_names`` label the legend,
    ``feature_names`` the axes. Returns the Figure; with ``path`` it is also saved there.
    """
    from glassnet.plot import new_figure, require_matplotlib
    from glassnet.training.argument_checks import check_X, expected_input_features

    require_matplotlib()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    inputs = expected_input_features(model)
    if inputs is not None and inputs != 2:
        raise ShapeError(f"decision_boundary draws models with 2 inputs; this one takes {inputs}.")
    X = check_X(X, dtype=np.float64, expected_features=2)
    truth = _class_indices(y, len(X))
    first, second = _grid(X, resolution)
    xx, yy = np.meshgrid(first, second)
    plane = np.column_stack([xx.ravel(), yy.ravel()])
    regions = predicted_classes(model, plane).reshape(xx.shape)
    right = float(np.mean(predicted_classes(model, X) == truth))
    classes = int(max(truth.max(), regions.max())) + 1
    names = list(class_names) if class_names is not None else [f"class {i}" for i in
                                                               range(classes)]
    if len(names) < classes:
        raise ValueError(f"class_names has {len(names)} names but there are {classes} classes.")
    point_colours, region_colours = _palette(classes)

    figure = new_figure(6.4, 5.0)
    ax = figure.add_subplot()
    ax.imshow(regions, origin="lower", extent=(first[0], first[-1], second[0], second[-1]),
              cmap=ListedColormap(region_colours), vmin=-0.5, vmax=classes - 0.5,
              interpolation="nearest", aspect="auto")
    if len(np.unique(regions)) > 1:  # a thin line where the prediction changes
        ax.contour(xx, yy, regions, levels=np.arange(classes - 1) + 0.5, colors="0.35",
                   linewidths=0.8)
    size = 30 if len(X) <= 300 else 12
    handles = []
    for index in range(classes):
        members = truth == index
        ax.scatter(X[members, 0], X[members, 1], s=size, color=point_colours[index],
                   edgecolors="white", linewidths=0.6, zorder=3)
        handles.append(Patch(facecolor=region_colours[index], edgecolor=point_colours[index],
                             linewidth=2, label=names[index]))
    ax.legend(handles=handles, title="class", loc="best", framealpha=0.9)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title(title or f"Decision regions: shading = predicted class, dots = data "
                          f"({right:.0%} right)")
    if path is not None:
        figure.savefig(path, dpi=120)
    return figure
