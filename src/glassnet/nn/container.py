"""Containers: ``Sequential`` (a pipeline of layers) and ``ModuleList`` (a list of sub-modules)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from glassnet.nn.module import Module


def _check_module(value: Any, who: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{who} holds Modules; got {type(value).__name__}.")
    return value


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
        for module in self:  # an empty Sequential passes x through, as PyTorch's does
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of sub-modules whose parameters the parent sees ("0.weight", …); no forward."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]
