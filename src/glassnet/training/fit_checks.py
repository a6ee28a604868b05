"""Checks of fit's optimizer, callbacks and gradient clipping, made before training begins."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from glassnet.training.backup import BackupAndRestore
from glassnet.training.callback_base import Callback


def check_optimizer_holds_the_model(model: Any, optimizer: Any) -> None:
    """Refuse an optimizer that misses a parameter of the model that requires a gradient, found
    by identity: one built on another model's parameters would train nothing, the loss staying
    constant. Frozen parameters (requires_grad=False) need not be in it."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):  # not a glassnet optimizer: nothing to compare
        return
    held = {id(parameter) for group in groups for parameter in group["params"]}
    named = getattr(model, "named_parameters", None)
    parameters = named() if callable(named) else enumerate(model.parameters())
    trainable = [(str(name), p) for name, p in parameters if getattr(p, "requires_grad", True)]
    missing = [name for name, parameter in trainable if id(parameter) not in held]
    if not missing:
        return
    shown = ", ".join(missing[:6]) + (", ..." if len(missing) > 6 else "")
    how_many = "none" if len(missing) == len(trainable) else f"{len(trainable) - len(missing)}"
    raise ValueError(
        f"The optimizer holds {how_many} of the model's {len(trainable)} trainable parameters; "
        f"missing: {shown}. Was it built on another model's parameters? Build it on this "
        "model's, e.g. optim.Adam(model.parameters()); to keep some parameters fixed, freeze "
        "them first (module.requires_grad_(False))."
    )


def check_callbacks(callbacks: Any) -> tuple[list[Callback], BackupAndRestore | None]:
    """The callbacks other than the BackupAndRestore, and that one (or None)."""
    if callbacks is None:
        callbacks = []
    elif isinstance(callbacks, Callback):
        callbacks = [callbacks]
    try:
        callback_list = list(callbacks)
    except TypeError:
        raise TypeError(
            "callbacks must be a list of glassnet.callbacks.Callback instances; got "
            f"{type(callbacks).__name__}."
        ) from None
    for callback in callback_list:
        if not isinstance(callback, Callback):
            raise TypeError(
                "callbacks must be glassnet.callbacks.Callback instances; got "
                f"{type(callback).__name__}."
            )
    backups = [c for c in callback_list if isinstance(c, BackupAndRestore)]
    if len(backups) > 1:
        raise ValueError(f"fit takes at most one BackupAndRestore; got {len(backups)}.")
    others = [c for c in callback_list if not isinstance(c, BackupAndRestore)]
    return others, (backups[0] if backups else None)


def gradient_clipper(model: Any, max_norm: float | None) -> Callable[[], Any] | None:
    if max_norm is None:
        return None
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(
            f"clip_grad_norm must be a positive number or None; got {max_norm!r} "
            f"({type(max_norm).__name__})."
        )
    if not max_norm > 0:  # also refuses NaN
        raise ValueError(f"clip_grad_norm must be a positive number; got {max_norm!r}.")
    from glassnet.nn.utils import clip_grad_norm_

    parameters = list(model.parameters())
    return lambda: clip_grad_norm_(parameters, max_norm)
