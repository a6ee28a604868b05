"""Learning-rate schedules: each ``step()`` writes the next lr into every parameter group.

The formulas, and the recursive form in which PyTorch evaluates them (each lr computed from the
previous one), are PyTorch's, so the sequences agree with PyTorch's to rounding. Call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (OneCycleLR: once per batch).
"""

from __future__ import annotations

import math

from glassnet.optim.hyperparameters import NON_NEGATIVE, POSITIVE, UNIT, check_hyperparameter
from glassnet.optim.one_cycle import OneCycleLR
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.scheduler_base import (
    LRScheduler,
    check_count,
    check_each,
    check_optimizer,
    per_group,
)

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]


class StepLR(LRScheduler):
    """lr = base_lr · gamma^⌊epoch / step_size⌋: multiply by gamma every ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"step_size must be a positive integer; got {step_size!r}.")
        self.step_size = step_size
        self.gamma = check_hyperparameter("gamma", gamma, NON_NEGATIVE, who="StepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^epoch: multiply by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_hyperparameter("gamma", gamma, NON_NEGATIVE, who="ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch / T_max)) / 2.

    Half a cosine from base_lr down to eta_min over T_max epochs; past T_max it rises again
    (period 2·T_max), as in PyTorch.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        who = "CosineAnnealingLR"
        check_hyperparameter("T_max", T_max, POSITIVE, who=who)
        self.T_max = T_max
        self.eta_min = check_hyperparameter("eta_min", eta_min, NON_NEGATIVE, who=who)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._group_lrs()
        if self._step_count == 1 and epoch > 0:  # resumed: no previous lr to build on
            return [
                eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / period)) / 2
                for base_lr in self.base_lrs
            ]
        if (epoch - 1 - period) % (2 * period) == 0:
            # at the bottom the ratio below would divide by 1 + cos(π) = 0: add the rise directly
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                for base_lr, lr in zip(self.base_lrs, self._group_lrs(), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return [ratio * (lr - eta_min) + eta_min for lr in self._group_lrs()]


class ReduceLROnPlateau(LRScheduler):
    """lr ← max(lr · factor, min_lr) on the (patience + 1)-th consecutive epoch without
    improvement: ``patience`` such epochs are tolerated, the next one reduces (PyTorch's rule).

    With ``patience=2``: the best is 9 at the second step, the third and fourth steps are
    tolerated, the fifth reduces the lr; the count then restarts.

    >>> optimizer = gn.optim.SGD([gn.nn.Parameter(np.zeros(1))], lr=1.0)
    >>> plateau = gn.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    >>> for metric in [10, 9, 9, 9, 9, 9, 9, 9]:
    ...     plateau.step(metric)
    ...     print(plateau.get_last_lr()[0], end=" ")
    1.0 1.0 1.0 1.0 0.5 0.5 0.5 0.25

    ``mode="min"``: improved means metric < best·(1 − threshold) (``threshold_mode="rel"``) or
    metric < best − threshold (``"abs"``); ``"max"`` mirrors it. After a reduction, ``cooldown``
    epochs pass before bad epochs count again; a change smaller than ``eps`` is skipped. A NaN
    metric is refused (PyTorch counts it as a bad epoch, which would cut the lr silently).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        check_optimizer(optimizer)
        who = "ReduceLROnPlateau"
        check_hyperparameter("factor", factor, UNIT, who=who)  # it multiplies the lr
        patience = check_count("patience", patience, who)
        cooldown = check_count("cooldown", cooldown, who)
        check_hyperparameter("threshold", threshold, NON_NEGATIVE, who=who)
        check_hyperparameter("eps", eps, NON_NEGATIVE, who=who)
        check_each("min_lr", min_lr if isinstance(min_lr, (list, tuple)) else [min_lr],
                    NON_NEGATIVE, who)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs'; got {threshold_mode!r}.")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.min_lrs = per_group("min_lr", optimizer, min_lr)
        self.last_epoch = 0
        self._last_lr = self._group_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric (e.g. validation loss) and reduce the lr if it stalled."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(
                f"ReduceLROnPlateau.step needs the metric as a number; got {metrics!r}."
            ) from None
        if math.isnan(current):
            raise ValueError(
                f"ReduceLROnPlateau.step got a NaN metric at epoch {self.last_epoch + 1}: NaN "
                "is neither better nor worse than the best so far. Is the monitored value "
                "defined on this data (e.g. R² of fewer than two samples)?"
            )
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._group_lrs()

    def _is_better(self, current: float) -> bool:
        best, threshold = self.best, self.threshold
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - threshold)
            return current < best - threshold
        if self.threshold_mode == "rel":
            return current > best * (threshold + 1.0)
        return current > best + threshold

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):
            if self.default_min_lr is None:
                raise ValueError(
                    f"the optimizer now has {len(groups)} parameter groups but min_lr was given "
                    f"for {len(self.min_lrs)}; set scheduler.min_lrs to one value per group."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
