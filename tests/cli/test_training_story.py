"""``glassnet train`` keeps the best validation epoch, stops early by default, and says so."""

from __future__ import annotations

import re

import numpy as np
from cli_helpers import write_csv

from glassnet.cli._training import Outcome, default_patience, overfit, story
from glassnet.io import load_bundle
from glassnet.training.callback_base import History


def history_of(loss: list[float], val_loss: list[float]) -> History:
    history = History()
    history.history = {"loss": loss, "val_loss": val_loss}
    return history


def test_the_default_patience_is_a_tenth_of_the_epochs_and_at_least_ten():
    assert [default_patience(epochs) for epochs in (1, 50, 100, 200, 1000)] == [10, 10, 10, 20,
                                                                                100]


def test_the_story_names_the_epoch_kept_its_loss_and_an_early_stop():
    history = history_of([1.0, 0.8, 0.6, 0.5, 0.45, 0.4], [1.1, 0.9, 0.7, 0.72, 0.75, 0.8])
    outcome = Outcome(epochs_run=6, kept_epoch=2, stopped_early=True, patience=3,
                      monitor="val_loss")
    lines = story(history, outcome)
    assert lines[0] == "Kept the weights of epoch 3 of 6: its validation loss, 0.7, was the lowest."
    assert lines[1].startswith("Stopped early: 3 epochs passed without a lower validation loss")
    # the lowest point is at the half-way mark and training went on falling: overfit
    assert "The network overfit: the validation loss was lowest at epoch 3" in lines[2]
    assert "(0.6 -> 0.4)" in lines[2]


def test_a_run_still_improving_at_its_end_is_not_called_overfit():
    history = history_of([1.0, 0.8, 0.6, 0.5], [1.1, 0.9, 0.8, 0.75])
    assert not overfit(history, kept=3, run=4)
    lines = story(history, Outcome(4, 3, False, None, "val_loss"))
    assert lines == ["Kept the weights of epoch 4 of 4: its validation loss, 0.75, was the "
                     "lowest."]


def test_a_late_minimum_or_a_rising_training_loss_is_not_overfit():
    rising_late = history_of([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], [1, 0.9, 0.8, 0.7, 0.75, 0.8])
    assert not overfit(rising_late, kept=3, run=6)  # lowest in the second half
    both_rising = history_of([1.0, 0.9, 1.0, 1.1, 1.2, 1.3], [1, 0.9, 1.0, 1.1, 1.2, 1.3])
    assert not overfit(both_rising, kept=1, run=6)  # training got worse too: not overfitting


def noise_table(tmp_path, rows: int = 60):
    """A target that is pure noise: whatever a network learns of it does not generalise."""
    rng = np.random.default_rng(1)
    values = rng.normal(size=(rows, 6))
    body = [[f"{v:.5f}" for v in row] for row in values]
    return write_csv(tmp_path / "noise.csv", ["a", "b", "c", "d", "e", "target"], body)


def test_an_overfit_run_stops_early_keeps_the_best_epoch_and_says_it_overfit(tmp_path, capsys):
    from glassnet.cli import main

    data, out = noise_table(tmp_path), tmp_path / "m.st"
    code = main(["train", str(data), "--target", "target", "--out", str(out), "--epochs", "200",
                 "--lr", "0.01", "--verbose", "0"])
    printed = capsys.readouterr().out
    assert code == 0
    kept = re.search(r"Kept the weights of epoch (\d+) of (\d+): its validation loss", printed)
    assert kept, printed
    kept_epoch, epochs_run = int(kept.group(1)), int(kept.group(2))
    # no --early-stopping given: the default patience, a tenth of 200 epochs, stopped the run
    assert epochs_run == kept_epoch + 20 < 200
    assert "Stopped early: 20 epochs passed without a lower validation loss" in printed
    assert "The network overfit" in printed and "--hidden 16" in printed
    training = load_bundle(out).metadata["training"]
    assert training["kept_epoch"] == kept_epoch and training["epochs"] == epochs_run


def test_early_stopping_0_runs_every_epoch_and_still_keeps_the_best(tmp_path, capsys):
    from glassnet.cli import main

    data, out = noise_table(tmp_path), tmp_path / "m.st"
    code = main(["train", str(data), "--target", "target", "--out", str(out), "--epochs", "40",
                 "--lr", "0.01", "--verbose", "0", "--early-stopping", "0"])
    printed = capsys.readouterr().out
    assert code == 0
    kept = re.search(r"Kept the weights of epoch (\d+) of 40: its validation loss", printed)
    assert kept and "Stopped early" not in printed
    assert load_bundle(out).metadata["training"]["kept_epoch"] == int(kept.group(1))
