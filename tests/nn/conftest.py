"""nn fixtures: gradcheck of a module with respect to its inputs and its parameters.

(``float64_default`` and ``rng`` come from tests/conftest.py.)
"""

import pytest

import glassnet as gn


def gradcheck_module(module, *inputs):
    """gn.gradcheck of module(*inputs) with respect to the inputs and every parameter.

    gradcheck perturbs private float64 copies of what it is given, so while it evaluates, the
    module's parameter attributes point at those copies (the registry is left alone).
    """
    slots = [
        (owner, name)
        for owner in module.modules()
        for name, parameter in owner._parameters.items()
        if parameter is not None
    ]
    originals = [getattr(owner, name) for owner, name in slots]

    def run(*tensors):
        for (owner, name), tensor in zip(slots, tensors[len(inputs):], strict=True):
            object.__setattr__(owner, name, tensor)
        try:
            return module(*tensors[: len(inputs)])
        finally:
            for (owner, name), original in zip(slots, originals, strict=True):
                object.__setattr__(owner, name, original)

    return gn.gradcheck(run, [*inputs, *originals])


@pytest.fixture
def check_gradients():
    return gradcheck_module
