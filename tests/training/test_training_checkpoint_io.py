"""checkpoint_io.save_state / load_state: safetensors files written atomically."""

from __future__ import annotations

import os

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import checkpoint_io
from glassnet.training.checkpoint_io import load_state, save_state


def test_round_trip_keeps_arrays_dtypes_and_metadata(tmp_path):
    state = {
        "0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "0.bias": np.array([1.5, -2.0], dtype=np.float64),
        "1.num_batches_tracked": np.array(7, dtype=np.int64),
        "2.weight": gn.tensor(np.ones((2, 2)))[:, :1].data,  # a non-contiguous view
    }
    path = tmp_path / "deep" / "folder" / "state.safetensors"  # folders are created
    save_state(path, state, {"epoch": 3, "note": "best"})
    loaded, metadata = load_state(path)
    assert loaded.keys() == state.keys()
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array)
    assert metadata == {"epoch": "3", "note": "best"}


@pytest.mark.parametrize("failing", ["replace", "fsync", "payload"])
def test_a_failed_write_leaves_the_old_file_untouched_and_no_temporary(tmp_path, monkeypatch,
                                                                       failing):
    path = tmp_path / "state.safetensors"
    save_state(path, {"w": np.zeros(3, dtype=np.float32)})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(f"{failing} failed (simulated)")

    if failing == "payload":  # a payload safetensors refuses: fails before touching the folder
        with pytest.raises(Exception):  # noqa: B017 - safetensors raises its own error types
            save_state(path, {"w": np.array(["text"])})
    else:
        monkeypatch.setattr(checkpoint_io.os, failing, boom)
        with pytest.raises(OSError, match="simulated"):
            save_state(path, {"w": np.ones(3, dtype=np.float32)})
        monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state.safetensors"]


def test_a_file_that_is_not_safetensors_is_a_model_format_error(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"not a safetensors file at all")
    with pytest.raises(gn.ModelFormatError, match="is not a readable safetensors file"):
        load_state(path)
    with pytest.raises(FileNotFoundError):
        load_state(tmp_path / "missing.safetensors")
