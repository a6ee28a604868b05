"""The one random generator behind everything random in glassnet.

Initialisation, dropout and shuffling all draw from it, so ``manual_seed(s)`` before building and
training a model gives the same results bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()


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
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    global _generator
    _generator = np.random.Generator(bit_generator)
