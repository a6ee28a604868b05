"""``LRScheduler``, the base of the learning-rate schedules, and the checks of their arguments.

A schedule never writes an lr that is not a finite number >= 0: ``step()`` refuses it, and the
arguments it is computed from are checked when the schedule is made.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any

from glassnet.optim.hyperparameters import Interval, check_hyperparameter
from glassnet.optim.optimizer import Optimizer


def check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs a glassnet Optimizer; got {type(optimizer).__name__}.")


def check_count(name: str, value: Any, who: str, *, low: int = 0) -> int:
    """An integer argument such as patience: refuse floats, bools, NaN and values below ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who} {name} must be an integer >= {low}; got {value!r}.")
    if value < low:
        raise ValueError(f"{who} {name} must be an integer >= {low}; got {value}.")
    return int(value)


def check_each(name: str, values: list[Any], interval: Interval, who: str) -> None:
    for number, value in enumerate(values):
        label = name if len(values) == 1 else f"{name}[{number}]"
        check_hyperparameter(label, value, interval, who=who)


def per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list is checked for length, a number repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} has {len(value)} values; the optimizer has "
                f"{len(optimizer.param_groups)} parameter groups."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class: keeps ``base_lrs`` (each group's lr at creation, stored as
    ``group["initial_lr"]``) and ``last_epoch``, the number of ``step()`` calls so far.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        check_count("last_epoch", last_epoch, type(self).__name__, low=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"resuming with last_epoch={last_epoch} needs 'initial_lr' in parameter "
                        f"group {number}; load the optimizer's state_dict first."
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        # the first step only records the starting lr (PyTorch's _initial_step)
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lr of each group for epoch ``last_epoch`` (already advanced by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr().")

    def step(self) -> None:
        """Advance one epoch and set every group's lr.

        Raises ValueError, and sets no lr, when a computed lr is not a finite number >= 0 (e.g.
        ExponentialLR with gamma > 1 overflowing after many epochs).
        """
        self._step_count += 1
        self.last_epoch += 1
        lrs = self.get_lr()
        for number, lr in enumerate(lrs):
            if not 0.0 <= lr < math.inf:  # False for NaN
                self._step_count -= 1
                self.last_epoch -= 1
                raise ValueError(
                    f"{type(self).__name__} computed the learning rate {lr} for parameter group "
                    f"{number} at epoch {self.last_epoch + 1}; a learning rate must be a finite "
                    "number >= 0. No learning rate was changed."
                )
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each parameter group set by the latest ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as plain Python data (copies)."""
        return {
            key: copy.deepcopy(value) for key, value in self.__dict__.items() if key != "optimizer"
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]
