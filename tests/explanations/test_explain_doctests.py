"""The examples in explain's docstrings run and print what they claim."""

import doctest
import importlib


def test_explain_docstring_example():
    module = importlib.import_module("glassnet.explanations.core")  # gn.explain is the function
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
