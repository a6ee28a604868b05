"""What ``fit`` says when a training diverges: where, from what last finite loss, what to try."""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.errors import TrainingDiverged

# (loss, epoch, batch) of the last finite loss, counted from 0; None before the first
LastFinite = tuple[float, int, int] | None


def diverged(
    X: np.ndarray, epoch: int, batch: int, loss_value: float, *, epochs: int, batch_size: int,
    last_finite: LastFinite, optimizer: Any,
) -> TrainingDiverged:
    """The error for a non-finite loss at (epoch, batch), raised before that batch's update."""
    steps = -(-len(X) // batch_size)
    if last_finite is None:
        before = "no earlier loss was finite"
    else:
        value, last_epoch, last_batch = last_finite
        before = (f"the last finite loss was {value:.4g}, at epoch {last_epoch + 1}, "
                  f"batch {last_batch + 1}")
    groups = getattr(optimizer, "param_groups", None)
    learning_rate = f" (now {groups[0]['lr']:g})" if groups and "lr" in groups[0] else ""
    largest_input = float(np.max(np.abs(X))) if X.size else 0.0
    error = TrainingDiverged(
        f"Training diverged: the loss became {loss_value} at epoch {epoch + 1}/{epochs}, "
        f"batch {batch + 1}/{steps}; {before}. No update was made with this batch. Try a "
        f"lower learning rate{learning_rate}; standardised inputs (e.g. "
        f"sklearn.preprocessing.StandardScaler; the largest |X| is {largest_input:.3g}); or "
        "gradient clipping via fit(..., clip_grad_norm=1.0)."
    )
    error.epoch, error.batch = epoch, batch
    error.last_finite_loss = None if last_finite is None else last_finite[0]
    return error


def check_weights_finite(model: Any, epoch: int, epochs: int, last_finite: LastFinite) -> None:
    """TrainingDiverged if the epoch's last update made a weight NaN or infinite; later
    updates are caught by the next loss, but this one would reach checkpoints and backups."""
    named = getattr(model, "named_parameters", None)
    parameters = named() if callable(named) else enumerate(model.parameters())
    for name, parameter in parameters:
        if np.isfinite(parameter.data).all():
            continue
        value, _, batch = last_finite  # the epoch ran, so some loss was finite
        error = TrainingDiverged(
            f"Training diverged: the update with the last batch of epoch {epoch + 1}/{epochs} "
            f"(batch {batch + 1}, loss {value:.4g}) made {name} NaN or infinite. Nothing was "
            "saved from this state. Try a lower learning rate, standardised inputs, or gradient "
            "clipping via fit(..., clip_grad_norm=1.0)."
        )
        error.epoch, error.batch, error.last_finite_loss = epoch, batch, value
        raise error
