"""Checks of the optimisation: learning_rate_too_high / learning_rate_too_low from trial steps
on a copy (and the History's losses), overfitting from the History."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.autograd import detached, enable_grad
from glassnet.diagnosis.checks_gradients import rms
from glassnet.diagnosis.findings import Finding
from glassnet.diagnosis.probe import working_copy
from glassnet.diagnosis.wording import DiagnosisWords as Words
from glassnet.diagnosis.wording import Joined
from glassnet.nn import Module

TRIAL_STEPS = 10
# First-step update of a weight matrix, RMS(ΔW) / RMS(W): above UPDATE_HIGH one step rewrites
# the weights; below UPDATE_LOW (with the loss not yet converged) a thousand steps move them 1 %.
UPDATE_HIGH = 1.0
UPDATE_LOW = 1e-5
CONVERGED_LOSS = 1e-4
# The History's training loss "oscillates" when at least this fraction of its epoch-to-epoch
# changes switch sign (over at least HISTORY_MIN_EPOCHS epochs) while it ends above
# OSCILLATING_PROGRESS of its first value (a loss that fell a hundredfold and then jitters with
# minibatch noise has converged, not overshot), and "rises" when its last value is above its first.
OSCILLATING_SIGN_CHANGES = 0.5
OSCILLATING_PROGRESS = 0.5
HISTORY_MIN_EPOCHS = 4
# overfitting: validation loss at least OVERFIT_RISE above its best, reached OVERFIT_EPOCHS or
# more epochs before the end, while the training loss kept falling.
OVERFIT_RISE = 0.05
OVERFIT_EPOCHS = 2


@dataclass
class TrialRun:
    """Losses on the sample before and after each of ``steps`` full-batch steps on a copy, and the
    first step's RMS(ΔW) / RMS(W) for each weight matrix with a non-zero gradient."""

    losses: list[float]
    update_ratios: dict[str, float]

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.losses)))


def trial_run(model: Module, optimizer: Any, X: np.ndarray, target: np.ndarray,
              loss_function: Callable[..., Any], steps: int, lr_factor: float = 1.0,
              prepare: Callable[[Module], None] | None = None) -> TrialRun:
    """``steps`` optimizer steps on copies of ``model`` and ``optimizer`` (lr × ``lr_factor``),
    full batch on ``X``; stops early at a non-finite loss. ``prepare(model_copy)`` may change
    the copy first. Deterministic: dropout is off and nothing is drawn at random."""
    model_copy, optimizer_copy = working_copy(model, optimizer)
    if prepare is not None:
        prepare(model_copy)
    for group in optimizer_copy.param_groups:
        group["lr"] = group["lr"] * lr_factor
    weights = {name: p for name, p in model_copy.named_parameters() if p.data.ndim >= 2}
    before = {name: p.data.copy() for name, p in weights.items()}
    losses: list[float] = []
    ratios: dict[str, float] = {}
    for step in range(steps + 1):
        optimizer_copy.zero_grad()
        # a run that blows up overflows on its way to inf: that is what is being measured
        with enable_grad(), np.errstate(over="ignore", invalid="ignore"):
            loss = loss_function(model_copy(detached(X)), detached(target))
            losses.append(float(loss.data))
            if step == steps or not np.isfinite(losses[-1]):
                break
            loss.backward()
            optimizer_copy.step()
        # a weight with no gradient (or a zero one) does not move whatever the lr: left out
        moving = [name for name, p in weights.items() if p.grad is not None and p.grad.any()]
        if step == 0:
            ratios = {name: rms(weights[name].data - before[name]) / max(rms(before[name]), 1e-12)
                      for name in moving}
    return TrialRun(losses, ratios)


def history_losses(history: Any, key: str) -> list[float]:
    """``history.history[key]`` (a History) or ``history[key]`` (a dict); [] when absent."""
    record = getattr(history, "history", history)
    values = record.get(key, []) if isinstance(record, dict) else []
    return [float(value) for value in values]


def history_trend(losses: list[float]) -> dict[str, Any]:
    """Whether the History's training loss rises or oscillates."""
    if len(losses) < HISTORY_MIN_EPOCHS:
        return {}
    changes = np.diff(losses)
    signs = np.sign(changes[changes != 0])
    switches = float(np.mean(signs[1:] != signs[:-1])) if len(signs) > 1 else 0.0
    return {"history_first_loss": losses[0], "history_last_loss": losses[-1],
            "history_sign_change_fraction": switches,
            "history_rising": losses[-1] > losses[0] or not np.isfinite(losses[-1]),
            "history_oscillating": (switches >= OSCILLATING_SIGN_CHANGES
                                    and not losses[-1] <= OSCILLATING_PROGRESS * losses[0])}


