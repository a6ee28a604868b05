"""``callbacks.Diagnostics``: gn.diagnose during fit, without changing the training."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.diagnosis.callback as callback_module
from glassnet import nn, optim


def regression(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5])


def build(lr: float, dropout: float = 0.0):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 1))
    return model, optim.SGD(model.parameters(), lr=lr)


@pytest.fixture
def diagnose_calls(monkeypatch):
    """Each call's optimizer argument, in order, while the real gn.diagnose runs."""
    calls = []
    real = callback_module.diagnose

    def counting(*args, **kwargs):
        calls.append(kwargs["optimizer"])
        return real(*args, **kwargs)

    monkeypatch.setattr(callback_module, "diagnose", counting)
    return calls


def test_it_runs_every_few_epochs_and_the_learning_rate_trial_less_often(diagnose_calls):
    X, y = regression()
    model, optimizer = build(lr=0.01)
    watch = gn.callbacks.Diagnostics(X, y, loss="mse", every=3, learning_rate_every=2)
    history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=14, verbose=0,
                     callbacks=[watch])
    assert len(diagnose_calls) == 4  # after epochs 3, 6, 9 and 12
    assert [call is optimizer for call in diagnose_calls] == [True, False, True, False]
    assert history.diagnosis is watch.diagnosis
    assert isinstance(history.diagnosis, gn.Diagnosis)


def test_the_history_it_reads_includes_the_epoch_just_ended(monkeypatch):
    X, y = regression()
    model, optimizer = build(lr=0.01)
    seen = []
    real = callback_module.diagnose
    monkeypatch.setattr(callback_module, "diagnose",
                        lambda *a, **k: seen.append(len(k["history"]["loss"])) or real(*a, **k))
    gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=3, verbose=0,
           callbacks=[gn.callbacks.Diagnostics(X, y, loss="mse")])
    assert seen == [1, 2, 3]


def test_a_planted_problem_is_found_and_printed_once_after_its_epoch_line(capsys):
    X, y = regression()
    model, optimizer = build(lr=0.5)
    watch = gn.callbacks.Diagnostics(X, y, loss="mse", learning_rate_every=1)
    history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=4, verbose=2,
                     callbacks=[watch])
    lines = capsys.readouterr().out.splitlines()
    found = [i for i, line in enumerate(lines) if "learning_rate_too_high" in line]
    assert len(found) == 1
    epoch_line = {line[:9]: i for i, line in enumerate(lines) if line.startswith("Epoch ")}
    assert epoch_line["Epoch 1/4"] < found[0] < epoch_line["Epoch 2/4"]
    assert lines[found[0]].startswith("Diagnosis after epoch 1: [warning] learning_rate_too_high")
    assert watch.reported[0] == "learning_rate_too_high"
    # every code printed exactly once, however many epochs found it again
    printed = [line.split("] ")[1].split(":")[0] for line in lines
               if line.startswith("Diagnosis after")]
    assert sorted(set(watch.reported)) == sorted(set(printed))
    assert history.diagnosis.codes  # the damage is still there at the end


def test_it_prints_nothing_when_fit_is_silent(capsys):
    X, y = regression()
    model, optimizer = build(lr=0.5)
    watch = gn.callbacks.Diagnostics(X, y, loss="mse")
    gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=2, verbose=0, callbacks=[watch])
    assert capsys.readouterr().out == ""
    assert watch.reported  # found, not said


def test_the_weights_are_bit_identical_with_and_without_it():
    X, y = regression(200)

    def train(extra):
        model, optimizer = build(lr=0.05, dropout=0.2)  # dropout draws from glassnet's generator
        history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=4, batch_size=16,
                         verbose=0, validation_split=0.2, callbacks=extra)
        return model.state_dict(), history.history

    plain_weights, plain_history = train([])
    watched_weights, watched_history = train(
        [gn.callbacks.Diagnostics(X, y, loss="mse", learning_rate_every=1)])
    assert plain_weights.keys() == watched_weights.keys()
    for name, value in plain_weights.items():
        assert np.array_equal(value, watched_weights[name]), name
    assert plain_history == watched_history


class Interrupted(Exception):
    """Stands for Ctrl-C in the middle of fit."""


class InterruptAt(gn.callbacks.Callback):
    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.context.epoch == self.epoch:
            raise Interrupted


def test_a_resumed_run_keeps_what_it_reported_and_its_latest_diagnosis(tmp_path, capsys):
    X, y = regression()

    def train(extra=()):
        model, optimizer = build(lr=0.5)
        watch = gn.callbacks.Diagnostics(X, y, loss="mse", learning_rate_every=1)
        backup = gn.callbacks.BackupAndRestore(tmp_path / "backup")
        history = gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=4, verbose=2,
                         batch_size=16, callbacks=[watch, *extra, backup])
        return model, history, watch

    model, history, watch = train()
    whole_run = capsys.readouterr().out
    with pytest.raises(Interrupted):
        train([InterruptAt(epoch=3)])
    first_part = capsys.readouterr().out
    resumed_model, resumed_history, resumed_watch = train()
    second_part = capsys.readouterr().out
    for name, value in model.state_dict().items():
        assert np.array_equal(value, resumed_model.state_dict()[name]), name
    assert resumed_watch.reported == watch.reported
    assert resumed_watch.runs == watch.runs == 4
    assert resumed_history.diagnosis.codes == history.diagnosis.codes
    # the codes of epochs 1-3 were printed before the interruption and not again after it
    said = [line for line in whole_run.splitlines() if line.startswith("Diagnosis after")]
    said_then = [line for line in first_part.splitlines() if line.startswith("Diagnosis after")]
    said_after = [line for line in second_part.splitlines() if line.startswith("Diagnosis after")]
    assert said_then + said_after == said


def test_its_state_restores_the_latest_diagnosis_with_its_evidence():
    X, y = regression()
    model, optimizer = build(lr=0.5)
    watch = gn.callbacks.Diagnostics(X, y, loss="mse")
    gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=2, verbose=0, callbacks=[watch])
    from glassnet.io.nested import flatten, unflatten

    stored = unflatten(*flatten(watch.get_state(), "callbacks/0"))
    fresh = gn.callbacks.Diagnostics(X, y, loss="mse")
    fresh.set_state(stored)
    assert fresh.diagnosis.findings == watch.diagnosis.findings
    assert fresh.diagnosis.sample_size == watch.diagnosis.sample_size


def test_bad_arguments_are_refused_before_any_update():
    X, y = regression()
    with pytest.raises(ValueError, match="every"):
        gn.callbacks.Diagnostics(X, y, loss="mse", every=0)
    with pytest.raises(ValueError):
        gn.callbacks.Diagnostics(X, y, loss="no such loss")
    model, optimizer = build(lr=0.1)
    before = {name: value.copy() for name, value in model.state_dict().items()}
    wrong_width = gn.callbacks.Diagnostics(X[:, :2], y, loss="mse")
    with pytest.raises(ValueError, match="2"):
        gn.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=1, verbose=0,
               callbacks=[wrong_width])
    for name, value in model.state_dict().items():
        assert np.array_equal(value, before[name])
