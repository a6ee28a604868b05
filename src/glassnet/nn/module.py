"""``Module`` and ``Parameter``: layers find their weights by the attributes they are assigned to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from glassnet.autograd import Tensor
from glassnet.errors import ShapeError


class Parameter(Tensor):
    """A Tensor that is a model's weight: requires grad, and a Module registers it."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models. Subclasses set attributes in ``__init__`` and define
    ``forward``; calling the module runs ``forward``.

    Attributes that are Parameters, Modules or registered buffers (non-trainable arrays such as
    BatchNorm's running mean) are found by name and make up the ``state_dict``.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                f"attributes (assigning {name!r})."
            )
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """A non-trainable array that belongs in the state_dict (e.g. running statistics)."""
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- walking the tree ----------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from (m for m in self._modules.values() if m is not None)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{prefix}.{name}" if prefix else name), parameter

    def parameters(self) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters():
            yield parameter

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, module in self.named_modules():
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None:
                    yield (f"{prefix}.{name}" if prefix else name), value

    # -- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for parameter in self.parameters():
            parameter.grad = None

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by dotted name ("0.weight", "1.running_mean"), as copies."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: np.array(b, copy=True) for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers of the same names.

        With ``strict``, a missing or unexpected key is an error; a mis-shaped array always is.
        Nothing is changed unless every check passes.
        """
        targets: dict[str, tuple[Module, str, np.ndarray]] = {}
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    targets[f"{prefix}.{name}" if prefix else name] = (module, name, parameter.data)
            for name in module._buffers:
                value = getattr(module, name)
                if value is not None:
                    targets[f"{prefix}.{name}" if prefix else name] = (module, name, value)
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        for key in sorted(set(targets) & set(state)):
            given = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
            expected_shape = np.shape(targets[key][2])
            if given.shape != expected_shape:
                problems.append(f"{key}: expected shape {expected_shape}, got {given.shape}")
        if problems:
            raise ShapeError(
                f"load_state_dict into {type(self).__name__} failed: " + "; ".join(problems) + "."
            )
        for key in set(targets) & set(state):
            module, name, current = targets[key]
            given = state[key].data if isinstance(state[key], Tensor) else state[key]
            if name in module._parameters:
                current[...] = given  # in place: optimizers hold references to these arrays
            else:
                module.register_buffer(name, np.array(given, dtype=np.asarray(current).dtype))

    # -- display ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = [
            f"  ({name}): " + repr(module).replace("\n", "\n  ")
            for name, module in self.named_children()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n" + "\n".join(children) + "\n)"