def check_learning_rate(model: Module, optimizer: Any, X: np.ndarray, target: np.ndarray,
                        loss_function: Callable[..., Any], history: Any) -> list[Finding]:
    """learning_rate_too_high: over TRIAL_STEPS steps on a copy the loss becomes non-finite or
    ends above where it started, or the first step moves a weight matrix by more than
    UPDATE_HIGH of its RMS, or the History's loss rises or oscillates.
    learning_rate_too_low: every weight matrix moves by less than UPDATE_LOW of its RMS in the
    first step while the loss is above CONVERGED_LOSS."""
    trial = trial_run(model, optimizer, X, target, loss_function, TRIAL_STEPS)
    if not trial.update_ratios and trial.finite:
        return []
    lrs = [group["lr"] for group in optimizer.param_groups]
    largest = max(trial.update_ratios, key=trial.update_ratios.get, default=None)
    smallest = min(trial.update_ratios, key=trial.update_ratios.get, default=None)
    evidence: dict[str, Any] = {"lr": lrs[0] if len(set(lrs)) == 1 else lrs,
                                "trial_losses": trial.losses, "trial_steps": TRIAL_STEPS,
                                "update_ratios": trial.update_ratios}
    evidence.update(history_trend(history_losses(history, "loss")))
    first, last = trial.losses[0], trial.losses[-1]
    rose = not trial.finite or last > first
    big = largest is not None and trial.update_ratios[largest] > UPDATE_HIGH
    from_history = evidence.get("history_rising") or evidence.get("history_oscillating")
    if rose or big or from_history:
        reasons = []
        if not trial.finite:
            reasons.append(Words("trial_went", steps=len(trial.losses) - 1, first=f"{first:.4g}",
                                 last=f"{last:.4g}"))
        elif rose:
            reasons.append(Words("trial_rose", steps=TRIAL_STEPS, first=f"{first:.4g}",
                                 last=f"{last:.4g}"))
        if big:
            reasons.append(Words("first_step_changed", parameter=largest,
                                 ratio=f"{trial.update_ratios[largest]:.3g}"))
        if evidence.get("history_rising"):
            reasons.append(Words("history_went", first=f"{evidence['history_first_loss']:.4g}",
                                 last=f"{evidence['history_last_loss']:.4g}"))
        elif evidence.get("history_oscillating"):
            reasons.append(Words("history_turns",
                                 share=f"{evidence['history_sign_change_fraction']:.0%}"))
        message = Words("learning_rate_too_high", lr=evidence["lr"], reasons=Joined(reasons))
        return [Finding("learning_rate_too_high", "warning", message, evidence)]
    if (smallest is not None and trial.update_ratios[largest] < UPDATE_LOW
            and first > CONVERGED_LOSS):
        message = Words("learning_rate_too_low", lr=evidence["lr"],
                        ratio=f"{trial.update_ratios[largest]:.2g}", largest=largest,
                        smallest=smallest, small_ratio=f"{trial.update_ratios[smallest]:.2g}",
                        steps=TRIAL_STEPS, first=f"{first:.6g}", last=f"{last:.6g}")
        return [Finding("learning_rate_too_low", "warning", message, evidence)]
    return []


def check_overfitting(history: Any) -> list[Finding]:
    """overfitting: the History's val_loss ends OVERFIT_RISE or more above its best, which came
    OVERFIT_EPOCHS or more epochs before the end, while the training loss fell since."""
    train, validation = history_losses(history, "loss"), history_losses(history, "val_loss")
    if len(validation) < 3 or len(train) != len(validation):
        return []
    best = int(np.argmin(validation))
    if not (len(validation) - 1 - best >= OVERFIT_EPOCHS
            and validation[-1] > validation[best] * (1 + OVERFIT_RISE)
            and train[-1] < train[best]):
        return []
    evidence = {"best_epoch": best, "best_val_loss": validation[best],
                "last_val_loss": validation[-1], "train_loss_at_best": train[best],
                "last_train_loss": train[-1], "epochs": len(validation)}
    message = Words("overfitting", best=best, best_loss=f"{validation[best]:.4g}",
                    last_loss=f"{validation[-1]:.4g}", last_epoch=len(validation) - 1,
                    train_best=f"{train[best]:.4g}", train_last=f"{train[-1]:.4g}")
    return [Finding("overfitting", "warning", message, evidence)]
