"""``Optimizer``: parameter groups, per-parameter state and its plain-data ``state_dict``.

Subclasses define ``_update_group(group)``, the update rule applied to every parameter of one
group that has a gradient. Updates happen in place on ``p.data``: a model, a checkpoint or a
scheduler holding a reference to a parameter array keeps seeing the current values.

Each optimizer's rule is a function that reads as its docstring's formula (``sgd_update``,
``adam_update``, …). Beside it, a fast variant (``sgd_update_fast``, …) computes the same in the
optimizer's ``Workspace``, allocating nothing per step. ``_update_group`` calls the rule and
``_update_group_fast`` the variant; ``gn.fast_paths.install`` makes the second the one used while
fast paths are on, so the choice is made once. Both read and write the same state, so either
may continue the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, enable_grad
from glassnet.errors import ShapeError
from glassnet.optim.hyperparameters import (
    NON_NEGATIVE,
    Interval,
    check_hyperparameters,
    refuse_learning_rates,
)

ParamsLike = Iterable[Tensor] | Iterable[dict[str, Any]]

_SET_MESSAGE = (
    "parameters must be given in an ordered collection (a list), not a set: the order of a set "
    "changes between runs, and the state_dict numbers parameters in order."
)


class Workspace:
    """Scratch arrays shared by all parameters of one optimizer.

    An update needs its temporaries only while it runs, so one flat buffer per (dtype, slot), as
    large as the largest parameter, serves every parameter: nothing is allocated per step, and the
    small scratch region stays in cache across parameters.
    """

    def __init__(self, param_groups: list[dict[str, Any]]) -> None:
        self._param_groups = param_groups
        self._flat: dict[tuple[np.dtype, int], np.ndarray] = {}
        self._views: dict[tuple[int, int], np.ndarray] = {}

    def get(self, param: Tensor, slot: int) -> np.ndarray:
        """An uninitialised array shaped and typed like ``param.data``; one per slot."""
        view = self._views.get((id(param), slot))
        data = param.data
        if view is None or view.shape != data.shape or view.dtype != data.dtype:
            view = self._make(param, slot)
        return view

    def _make(self, param: Tensor, slot: int) -> np.ndarray:
        data = param.data
        flat = self._flat.get((data.dtype, slot))
        if flat is None or flat.size < data.size:
            # sized for the largest parameter of this dtype, so it is allocated once
            largest = max(
                (
                    p.data.size
                    for g in self._param_groups
                    for p in g["params"]
                    if p.data.dtype == data.dtype
                ),
                default=0,
            )
            flat = np.empty(max(largest, data.size), dtype=data.dtype)
            self._flat[(data.dtype, slot)] = flat
            self._views.clear()  # views into the smaller buffer would keep it alive
        view = flat[: data.size].reshape(data.shape)
        self._views[(id(param), slot)] = view
        return view


def gradient_shape_error(param: Tensor) -> ShapeError:
    """The error for a ``.grad`` whose shape is not its parameter's."""
    return ShapeError(
        f"a parameter of shape {param.data.shape} has a gradient of shape {param.grad.shape}; "
        "they must match."
    )


def checked_gradient(param: Tensor) -> np.ndarray:
    """``param.grad``, or ShapeError if its shape is not the parameter's."""
    grad = param.grad
    if grad.shape != param.data.shape:
        raise gradient_shape_error(param)
    return grad


def effective_gradient(
    param: Tensor, weight_decay: float, maximize: bool, workspace: Workspace
) -> np.ndarray:
    """g = ±grad + weight_decay·p (minus when maximizing), PyTorch's order of operations.

    Returns ``param.grad`` itself when nothing changes it (it is only read, never written), else
    the workspace's slot 0 holding the result.
    """
    grad = checked_gradient(param)
    if weight_decay != 0:
        out = workspace.get(param, 0)
        np.multiply(param.data, weight_decay, out=out)
        if maximize:
            out -= grad
        else:
            out += grad
        return out
    if maximize:
        return np.negative(grad, out=workspace.get(param, 0))
    return grad


