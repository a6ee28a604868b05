"""The examples in the docstrings of ``gn.fit`` and of every callback run and show what they say
(they are the API reference's examples: ``make docs``)."""

import doctest

import numpy as np
import pytest

import glassnet as gn

# The callbacks a user adds to fit; the base class, History (fit makes it) and the context
# object are documented by the others' examples.
NOT_ADDED_BY_USERS = {"Callback", "History", "TrainingContext"}
CALLBACKS = sorted(set(gn.callbacks.__all__) - NOT_ADDED_BY_USERS)
DOCUMENTED = {"fit": gn.fit, **{name: getattr(gn.callbacks, name) for name in CALLBACKS}}


def test_every_callback_a_user_adds_is_covered():
    assert set(CALLBACKS) >= {"BackupAndRestore", "CSVLogger", "EarlyStopping",
                              "LearningRateScheduler", "ModelCheckpoint"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_the_example_runs_and_shows_what_it_says(name):
    documented = DOCUMENTED[name]
    found = doctest.DocTestFinder(recurse=False).find(documented, name, globs={"gn": gn, "np": np})
    examples = [example for test in found for example in test.examples]
    assert len(examples) >= 5, f"{name}'s docstring needs a runnable example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in found:
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, len(examples))
