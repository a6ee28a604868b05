"""Checks of the hidden units: dead_relu and saturated_activations, from the recorded
pre-activations z (an activation layer's input) and activations a (its output).

A unit is a column of a Linear layer's output, (N, units), and a channel of a convolution's,
(N, C, *positions), as in ``gn.explain``: a channel shares one kernel and one bias over its
positions, so it is dead when z ≤ 0 at every position of every row.
"""

from __future__ import annotations

import numpy as np

from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.probe import LayerRecord, Probe
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.nn.registry import layer_type_of

# A layer is reported when at least this fraction of its units is dead / stuck.
UNIT_FRACTION = 0.25
# A unit is saturated on a row when its derivative is below this fraction of the largest it can
# be (σ′ ≤ 0.25 → 0.01, |z| > 4.6; tanh′ ≤ 1 → 0.04, |z| > 2.3), and stuck when it is saturated on
# at least STUCK_ROWS of the rows.
SATURATED_DERIVATIVE = 0.04
STUCK_ROWS = 0.9
# ... or when at least this share of all its (row, unit) pairs is saturated, however they fall:
# units that each saturate on most rows, but not on 90 % of them, starve the layer as well.
SATURATED_PAIRS = 0.5
DERIVATIVE_MAX = {"Sigmoid": 0.25, "Tanh": 1.0}


def local_derivative(record: LayerRecord) -> np.ndarray | None:
    """∂a/∂z element-wise for an element-wise activation layer, from its recorded input z:
    σ′(z) = e^−|z| / (1 + e^−|z|)², tanh′(z) = 4·e^−2|z| / (1 + e^−2|z|)², ReLU′(z) = 1[z > 0];
    None for other layers.

    From z rather than as a(1 − a) or 1 − a²: near saturation a rounds to 1 and 1 − a keeps few
    digits (in float32 σ′ ≈ 1e-4 would be off by about 0.1 %); these forms never overflow.
    """
    a, z = record.output, record.input
    if a is None or z is None or a.shape != z.shape:
        return None
    if record.kind in ("Sigmoid", "Tanh"):
        scale = 1.0 if record.kind == "Sigmoid" else 2.0
        shrink = np.exp(-scale * np.abs(z.astype(np.float64)))
        return scale * scale * shrink / (1.0 + shrink) ** 2
    if record.kind == "ReLU":
        return (z > 0).astype(a.dtype)
    if record.kind == "LeakyReLU":
        return np.where(z > 0, 1.0, record.module.negative_slope).astype(a.dtype)
    return None


def first_calls(probe: Probe, kinds: tuple[str, ...]) -> list[LayerRecord]:
    """The first call of each module of the given kinds with (rows, units, ...) values."""
    seen, found = set(), []
    for record in probe.records:
        if (record.kind in kinds and record.name not in seen and record.output is not None
                and record.output.ndim >= 2):
            seen.add(record.name)
            found.append(record)
    return found


def unit_axis(probe: Probe, record: LayerRecord) -> int:
    """The axis of ``record``'s input that holds its units: 1 for a 2-D input and for
    channels-first ones (N, C, *positions); the last for an input made by a layer that acts on
    the last axis (Linear on (N, L, features), say)."""
    z = record.input
    if z is None or z.ndim <= 2:
        return 1
    made_by = next((earlier for earlier in probe.records if earlier.output is z), None)
    registration = layer_type_of(type(made_by.module)) if made_by is not None else None
    last = registration is not None and registration.feature_axis == "last"
    return z.ndim - 1 if last else 1


def as_columns(values: np.ndarray, axis: int) -> np.ndarray:
    """(N, …) values with their units on ``axis`` -> (N · other positions, units): one row per
    place a unit was computed."""
    if values.ndim == 2 and axis == 1:
        return values
    return np.moveaxis(values, axis, -1).reshape(-1, values.shape[axis])


