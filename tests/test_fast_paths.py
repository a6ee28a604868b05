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


def test_an_installed_variant_follows_the_switch(monkeypatch):
    monkeypatch.setattr(gn.fast_paths, "_variants", list(gn.fast_paths._variants))

    class Square:
        def of(self, x):
            return x * x

    def of_fast(self, x):
        return x**2

    reference = Square.of
    gn.fast_paths.install(Square, "of", of_fast)
    assert Square.of is of_fast and gn.fast_paths.installed()[-1].endswith("Square.of")
    with gn.fast_paths.disabled():
        assert Square.of is reference
    assert Square.of is of_fast
    with pytest.raises(ValueError, match="already has a fast variant"):
        gn.fast_paths.install(Square, "of", of_fast)


def test_a_process_started_without_fast_paths_binds_the_references():
    code = ("import glassnet as gn; from glassnet.autograd import Function; "
            "print(Function.apply.__qualname__, gn.fast_paths.installed())")
    environment = {**os.environ, "GLASSNET_FAST_PATHS": "0"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, check=True)
    assert result.stdout.startswith("Function.apply ['Function.apply'")
