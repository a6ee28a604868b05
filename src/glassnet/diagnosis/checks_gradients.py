"""Checks of the backward pass: exploding_gradients, vanishing_gradients and
parameters_not_training, with the chain rule's factors along each weight's path as evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.diagnosis.chain_evidence import (
    describe_path,
    describe_shrinking,
    growing_factor,
    path_gains,
    shrinking_factor,
)
from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.probe import Probe
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.diagnosis.wording import Joined
from glassnet.nn import Module

# ∂L/∂W "vanishes" when its RMS is below VANISHING_RATIO of the largest layer's, or below
# VANISHING_ABSOLUTE while the loss is still above CONVERGED_LOSS.
VANISHING_RATIO = 1e-4
VANISHING_ABSOLUTE = 1e-8
CONVERGED_LOSS = 1e-4
# ∂L/∂W "explodes" when it is not finite, or its RMS is above EXPLODING_RATIO × the RMS of W
# (one step at lr 0.01 would then move W by more than its own size).
EXPLODING_RATIO = 100.0
# A single activation factor that scales the gradient by less than this is named as the cause;
# otherwise the gradient shrinks by many moderate factors, and the whole path is described.
SINGLE_FACTOR_GAIN = 0.01
# the factors along a weight's path back from the loss, by parameter name
ChainReader = Callable[[str], list[dict[str, Any]]]


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


def check_gradient_sizes(probe: Probe, model: Module, chain: ChainReader) -> list[Finding]:
    """exploding_gradients and vanishing_gradients, one finding per weight that qualifies.

    ``chain(parameter)`` returns gn.explain's factors along the path back to that parameter
    (see ``chain_evidence.chain_factors``); it is called only for a weight that qualifies."""
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
                        input_max_abs=None if x is None else float(np.abs(x).max()))
        symbol = f"∂L/∂{row['parameter']}"
        ratio = row["gradient_rms"] / max(row["weight_rms"], np.finfo(float).tiny)
        if not row["finite"] or ratio > EXPLODING_RATIO:
            findings.append(_exploding(row, evidence, ratio, chain))
            continue
        relative = row["gradient_rms"] / max(largest["gradient_rms"], np.finfo(float).tiny)
        absolute = row["gradient_rms"] < VANISHING_ABSOLUTE and probe.loss > CONVERGED_LOSS
        if (row is largest and not absolute) or (relative >= VANISHING_RATIO and not absolute):
            continue
        evidence.update(relative_to_largest=relative, largest_parameter=largest["parameter"],
                        largest_gradient_rms=largest["gradient_rms"])
        because = ""
        if evidence["input_rms"] == 0:
            because = Words("inputs_zero", layer=row["layer"])
        else:
            factors = chain(row["parameter"])
            evidence["chain"] = factors
            layer = _layer_number(factors, row["layer"])
            weakest = shrinking_factor(factors, layer)
            evidence["weakest_factor"] = weakest
            gains = path_gains(factors, layer)
            evidence["path_gains"] = gains
            if gains:
                evidence["path_gain_product"] = float(np.prod([gain for _, gain in gains]))
            if weakest is not None:
                see = ("saturated_activations" if weakest["activation"] in ("sigmoid", "tanh")
                       else "dead_relu")
                if weakest["activation_gain"] < SINGLE_FACTOR_GAIN:
                    because = Words("traced_through_see", path=describe_shrinking(weakest),
                                    see=see)
                else:
                    because = Words("traced_through", path=describe_path(gains))
                if x is not None and evidence["input_max_abs"] > 10:
                    because = Joined([because, Words(
                        "inputs_reach", layer=row["layer"],
                        reach=f"{evidence['input_max_abs']:,.4g}")], ("", ""))
        compared = (Words("relative_to", relative=f"{relative:.2g}",
                          parameter=largest["parameter"], rms=f"{largest['gradient_rms']:.2g}")
                    if largest["gradient_rms"] > 0 else Words("as_every_weight"))
        message = Words("vanishing_gradients", symbol=symbol,
                        rms=f"{row['gradient_rms']:.2g}", layer=row["layer"],
                        compared=compared, because=because)
        findings.append(Finding("vanishing_gradients", "warning", message, evidence))
    return findings


def _layer_number(factors: list[dict[str, Any]], module: str) -> int:
    """gn.explain's number (1 = first Linear) of the Linear layer named ``module``."""
    return next((f["layer"] for f in factors if f["module"] == module), 1)


def _exploding(row: dict[str, Any], evidence: dict[str, Any], ratio: float,
               chain: ChainReader) -> Finding:
    evidence["gradient_to_weight"] = ratio
    size = (Words("not_finite") if not row["finite"] else
            Words("gradient_size", rms=f"{row['gradient_rms']:.3g}", ratio=f"{ratio:.3g}",
                  weight_rms=f"{row['weight_rms']:.3g}"))
    causes = []
    if evidence["input_rms"] is not None:
        see = Words("see_unscaled") if evidence["input_max_abs"] > 10 else ""
        causes.append(Words("inputs_of_layer", layer=row["layer"],
                            rms=f"{evidence['input_rms']:.3g}",
                            reach=f"{evidence['input_max_abs']:,.4g}", see=see))
    if row["finite"]:
        factors = chain(row["parameter"])
        evidence["chain"] = factors
        growing = growing_factor(factors, _layer_number(factors, row["layer"]))
        evidence["strongest_factor"] = growing
        if growing is not None and growing[1] > 1:
            causes.append(Words("growing", what=growing[0], gain=f"{growing[1]:.3g}"))
    message = Words("exploding_gradients", parameter=row["parameter"], size=size,
                    layer=row["layer"],
                    causes=Words("causes", causes=Joined(causes)) if causes else "")
    return Finding("exploding_gradients", "error" if not row["finite"] else "warning", message,
                   evidence)


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
        findings.append(Finding("parameters_not_training", "warning",
                                _about(no_gradient, "no_gradient"),
                                {"parameters": no_gradient, "reason": "no_gradient"}))
    if not_held:
        findings.append(Finding("parameters_not_training", "warning",
                                _about(not_held, "not_in_optimizer"),
                                {"parameters": not_held, "reason": "not_in_optimizer"}))
    if frozen:
        findings.append(Finding("parameters_not_training", "info", _about(frozen, "frozen"),
                                {"parameters": frozen, "reason": "frozen"}))
    return findings


def _about(names: list[str], key: str) -> Words:
    """The sentence ``key`` about these parameters, its verb agreeing with how many there are."""
    shown = ", ".join(f"'{name}'" for name in names[:8])
    more = Words("and_more", count=len(names) - 8) if len(names) > 8 else ""
    many = "_many" if len(names) > 1 else ""
    listed = Words(f"parameters{many}", count=len(names), shown=shown, more=more)
    return Words(f"{key}{many}", names=listed)