def check_dead_relu(probe: Probe) -> list[Finding]:
    """dead_relu: a ReLU layer in which more than UNIT_FRACTION of the units have z ≤ 0 on every
    row of the sample (their output and their gradient are 0 for all of it); an error when all
    are dead."""
    findings = []
    for record in first_calls(probe, ("ReLU",)):
        axis = unit_axis(probe, record)
        z = as_columns(record.input, axis)
        dead = ~(z > 0).any(axis=0)
        units = dead.size
        if dead.sum() <= UNIT_FRACTION * units:  # more than a quarter: one in four can be chance
            continue
        indices = np.flatnonzero(dead)
        evidence = {
            "layer": record.name, "dead_units": int(dead.sum()), "units": units,
            "dead_fraction": float(dead.mean()), "dead_unit_indices": indices[:20].tolist(),
            "largest_pre_activation_of_dead": float(z[:, dead].max()),
            "rows": len(record.input),
        }
        severity = "error" if dead.all() else "warning"
        message = Words("dead_relu", dead=evidence["dead_units"], units=units,
                        layer=record.name, rows=len(record.input),
                        positions=_positions(z, record),
                        largest=f"{evidence['largest_pre_activation_of_dead']:.3g}")
        findings.append(Finding("dead_relu", severity, message, evidence))
    return findings


def check_saturation(probe: Probe) -> list[Finding]:
    """saturated_activations: a Sigmoid / Tanh layer in which at least UNIT_FRACTION of the
    units are stuck (derivative below SATURATED_DERIVATIVE of its maximum on STUCK_ROWS of
    the rows), or at least SATURATED_PAIRS of its (row, unit) pairs are saturated."""
    findings = []
    for record in first_calls(probe, ("Sigmoid", "Tanh")):
        axis = unit_axis(probe, record)
        derivative = as_columns(local_derivative(record), axis)
        z = as_columns(record.input, axis)
        largest = DERIVATIVE_MAX[record.kind]
        saturated = derivative < SATURATED_DERIVATIVE * largest
        stuck = saturated.mean(axis=0) >= STUCK_ROWS
        units = stuck.size
        pairs = float(saturated.mean())
        if stuck.sum() < UNIT_FRACTION * units and pairs < SATURATED_PAIRS:
            continue
        prime = "σ′" if record.kind == "Sigmoid" else "tanh′"
        evidence = {
            "layer": record.name, "kind": record.kind, "stuck_units": int(stuck.sum()),
            "units": units, "stuck_fraction": float(stuck.mean()),
            "saturated_pair_fraction": pairs, "derivative_max": largest,
        }
        if stuck.sum() >= UNIT_FRACTION * units:
            evidence.update(
                mean_derivative_stuck=float(derivative[:, stuck].mean()),
                mean_abs_pre_activation_stuck=float(np.abs(z[:, stuck]).mean()))
            what = Words("units_stuck", stuck=evidence["stuck_units"], units=units,
                         kind=record.kind, layer=record.name, share=f"{STUCK_ROWS:.0%}",
                         z=f"{evidence['mean_abs_pre_activation_stuck']:.3g}", prime=prime,
                         slope=f"{evidence['mean_derivative_stuck']:.2g}")
        else:
            evidence.update(
                mean_derivative_saturated=float(derivative[saturated].mean()),
                mean_abs_pre_activation_saturated=float(np.abs(z[saturated]).mean()))
            what = Words("pairs_saturated", units=units, kind=record.kind, layer=record.name,
                         share=f"{pairs:.0%}",
                         z=f"{evidence['mean_abs_pre_activation_saturated']:.3g}", prime=prime,
                         slope=f"{evidence['mean_derivative_saturated']:.2g}")
        message = Words("saturated_activations", what=what, largest=f"{largest:g}")
        findings.append(Finding("saturated_activations", "warning", message, evidence))
    return findings


def _positions(columns: np.ndarray, record: LayerRecord) -> str:
    """' at all 20 positions' for units computed at several positions of each row, else ''."""
    positions = len(columns) // len(record.input)
    return Words("at_positions", count=positions) if positions > 1 else ""
