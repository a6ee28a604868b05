"""fit leaves no .grad behind, however it ends: a user's next backward() starts from nothing."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from training_helpers import blobs, classifier

import glassnet as gn
import glassnet.functional as F
from glassnet import optim
from glassnet.training import Callback, callbacks, fit

fit_module = importlib.import_module("glassnet.training.loop")  # the attribute is the function


def gradients(model) -> list:
    return [parameter.grad for parameter in model.parameters()]


def train(model, callback_list=(), epochs=3, loss="cross_entropy", lr=0.1):
    X, y = blobs(n=40)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return fit(model, X, y, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=8,
               callbacks=list(callback_list), verbose=0)


def test_after_fit_no_parameter_has_a_gradient():
    model = classifier()
    train(model)
    assert gradients(model) == [None] * 4


def test_the_next_backward_gives_exactly_the_fresh_gradient():
    """The trap: with the last batch's .grad left in place, backward() would add to it."""
    model = classifier()
    train(model)
    untouched = classifier(seed=1)  # never had a gradient; given the trained weights
    untouched.load_state_dict(model.state_dict())
    X, y = blobs(n=10, seed=1)
    for network in (model, untouched):
        F.cross_entropy(network(gn.tensor(X)), gn.tensor(y)).backward()
    for ours, fresh in zip(model.parameters(), untouched.parameters(), strict=True):
        np.testing.assert_array_equal(ours.grad, fresh.grad)


def test_also_when_early_stopping_ends_the_run():
    model = classifier()
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0)
    history = train(model, [stopper], epochs=20, lr=0.0)  # lr 0: no improvement after epoch 0
    assert len(history.epoch) < 20
    assert gradients(model) == [None] * 4


@pytest.mark.parametrize("batch", [2, 5], ids=["on-a-loss", "on-the-weights-at-epoch-end"])
def test_also_when_training_diverges(batch):
    """Batch 2: the loss is NaN (fit raises before backward). Batch 5, the epoch's last: the loss
    is finite but its gradient NaN (√|0|), so the update makes the weights NaN and fit raises at
    the end of the epoch, after backward() filled every .grad."""
    calls = []

    def diverging(output, target):
        calls.append(None)
        loss = F.cross_entropy(output, target)
        if len(calls) != batch:
            return loss
        if batch == 2:
            return loss * float("nan")
        return loss + (output - output.detach()).sum().abs().sqrt()

    model = classifier()
    with pytest.raises(gn.TrainingDiverged, match="batch 2/5" if batch == 2 else "made .* NaN"):
        with np.errstate(invalid="ignore", divide="ignore"):
            train(model, loss=diverging)
    assert gradients(model) == [None] * 4


class Interrupt(Callback):
    """Raises KeyboardInterrupt after a batch's update, as Ctrl-C would."""

    def on_batch_end(self, batch, logs=None):
        if batch == 2:
            raise KeyboardInterrupt


def test_also_when_interrupted():
    model = classifier()
    with pytest.raises(KeyboardInterrupt):
        train(model, [Interrupt()])
    assert gradients(model) == [None] * 4


def test_gradients_are_released_once_per_fit_not_per_step(monkeypatch):
    calls = []
    release = fit_module._release_gradients
    monkeypatch.setattr(fit_module, "_release_gradients",
                        lambda *args: calls.append(None) or release(*args))
    train(classifier(), epochs=3)  # 3 epochs of 5 batches
    assert len(calls) == 1


def test_parameters_of_the_optimizer_outside_the_model_are_released_too():
    model = classifier()
    extra = gn.nn.Parameter(np.zeros(3, dtype=np.float32))
    X, y = blobs(n=16)

    def loss_with_extra(output, target):
        return F.cross_entropy(output + extra, target)

    optimizer = optim.SGD([*model.parameters(), extra], lr=0.1)
    fit(model, X, y, loss=loss_with_extra, optimizer=optimizer, epochs=1, verbose=0)
    assert extra.grad is None and gradients(model) == [None] * 4
