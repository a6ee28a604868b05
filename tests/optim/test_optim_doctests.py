"""The examples in the docstrings of glassnet.optim run and print what they say."""

import doctest
import importlib

import numpy as np
import pytest

import glassnet as gn

MODULES = ["glassnet.optim.lr_scheduler"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"gn": gn, "np": np},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
