"""What the monitoring callbacks share: reading one value from the epoch logs under any of its
names, refusing NaN, and deciding whether it improved."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from glassnet.training.callback_base import Callback
from glassnet.training.metrics import canonical_name, find_logged

_HIGHER_IS_BETTER = ("acc", "accuracy", "auc", "precision", "recall", "f1", "roc_auc",
                     "balanced_accuracy", "r2")
_LOWER_IS_BETTER = ("loss", "mae", "mse", "rmse", "error", "crossentropy", "entropy")


def _direction(monitor: str, mode: str, who: str) -> str:
    """"min" or "max": given by ``mode``, or inferred from the monitored name ("auto")."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max'; got {mode!r}.")
    name = canonical_name(monitor).removeprefix("val_")
    if name in _HIGHER_IS_BETTER:
        return "max"
    if name in _LOWER_IS_BETTER or name.endswith(("loss", "error")):
        return "min"
    raise ValueError(
        f"{who} received monitor={monitor!r} but cannot tell whether it should be maximized or "
        "minimized. Pass mode='max' to keep the highest value, or mode='min' for the lowest."
    )


def check_real(who: str, name: str, value: Any, *, optional: bool = False) -> float | None:
    """A finite real number (or None when ``optional``): NaN would make every comparison
    False, so that nothing ever counted as an improvement."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {name} must be a finite number; got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} must be a finite number; got {value}.")
    return float(value)


def check_epochs(who: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{who}: {name} must be an integer >= 0; got {value!r}.")
    return int(value)


class Monitoring(Callback):
    """Reads one quantity from the epoch logs and says whether it improved."""

    def __init__(
        self, monitor: str, mode: str, min_delta: float = 0.0, *, who: str | None = None
    ) -> None:
        super().__init__()
        self.who = who = who or type(self).__name__  # the callback the messages name
        if not isinstance(monitor, str):
            raise TypeError(f"{who}: monitor must be the name of a logged value such as "
                            f"'val_loss'; got {monitor!r}.")
        self.monitor = monitor
        self.mode = _direction(monitor, mode, who)
        self.min_delta = abs(check_real(who, "min_delta", min_delta))
        self._warned = False

    def monitored_value(
        self, logs: dict[str, float] | None, epoch: int | None = None
    ) -> float | None:
        """logs[monitor], found under any name of the metric ("val_accuracy" finds "val_acc");
        if "val_x" is missing but "x" is there, "x" (with one warning); None if neither is.

        Raises ValueError for a NaN value: it is neither better nor worse than another, so every
        comparison would be False and the decision silently wrong.
        """
        logs = logs or {}
        key = find_logged(logs, self.monitor)
        if key is None:
            fallback = self.monitor.removeprefix("val_")
            key = find_logged(logs, fallback) if fallback != self.monitor else None
            if key is None:
                self._warn_once(
                    f"{self.who} monitors {self.monitor!r}, which is not available. "
                    f"Available: {', '.join(logs) or 'none'}."
                )
                return None
            self._warn_once(
                f"{self.who} monitors {self.monitor!r}, which is not available "
                f"(no validation data); using {key!r} instead. Pass validation_data= or "
                f"validation_split= to fit, or monitor={key!r}."
            )
        value = logs[key]
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            when = "" if epoch is None else f" at epoch {epoch + 1}"
            raise ValueError(
                f"{self.who} monitors {key!r}, which is NaN{when}: NaN is neither "
                "better nor worse than the best so far, so no decision can be made. The metric "
                "is undefined on this data (e.g. R² of fewer than two samples) or the model's "
                "outputs overflowed; monitor another value, or give more validation data."
            )
        return value

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            warnings.warn(message, RuntimeWarning, stacklevel=4)
            self._warned = True

    def is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference
