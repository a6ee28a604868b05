"""The one switch between glassnet's reference code and its fast paths.

Every op, layer and optimizer has a plain reference version that reads as its formula. A few
also have a fast version beside it, kept only where ``bench/`` shows that it matters (an
optimizer's update through BLAS, a layer's product in another memory layout). Both compute the
same function; where the bits may differ, the fast version's docstring says by how much.

A fast path is installed here as the fast variant of a method: ``install(Function, "apply",
fast)`` makes ``Function.apply`` the fast one while the switch is on and the reference one while
it is off, so the choice is made once, when the switch moves, and costs nothing per call (an op
on one sample, an optimizer's step). ``installed()`` lists them. Code that chooses per call
reads ``enabled()``. Turning the switch off takes effect at once:

    >>> import glassnet as gn
    >>> with gn.fast_paths.disabled():
    ...     gn.fast_paths.enabled()
    False
    >>> "Function.apply" in gn.fast_paths.installed()
    True

``GLASSNET_FAST_PATHS=0`` in the environment starts a process with them off, to compare the
two, to debug, or to read along in the reference code with a debugger.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

_enabled = os.environ.get("GLASSNET_FAST_PATHS", "1") != "0"


# (owner, attribute, reference, fast) for every installed fast variant
_variants: list[tuple[Any, str, Callable[..., Any], Callable[..., Any]]] = []


def enabled() -> bool:
    """Whether glassnet takes its fast paths (True unless turned off)."""
    return _enabled


def set_enabled(value: bool) -> None:
    """Turn every fast path on or off, for the whole process."""
    global _enabled
    if not isinstance(value, bool):
        raise TypeError(f"set_enabled expects True or False; got {value!r}.")
    _enabled = value
    for owner, attribute, reference, fast in _variants:
        setattr(owner, attribute, fast if value else reference)


def install(owner: Any, attribute: str, fast: Callable[..., Any]) -> None:
    """Make ``fast`` the ``owner.attribute`` used while fast paths are on; the one defined there
    is the reference, used while they are off. Both must compute the same function."""
    if any(o is owner and a == attribute for o, a, _, _ in _variants):
        raise ValueError(f"{_name(owner)}.{attribute} already has a fast variant.")
    reference = getattr(owner, attribute)
    _variants.append((owner, attribute, reference, fast))
    setattr(owner, attribute, fast if _enabled else reference)


def installed() -> list[str]:
    """The methods that have a fast variant, as "Owner.method"."""
    return [f"{_name(owner)}.{attribute}" for owner, attribute, _, _ in _variants]


def _name(owner: Any) -> str:
    return getattr(owner, "__qualname__", getattr(owner, "__name__", repr(owner)))


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """``with gn.fast_paths.disabled():`` runs the reference code, then restores the switch."""
    before = _enabled
    set_enabled(False)
    try:
        yield
    finally:
        set_enabled(before)
