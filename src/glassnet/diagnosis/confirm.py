"""``confirm=True``: rerun a few steps from copies of the current state with the suggested
change and put the measured difference into the finding."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from glassnet.diagnosis.checks_optimisation import trial_run
from glassnet.diagnosis.findings import Finding
from glassnet.nn import Module

CONFIRM_STEPS = 50
LR_CHANGES = {"learning_rate_too_high": (0.1, "lr ÷ 10"),
              "learning_rate_too_low": (10.0, "lr × 10")}
CONFIRMABLE = (*LR_CHANGES, "unscaled_inputs")


def _course(losses: list[float]) -> str:
    verb = "falls" if losses[-1] < losses[0] else "rises"
    return f"{verb} from {losses[0]:.6g} to {losses[-1]:.6g}"


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
        std = X.std(axis=0)
        standardised = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        change = "standardised inputs"
        changed = trial_run(model, optimizer, standardised.astype(X.dtype), target,
                            loss_function, CONFIRM_STEPS)
    evidence = {"change": change, "steps": CONFIRM_STEPS,
                "changed_losses": [changed.losses[0], changed.losses[-1]],
                "unchanged_losses": [baseline.losses[0], baseline.losses[-1]],
                "changed_steps_run": len(changed.losses) - 1,
                "unchanged_steps_run": len(baseline.losses) - 1,
                "improved": bool(np.nan_to_num(changed.losses[-1], nan=np.inf)
                                 < np.nan_to_num(baseline.losses[-1], nan=np.inf))}
    outcome = (f"Measured on copies: with {change} the loss {_course(changed.losses)} in "
               f"{evidence['changed_steps_run']} steps, instead of "
               f"{'going' if baseline.finite else 'blowing up'} from {baseline.losses[0]:.6g} "
               f"to {baseline.losses[-1]:.6g} unchanged.")
    severity = finding.severity
    if not evidence["improved"]:
        # the suggested fix did not help when tried: the finding stays, as a hint only
        outcome += " The change did not help here, so this is a hint rather than the cause."
        severity = "info"
    return dataclasses.replace(finding, severity=severity, message=f"{finding.message} {outcome}",
                               evidence={**finding.evidence, "confirm": evidence})
