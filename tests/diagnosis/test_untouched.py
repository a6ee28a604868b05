"""diagnose changes nothing: weights, buffers, .grad, modes, optimizer state, random state."""

import numpy as np
import pytest
from cases import blobs, inputs_times_1000, lr_ten_on_blobs

import glassnet as gn
from glassnet import nn, optim
from glassnet.random import default_generator, get_rng_state


def trained_model_with_state():
    """BatchNorm (buffers), Dropout (random masks), Adam with state, gradients left in .grad,
    one submodule in eval mode."""
    X, y = blobs(seed=21)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(16, 3))
    optimizer = optim.Adam(model.parameters(), lr=10.0)  # too high: every check runs
    for _ in range(3):
        optimizer.zero_grad()
        gn.functional.cross_entropy(model(gn.tensor(X)), gn.tensor(y)).backward()
        optimizer.step()
    model[1].eval()
    return model, optimizer, X, y


def snapshot(model, optimizer):
    return {
        "state": model.state_dict(),
        "grads": {name: None if p.grad is None else p.grad.copy()
                  for name, p in model.named_parameters()},
        "modes": [module.training for module in model.modules()],
        "optimizer": optimizer.state_dict(),
        "arrays": [id(p.data) for p in model.parameters()],
        "random": get_rng_state(),
    }


def assert_same(before, after):
    assert before["state"].keys() == after["state"].keys()
    for key, array in before["state"].items():
        assert np.array_equal(array, after["state"][key])
        assert array.dtype == after["state"][key].dtype
    for name, grad in before["grads"].items():
        assert (grad is None) == (after["grads"][name] is None)
        if grad is not None:
            assert np.array_equal(grad, after["grads"][name])
    assert before["modes"] == after["modes"]
    assert before["arrays"] == after["arrays"]
    assert before["random"] == after["random"]
    for group_before, group_after in zip(before["optimizer"]["param_groups"],
                                         after["optimizer"]["param_groups"], strict=True):
        assert group_before == group_after
    assert before["optimizer"]["state"].keys() == after["optimizer"]["state"].keys()
    for index, state in before["optimizer"]["state"].items():
        for name, value in state.items():
            assert np.array_equal(value, after["optimizer"]["state"][index][name])


@pytest.mark.parametrize("confirm", [False, True])
def test_diagnose_leaves_model_optimizer_and_random_state_as_they_were(confirm):
    model, optimizer, X, y = trained_model_with_state()
    history = {"loss": [1.0, 3.0, 0.5, 4.0], "val_loss": [1.0, 3.0, 0.5, 4.0]}
    generator = default_generator()
    before = snapshot(model, optimizer)
    diagnosis = gn.diagnose(model, X * 100, y, loss="cross_entropy", optimizer=optimizer,
                            history=history, confirm=confirm)
    assert "learning_rate_too_high" in diagnosis.codes  # the trial steps ran
    assert_same(before, snapshot(model, optimizer))
    assert default_generator() is generator


def test_the_next_random_draw_is_the_one_it_would_have_been():
    model, optimizer, X, y = trained_model_with_state()
    gn.manual_seed(5)
    expected = gn.manual_seed(5).random(3)
    gn.manual_seed(5)
    gn.diagnose(model, X, y, loss="cross_entropy", optimizer=optimizer, confirm=True)
    assert np.array_equal(default_generator().random(3), expected)


def test_the_model_forward_hooks_do_not_run_on_the_copies():
    case = lr_ten_on_blobs()
    calls = []
    case["model"].register_forward_hook(lambda module, inputs, output: calls.append(1))
    gn.diagnose(**case, confirm=True)
    assert calls == []


def test_diagnosing_twice_gives_the_same_numbers():
    first = gn.diagnose(**inputs_times_1000())
    second = gn.diagnose(**inputs_times_1000())
    assert [f.evidence for f in first.findings] == [f.evidence for f in second.findings]


@pytest.mark.parametrize(("arguments", "error", "words"), [
    ({"model": "not a model"}, TypeError, "glassnet.nn.Module; got str"),
    ({"optimizer": object()}, TypeError, "param_groups"),
    ({"X": np.ones((5, 7))}, gn.ShapeError, "expecting 4 features"),
    ({"y": np.zeros(6)}, gn.ShapeError, "inconsistent numbers of samples"),
    ({"loss": "hinge"}, ValueError, "Unknown loss 'hinge'"),
    ({"confirm": "yes"}, TypeError, "confirm"),
])
def test_bad_arguments_are_refused_with_what_was_expected(arguments, error, words):
    gn.manual_seed(0)
    model = nn.mlp([4, 3])
    call = {"model": model, "X": np.ones((5, 4)), "y": np.zeros(5, dtype=int),
            "loss": "cross_entropy", **arguments}
    with pytest.raises(error, match=words):
        gn.diagnose(call.pop("model"), call.pop("X"), call.pop("y"), **call)


def test_a_finding_refuses_an_unknown_severity():
    with pytest.raises(ValueError, match="error, warning, info"):
        gn.Finding("dead_relu", "fatal", "message", {})
