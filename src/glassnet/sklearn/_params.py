"""The estimators' hyperparameters: checked in ``fit`` (never in ``__init__``, as sklearn asks),
with messages in scikit-learn's words. The activation and optimizer names are glassnet's shared
tables, ``nn.ACTIVATIONS`` and ``optim.OPTIMIZERS``, which the CLI reads too."""

from __future__ import annotations

import math
import numbers
from typing import Any

from glassnet.nn import ACTIVATIONS
from glassnet.optim import OPTIMIZERS, SGD


def _invalid(estimator: Any, name: str, requirement: str, value: Any) -> ValueError:
    return ValueError(f"The {name!r} parameter of {type(estimator).__name__} must be "
                      f"{requirement}. Got {value!r} instead.")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    """A finite real number: NaN and inf are outside every range below, as in scikit-learn."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def hidden_sizes(estimator: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int means one hidden layer)."""
    value = estimator.hidden_layer_sizes
    sizes = (value,) if _is_int(value) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = None
    if sizes is None or not all(_is_int(size) and size > 0 for size in sizes):
        raise _invalid(estimator, "hidden_layer_sizes",
                       "a tuple of positive ints (one per hidden layer)", value)
    return tuple(int(size) for size in sizes)


def check_params(estimator: Any) -> None:
    """Raise ValueError for the first hyperparameter outside its range."""
    e = estimator
    hidden_sizes(e)
    if not (isinstance(e.activation, str) and e.activation in ACTIVATIONS):
        raise _invalid(e, "activation", f"a str among {sorted(ACTIVATIONS)}", e.activation)
    if not (isinstance(e.optimizer, str) and e.optimizer in OPTIMIZERS):
        raise _invalid(e, "optimizer", f"a str among {list(OPTIMIZERS)}", e.optimizer)
    if not (_is_real(e.learning_rate) and e.learning_rate > 0):
        raise _invalid(e, "learning_rate", "a float in the range (0.0, inf)", e.learning_rate)
    if not (e.batch_size == "auto" or (_is_int(e.batch_size) and e.batch_size >= 1)):
        raise _invalid(e, "batch_size", "an int in the range [1, inf) or 'auto'", e.batch_size)
    if not (_is_int(e.epochs) and e.epochs >= 1):
        raise _invalid(e, "epochs", "an int in the range [1, inf)", e.epochs)
    if not (_is_real(e.alpha) and e.alpha >= 0):
        raise _invalid(e, "alpha", "a float in the range [0.0, inf)", e.alpha)
    if not (_is_real(e.dropout) and 0 <= e.dropout < 1):
        raise _invalid(e, "dropout", "a float in the range [0.0, 1.0)", e.dropout)
    if not isinstance(e.early_stopping, (bool, numbers.Integral)):
        raise _invalid(e, "early_stopping", "an instance of 'bool'", e.early_stopping)
    if not (_is_real(e.validation_fraction) and 0 < e.validation_fraction < 1):
        raise _invalid(e, "validation_fraction", "a float in the range (0.0, 1.0)",
                       e.validation_fraction)
    if not (_is_int(e.n_iter_no_change) and e.n_iter_no_change >= 1):
        raise _invalid(e, "n_iter_no_change", "an int in the range [1, inf)", e.n_iter_no_change)
    if not (_is_real(e.tol) and e.tol >= 0):
        raise _invalid(e, "tol", "a float in the range [0.0, inf)", e.tol)
    if not isinstance(e.verbose, numbers.Integral):
        raise _invalid(e, "verbose", "an int or a bool", e.verbose)


def batch_size_for(estimator: Any, n_samples: int) -> int:
    """The minibatch size: ``batch_size`` clipped to the data, or min(200, n) for "auto"."""
    if estimator.batch_size == "auto":
        return min(200, n_samples)
    return max(1, min(int(estimator.batch_size), n_samples))


def make_optimizer(name: str, parameters: list[Any], learning_rate: float) -> Any:
    """The glassnet optimizer called ``name`` (SGD with scikit-learn's momentum 0.9, Nesterov)."""
    constructor = OPTIMIZERS[name]
    if constructor is SGD:
        return SGD(parameters, lr=learning_rate, momentum=0.9, nesterov=True)
    return constructor(parameters, lr=learning_rate)
