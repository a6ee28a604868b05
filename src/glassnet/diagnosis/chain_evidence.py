"""The chain rule behind a gradient finding, read by ``gn.explain``.

A finding about ∂L/∂W (vanishing or exploding) quotes the factors that ``gn.explain`` measures
on the same sample: for each Linear layer on the path back from the loss to W, what its
activation's derivative f′(z) and its weight do to the gradient's size (a convolution is such
a layer too, its units its channels). The factor that shrinks the gradient most (or grows it
most) is named with its layer, its units and their z.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.autograd import detached, enable_grad
from glassnet.diagnosis.checks_activations import as_columns, local_derivative, unit_axis
from glassnet.diagnosis.probe import Probe
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.diagnosis.wording import Joined
from glassnet.explanations import Explanation, explain
from glassnet.nn import Module


def explain_parameter(model: Module, X: np.ndarray, target: np.ndarray,
                      loss_function: Callable[..., Any], parameter: str) -> Explanation:
    """``gn.explain(loss, parameter)`` on a fresh forward pass of ``model`` (a working copy)
    over the sample: the whole-tensor summary, one LayerRecord per Linear layer on the path."""
    weight = dict(model.named_parameters())[parameter]
    with enable_grad():
        loss = loss_function(model(detached(X)), detached(target))
        return explain(loss, weight)


# The modules gn.explain counts as layers (its ``is_layer``: a linear or convolution node).
WEIGHT_LAYERS = ("Linear", "Conv1d", "Conv2d")


def linear_modules(probe: Probe) -> list[str]:
    """The names of the Linear and convolution layers in the order they first ran: layer k of
    ``gn.explain`` (counted from the input, 1 first) is entry k − 1."""
    names: list[str] = []
    for record in probe.records:
        if record.kind in WEIGHT_LAYERS and record.name not in names:
            names.append(record.name)
    return names


def activation_after(probe: Probe, linear: str) -> Any:
    """The record of the layer that ran right after the first call of ``linear``."""
    for index, record in enumerate(probe.records[:-1]):
        if record.name == linear:
            return probe.records[index + 1]
    return None


def chain_factors(explanation: Explanation, probe: Probe) -> list[dict[str, Any]]:
    """One entry per Linear layer on the path, output side first, with gn.explain's numbers:
    ``activation_gain`` = RMS(∂L/∂z) / RMS(∂L/∂a), ``weight_gain`` = RMS(∂L/∂x) / RMS(∂L/∂z),
    and the activation's mean f′ and its count of units whose mean f′ is below ``small_below``.
    ``small_units`` and ``small_units_mean_abs_z`` say which units those are and how far their
    pre-activations z sit from 0 on the sample."""
    names = linear_modules(probe)
    factors = []
    for record in explanation.layers:
        module = names[record.number - 1] if record.number <= len(names) else None
        entry: dict[str, Any] = {
            "layer": record.number, "module": module,
            "activation_gain": record.activation_gain, "weight_gain": record.weight_gain,
            "gradient_rms": record.weight_gradient.rms,
        }
        slopes = record.activation
        if slopes is not None:
            entry.update(activation=slopes.activation, symbol=slopes.symbol,
                         mean_slope=slopes.mean, units=slopes.units,
                         units_small=slopes.units_small, small_below=slopes.small_below,
                         units_zero=slopes.units_zero)
            follower = activation_after(probe, module) if module is not None else None
            slope = None if follower is None else local_derivative(follower)
            if slope is not None:
                axis = unit_axis(probe, follower)
                z, slope = as_columns(follower.input, axis), as_columns(slope, axis)
                if z.shape[1] == slopes.units:
                    small = np.flatnonzero(slope.mean(axis=0) < slopes.small_below)
                    entry["small_units"] = small.tolist()
                    entry["small_units_mean_abs_z"] = (
                        float(np.abs(z[:, small].astype(np.float64)).mean()) if small.size
                        else None)
        factors.append(entry)
    return factors


def shrinking_factor(factors: list[dict[str, Any]], layer: int) -> dict[str, Any] | None:
    """The activation factor at or above Linear layer ``layer`` with the smallest gain: the one
    that shrinks ∂L/∂W_layer most on its way back from the loss."""
    candidates = [f for f in factors if f["layer"] >= layer and f.get("activation_gain")
                  is not None]
    return min(candidates, key=lambda f: f["activation_gain"], default=None)


def growing_factor(factors: list[dict[str, Any]], layer: int) -> tuple[str, float] | None:
    """The factor above Linear layer ``layer`` with the largest gain (an activation's or a
    weight's), as (description, gain): the one that grows ∂L/∂W_layer most."""
    gains = []
    for f in factors:
        if f["layer"] >= layer and f.get("activation_gain") is not None:
            gains.append((Words("activation_at", symbol=f["symbol"], number=f["layer"]),
                          f["activation_gain"]))
        if f["layer"] > layer and f.get("weight_gain") is not None:
            gains.append((Words("weight_at", number=f["layer"]), f["weight_gain"]))
    return max(gains, key=lambda pair: pair[1], default=None)


def describe_shrinking(factor: dict[str, Any]) -> str:
    """'σ′(z) at layer 2 ('2') averages 0.0003 and is below 0.001 at 6 of 8 units (their
    |z| ≈ 8.1); it scales the gradient by × 0.0004'."""
    where = (Words("layer_named", number=factor["layer"], module=factor["module"])
             if factor["module"] else Words("layer_number", number=factor["layer"]))
    small = ""
    if factor["units_small"]:
        z = factor.get("small_units_mean_abs_z")
        small = Words("below_at_units", below=f"{factor['small_below']:g}",
                      small=factor["units_small"], units=factor["units"],
                      z=Words("their_z", z=f"{z:.2g}") if z is not None else "")
    return Words("shrinking", symbol=factor["symbol"], where=where,
                 mean=f"{factor['mean_slope']:.2g}", small=small,
                 gain=f"{factor['activation_gain']:.2g}")


def path_gains(factors: list[dict[str, Any]], layer: int) -> list[tuple[str, float]]:
    """Every factor between the loss and Linear layer ``layer``, output side first, as
    (description, gain): the activations of layers ≥ ``layer`` and the weights of the layers
    above it. Their product is RMS(∂L/∂z at ``layer``) / RMS(∂L/∂ at the top layer's output)."""
    gains = []
    for f in factors:
        if f["layer"] > layer and f.get("weight_gain") is not None:
            gains.append((f"W{f['layer']}ᵀ", f["weight_gain"]))
        if f["layer"] >= layer and f.get("activation_gain") is not None:
            gains.append((f"{f['symbol']}(z) at layer {f['layer']}", f["activation_gain"]))
    return gains


def describe_path(gains: list[tuple[str, float]]) -> str:
    """'8 activation factors σ′(z) (× 0.23 to × 0.25 each) and 8 weight factors (× 0.37 to
    × 0.74 each): together × 2.3e-06'."""
    activations = [(what, gain) for what, gain in gains if "(z)" in what]
    weights = [(what, gain) for what, gain in gains if "(z)" not in what]
    parts = []
    for group, kind in ((activations, "activation"), (weights, "weight")):
        if not group:
            continue
        values = [gain for _, gain in group]
        spread = (f"× {min(values):.2g}" if len(values) == 1 or min(values) == max(values)
                  else Words("gain_range", low=f"{min(values):.2g}", high=f"{max(values):.2g}"))
        key = f"{kind}_factor{'s' if len(values) > 1 else ''}"
        symbol = group[0][0].split("(")[0]  # σ′ of "σ′(z) at layer 2"
        parts.append(Words(key, count=len(values), spread=spread, symbol=symbol)
                     if kind == "activation" else Words(key, count=len(values), spread=spread))
    total = float(np.prod([gain for _, gain in gains]))
    return Words("factors_together", parts=Joined(parts, (" and ", "以及")), total=f"{total:.2g}")
