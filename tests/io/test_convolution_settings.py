"""Convolution layers in model files: their int-or-tuple and padding settings are checked before
any constructor runs, and hostile values are refused with ModelFormatError naming the value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet import nn
from glassnet.io import architecture
from glassnet.io.format import DOCUMENT_KEY, encode_file
from glassnet.io.serialize import read_bundle
from glassnet.nn.registry import integers, padding


@pytest.fixture
def edited(tmp_path):
    """A conv model's file, its document edited and its checksum made valid again."""
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(2, 4, 3, stride=2, padding=1),
                          nn.Conv2d(4, 4, (3, 1), padding="same", groups=2))
    path = Path(tmp_path) / "model.safetensors"
    gn.save(model, path)
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    document = json.loads(json.loads(data[8 : 8 + length])["__metadata__"][DOCUMENT_KEY])
    tensors = safetensors.numpy.load(data)

    def build(layer: int, setting: str, value) -> bytes:
        changed = json.loads(json.dumps(document))
        changed["architecture"]["layers"][layer][setting] = value
        return encode_file(tensors, changed)

    return build


def test_tuples_are_stored_as_lists_and_come_back_as_tuples(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 1), stride=(2, 1), padding=(1, 0), dilation=(1, 2)))
    description = architecture.describe(model)["layers"][0]
    assert description["kernel_size"] == [3, 1] and description["padding"] == [1, 0]
    rebuilt = architecture.build(architecture.validate(json.loads(json.dumps(
        architecture.describe(model)))))
    assert rebuilt[0].kernel_size == (3, 1) and rebuilt[0].stride == (2, 1)
    assert rebuilt[0].padding == (1, 0) and rebuilt[0].dilation == (1, 2)


@pytest.mark.parametrize(("layer", "setting", "value", "message"), [
    (0, "kernel_size", -3, r"\['0'\].kernel_size must be an integer from 1 to 2147483647, or a "
                           r"list of 1 such integers; got -3"),
    (0, "kernel_size", 0, "kernel_size must be an integer from 1"),
    (0, "kernel_size", [3, 3], r"kernel_size must be .*a list of 1 such integers; got \[3, 3\]"),
    (1, "kernel_size", [3], r"\['1'\].kernel_size must be .*a list of 2 such integers; got \[3\]"),
    (1, "kernel_size", [3, "3"], r"got \[3, '3'\]"),
    (1, "kernel_size", "same", "kernel_size must be an integer"),
    (1, "kernel_size", 2**31, "kernel_size must be an integer from 1 to 2147483647"),
    (1, "kernel_size", [3, True], r"got \[3, True\]"),
    (1, "kernel_size", 3.0, "got 3.0"),
    (1, "kernel_size", None, "got None"),
    (1, "stride", [1, 0], r"stride must be .*; got \[1, 0\]"),
    (1, "dilation", [[1], [1]], r"dilation must be"),
    (0, "padding", -1, r"padding must be an integer from 0 to 2147483647, or a list of 1 such "
                       r"integers, or \"same\" or \"valid\"; got -1"),
    (0, "padding", "full", "padding must be .* or \"same\" or \"valid\"; got 'full'"),
    (0, "padding", "SAME", "got 'SAME'"),
    (1, "padding", [1, 1, 1], r"got \[1, 1, 1\]"),
    (1, "padding_mode", "reflect", "padding_mode must be one of zeros; got 'reflect'"),
    (1, "groups", 0, "groups must be a positive integer"),
    (1, "in_channels", -4, "in_channels must be a positive integer"),
])
def test_hostile_settings_are_refused_before_anything_is_built(edited, layer, setting, value,
                                                               message, monkeypatch):
    def no_constructor(*args, **kwargs):
        raise AssertionError("a constructor ran on a refused file")

    monkeypatch.setattr(architecture, "build", no_constructor)
    with pytest.raises(gn.ModelFormatError, match=message):
        read_bundle(edited(layer, setting, value))


def test_a_huge_kernel_within_bounds_is_refused_by_the_tensor_table(edited):
    # 2**30: a valid integer, but the weight it implies (4·2·2**30 floats) is not in the file
    with pytest.raises(gn.ModelFormatError, match=r"tensor '0.weight' has shape \(4, 2, 3\) but "
                                                  r"the architecture needs \(4, 2, 1073741824\)"):
        read_bundle(edited(0, "kernel_size", 2**30))


def test_values_a_constructor_refuses_are_a_model_format_error(edited):
    # 5 input channels in 2 groups: each value in its bounds, the weight's shape the file's
    # (4, 5 // 2, 3, 1), but 5 channels do not split into 2 groups
    with pytest.raises(gn.ModelFormatError, match=r"could not be built: Conv2d: in_channels \(5\)"):
        read_bundle(edited(1, "in_channels", 5))


def test_same_padding_with_a_stride_is_a_model_format_error(edited):
    with pytest.raises(gn.ModelFormatError, match="padding='same' needs stride 1"):
        read_bundle(edited(1, "stride", [2, 1]))


def test_the_new_kinds_check_their_bounds():
    check_integers, check_padding = architecture.CHECKS["integers"], architecture.CHECKS["padding"]
    assert check_integers(integers(2, 1, 5), 5, "k") == 5
    assert check_integers(integers(2, 1, 5), [1, 5], "k") == (1, 5)
    assert check_integers(integers(2, 1, optional=True), None, "k") is None
    with pytest.raises(gn.ModelFormatError, match="k must be an integer from 1 to 5"):
        check_integers(integers(2, 1, 5), [1, 6], "k")
    with pytest.raises(gn.ModelFormatError, match="got None"):
        check_integers(integers(2, 1, 5), None, "k")
    assert check_padding(padding(2), "valid", "p") == "valid"
    assert check_padding(padding(2), [0, 2], "p") == (0, 2)
    with pytest.raises(gn.ModelFormatError, match=r"p must be .*; got np.int64\(2\)|got 2"):
        check_padding(padding(2, high=1), np.int64(2), "p")
