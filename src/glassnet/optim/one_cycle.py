"""``OneCycleLR``: the 1cycle learning-rate and momentum policy, stepped once per batch."""

from __future__ import annotations

import math
from typing import Any

from glassnet.optim.hyperparameters import NON_NEGATIVE, POSITIVE, UNIT, check_hyperparameter
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.scheduler_base import (
    LRScheduler,
    check_count,
    check_each,
    check_optimizer,
    per_group,
)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2018), stepped once per batch.

    lr rises from max_lr/div_factor to max_lr over the first ``pct_start`` of ``total_steps``, then
    anneals to max_lr/(div_factor·final_div_factor) (``three_phase``: first back down to the
    start). Momentum (SGD's ``momentum`` or Adam's β1) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. Annealing: cos, start + (end − start)(1 − cos πt)/2
    written as end + (start − end)(1 + cos πt)/2, or linear.

    A loop that steps after each of ``total_steps`` batches makes one ``step()`` past the end of
    the schedule; lr and momentum then keep their final values (PyTorch extrapolates them, to a
    negative lr for "linear"). A further ``step()`` is an error.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"total_steps must be a positive integer; got {total_steps!r}.")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"{name} must be a positive integer; got {value!r}.")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("give either total_steps, or both epochs and steps_per_epoch.")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"pct_start must be a float between 0 and 1; got {pct_start!r}.")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear'; got {anneal_strategy!r}.")
        max_lrs, momenta = self._checked_arguments(
            optimizer, max_lr, div_factor, final_div_factor, cycle_momentum, max_momentum,
            base_momentum, last_epoch)
        # every argument is checked: only now are the groups written
        self.anneal_strategy = anneal_strategy
        self._schedule_phases = self._phases(pct_start, three_phase)
        if last_epoch == -1:
            for max_lr_of_group, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = max_lr_of_group / div_factor
                group["max_lr"] = max_lr_of_group
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                groups = optimizer.param_groups
                for high, low, group in zip(*momenta, groups, strict=True):
                    self._set_momentum(group, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _checked_arguments(
        optimizer: Optimizer,
        max_lr: Any,
        div_factor: Any,
        final_div_factor: Any,
        cycle_momentum: bool,
        max_momentum: Any,
        base_momentum: Any,
        last_epoch: Any,
    ) -> tuple[list[float], tuple[list[float], list[float]]]:
        """max_lr per group and (max_momentum, base_momentum) per group, each checked."""
        who = "OneCycleLR"
        check_count("last_epoch", last_epoch, who, low=-1)
        max_lrs = per_group("max_lr", optimizer, max_lr)
        check_each("max_lr", max_lrs, NON_NEGATIVE, who)
        check_hyperparameter("div_factor", div_factor, POSITIVE, who=who)
        check_hyperparameter("final_div_factor", final_div_factor, POSITIVE, who=who)
        if not cycle_momentum:
            return max_lrs, ([], [])
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                f"cycle_momentum needs an optimizer with momentum or betas; "
                f"{type(optimizer).__name__} has neither. Pass cycle_momentum=False."
            )
        # what the momentum becomes: Adam's beta1 lives in [0, 1), SGD's momentum in [0, inf)
        interval = UNIT if "betas" in optimizer.defaults else NON_NEGATIVE
        max_momenta = per_group("max_momentum", optimizer, max_momentum)
        base_momenta = per_group("base_momentum", optimizer, base_momentum)
        check_each("max_momentum", max_momenta, interval, who)
        check_each("base_momentum", base_momenta, interval, who)
        return max_lrs, (max_momenta, base_momenta)

    def _phases(self, pct_start: float, three_phase: bool) -> list[dict[str, Any]]:
        """Each phase: the step it ends at and the group keys it anneals lr and momentum between."""

        def phase(end_step: float, lrs: str, momenta: str) -> dict[str, Any]:
            start_lr, end_lr = lrs.split(" -> ")
            start_momentum, end_momentum = momenta.split(" -> ")
            return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                    "start_momentum": start_momentum, "end_momentum": end_momentum}  # fmt: skip

        warmup_end = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if not three_phase:
            return [
                phase(warmup_end, "initial_lr -> max_lr", "max_momentum -> base_momentum"),
                phase(last, "max_lr -> min_lr", "base_momentum -> max_momentum"),
            ]
        return [
            phase(warmup_end, "initial_lr -> max_lr", "max_momentum -> base_momentum"),
            phase(
                float(2 * pct_start * self.total_steps) - 2,
                "max_lr -> initial_lr",
                "base_momentum -> max_momentum",
            ),
            phase(last, "initial_lr -> min_lr", "max_momentum -> max_momentum"),
        ]

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        step_number = self.last_epoch
        if step_number > self.total_steps:
            raise ValueError(
                f"OneCycleLR stepped {step_number} times; total_steps is {self.total_steps}."
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for number, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_number <= end_step or number == len(self._schedule_phases) - 1:
                    # at most 1: the one step past the end that a per-batch loop makes keeps the
                    # final values (PyTorch extrapolates them, to a negative lr for "linear")
                    fraction = min((step_number - start_step) / (end_step - start_step), 1.0)
                    lrs.append(
                        self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], fraction)
                    )
                    if self.cycle_momentum:
                        self._set_momentum(
                            group,
                            self._anneal(
                                group[phase["start_momentum"]],
                                group[phase["end_momentum"]],
                                fraction,
                            ),
                        )
                    break
                start_step = phase["end_step"]
        return lrs
