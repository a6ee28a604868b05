"""NaN or inf weights are never saved, and a file holding them (checksum valid) never loads."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet.io import checkpoint, load_checkpoint, save_checkpoint
from glassnet.io.format import count_non_finite, encode_file
from glassnet.io.nested import flatten


def _document(model_file) -> dict:
    return {"format": "glassnet.model", "format_version": 1, "glassnet_version": gn.__version__,
            "architecture": gn.io.load_bundle(model_file).architecture, "metadata": {}}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_signed_file_with_non_finite_weights_is_refused_naming_the_tensor(model_file, bad):
    tensors = safetensors.numpy.load_file(model_file)
    weight = tensors["4.weight"].copy()
    weight[0, :2] = bad
    tensors["4.weight"] = weight
    Path(model_file).write_bytes(encode_file(tensors, _document(model_file)))  # checksum valid
    with pytest.raises(gn.ModelFormatError, match=r"cannot load .*: tensor '4.weight' holds 2 "
                                                  r"of 10 values that are NaN or infinite"):
        gn.load(model_file)


def test_a_non_finite_running_statistic_is_refused_too(model_file):
    tensors = safetensors.numpy.load_file(model_file)
    tensors["1.running_var"] = np.full_like(tensors["1.running_var"], np.inf)
    Path(model_file).write_bytes(encode_file(tensors, _document(model_file)))
    with pytest.raises(gn.ModelFormatError, match="tensor '1.running_var' holds 5 of 5"):
        gn.load(model_file)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_saving_a_diverged_model_is_refused_and_touches_nothing(model_file, small_model, bad):
    before = Path(model_file).read_bytes()
    small_model[0].weight.data[1, 1] = bad
    with pytest.raises(ValueError, match=r"cannot save this model: tensor '0.weight' holds 1 of "
                                         r"15 values that are NaN or infinite; a model that "
                                         "diverged is never saved"):
        gn.save(small_model, model_file)
    assert Path(model_file).read_bytes() == before
    assert os.listdir(os.path.dirname(model_file)) == ["model.safetensors"]


def test_large_finite_weights_whose_sum_overflows_are_saved_and_loaded(tmp_path):
    model = gn.nn.Linear(4, 2)
    model.weight.data[...] = np.finfo(model.weight.dtype).max  # their sum overflows to inf
    gn.save(model, tmp_path / "big.safetensors")
    loaded = gn.load(tmp_path / "big.safetensors")
    assert np.array_equal(loaded.weight.data, model.weight.data)


@pytest.mark.parametrize(
    ("array", "count"),
    [
        (np.array([1.0, np.nan, np.inf, -np.inf]), 3),
        (np.full(5, np.finfo(np.float32).max, dtype=np.float32), 0),  # the sum overflows
        (np.array([np.nan], dtype=np.float16), 1),
        (np.zeros((0, 3)), 0),
        (np.array([2**62, -(2**62)], dtype=np.int64), 0),
        (np.array(np.inf), 1),
    ],
)
def test_count_non_finite(array, count):
    assert count_non_finite(array) == count


# -- checkpoints ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "name"),
    [
        ({"model_state": {"0.weight": np.array([1.0, np.nan])}}, "model/0.weight"),
        ({"model_state": {"w": np.ones(2)},
          "optimizer_state": {"state": {0: {"exp_avg": np.array([np.inf, 0.0])}}}},
         "optim/state/0/exp_avg"),
    ],
)
def test_a_diverged_checkpoint_is_neither_saved_nor_loaded(tmp_path, state, name):
    path = tmp_path / "checkpoint.safetensors"
    with pytest.raises(ValueError, match=f"cannot save this checkpoint: tensor '{name}' holds 1 "
                                         "of 2 values that are NaN or infinite"):
        save_checkpoint(path, **state)
    assert not path.exists()
    # The same state written by hand, its checksum valid:
    tensors: dict = {}
    sections = {}
    for section, prefix in checkpoint.SECTIONS.items():
        sections[section], found = flatten(state.get(section), prefix)
        tensors.update(found)
    document = {"format": "glassnet.checkpoint", "format_version": 1, "glassnet_version": "0",
                "sections": sections}
    path.write_bytes(encode_file(tensors, document))
    with pytest.raises(gn.ModelFormatError, match=f"tensor '{name}' holds 1 of 2 values that "
                                                  "are NaN or infinite: the run had diverged"):
        load_checkpoint(path)


def test_non_finite_numbers_elsewhere_in_a_checkpoint_are_kept(tmp_path):
    """A history with a NaN loss, an inf 'best so far', user data: not weights, kept as given."""
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model_state={"w": np.ones(2)},
                    scheduler_state={"best": np.float64(np.inf)},
                    training_state={"history": {"loss": [0.5, float("nan")]}},
                    extra={"samples": np.array([np.nan, 1.0])})
    loaded = load_checkpoint(path)
    assert loaded["scheduler_state"]["best"] == np.inf
    assert np.isnan(loaded["training_state"]["history"]["loss"][1])
    assert np.isnan(loaded["extra"]["samples"][0])
