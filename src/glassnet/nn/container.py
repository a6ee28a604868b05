"""Containers: ``Sequential`` (a pipeline of layers) and ``ModuleList`` (a list of sub-modules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from glassnet.autograd import Tensor, detached, grad_enabled
from glassnet.nn.module import Module


def _check_module(value: Any, who: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{who} holds Modules; got {type(value).__name__}.")
    return value


# forward_array(module, x, temporary) -> array, by module class; None where the class has none
ArrayForward = Callable[[Any, np.ndarray, bool], np.ndarray]
_FORWARD_ARRAYS: dict[type, ArrayForward | None] = {}


def _own_forward_array(cls: type) -> ArrayForward | None:
    """``cls.forward_array`` if cls itself defines it (next to its forward), else None."""
    try:
        return _FORWARD_ARRAYS[cls]
    except KeyError:
        return _FORWARD_ARRAYS.setdefault(cls, vars(cls).get("forward_array"))


class _IndexedModules(Module):
    """Sub-modules kept in order under the names "0", "1", … (the state_dict prefixes)."""

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        if not -len(keys) <= index < len(keys):
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of "
                             f"length {len(keys)}.")
        return keys[index]

    def _next_name(self) -> str:
        number = len(self._modules)
        while str(number) in self._modules:  # a slice keeps its names; never overwrite one
            number += 1
        return str(number)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._key(index), _check_module(module, type(self).__name__))

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [self._key(index)]:
            delattr(self, key)

    def append(self, module: Module) -> _IndexedModules:
        """Add ``module`` at the end; returns self."""
        self.add_module(self._next_name(), _check_module(module, type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]) -> _IndexedModules:
        for module in modules:
            self.append(module)
        return self


class Sequential(_IndexedModules):
    """Apply the modules in order: y = fₙ(… f₁(f₀(x))).  Shapes flow from one layer to the next.

    ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))`` names its layers "0", "1", "2", so the
    state_dict keys are "0.weight", "0.bias", … as in PyTorch. A single dict (e.g. an
    ``OrderedDict``) gives the layers its own names instead.
    """

    def __init__(self, *modules: Module | dict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, _check_module(module, "Sequential"))
            return
        for module in modules:
            self.append(_check_module(module, "Sequential"))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(dict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def forward(self, x: Any) -> Any:
        if not grad_enabled() and isinstance(x, Tensor) and self._modules:
            return self._forward_arrays(x.data, temporary=False)
        # An empty Sequential passes x through, as PyTorch's does. A layer without forward hooks
        # (and without a __call__ of its own) runs its forward directly: Module.__call__ would
        # only look for hooks, and calling it costs more than that on one sample.
        for module in self._modules.values():
            if module._forward_hooks or type(module).__call__ is not Module.__call__:
                x = module(x)
            else:
                x = module.forward(x)
        return x

    def forward_array(self, x: np.ndarray, temporary: bool, start: int = 0) -> np.ndarray:
        """forward on a bare array without a graph, as each layer has: the layers' forward_array
        one after another (see _forward_arrays); ``temporary``: x is an intermediate no one
        else holds, which the first layers may compute in place; ``start``: begin at that
        layer (x is then what the layer before it returned)."""
        if len(self._modules) <= start:
            return x
        output = self._forward_arrays(x, temporary=temporary, start=start)
        if not isinstance(output, Tensor):
            raise TypeError(f"{type(self).__name__}.forward_array needs a Tensor from its last "
                            f"layer; got {type(output).__name__}.")
        return output.data

    def _forward_arrays(self, array: np.ndarray, temporary: bool, start: int = 0) -> Any:
        """Without a graph, layers hand each other bare arrays through their ``forward_array``
        (the same op as their forward): on one sample the Module and Tensor glue around each
        layer costs more than its arithmetic. From the first layer that has forward hooks, or
        whose class does not define forward_array itself (a subclass may have changed forward),
        the rest run as usual on Tensors. A temporary, an intermediate array no one else holds,
        may be overwritten by the next layer (a ReLU in place): on large batches that saves a
        pass."""
        modules = list(self._modules.values())[start:]
        for index, module in enumerate(modules):
            forward_array = _own_forward_array(type(module))
            if forward_array is None or module._forward_hooks:
                x = detached(array)
                for rest in modules[index:]:
                    x = rest(x)
                return x
            # forward_array returns its input, a view of it, or a new array only it made
            result = forward_array(module, array, temporary)
            temporary = temporary if result is array else result.base is None
            array = result
        return detached(array)


class ModuleList(_IndexedModules):
    """A list of sub-modules whose parameters the parent sees ("0.weight", …); no forward."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]
