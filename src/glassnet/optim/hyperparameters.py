"""Checks of optimizer and scheduler hyperparameters: finite real numbers inside their range.

One NaN learning rate turns every weight into NaN in a single step, and ``nan < 0`` is False, so
a plain ``value < 0`` test lets it through. Every check here is written so that NaN fails it
(``low <= value``), and refuses infinity too. Messages start as PyTorch's ("Invalid learning
rate: nan") and then say what was expected.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

# PyTorch's words for the hyperparameters it names in its messages; others go by their own name
_DESCRIPTIONS = {
    "lr": "learning rate",
    "eps": "epsilon value",
    "momentum": "momentum value",
    "dampening": "dampening value",
    "weight_decay": "weight_decay value",
    "alpha": "alpha value",
    "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
}


@dataclass(frozen=True)
class Interval:
    """The finite real numbers x with low ≤ x (low < x if ``low_open``) and x ≤ high (x < high if
    ``high_open``); None leaves that side unbounded (but x stays finite)."""

    low: float | None = 0.0
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        # written as "inside", so that NaN (for which every comparison is False) is outside
        if not math.isfinite(value):
            return False
        if self.low is not None and not (value > self.low if self.low_open else value >= self.low):
            return False
        if self.high is not None:
            return value < self.high if self.high_open else value <= self.high
        return True

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a finite number in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"a finite number {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"a finite number {'<' if self.high_open else '<='} {self.high:g}"
        return "a finite number"


NON_NEGATIVE = Interval(0.0)
POSITIVE = Interval(0.0, low_open=True)
FINITE = Interval(None)
UNIT = Interval(0.0, 1.0, high_open=True)  # [0, 1): Adam's betas, ReduceLROnPlateau's factor


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """nan, inf, 0.5 as PyTorch prints them; anything else by its repr ('0.1', None, [1])."""
    return str(float(value)) if _is_real(value) else repr(value)


def check_hyperparameter(name: str, value: Any, interval: Interval, *, who: str = "") -> float:
    """``value`` as a float, or ValueError (TypeError for a non-number) saying what was expected.

    ``name`` is the argument's name ("lr", "betas[0]"); ``who`` (e.g. "StepLR") prefixes it.
    """
    label = f"{who} {name}" if who else name
    if not _is_real(value):
        raise TypeError(f"{label} must be {interval}; got {_shown(value)} "
                        f"({type(value).__name__}).")
    number = float(value)
    if number not in interval:
        base = name.split("[")[0]
        if base == "betas":
            invalid = f"Invalid beta parameter at index {name[len('betas['):-1]}"
        else:
            invalid = f"Invalid {_DESCRIPTIONS.get(base, base)}"
        raise ValueError(f"{invalid}: {_shown(value)}; {label} must be {interval}.")
    return number


def check_hyperparameters(values: dict[str, Any], rules: dict[str, Interval],
                          *, who: str = "") -> None:
    """Check each entry of ``values`` that has a rule; a tuple (e.g. betas) entry by entry."""
    for name, interval in rules.items():
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, (tuple, list)):
            for position, item in enumerate(value):
                check_hyperparameter(f"{name}[{position}]", item, interval, who=who)
        else:
            check_hyperparameter(name, value, interval, who=who)


def refuse_learning_rates(groups: list[dict[str, Any]]) -> None:
    """Raise for the first group whose lr is not a finite number >= 0, naming the group (what
    ``Optimizer.step`` calls when its quick check finds one)."""
    for number, group in enumerate(groups):
        try:
            check_hyperparameter("lr", group.get("lr", 0.0), NON_NEGATIVE)
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"{error} Parameter group {number} holds it (set by a scheduler, a callback or "
                "code that wrote group['lr']); no parameter was updated."
            ) from None
