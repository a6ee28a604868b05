"""Loading reads the 8-byte header length, then the header, then only the tensors it declares:
devices, FIFOs, huge or padded files are refused at once, after a few bytes."""

from __future__ import annotations

import contextlib
import os
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import BackupFiles, load_bundle, load_checkpoint, source

posix_only = pytest.mark.skipif(os.name != "posix", reason="device files and FIFOs are POSIX")


@pytest.fixture
def bytes_read(monkeypatch) -> list[int]:
    """The number of bytes each read from a file asked for, in order."""
    sizes: list[int] = []
    real_read, real_read_into = source.FileSource.read, source.FileSource.read_into

    def read(self, offset, length):
        sizes.append(length)
        return real_read(self, offset, length)

    def read_into(self, offset, buffer):
        sizes.append(len(buffer))
        return real_read_into(self, offset, buffer)

    monkeypatch.setattr(source.FileSource, "read", read)
    monkeypatch.setattr(source.FileSource, "read_into", read_into)
    return sizes


@contextlib.contextmanager
def peak_allocation() -> Iterator[list[int]]:
    """[the most bytes Python and NumPy held at once inside the block], filled on exit."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@posix_only
@pytest.mark.parametrize("load", [gn.load, load_bundle, load_checkpoint])
def test_dev_zero_is_refused_at_once_as_not_a_regular_file(load, bytes_read):
    with pytest.raises(gn.ModelFormatError, match=r"cannot load (checkpoint )?'/dev/zero': it is "
                                                  r"a character device, not a regular file"):
        load("/dev/zero")
    assert bytes_read == []


def _outcome_within(seconds: float, function, *args) -> object:
    """function(*args)'s result or exception; fails the test if it is still running after
    ``seconds`` (in a thread, so that a regression that blocks fails instead of hanging)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(function(*args))
        except BaseException as error:  # the test inspects it
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), f"{function.__name__} blocked"
    return outcome[0]


@posix_only
def test_a_fifo_without_a_writer_is_refused_without_blocking(tmp_path, bytes_read):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    error = _outcome_within(10, gn.load, fifo)
    assert isinstance(error, gn.ModelFormatError)
    assert "it is a named pipe (FIFO), not a regular file" in str(error)
    assert bytes_read == []


@posix_only
def test_a_fifo_in_place_of_a_backup_is_an_unusable_generation(tmp_path):
    backup = BackupFiles(tmp_path)
    backup.write(model_state={"w": np.ones(2)}, training_state={"epoch": 0})
    backup.write(model_state={"w": np.ones(2)}, training_state={"epoch": 1})
    os.remove(backup.newest_path)
    os.mkfifo(backup.newest_path)
    with pytest.warns(RuntimeWarning, match="newest backup .* is unusable: .*named pipe"):
        state = _outcome_within(10, backup.read_latest)
    assert state["training_state"]["epoch"] == 0


def test_a_folder_is_still_an_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        gn.load(tmp_path)


def test_a_sparse_file_declaring_a_huge_header_is_refused_after_a_few_bytes(tmp_path,
                                                                           bytes_read):
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as file:
        file.write((10 * 2**30).to_bytes(8, "little") + b"{")  # "10 GB of header follow"
        file.truncate(3 * 2**30)  # 3 GB on paper, a few bytes on disk
    with peak_allocation() as peak, pytest.raises(
            gn.ModelFormatError, match="header length 10737418240 exceeds the limit"):
        gn.load(path)
    assert peak[0] < 2**20
    assert sum(bytes_read) <= 16


def test_a_header_length_beyond_the_file_is_refused_before_reading_the_header(tmp_path,
                                                                              bytes_read):
    path = tmp_path / "short.safetensors"
    path.write_bytes((50_000_000).to_bytes(8, "little") + b"{" + bytes(1000))
    with pytest.raises(gn.ModelFormatError, match="header length 50000000 is beyond the end"):
        gn.load(path)
    assert sum(bytes_read) <= 16


def test_bytes_beyond_the_declared_tensors_are_refused_unread(model_file, bytes_read):
    valid = Path(model_file).read_bytes()
    header_length = int.from_bytes(valid[:8], "little")
    with open(model_file, "ab") as file:
        file.truncate(len(valid) + 2**30)  # a gigabyte of (sparse) garbage after the tensors
    with peak_allocation() as peak, pytest.raises(gn.ModelFormatError,
                                                  match="trailing bytes belong to no tensor"):
        gn.load(model_file)
    assert peak[0] < 2**20
    assert sum(bytes_read) <= 16 + header_length


def test_an_intact_file_is_read_once_header_then_each_tensor(model_file, small_model,
                                                            bytes_read):
    valid = Path(model_file).read_bytes()
    header_length = int.from_bytes(valid[:8], "little")
    tensor_bytes = sum(array.nbytes for array in small_model.state_dict().values())
    gn.load(model_file)
    assert sum(bytes_read) == 16 + header_length + tensor_bytes == 8 + len(valid)


def test_a_truncated_file_is_refused_before_its_tensors_are_read(model_file, bytes_read):
    size = os.path.getsize(model_file)
    os.truncate(model_file, size - 3)
    with pytest.raises(gn.ModelFormatError, match=r"data_offsets \[\d+, \d+\] lie outside"):
        gn.load(model_file)
    valid_header = int.from_bytes(Path(model_file).read_bytes()[:8], "little")
    assert sum(bytes_read) <= 16 + 1 + valid_header


def test_a_file_that_shrinks_while_being_read_is_refused(model_file, monkeypatch):
    real_read_into = source.FileSource.read_into

    def shrink_first(self, offset, buffer):
        os.truncate(model_file, offset)  # another program truncates it under our feet
        return real_read_into(self, offset, buffer)

    monkeypatch.setattr(source.FileSource, "read_into", shrink_first)
    with pytest.raises(gn.ModelFormatError, match="file ended at byte .* while being read"):
        gn.load(model_file)


def test_loading_from_memory_and_from_the_file_agree(model_file, inputs):
    from glassnet.io import read_bundle

    from_memory = read_bundle(Path(model_file).read_bytes()).model
    from_file = gn.load(model_file)
    assert from_memory(inputs).data.tobytes() == from_file(inputs).data.tobytes()
    for array in from_file.state_dict().values():
        assert array.flags.writeable and array.flags.c_contiguous and array.dtype.isnative
