"""Checks of the backward pass: exploding_gradients, vanishing_gradients and
parameters_not_training, with the chain rule's factors along each weight's path as evidence."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.diagnosis.checks_activations import first_calls, local_derivative
from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.probe import Probe
from glassnet.nn import Module

# ∂L/∂W "vanishes" when its RMS is below VANISHING_RATIO of the largest layer's, or below
# VANISHING_ABSOLUTE while the loss is still above CONVERGED_LOSS.
VANISHING_RATIO = 1e-4
VANISHING_ABSOLUTE = 1e-8
CONVERGED_LOSS = 1e-4
# ∂L/∂W "explodes" when it is not finite, or its RMS is above EXPLODING_RATIO × the RMS of W
# (one step at lr 0.01 would then move W by more than its own size).
EXPLODING_RATIO = 100.0
ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU")


def rms(array: np.ndarray) -> float:
    """sqrt(mean(x²)), in float64."""
    return float(np.sqrt(np.mean(np.square(array, dtype=np.float64)))) if array.size else 0.0


def weight_gradients(probe: Probe, model: Module) -> list[dict[str, Any]]:
    """Each weight matrix (ndim ≥ 2) that got a gradient, in the order its layer ran: name,
    layer, RMS of W and of ∂L/∂W, and whether ∂L/∂W is finite."""
    rows = []
    for name, parameter in model.named_parameters():
        gradient = probe.gradients.get(name)
        if parameter.data.ndim < 2 or gradient is None:
            continue
        layer = name.rpartition(".")[0]
        position = probe.position(layer)
        rows.append({"parameter": name, "layer": layer,
                     "position": len(probe.records) if position is None else position,
                     "weight_rms": rms(parameter.data), "gradient_rms": rms(gradient),
                     "finite": bool(np.isfinite(gradient).all())})
    return sorted(rows, key=lambda row: row["position"])


def path_factors(probe: Probe, position: int) -> list[dict[str, Any]]:
    """The activation layers that ran after ``position``: the factors ∂a/∂z on the way back from
    the loss to that layer, each as its mean over rows and units."""
    factors = []
    for record in first_calls(probe, ACTIVATIONS):
        derivative = local_derivative(record)
        if probe.position(record.name) <= position or derivative is None:
            continue
        factors.append({"layer": record.name, "kind": record.kind,
                        "mean_derivative": float(derivative.mean())})
    return factors


def check_gradient_sizes(probe: Probe, model: Module) -> list[Finding]:
    """exploding_gradients and vanishing_gradients, one finding per weight that qualifies."""
    rows = weight_gradients(probe, model)
    if not rows or probe.loss is None:
        return []
    largest = max(rows, key=lambda row: row["gradient_rms"] if row["finite"] else -1.0)
    findings = []
    for row in rows:
        layer_record = probe.last_record(row["layer"])
        x = layer_record.input if layer_record is not None else None
        evidence = dict(row, loss=probe.loss,
                        input_rms=None if x is None else rms(x),
                        input_max_abs=None if x is None else float(np.abs(x).max()),
                        path=path_factors(probe, row["position"]))
        symbol = f"∂L/∂{row['parameter']}"
        ratio = row["gradient_rms"] / max(row["weight_rms"], np.finfo(float).tiny)
        if not row["finite"] or ratio > EXPLODING_RATIO:
            evidence["gradient_to_weight"] = ratio
            size = ("is not finite" if not row["finite"] else
                    f"has RMS {row['gradient_rms']:.3g}, {ratio:.3g} × the RMS of the weights "
                    f"({row['weight_rms']:.3g})")
            cause = (f"∂L/∂W = δᵀ·x, and the inputs x of layer '{row['layer']}' have RMS "
                     f"{evidence['input_rms']:.3g} (up to {evidence['input_max_abs']:.4g}"
                     f"{': see unscaled_inputs' if evidence['input_max_abs'] > 10 else ''})"
                     if x is not None else "")
            message = (f"{symbol} {size} at layer '{row['layer']}'"
                       f"{': ' + cause if cause else ''}. One step moves these weights by "
                       "more than their size. Try: standardise the inputs, lower the learning "
                       "rate, or clip gradients (max-norm 1).")
            findings.append(Finding("exploding_gradients", "error" if not row["finite"]
                                    else "warning", message, evidence))
            continue
        relative = row["gradient_rms"] / max(largest["gradient_rms"], np.finfo(float).tiny)
        absolute = row["gradient_rms"] < VANISHING_ABSOLUTE and probe.loss > CONVERGED_LOSS
        if (row is largest and not absolute) or (relative >= VANISHING_RATIO and not absolute):
            continue
        evidence.update(relative_to_largest=relative, largest_parameter=largest["parameter"],
                        largest_gradient_rms=largest["gradient_rms"])
        weakest = min(evidence["path"], key=lambda f: f["mean_derivative"], default=None)
        evidence["weakest_factor"] = weakest
        because = ""
        if evidence["input_rms"] == 0:
            because = (f": ∂L/∂W = δᵀ·x and every input x of layer '{row['layer']}' is 0 on "
                       "the sample (see dead_relu)")
        elif weakest is not None:
            product = float(np.prod([f["mean_derivative"] for f in evidence["path"]]))
            evidence["path_product"] = product
            prime = {"Sigmoid": "σ′(z)", "Tanh": "tanh′(z)"}.get(weakest["kind"], "ReLU′(z)")
            because = (f": the path back to it goes through {prime} at layer "
                       f"'{weakest['layer']}', which averages {weakest['mean_derivative']:.2g} "
                       f"(the mean factors along the path multiply to {product:.2g}; see "
                       "saturated_activations / dead_relu)")
        compared = (f"{relative:.2g} × that of {largest['parameter']} "
                    f"({largest['gradient_rms']:.2g})" if largest["gradient_rms"] > 0
                    else "as every weight's gradient is")
        message = (f"{symbol} has RMS {row['gradient_rms']:.2g} at layer '{row['layer']}', "
                   f"{compared}{because}. This layer barely learns. "
                   "Try: standardise the inputs, ReLU instead of sigmoid/tanh in hidden "
                   "layers, He/Glorot initialisation, or normalisation layers.")
        findings.append(Finding("vanishing_gradients", "warning", message, evidence))
    return findings


def check_parameters_training(probe: Probe, model: Module, optimizer: Any) -> list[Finding]:
    """parameters_not_training: a parameter that requires grad but got no gradient (unused in
    the forward pass, or cut from the graph), one the optimizer does not hold (warnings), or
    one frozen with requires_grad=False (info: often intended)."""
    held = None
    if optimizer is not None:
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    no_gradient, not_held, frozen = [], [], []
    for name, original in model.named_parameters():
        if not original.requires_grad:
            frozen.append(name)
            continue
        if probe.loss is not None and probe.gradients.get(name) is None:
            no_gradient.append(name)
        if held is not None and id(original) not in held:
            not_held.append(name)
    findings = []
    if no_gradient:
        findings.append(Finding("parameters_not_training", "warning", (
            f"{_names(no_gradient)} {_verb(no_gradient, 'requires', 'require')} a gradient but "
            "the backward pass did not reach it: ∂L/∂p does not exist, since the loss does not "
            "depend on p (a layer defined but not used in forward, or its output detached / "
            "computed under no_grad). Try: use the layer in forward, or remove it."),
            {"parameters": no_gradient, "reason": "no_gradient"}))
    if not_held:
        findings.append(Finding("parameters_not_training", "warning", (
            f"{_names(not_held)} {_verb(not_held, 'gets', 'get')} gradients, but the optimizer "
            f"does not hold {_verb(not_held, 'it', 'them')}, so no step changes "
            f"{_verb(not_held, 'it', 'them')}. Try: build the optimizer from "
            "model.parameters() (after adding every layer)."),
            {"parameters": not_held, "reason": "not_in_optimizer"}))
    if frozen:
        findings.append(Finding("parameters_not_training", "info", (
            f"{_names(frozen)} {_verb(frozen, 'is', 'are')} frozen (requires_grad=False) and "
            "will not change. Try: requires_grad_(True) if that is not intended."),
            {"parameters": frozen, "reason": "frozen"}))
    return findings


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:8])
    more = f" and {len(names) - 8} more" if len(names) > 8 else ""
    return f"{len(names)} parameter{'s' if len(names) > 1 else ''} ({shown}{more})"



def _verb(names: list[str], singular: str, plural: str) -> str:
    return singular if len(names) == 1 else plural