def _plain(value: Any) -> Any:
    """NumPy scalars and 0-d arrays as Python numbers, also inside tuples such as betas (loaded
    files may hold either; saved files must hold plain numbers)."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


class Optimizer:
    """Base class: ``param_groups`` (dicts with "params" and hyperparameters), ``state``
    (per-parameter dicts of arrays and step counts), ``step()``, ``zero_grad()``, ``state_dict()``.

    ``params`` is an iterable of Parameters, or of dicts ``{"params": [...], "lr": ...}`` giving
    each group its own hyperparameters (missing ones come from ``defaults``).

    Every hyperparameter named in ``hyperparameter_rules`` is checked (a finite number in its
    interval; NaN and infinity never are) in the defaults, in every group added and in every
    group a ``load_state_dict`` brings; ``step()`` checks each group's lr again before it
    updates anything, since schedulers, callbacks and users change it during training.
    """

    # state entries that are numbers, not arrays shaped like the parameter
    _scalar_state_keys: frozenset[str] = frozenset({"step"})
    # hyperparameter -> the interval its values must lie in (a tuple value: each entry)
    hyperparameter_rules: dict[str, Interval] = {"lr": NON_NEGATIVE}

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]) -> None:
        self._check_group(defaults)
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._workspace = Workspace(self.param_groups)
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Parameters or of dicts; got a single Tensor. "
                "Wrap it in a list: [param]."
            )
        if isinstance(params, set):
            raise TypeError(_SET_MESSAGE)
        groups = list(params)
        if not groups:
            raise ValueError("the optimizer got an empty parameter list.")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. unfrozen layers)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict; got {type(param_group).__name__}.")
        if "params" not in param_group:
            raise ValueError("param_group needs a 'params' entry listing its parameters.")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(_SET_MESSAGE)
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"an optimizer can only update Tensors; got {type(param).__name__}."
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group lists the same parameter more than once.")
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group.")
        group = {"params": params}
        group.update({k: v for k, v in param_group.items() if k != "params"})
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError (TypeError) for a hyperparameter of ``group`` outside its rule."""
        check_hyperparameters(group, self.hyperparameter_rules)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default, frees memory) or fill them with 0."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        groups = self.param_groups
        # every group's lr before any update (schedulers, callbacks and users change it while
        # training; one NaN step would ruin every weight). Inline: it runs at every step.
        for group in groups:
            try:
                if 0.0 <= group.get("lr", 0.0) < math.inf:  # False for NaN
                    continue
            except (TypeError, ValueError):  # a str, None, an array: explained below
                pass
            refuse_learning_rates(groups)
        for group in groups:
            self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update_group().")

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: value}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order, as PyTorch does. Arrays are copies, so later steps
        do not change a saved state; everything is NumPy arrays and plain Python values.
        """
        index: dict[int, int] = {}
        param_groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            param_groups.append(packed)
        state = {
            index[id(param)]: {
                name: value.copy() if isinstance(value, np.ndarray) else value
                for name, value in param_state.items()
            }
            for param, param_state in self.state.items()
            if id(param) in index
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        Parameter indices may be ints or strings (as after a JSON round trip); arrays are copied
        and cast to their parameter's dtype. Nothing changes unless every check passes.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state_dict has {len(saved_groups)} parameter groups; this optimizer has "
                f"{len(self.param_groups)}."
            )
        params_by_index: dict[int, Tensor] = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {number} of the state_dict has {len(saved['params'])} "
                    f"parameters; this optimizer's has {len(group['params'])}."
                )
            for index, param in zip(saved["params"], group["params"], strict=True):
                params_by_index[int(index)] = param
        new_state: dict[Tensor, dict[str, Any]] = {}
        for index, saved_state in state_dict["state"].items():
            param = params_by_index.get(int(index))
            if param is None:
                continue
            new_state[param] = {
                name: self._restore_state_value(name, value, param)
                for name, value in saved_state.items()
            }
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            restored = dict(group)  # saved values win; keys the file lacks keep their value
            for name, value in saved.items():
                if name == "params":
                    continue
                value = _plain(value)
                if isinstance(group.get(name), tuple) and isinstance(value, (list, np.ndarray)):
                    value = tuple(_plain(v) for v in value)  # e.g. betas, a list after JSON
                restored[name] = value
            self._check_group(restored)
            new_groups.append(restored)
        self.param_groups[:] = new_groups  # in place: the workspace and schedulers hold this list
        self.state = new_state

    def _restore_state_value(self, name: str, value: Any, param: Tensor) -> Any:
        if name in self._scalar_state_keys:
            number = _plain(np.asarray(value)) if isinstance(value, np.ndarray) else _plain(value)
            return int(number) if float(number).is_integer() else number
        if value is None:
            return None
        array = np.asarray(value)
        if array.shape != param.data.shape:
            raise ShapeError(
                f"optimizer state {name!r} has shape {array.shape}; its parameter has shape "
                f"{param.data.shape}."
            )
        dtype = param.data.dtype if array.dtype.kind == "f" else array.dtype
        return np.array(array, dtype=dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            for name in sorted(k for k in group if k != "params"):
                lines.append(f"    {name}: {group[name]}")
        lines.append(")")
        return "\n".join(lines)
