"""The examples in the tutorial's docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "activations",
    "data",
    "hiking",
    "network",
    "neuron",
    "perceptron",
    "two_by_two",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"glassnet.tutorial.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "network":
        assert result.attempted > 0
