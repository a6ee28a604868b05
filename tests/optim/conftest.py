"""Makes this folder's helper modules (``optim_reference``, ``optim_cases``) importable, and runs
chosen tests through each optimizer's fast update and through its reference update.

pytest runs with ``--import-mode=importlib``, which does not put test folders on ``sys.path``.
"""

import contextlib
import sys
from pathlib import Path

import pytest

import glassnet as gn

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(params=["fast", "reference"])
def update_path(request):
    """The test body runs with gn.fast_paths on (the fast updates), then off (the references)."""
    switch = contextlib.nullcontext() if request.param == "fast" else gn.fast_paths.disabled()
    with switch:
        yield request.param
