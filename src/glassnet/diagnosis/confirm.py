"""``confirm=True``: rerun a few steps from copies of the current state with the suggested
change and put the measured difference into the finding."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.diagnosis.checks_optimisation import TrialRun, trial_run
from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.diagnosis.wording import Joined
from glassnet.nn import Linear, Module

CONFIRM_STEPS = 50
LR_CHANGES = {"learning_rate_too_high": (0.1, "lr ÷ 10"),
              "learning_rate_too_low": (10.0, "lr × 10")}
CONFIRMABLE = (*LR_CHANGES, "unscaled_inputs")


def first_linear(model: Module, n_features: int) -> Linear | None:
    """The first Linear layer of ``model`` (in module order) that takes ``n_features`` inputs."""
    return next((module for module in model.modules()
                 if isinstance(module, Linear) and module.in_features == n_features), None)


def fold_scaling(layer: Linear, mean: np.ndarray, std: np.ndarray) -> None:
    """Rewrite ``layer`` in place to take standardised inputs x′ = (x − mean) / std and give the
    same outputs: W x + b = (W · diag(std)) x′ + (W · mean + b). A layer without a bias can
    absorb no offset: pass ``mean`` = 0 for it (the trial inputs are then x / std).

    So the trial starts from the very function the model computes now, and what changes is
    only how the weights are parameterised: the measured difference is the scaling's alone.
    """
    weight = layer.weight.data.astype(np.float64)
    if layer.bias is not None:
        layer.bias.data[...] = layer.bias.data + weight @ mean
    elif np.any(mean):
        raise ValueError("a Linear layer without a bias cannot absorb the inputs' mean.")
    layer.weight.data[...] = weight * std


def _course(losses: list[float]) -> str:
    return Words("falls" if losses[-1] < losses[0] else "rises", first=f"{losses[0]:.6g}",
                 last=f"{losses[-1]:.6g}")


def confirm_with_change(finding: Finding, model: Module, optimizer: Any, X: np.ndarray,
                        target: np.ndarray, loss_function: Callable[..., Any]) -> Finding:
    """``finding`` with the outcome of CONFIRM_STEPS full-batch steps with and without its
    suggested change (lr ÷ 10, lr × 10, standardised inputs) in its message and its evidence
    (``evidence["confirm"]``). Both runs start from copies of the current model and optimizer."""
    if optimizer is None:
        return finding
    baseline = trial_run(model, optimizer, X, target, loss_function, CONFIRM_STEPS)
    if finding.code in LR_CHANGES:
        factor, change = LR_CHANGES[finding.code]
        changed = trial_run(model, optimizer, X, target, loss_function, CONFIRM_STEPS, factor)
    else:
        return confirm_scaling(finding, model, optimizer, X, target, loss_function, baseline)
    evidence = {"change": change, "steps": CONFIRM_STEPS,
                "changed_losses": [changed.losses[0], changed.losses[-1]],
                "unchanged_losses": [baseline.losses[0], baseline.losses[-1]],
                "changed_steps_run": len(changed.losses) - 1,
                "unchanged_steps_run": len(baseline.losses) - 1,
                "improved": _better(changed, baseline)}
    outcome = Words("tried_change", change=change, course=_course(changed.losses),
                    steps=evidence["changed_steps_run"], unchanged=_unchanged(baseline))
    return _with_outcome(finding, evidence, outcome)


def confirm_scaling(finding: Finding, model: Module, optimizer: Any, X: np.ndarray,
                    target: np.ndarray, loss_function: Callable[..., Any],
                    baseline: TrialRun) -> Finding:
    """unscaled_inputs, tried two ways from copies of the current state: the standardised inputs
    fed to the same weights (what retraining from these weights would see), and fed to a first
    layer rescaled to compute the same function as now (what scaling alone changes, fair to a
    model already trained on the raw inputs)."""
    if X.ndim != 2:  # standardising by feature is defined here for tables only
        return finding
    first = first_linear(model, X.shape[1])
    # a layer without a bias cannot absorb the offset: its trial inputs are only rescaled
    mean = (X.mean(axis=0, dtype=np.float64) if first is None or first.bias is not None
            else np.zeros(X.shape[1]))
    std = X.std(axis=0, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    standardised = ((X - mean) / std).astype(X.dtype)
    same_weights = trial_run(model, optimizer, standardised, target, loss_function, CONFIRM_STEPS)
    runs = {"same_weights": same_weights}
    if first is not None:
        runs["same_function"] = trial_run(
            model, optimizer, standardised, target, loss_function, CONFIRM_STEPS,
            prepare=lambda copy: fold_scaling(first_linear(copy, X.shape[1]), mean, std))
    evidence = {"change": "standardised inputs", "steps": CONFIRM_STEPS,
                "unchanged_losses": [baseline.losses[0], baseline.losses[-1]],
                "unchanged_steps_run": len(baseline.losses) - 1,
                **{f"{name}_losses": [run.losses[0], run.losses[-1]]
                   for name, run in runs.items()},
                "improved": any(_better(run, baseline) for run in runs.values())}
    best = min(runs.values(), key=lambda run: np.nan_to_num(run.losses[-1], nan=np.inf))
    evidence["changed_losses"] = [best.losses[0], best.losses[-1]]
    evidence["changed_steps_run"] = len(best.losses) - 1
    folded = ""
    if "same_function" in runs:
        folded = Words("same_function", course=_course(runs["same_function"].losses))
    outcome = Words("standardised_outcome", course=_course(same_weights.losses),
                    steps=len(same_weights.losses) - 1, folded=folded,
                    unchanged=_unchanged(baseline, verb=False))
    return _with_outcome(finding, evidence, outcome)


def _better(changed: TrialRun, baseline: TrialRun) -> bool:
    return bool(np.nan_to_num(changed.losses[-1], nan=np.inf)
                < np.nan_to_num(baseline.losses[-1], nan=np.inf))


def _unchanged(baseline: TrialRun, verb: bool = True) -> Words:
    """How the loss went without the change: "going from a to b unchanged" after "instead of",
    "goes from a to b" after "unchanged, it"."""
    if verb:
        key = "going_unchanged" if baseline.finite else "blowing_up_unchanged"
    else:
        key = "goes" if baseline.finite else "blows_up"
    return Words(key, first=f"{baseline.losses[0]:.6g}", last=f"{baseline.losses[-1]:.6g}")


def _with_outcome(finding: Finding, evidence: dict[str, Any], outcome: Words) -> Finding:
    severity = finding.severity
    if not evidence["improved"]:
        # the suggested fix did not help when tried: the finding stays, as a hint only
        outcome = Joined([outcome, Words("did_not_help")], ("", ""))
        severity = "info"
    message = Words("with_outcome", message=finding.message, outcome=outcome)
    return dataclasses.replace(finding, severity=severity, message=message,
                               evidence={**finding.evidence, "confirm": evidence})
