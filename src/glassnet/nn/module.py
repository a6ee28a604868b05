"""``Module`` and ``Parameter``: layers find their weights by the attributes they are set to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from glassnet.autograd import Tensor, tensor
from glassnet.errors import DTypeError, ShapeError

if TYPE_CHECKING:
    from glassnet.nn.summary import ModelSummary

ForwardHook = Callable[["Module", tuple, Any], Any]


class Parameter(Tensor):
    """A Tensor that is a model's weight: requires grad, and a Module registers it.

    ``Parameter(tensor)`` uses the tensor's array itself, in its dtype, as PyTorch's
    ``Parameter(tensor)`` shares the tensor's storage: ``Parameter(gn.from_numpy(array))`` trains
    ``array`` in place. Any other data (an array, a list) is copied as ``gn.tensor`` copies it,
    so an optimizer never writes into the array it was made from. ``dtype``, if given and not
    the tensor's, converts (a copy).
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
            array = data.data
        else:
            array = tensor(data, dtype=dtype).data
        super().__init__(array, requires_grad=requires_grad, dtype=array.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: keys the model has but the state lacked,
    and keys the state had but the model does not."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict[int, ForwardHook], key: int) -> None:
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


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
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                f"attributes (assigning {name!r})."
            )
        if name in self._buffers and (value is None or isinstance(value, np.ndarray)):
            self.register_buffer(name, value)  # new running statistics stay in the state_dict
            return
        # Replacing a registered entry (or setting it to None) keeps its place, so the order of
        # named_parameters and of the state_dict does not depend on the history of assignments.
        if isinstance(value, Parameter) or (value is None and name in self._parameters):
            target = self._parameters
        elif isinstance(value, Module) or (value is None and name in self._modules):
            target = self._modules
        else:
            target = None
        for registry in (self._parameters, self._modules, self._buffers):
            if registry is not target:
                registry.pop(name, None)
        if target is not None:
            target[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """A non-trainable array that belongs in the state_dict (e.g. running statistics)."""
        if value is not None and not isinstance(value, np.ndarray):
            raise DTypeError(f"buffer {name!r} must be a NumPy array or None; got "
                             f"{type(value).__name__}.")
        for registry in (self._parameters, self._modules):
            registry.pop(name, None)
        object.__setattr__(self, name, value)
        self._buffers[name] = value

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Same as ``setattr(self, name, parameter)``; ``None`` marks an absent optional weight."""
        setattr(self, name, parameter)

    def add_module(self, name: str, module: Module | None) -> None:
        """Same as ``setattr(self, name, module)``, for names that are not identifiers ("0")."""
        setattr(self, name, module)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        output = self.forward(*args, **kwargs) if kwargs else self.forward(*args)
        hooks = self.__dict__.get("_forward_hooks")
        if hooks:
            for hook in list(hooks.values()):
                replaced = hook(self, args, output)
                if replaced is not None:
                    output = replaced
        return output

    def has_forward_hooks(self) -> bool:
        """Whether a forward hook is registered on this module itself (not its children)."""
        return bool(self._forward_hooks)

    def register_forward_hook(self, hook: ForwardHook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result replaces
        the output. Returns a handle whose ``remove()`` unregisters it."""
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # -- walking the tree ----------------------------------------------------------------------
    def named_modules(
        self, prefix: str = "", _seen: set[int] | None = None
    ) -> Iterator[tuple[str, Module]]:
        """This module ("") and every sub-module, by dotted name, parents before children;
        a module used twice is listed once, under its first name."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(_join(prefix, name), seen)

    def modules(self) -> Iterator[Module]:
        """named_modules() without the names: the same modules in the same order."""
        # a stack of what is still to visit: no names to build, no generator per level
        seen: set[int] = set()
        pending: list[Module | None] = [self]
        while pending:
            module = pending.pop()
            if module is None or id(module) in seen:
                continue
            seen.add(id(module))
            yield module
            pending.extend(reversed(module._modules.values()))

    def children(self) -> Iterator[Module]:
        yield from (m for m in self._modules.values() if m is not None)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Every parameter by dotted name ("0.weight"); a shared one only under its first name."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield _join(prefix, name), parameter

    def parameters(self) -> Iterator[Parameter]:
        """named_parameters() without the names: the same parameters in the same order."""
        seen: set[int] = set()
        for module in self.modules():
            for parameter in module._parameters.values():
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield parameter

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, module in self.named_modules():
            for name, value in module._buffers.items():
                if value is not None:
                    yield _join(prefix, name), value

    def buffers(self) -> Iterator[np.ndarray]:
        for _, buffer in self.named_buffers():
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module, children first, then on self (e.g. custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics); returns self.

        Calls ``train(mode)`` on each child, as PyTorch does, so a module that overrides it
        (one that keeps a frozen part in eval mode, say) is obeyed inside a larger model."""
        object.__setattr__(self, "training", bool(mode))
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout is the identity, batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for parameter in self.parameters():
            parameter.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``grad = None`` (default) or zeros in place."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad[...] = 0

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the parameters hold (only those that require grad, if asked)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # -- state ------------------------------------------------------------------------------------
    def _state_targets(self) -> dict[str, tuple[Module, str, np.ndarray]]:
        """Every state_dict key -> (owning module, attribute name, current array)."""
        targets: dict[str, tuple[Module, str, np.ndarray]] = {}
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, parameter in module._parameters.items():
                if parameter is not None and id(parameter) not in seen:
                    seen.add(id(parameter))
                    targets[_join(prefix, name)] = (module, name, parameter.data)
            for name, value in module._buffers.items():
                if value is not None:
                    targets[_join(prefix, name)] = (module, name, value)
        return targets

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by dotted name ("0.weight", "1.running_mean"), as copies."""
        return {key: np.array(array, copy=True) for key, (_, _, array) in
                self._state_targets().items()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> LoadResult:
        """Copy arrays into the parameters and buffers of the same names.

        With ``strict``, a missing or unexpected key is an error; a mis-shaped array always is.
        The error names every offending key, and nothing is changed unless every check passes.
        Returns the missing and unexpected keys (empty lists when ``strict``).
        """
        targets = self._state_targets()
        given_arrays = {key: np.asarray(value.data if isinstance(value, Tensor) else value)
                        for key, value in state.items()}
        missing = sorted(set(targets) - set(given_arrays))
        unexpected = sorted(set(given_arrays) - set(targets), key=str)
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        for key in sorted(set(targets) & set(given_arrays)):
            given, expected = given_arrays[key], targets[key][2]
            if given.shape != expected.shape:
                problems.append(f"{key}: expected shape {expected.shape}, got {given.shape}")
            elif given.dtype.kind not in "biuf":
                problems.append(f"{key}: expected numbers, got dtype {given.dtype}")
        if problems:
            raise ShapeError(
                f"load_state_dict into {type(self).__name__} failed: " + "; ".join(problems) + "."
            )
        for key in set(targets) & set(given_arrays):
            module, name, current = targets[key]
            if name in module._parameters:
                current[...] = given_arrays[key]  # in place: optimizers hold these arrays
            else:
                module.register_buffer(name, given_arrays[key].astype(current.dtype, copy=True))
        return LoadResult(missing, [str(key) for key in unexpected])

    # -- display ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown inside ``Name(...)`` in the repr."""
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

    def summary(self, input_shape: Any = None, input: Any = None) -> ModelSummary:
        """A table of the layers with their output shapes and parameter counts, and the totals.

        ``input_shape`` is one sample's shape, e.g. ``(n_features,)``, or pass an ``input``
        batch (an array or Tensor, also accepted in place of ``input_shape``). The shapes come
        from one forward pass in eval mode under no_grad, so nothing in the model changes.
        Without either, only the parameter counts are shown. ``print(model.summary((4,)))``.
        """
        from glassnet.nn.summary import summarize

        return summarize(self, input_shape, input)
