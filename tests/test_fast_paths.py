"""The one switch between reference code and fast paths."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import glassnet as gn


def test_disabled_turns_them_off_and_restores_the_switch():
    assert gn.fast_paths.enabled()
    with gn.fast_paths.disabled():
        assert not gn.fast_paths.enabled()
    assert gn.fast_paths.enabled()


def test_the_switch_is_restored_after_an_error():
    with pytest.raises(KeyError), gn.fast_paths.disabled():
        raise KeyError("inside")
    assert gn.fast_paths.enabled()


def test_only_a_bool_sets_it():
    with pytest.raises(TypeError, match="True or False"):
        gn.fast_paths.set_enabled(0)


def test_the_environment_turns_them_off_for_a_process():
    code = "import glassnet as gn; print(gn.fast_paths.enabled())"
    environment = {**os.environ, "GLASSNET_FAST_PATHS": "0"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, check=True)
    assert result.stdout.strip() == "False"
