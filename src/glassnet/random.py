"""The one random generator behind everything random in glassnet.

Initialisation, dropout and shuffling all draw from it, so ``manual_seed(s)`` before building and
training a model gives the same results bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()
# Names a saved state may give; looked up here rather than on np.random, since states are read
# from files.
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
    "MT19937": np.random.MT19937,
}


def manual_seed(seed: int) -> np.random.Generator:
    """Seed glassnet's generator; returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator glassnet draws from; changes identity after ``manual_seed``."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state as plain Python data (JSON-serialisable)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"random state must come from one of {sorted(_BIT_GENERATORS)}; got {name!r}."
        )
    bit_generator = _BIT_GENERATORS[name]()
    bit_generator.state = state
    global _generator
    _generator = np.random.Generator(bit_generator)
