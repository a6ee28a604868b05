"""STATE, what the page draws: the network's weights, its output over the plotted plane (the
boundary), every unit's output over the plane (the neurons' heatmaps), the points and the losses.

The plane is a G × G grid over the points' extent (10 % margin each side); one forward pass over
its cells' centres gives the boundary, one over a coarser G' × G' grid every unit's output. A
grid is sent as rows, values[r][c], as an image: r = 0 is the top (y near ymax), c = 0 the left.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import glassnet as gn
from glassnet.playground import network
from glassnet.playground.datasets import REGRESSION

GRID = 40  # the boundary's cells per side
NEURON_GRID = 16  # each unit's heatmap's cells per side
MARGIN = 0.1
LOSS_NAMES = {"mse": "mse", "bce_with_logits": "binary_cross_entropy_with_logits",
              "cross_entropy": "cross_entropy"}  # as glassnet.functional names them
MAX_POINTS = 1000  # points drawn; a larger CSV table trains on every row, shows a sample


def extent(plane: np.ndarray) -> list[float]:
    """[xmin, xmax, ymin, ymax] of the points, widened by MARGIN of their span (1 when flat)."""
    low, high = plane.min(axis=0), plane.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    low, high = low - MARGIN * span, high + MARGIN * span
    return [float(low[0]), float(high[0]), float(low[1]), float(high[1])]


def grid_points(bounds: list[float], size: int) -> np.ndarray:
    """(size², 2) cell centres of the plane, row r from the top: x = xmin + (c + ½)·(xmax −
    xmin)/size, y = ymax − (r + ½)·(ymax − ymin)/size, row by row as an image is stored."""
    centres = (np.arange(size) + 0.5) / size
    xs = bounds[0] + centres * (bounds[1] - bounds[0])
    ys = bounds[3] - centres * (bounds[3] - bounds[2])
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def unit_outputs(model: Any, inputs: np.ndarray) -> list[np.ndarray]:
    """Each layer's units' outputs (n, units): the inputs, then after each Linear its activation
    (the last layer: its output as the page shows it, see ``shown_output``)."""
    outputs = [inputs]
    current = gn.tensor(inputs.astype(np.float32))
    seen_linear = False
    with gn.no_grad():
        for module in model:
            if isinstance(module, gn.nn.Linear) and seen_linear:
                outputs.append(current.numpy().astype(np.float64))
            seen_linear = seen_linear or isinstance(module, gn.nn.Linear)
            current = module(current)
    outputs.append(current.numpy().astype(np.float64))
    return outputs


def shown_output(session: Any, output: np.ndarray) -> np.ndarray:
    """The last layer as the page shows it: probabilities from logits (σ for one, softmax for
    several), values in the target's own units."""
    dataset = session.dataset
    if dataset.problem == REGRESSION:
        return dataset.target_units(output)
    if network.uses_tutorial_loss(dataset):
        return output  # already σ(z)
    if output.shape[1] == 1:
        return 0.5 * np.tanh(0.5 * output) + 0.5  # σ, without overflow
    shifted = np.exp(output - output.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def boundary(session: Any, bounds: list[float]) -> list[float]:
    """G × G values: class-1 probability (two classes), class index (more), or the value."""
    points = grid_points(bounds, GRID)
    outputs = unit_outputs(session.model, session.dataset.inputs_for(points))
    shown = shown_output(session, outputs[-1])
    values = shown.argmax(axis=1) if shown.shape[1] > 1 else shown[:, 0]
    return rounded(values, GRID)


def neurons(session: Any, bounds: list[float]) -> dict[str, list[list[float]]]:
    """{"L.j": G' × G' outputs of unit j of layer L ≥ 1} over the plane (the page draws the
    inputs' own)."""
    points = grid_points(bounds, NEURON_GRID)
    outputs = unit_outputs(session.model, session.dataset.inputs_for(points))
    outputs[-1] = shown_output(session, outputs[-1])
    return {f"{layer}.{unit}": rounded(values[:, unit], NEURON_GRID)
            for layer, values in enumerate(outputs) if layer > 0
            for unit in range(values.shape[1])}


def rounded(values: np.ndarray, size: int) -> list[list[float]]:
    """size rows of size plain floats to 5 significant digits: a picture's precision, a
    fraction of the bytes."""
    flat = [float(f"{value:.5g}") for value in np.asarray(values, dtype=np.float64)]
    return [flat[row * size:(row + 1) * size] for row in range(size)]


def points(session: Any) -> list[dict[str, Any]]:
    """The data points in plane coordinates with label and split (a seeded sample when many)."""
    dataset = session.dataset
    rows = np.arange(len(dataset.plane))
    if len(rows) > MAX_POINTS:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_POINTS, replace=False))
    labels = dataset.targets if dataset.problem != REGRESSION else \
        dataset.target_units(dataset.targets.reshape(-1, 1))[:, 0]
    split = np.zeros(len(dataset.plane), dtype=bool)
    split[dataset.test_rows] = True
    shown = []
    for row in rows:
        label = labels[row]
        point = {"x": float(dataset.plane[row, 0]), "y": float(dataset.plane[row, 1]),
                 "label": float(label) if dataset.problem == REGRESSION else int(label),
                 "split": "test" if split[row] else "train", "row": int(row)}
        if dataset.row_names is not None:
            point["name"] = dataset.row_names[row]
        shown.append(point)
    return shown


def state(session: Any) -> dict[str, Any]:
    """STATE for the page (see playground_api.md)."""
    dataset = session.dataset
    bounds = extent(dataset.plane)
    linears = network.linear_layers(session.model)
    train_loss, test_loss = session.losses
    return {
        "epoch": session.epoch,
        "step": session.step_count,
        "train_loss": train_loss,
        "test_loss": test_loss,
        "history": session.history,
        "problem": dataset.problem,
        "classes": dataset.classes,
        "layers": network.layer_sizes(session.config, dataset),
        "weights": [linear.weight.data.T.astype(np.float64).tolist() for linear in linears],
        "biases": [linear.bias.data.astype(np.float64).tolist() for linear in linears],
        "activation": session.config.activation,
        "output_activation": "sigmoid" if network.uses_tutorial_loss(dataset) else "none",
        "loss": LOSS_NAMES[network.loss_name(dataset)],
        "optimizer": session.config.optimizer,
        "learning_rate": session.config.learning_rate,
        "points": points(session),
        "extent": bounds,
        "grid": GRID,
        "boundary": boundary(session, bounds),
        "neuron_grid": NEURON_GRID,
        "neurons": neurons(session, bounds),
        "next_batch": session.next_batch.tolist(),
        "batch_size": session.batch_size,
        "diagnosis": session.diagnosis,
        "diverged": session.diverged,
        "feature_names": dataset.plane_names or dataset.feature_names,
        "input_names": dataset.input_names,
        "config": session.config.to_json(),
    }
