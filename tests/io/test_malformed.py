"""gn.load refuses every malformed or hostile file with ModelFormatError saying what is wrong."""

from __future__ import annotations

import io
import json
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import glassnet as gn
from glassnet.io.format import CHECKSUM_KEY, DOCUMENT_KEY, encode_file
from glassnet.io.serialize import read_bundle


def _refused(data: bytes, message: str) -> str:
    with pytest.raises(gn.ModelFormatError, match=message) as caught:
        read_bundle(data)
    return str(caught.value)


def _parts(data: bytes) -> tuple[dict, bytes]:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


@pytest.fixture
def valid(model_file) -> bytes:
    return Path(model_file).read_bytes()


@pytest.fixture
def signed(valid):
    """A file with a correct checksum built from an edited document and/or edited tensors."""
    header, _ = _parts(valid)
    document = json.loads(header["__metadata__"][DOCUMENT_KEY])
    tensors = safetensors.numpy.load(valid)

    def build(edit_document=None, edit_tensors=None) -> bytes:
        new_document, new_tensors = json.loads(json.dumps(document)), dict(tensors)
        if edit_document:
            edit_document(new_document)
        if edit_tensors:
            edit_tensors(new_tensors)
        return encode_file(new_tensors, new_document)

    return build


def test_the_valid_file_loads(valid):
    assert read_bundle(valid).metadata == {"classes": ["no", "yes"]}


def test_load_names_the_file(tmp_path):
    path = tmp_path / "empty.safetensors"
    path.write_bytes(b"")
    with pytest.raises(gn.ModelFormatError, match=r"cannot load '.*empty.safetensors': the file "
                                                  r"is empty \(0 bytes\)"):
        gn.load(path)
    assert issubclass(gn.ModelFormatError, ValueError)


# -- framing -----------------------------------------------------------------------------------
def test_truncated_files(valid):
    _refused(valid[:5], "truncated: 5 bytes, fewer than the 8-byte header length")
    _refused(valid[:100], r"header length \d+ is beyond the end of the file \(only 92 bytes")
    _refused(valid[:-3], r"data_offsets \[\d+, \d+\] lie outside the data section")


def test_header_length_beyond_the_file(valid):
    _refused((10**6).to_bytes(8, "little") + valid[8:], "header length 1000000 is beyond the end")
    _refused((2**63).to_bytes(8, "little") + valid[8:], "exceeds the limit of 100000000 bytes")


def test_header_that_is_not_json(raw_file):
    _refused(raw_file({}, header_text='{"a": [1, 2'), r"header is not valid JSON")
    _refused(raw_file({}, header_text="[1, 2]      "), r"header is not JSON: it must start")
    _refused(b"\x04\x00\x00\x00\x00\x00\x00\x00{\xff\xfe}", "header is not JSON .not valid UTF-8")
    _refused(raw_file({}, header_text='{"x": NaN}'), "NaN is not valid JSON")
    _refused(raw_file({}, header_text='{"a": 1, "a": 2}'), "duplicate key 'a'")
    _refused(raw_file({}, header_text='{"a":' + "[" * 100_000 + "]" * 100_000 + "}"),
             "nested too deeply")


def _entry(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ({"w": _entry("F32", [2], 0, 16)}, bytes(8), r"\[0, 16\] lie outside the data section, "
                                                     "which holds 8 bytes"),
        ({"w": _entry("F32", [2], 0, 8), "v": _entry("F32", [2], 4, 12)}, bytes(12),
         r"tensor 'v' \(bytes 4-12\) overlaps the tensor before it, which ends at byte 8"),
        ({"w": _entry("F32", [1], 0, 4), "v": _entry("F32", [1], 8, 12)}, bytes(12),
         "bytes 4-8 of the data section belong to no tensor"),
        ({"w": _entry("F32", [1], 0, 4)}, bytes(12), "trailing bytes belong to no tensor"),
        ({"w": _entry("F32", [3], 0, 8)}, bytes(8), r"shape \[3\] of F32 needs 12 bytes but "
                                                    r"data_offsets \[0, 8\] span 8"),
        ({"w": _entry("BF16", [1], 0, 2)}, bytes(2), "unsupported dtype 'BF16'"),
        ({"w": _entry("F32", [-1], 0, 0)}, b"", "shape must be a list of non-negative integers"),
        ({"w": _entry("F32", [True], 0, 4)}, bytes(4), "shape must be a list of non-negative"),
        ({"w": _entry("F32", [1] * 40, 0, 4)}, bytes(4), "40 dimensions"),
        ({"w": _entry("F32", [0, 2**40, 2**40], 0, 0)}, b"", "is too large for an array"),
        ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, bytes(4),
         "exactly the keys dtype, shape and data_offsets"),
        ({"w": _entry("F32", [1], 4, 0)}, bytes(4), r"data_offsets \[4, 0\] lie outside"),
        ({"__metadata__": {"glassnet": 3}}, b"", "__metadata__ must map strings to strings"),
        ({"w": _entry("F32", [1], 0, 4)}, bytes(4), "has no glassnet metadata"),
    ],
)
def test_bad_tensor_tables(raw_file, header, data, message):
    _refused(raw_file(header, data), message)


# -- files that are not glassnet models ----------------------------------------------------------
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_are_recognised_and_never_unpickled(protocol, monkeypatch):
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads was called"))
    data = pickle.dumps({"0.weight": [1.0, 2.0], "epoch": 3}, protocol=protocol)
    _refused(data, "this is a pickle/PyTorch file, not a glassnet model; glassnet never unpickles")


def test_zip_archives_such_as_torch_pt_files():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"weight": 1}, protocol=2))
    _refused(buffer.getvalue(), "zip archive .a PyTorch .pt/.pth file.*glassnet never unpickles")


