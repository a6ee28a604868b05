"""BackupAndRestore in one process: interrupt fit anywhere, resume, end bit for bit where an
uninterrupted run ends (weights, History, callback states, CSV log)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from resume_helpers import InterruptAt, Interrupted, build, data, same_weights, train

import glassnet as gn
from glassnet import optim
from glassnet.io import BackupFiles
from glassnet.training import Callback, callbacks


def interrupted_then_resumed(folder, interrupt: Callback, **options):
    """Run until ``interrupt`` fires, then resume in a "new process": fresh callbacks and
    optimizer, and a different seed (so the fresh weights and the generator differ) unless there
    is no backup yet, in which case the rerun is a fresh start."""
    with pytest.raises((Interrupted, KeyboardInterrupt)):
        train(folder, extra=(interrupt,), **options)
    backed_up = BackupFiles(folder).exists()
    assert backed_up == (interrupt.epoch > 0)
    return train(folder, seed=12345 if backed_up else 0, **options)


@pytest.mark.parametrize("epoch, batch", [(0, 1), (1, 0), (3, 2), (5, 3)],
                         ids=["first-epoch", "epoch-start", "mid-epoch", "last-batch"])
def test_an_interrupted_run_resumes_to_bit_identical_weights_and_history(tmp_path, epoch, batch):
    reference, expected_history, _, expected_callbacks = train(tmp_path / "reference")
    model, history, _, resumed_callbacks = interrupted_then_resumed(
        tmp_path / "run", InterruptAt(epoch, batch)
    )
    assert same_weights(model, reference)
    assert history.history == expected_history.history
    assert history.epoch == expected_history.epoch == list(range(6))
    stopper, expected_stopper = resumed_callbacks[1], expected_callbacks[1]
    assert stopper.get_state().keys() == expected_stopper.get_state().keys()
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (
        expected_stopper.best, expected_stopper.best_epoch, expected_stopper.wait)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw", "rmsprop", "adagrad"])
def test_every_optimizers_state_is_restored(tmp_path, optimizer):
    reference, *_ = train(tmp_path / "reference", optimizer=optimizer)
    model, *_ = interrupted_then_resumed(tmp_path / "run", InterruptAt(2, 1), optimizer=optimizer)
    assert same_weights(model, reference)


SCHEDULERS = {
    "exponential": lambda opt: optim.lr_scheduler.ExponentialLR(opt, gamma=0.7),
    "cosine": lambda opt: optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=1e-4),
    "plateau": lambda opt: optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0),
    "one-cycle": lambda opt: optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=7),
    "function": lambda opt: (lambda epoch, lr: 0.02 / (1 + epoch)),
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_the_schedulers_position_is_restored(tmp_path, name):
    scheduler = SCHEDULERS[name]
    reference, expected, *_ = train(tmp_path / "reference", scheduler=scheduler)
    model, history, *_ = interrupted_then_resumed(tmp_path / "run", InterruptAt(3, 0),
                                                  scheduler=scheduler)
    assert history.history["learning_rate"] == expected.history["learning_rate"]
    assert same_weights(model, reference)


def test_ctrl_c_keeps_the_backup_and_completion_removes_it(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        train(folder, extra=(InterruptAt(2, 0, KeyboardInterrupt),))
    saved = BackupFiles(folder).read_latest()
    assert saved["training_state"]["epoch"] == 1  # epochs 0 and 1 completed
    train(folder, seed=7)
    assert not folder.exists()


def test_the_backup_holds_everything_the_next_epoch_depends_on(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupted):
        train(folder, extra=(InterruptAt(2, 0),))
    saved = BackupFiles(folder).read_latest()
    training = saved["training_state"]
    assert training["epoch"] == 1
    assert training["history_epochs"] == [0, 1]
    assert list(training["history"]) == ["loss", "accuracy", "val_loss", "val_accuracy",
                                         "learning_rate"]
    assert set(training["callbacks"]) == {"LearningRateScheduler", "EarlyStopping"}
    assert training["callbacks"]["LearningRateScheduler"]["scheduler"]["last_epoch"] == 2
    assert training["rng_state"]["bit_generator"] == "PCG64"
    assert "1.running_mean" in saved["model_state"]  # buffers as well as parameters
    adam_state = saved["optimizer_state"]["state"][0]
    assert set(adam_state) >= {"step", "exp_avg", "exp_avg_sq"} and adam_state["step"] == 10
    assert training["params"] == {"samples": 72, "batch_size": 16, "epochs": 6,
                                  "shards": None}


def test_the_backups_random_state_wins_over_the_callers_seed(tmp_path):
    """Two resumptions from the same backup, seeded differently, draw the same shuffles."""
    folder = tmp_path / "backup"
    with pytest.raises(Interrupted):
        train(folder, extra=(InterruptAt(2, 0),))
    first = BackupFiles(folder).read_latest()
    results = []
    for seed in (1, 2):
        BackupFiles(folder).write(**first)
        gn.manual_seed(seed)
        model, *_ = train(folder, seed=seed)
        results.append(model)
    assert same_weights(*results)


def test_early_stopping_that_already_stopped_does_not_train_further(tmp_path):
    """Killed after the backup of the stopping epoch but before fit returned: nothing to redo."""
    folder = tmp_path / "backup"
    stopper = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    reference, expected, *_ = train(tmp_path / "reference", extra=(
        callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0),))
    assert expected.epoch == [0, 1]
    backup = callbacks.BackupAndRestore(folder, delete_on_completion=False)
    model, opt = build(0)
    X, y = data()
    gn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=6, batch_size=16,
           validation_split=0.25, verbose=0, callbacks=[stopper, backup])
    again, opt = build(99)
    history = gn.fit(again, X, y, loss="cross_entropy", optimizer=opt, epochs=6, batch_size=16,
                     validation_split=0.25, verbose=0, callbacks=[
                         callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0),
                         backup])
    assert history.epoch == [0, 1]
    assert same_weights(again, model)


def test_a_corrupt_newest_backup_falls_back_to_the_previous_with_a_warning(tmp_path):
    reference, *_ = train(tmp_path / "reference")
    folder = tmp_path / "run"
    with pytest.raises(Interrupted):
        train(folder, extra=(InterruptAt(4, 0),))
    newest = BackupFiles(folder).newest_path
    data_bytes = bytearray(open(newest, "rb").read())
    data_bytes[-5] ^= 0xFF  # one flipped bit in a tensor
    with open(newest, "wb") as file:
        file.write(bytes(data_bytes))
    with pytest.warns(RuntimeWarning, match="Resuming from the previous generation"):
        model, history, *_ = train(folder, seed=3)
    assert history.epoch == list(range(6))
    assert same_weights(model, reference)


def test_a_backup_that_does_not_fit_the_model_is_refused_and_changes_nothing(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupted):
        train(folder, extra=(InterruptAt(1, 0),))
    gn.manual_seed(0)
    model = gn.nn.Sequential(gn.nn.Linear(5, 4), gn.nn.ReLU(), gn.nn.Linear(4, 3))
    before = model.state_dict()
    X, y = data()
    with pytest.raises(ValueError, match="does not fit this model and optimizer.*Delete the"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
               epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(folder)])
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert BackupFiles(folder).exists()


def test_resuming_with_another_batch_size_warns(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(Interrupted):
        train(folder, extra=(InterruptAt(1, 0),))
    with pytest.warns(RuntimeWarning, match="batch_size 16 -> 8"):
        train(folder, batch_size=8)


def test_csv_log_of_a_resumed_run_is_byte_identical(tmp_path):
    reference_log = tmp_path / "reference.csv"
    train(tmp_path / "reference", extra=(callbacks.CSVLogger(reference_log),))
    log = tmp_path / "run.csv"
    # The row of epoch 3 reaches the file before the interruption; the resume must drop it.
    with pytest.raises(Interrupted):
        train(tmp_path / "run", extra=(callbacks.CSVLogger(log), InterruptAt(4, 0)))
    assert log.read_text().count("\n") == 5  # header + epochs 0..3
    with open(log, "a") as file:
        file.write("3,garbage from the epoch that is re-run\n")
    train(tmp_path / "run", seed=5, extra=(callbacks.CSVLogger(log),))
    assert log.read_bytes() == reference_log.read_bytes()


def test_csv_log_in_append_mode_keeps_what_came_before(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("earlier run\n")
    train(tmp_path / "reference", extra=(callbacks.CSVLogger(tmp_path / "ref.csv"),))
    with pytest.raises(Interrupted):
        train(tmp_path / "run", extra=(callbacks.CSVLogger(log, append=True), InterruptAt(3, 1)))
    train(tmp_path / "run", extra=(callbacks.CSVLogger(log, append=True),))
    reference_rows = (tmp_path / "ref.csv").read_text().split("\n", 1)[1]
    assert log.read_text() == "earlier run\n" + reference_rows  # no header: the file had text


def test_a_users_callback_with_state_is_resumed_through_get_state(tmp_path):
    class CountBatches(Callback):
        def __init__(self):
            super().__init__()
            self.count = 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1

        def get_state(self):
            return {"count": self.count}

        def set_state(self, state):
            self.count = state["count"]

    counter = CountBatches()
    with pytest.raises(Interrupted):
        train(tmp_path / "run", extra=(counter, InterruptAt(2, 1)))
    assert counter.count == 2 * 5 + 2  # 5 steps per epoch
    counter = CountBatches()
    train(tmp_path / "run", extra=(counter,))
    assert counter.count == 6 * 5


@pytest.mark.parametrize("arguments, message", [
    ({"save_freq": 10}, "save_freq must be 'epoch'"),
])
def test_bad_arguments_are_refused(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        callbacks.BackupAndRestore(tmp_path, **arguments)


def test_two_backups_in_one_fit_are_refused(tmp_path):
    model, opt = build(0)
    X, y = data()
    with pytest.raises(ValueError, match="at most one BackupAndRestore; got 2"):
        gn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, verbose=0,
               callbacks=[callbacks.BackupAndRestore(tmp_path / "a"),
                          callbacks.BackupAndRestore(tmp_path / "b")])


def test_a_completed_run_leaves_no_files_and_keeps_foreign_ones(tmp_path):
    folder = tmp_path / "backup"
    train(folder, epochs=2)
    assert not folder.exists()
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(folder, epochs=2)
    assert os.listdir(folder) == ["notes.txt"]


def test_resuming_with_another_shard_count_warns(tmp_path):
    def run(shards, extra=()):
        gn.manual_seed(0)
        model = gn.nn.Sequential(gn.nn.Linear(5, 4), gn.nn.ReLU(), gn.nn.Linear(4, 3))
        X, y = data()
        gn.fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1),
               epochs=3, batch_size=16, verbose=0, gradient_sharding=shards,
               callbacks=[*extra, callbacks.BackupAndRestore(tmp_path / "backup")])

    with pytest.raises(Interrupted):
        run(2, extra=(InterruptAt(1, 0),))
    with pytest.warns(RuntimeWarning, match="shards 2 -> 4"):
        run(4)
