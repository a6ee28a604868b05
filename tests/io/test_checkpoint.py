"""Checkpoints that resume training exactly, and backups that survive a crash at any moment."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.io import BackupFiles, checkpoint, load_checkpoint, save_checkpoint


def _train(model, optimizer, scheduler, steps: int, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=(16, 3))
    for _ in range(steps):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
        scheduler.step()


def _setup():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.05, amsgrad=True)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def test_round_trip_of_real_training_state(tmp_path, assert_same):
    model, optimizer, scheduler = _setup()
    _train(model, optimizer, scheduler, steps=3, seed=1)
    saved = {
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "scheduler_state": scheduler.state_dict(),
        "training_state": {"epoch": 3, "history": {"loss": [0.5, 0.25, float("nan")]},
                           "rng": gn.random.get_rng_state()},
        "extra": None,
    }
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, **saved)
    loaded = load_checkpoint(path)
    assert_same(loaded, saved)
    assert isinstance(saved["optimizer_state"]["state"][0]["exp_avg"], np.ndarray)  # not vacuous
    save_checkpoint(path, **loaded)  # what comes out goes back in
    assert_same(load_checkpoint(path), saved)


def test_resuming_from_a_checkpoint_continues_bit_for_bit(tmp_path):
    model, optimizer, scheduler = _setup()
    _train(model, optimizer, scheduler, steps=3, seed=1)
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model_state=model.state_dict(), optimizer_state=optimizer.state_dict(),
                    scheduler_state=scheduler.state_dict())
    _train(model, optimizer, scheduler, steps=4, seed=2)

    resumed_model, resumed_optimizer, resumed_scheduler = _setup()
    state = load_checkpoint(path)
    resumed_model.load_state_dict(state["model_state"])
    resumed_optimizer.load_state_dict(state["optimizer_state"])
    resumed_scheduler.load_state_dict(state["scheduler_state"])
    _train(resumed_model, resumed_optimizer, resumed_scheduler, steps=4, seed=2)
    for key, array in model.state_dict().items():
        assert array.tobytes() == resumed_model.state_dict()[key].tobytes(), key


def test_unstorable_state_is_refused_before_the_file_is_touched(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model_state={"w": np.ones(2)})
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot store a function at 'scheduler/lr_lambda'"):
        save_checkpoint(path, model_state={"w": np.zeros(2)},
                        scheduler_state={"lr_lambda": lambda epoch: 0.9})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]


def test_a_corrupt_checkpoint_is_refused(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model_state={"w": np.arange(100.0)})
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(gn.ModelFormatError, match="cannot load checkpoint .*checksum mismatch"):
        load_checkpoint(path)


def test_a_model_file_is_not_a_checkpoint(model_file):
    with pytest.raises(gn.ModelFormatError, match="expected a 'glassnet.checkpoint' file"):
        load_checkpoint(model_file)


# -- BackupFiles ----------------------------------------------------------------------------------
def _generation(epoch: int) -> dict:
    return {"model_state": {"w": np.full(4, float(epoch))}, "training_state": {"epoch": epoch}}


def _epoch(state: dict) -> int:
    epoch = state["training_state"]["epoch"]
    assert np.all(state["model_state"]["w"] == epoch)  # the arrays belong to the same generation
    return epoch


def test_two_generations_are_kept(tmp_path):
    backup = BackupFiles(tmp_path / "backup")
    assert backup.read_latest() is None and not backup.exists()
    for epoch in range(1, 4):
        backup.write(**_generation(epoch))
    assert sorted(os.listdir(tmp_path / "backup")) == ["backup.prev.safetensors",
                                                      "backup.safetensors"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the normal case says nothing
        assert _epoch(backup.read_latest()) == 3
    assert _epoch(load_checkpoint(backup.previous_path)) == 2


def test_a_corrupt_newest_falls_back_to_the_previous_with_a_warning(tmp_path):
    backup = BackupFiles(tmp_path)
    backup.write(**_generation(1))
    backup.write(**_generation(2))
    with open(backup.newest_path, "r+b") as handle:
        handle.truncate(os.path.getsize(backup.newest_path) - 7)
    with pytest.warns(RuntimeWarning, match="newest backup .* is unusable: .*Resuming from the "
                                            "previous generation"):
        assert _epoch(backup.read_latest()) == 1


def test_a_missing_newest_falls_back_with_a_warning(tmp_path):
    backup = BackupFiles(tmp_path)
    backup.write(**_generation(1))
    backup.write(**_generation(2))
    os.remove(backup.newest_path)
    with pytest.warns(RuntimeWarning, match="newest backup .* is missing"):
        assert _epoch(backup.read_latest()) == 1


def test_no_intact_generation_is_an_error_not_a_fresh_start(tmp_path):
    backup = BackupFiles(tmp_path)
    backup.write(**_generation(1))
    backup.write(**_generation(2))
    for path in (backup.newest_path, backup.previous_path):
        with open(path, "wb") as handle:
            handle.write(b"garbage")
    with pytest.raises(gn.ModelFormatError, match="no intact backup in .*newest.*previous"):
        backup.read_latest()


@pytest.mark.parametrize("failing_call", [1, 2])
def test_a_crash_between_the_renames_leaves_an_intact_generation(tmp_path, monkeypatch,
                                                                  failing_call):
    backup = BackupFiles(tmp_path)
    backup.write(**_generation(1))
    backup.write(**_generation(2))
    real_replace, calls = os.replace, []

    def replace_that_dies(source, target):
        calls.append(target)
        if len(calls) == failing_call:
            raise KeyboardInterrupt  # the process stops here
        real_replace(source, target)

    monkeypatch.setattr(checkpoint.os, "replace", replace_that_dies)
    with pytest.raises(KeyboardInterrupt):
        backup.write(**_generation(3))
    monkeypatch.undo()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert _epoch(backup.read_latest()) == 2  # the last complete generation
    backup.write(**_generation(3))
    assert _epoch(backup.read_latest()) == 3


def test_remove_deletes_generations_and_stray_temporary_files(tmp_path):
    backup = BackupFiles(tmp_path)
    backup.write(**_generation(1))
    backup.write(**_generation(2))
    (tmp_path / ".backup.safetensors.0123456789ab.tmp").write_bytes(b"half a file")
    # Killed between creating its file and writing to it: empty, and only an instant old.
    (tmp_path / ".backup.safetensors.fedcba987654.tmp").write_bytes(b"")
    (tmp_path / "user_notes.txt").write_text("mine")
    backup.remove()
    assert os.listdir(tmp_path) == ["user_notes.txt"]
    assert backup.read_latest() is None
    backup.remove()  # twice is fine


def test_name_must_be_a_plain_stem(tmp_path):
    with pytest.raises(ValueError, match="plain file name stem"):
        BackupFiles(tmp_path, name="../elsewhere")