def test_npy_and_hdf5_files():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    _refused(buffer.getvalue(), "NumPy .npy file")
    _refused(b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5 file")


def test_a_checkpoint_is_not_a_model(tmp_path):
    gn.io.save_checkpoint(tmp_path / "c.safetensors", model_state={"w": np.ones(2)})
    _refused((tmp_path / "c.safetensors").read_bytes(),
             "expected a 'glassnet.model' file; this one says 'glassnet.checkpoint'")


# -- checksum ---------------------------------------------------------------------------------
def test_any_changed_tensor_byte_fails_the_checksum(valid):
    for position in (len(valid) - 1, len(valid) - 40):
        corrupted = bytearray(valid)
        corrupted[position] ^= 0x01
        _refused(bytes(corrupted), "checksum mismatch")


def test_edited_metadata_fails_the_checksum(valid):
    edited = valid.replace(b'\\"classes\\":[\\"no\\"', b'\\"classes\\":[\\"NO\\"')
    assert edited != valid and len(edited) == len(valid)
    _refused(edited, "checksum mismatch")


def test_missing_checksum(valid):
    header, data = _parts(valid)
    del header["__metadata__"][CHECKSUM_KEY]
    text = json.dumps(header)
    _refused(len(text).to_bytes(8, "little") + text.encode() + data, "carries no valid checksum")


# -- the document and the architecture (files with a valid checksum) ---------------------------
def _set(path: list, value):
    def edit(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(["format_version"], 2), "unsupported format version 2: this glassnet reads "
                                      "versions 1 to 1. Upgrade glassnet"),
        (_set(["format_version"], "1"), "format_version must be a positive integer"),
        (_set(["format"], "something.else"), "expected a 'glassnet.model' file"),
        (_set(["architecture", "layers", 2, "type"], "os.system"),
         r"architecture\['2'\]: unknown layer type 'os.system'. Known types: Sequential, "
         r".*BatchNorm1d, .*, Linear, "),
        (_set(["architecture", "layers", 2, "type"], "__import__"), "unknown layer type"),
        (_set(["architecture", "layers", 0, "in_features"], -3),
         r"architecture\['0'\].in_features must be a positive integer; got -3"),
        (_set(["architecture", "layers", 0, "in_features"], 3.0), "must be a positive integer"),
        (_set(["architecture", "layers", 0, "in_features"], "3"), "must be a positive integer"),
        (_set(["architecture", "layers", 0, "bias"], 1), r"\.bias must be true or false; got 1"),
        (_set(["architecture", "layers", 3, "p"], 1.5), r"\.p must be a finite number between "
                                                        "0.0 and 1.0"),
        (_set(["architecture", "layers", 1, "eps"], None), r"\.eps must be a finite number"),
        (_set(["architecture", "layers", 0, "activation"], "relu"),
         r"unexpected \['activation'\]"),
        (_set(["architecture", "names"], ["0", "1", "forward", "3", "4"]),
         "names must be 5 distinct layer names"),
        (_set(["architecture", "names"], ["a", "a", "b", "c", "d"]), "distinct layer names"),
        (_set(["architecture"], [1, 2]), "must be an object with a string 'type'"),
        (_set(["metadata"], [1]), "metadata is not a JSON object"),
        # Sizes that would allocate terabytes: refused from the tensor table, before building.
        (_set(["architecture", "layers", 0, "out_features"], 2**30),
         r"tensor '0.weight' has shape \(5, 3\) but the architecture needs \(1073741824, 3\)"),
    ],
)
def test_documents_that_disagree_or_lie(signed, edit, message):
    _refused(signed(edit_document=edit), message)


def test_deeply_nested_sequentials(signed):
    def nest(document):
        layer = {"type": "ReLU"}
        for _ in range(40):
            layer = {"type": "Sequential", "layers": [layer]}
        document["architecture"] = layer

    _refused(signed(edit_document=nest), "nested more than 16 deep")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.update({"0.weight": np.zeros((5, 4), np.float32)}),
         r"tensor '0.weight' has shape \(5, 4\) but the architecture needs \(5, 3\)"),
        (lambda t: t.update({"0.weight": np.zeros((5, 3), np.int32)}),
         "tensor '0.weight' has dtype int32; the architecture needs float32/64"),
        (lambda t: t.update({"1.num_batches_tracked": np.array(1.0)}), "needs int64"),
        (lambda t: t.pop("4.bias"), r"missing \['4.bias'\]"),
        (lambda t: t.update({"payload": np.zeros(3, np.uint8)}), r"unexpected \['payload'\]"),
    ],
)
def test_tensors_that_disagree_with_the_architecture(signed, edit, message):
    _refused(signed(edit_tensors=edit), message)


def test_loading_imports_nothing_named_in_the_file(signed):
    data = signed(edit_document=_set(["architecture", "layers", 2, "type"], "antigravity"))
    _refused(data, "unknown layer type 'antigravity'")
    assert "antigravity" not in sys.modules


def test_a_batch_norm_saved_before_it_took_bias_loads_with_its_bias(signed, small_model):
    def forget_the_setting(document):
        del document["architecture"]["layers"][1]["bias"]

    loaded = read_bundle(signed(edit_document=forget_the_setting)).model
    assert loaded[1].bias is not None
    np.testing.assert_array_equal(loaded[1].bias.data, small_model[1].bias.data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(["architecture", "layers", 1, "bias"], False), r"unexpected \['1.bias'\]"),
        (_set(["architecture", "layers", 1, "bias"], None), r"\.bias must be true or false"),
    ],
)
def test_a_batch_norm_bias_setting_must_agree_with_the_tensors(signed, edit, message):
    _refused(signed(edit_document=edit), message)
