"""The one switch between glassnet's reference code and its fast paths.

Every op, layer and optimizer has a plain reference version that reads as its formula. A few
also have a fast version beside it, kept only where ``bench/`` shows that it matters (an
optimizer's update through BLAS, a layer's product in another memory layout). Both compute the
same function; where the bits may differ, the fast version's docstring says by how much.

The switch is read where a fast path is chosen, so turning it off takes effect at once:

    >>> import glassnet as gn
    >>> with gn.fast_paths.disabled():
    ...     gn.fast_paths.enabled()
    False

``GLASSNET_FAST_PATHS=0`` in the environment starts a process with them off, to compare the
two, to debug, or to read along in the reference code with a debugger.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_enabled = os.environ.get("GLASSNET_FAST_PATHS", "1") != "0"


def enabled() -> bool:
    """Whether glassnet takes its fast paths (True unless turned off)."""
    return _enabled


def set_enabled(value: bool) -> None:
    """Turn every fast path on or off, for the whole process."""
    global _enabled
    if not isinstance(value, bool):
        raise TypeError(f"set_enabled expects True or False; got {value!r}.")
    _enabled = value


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """``with gn.fast_paths.disabled():`` runs the reference code, then restores the switch."""
    before = _enabled
    set_enabled(False)
    try:
        yield
    finally:
        set_enabled(before)
