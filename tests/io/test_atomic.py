"""atomic_write_bytes: the old file or the new one, never a mix, and no temporary files left."""

from __future__ import annotations

import os
import stat

import pytest

from glassnet.io import atomic
from glassnet.io.atomic import atomic_write_bytes, remove_stale_temp_files, sha256_hex


def _listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_creates_and_replaces(tmp_path):
    path = tmp_path / "file.bin"
    atomic_write_bytes(path, b"first")
    assert path.read_bytes() == b"first"
    atomic_write_bytes(str(path), b"second, longer")
    assert path.read_bytes() == b"second, longer"
    assert _listing(tmp_path) == ["file.bin"]


def test_new_file_gets_the_umask_permissions_of_a_plain_open(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    atomic_write_bytes(tmp_path / "atomic.bin", b"x")
    mode = stat.S_IMODE(os.stat(tmp_path / "atomic.bin").st_mode)
    assert mode == stat.S_IMODE(os.stat(plain).st_mode)


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_a_failure_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"the previous content")

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "replace":
        monkeypatch.setattr(atomic.os, "replace", boom)
    elif failing == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", boom)
    else:
        monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: _FailingWriter(*a, **k))
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(path, b"new content that must never be seen")
    assert path.read_bytes() == b"the previous content"
    assert _listing(tmp_path) == ["model.safetensors"]


class _FailingWriter:
    """A file object whose write dies half-way, after writing part of the data."""

    def __init__(self, descriptor: int, mode: str) -> None:
        self.descriptor = descriptor

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        os.close(self.descriptor)

    def write(self, data: bytes) -> None:
        os.write(self.descriptor, data[: len(data) // 2])
        raise OSError(28, "No space left on device")


def test_keyboard_interrupt_mid_write_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert _listing(tmp_path) == ["file.bin"]


def test_missing_folder_is_an_error_not_a_silent_success(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "no" / "such" / "file.bin", b"data")


def test_refuses_text(tmp_path):
    with pytest.raises(TypeError, match="expects bytes; got str"):
        atomic_write_bytes(tmp_path / "f", "text")  # type: ignore[arg-type]
    assert _listing(tmp_path) == []


def test_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    calls = []
    real_replace, real_fsync_directory = os.replace, atomic.fsync_directory
    monkeypatch.setattr(
        atomic.os, "replace", lambda *a: calls.append("replace") or real_replace(*a)
    )
    monkeypatch.setattr(
        atomic, "fsync_directory", lambda d: calls.append("fsync dir") or real_fsync_directory(d)
    )
    atomic_write_bytes(tmp_path / "f", b"data")
    assert calls == ["replace", "fsync dir"]


def test_stale_temp_files_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "backup.safetensors"
    stale = tmp_path / ".backup.safetensors.0123456789ab.tmp"
    lookalikes = [".backup.safetensors.tmp", "backup.safetensors.0123456789ab.tmp",
                  ".other.safetensors.0123456789ab.tmp", "notes.txt"]
    stale.write_bytes(b"half")
    for name in lookalikes:
        (tmp_path / name).write_bytes(b"keep")
    assert remove_stale_temp_files(target) == [str(stale)]
    assert _listing(tmp_path) == sorted(lookalikes)


def test_sha256_hex_matches_a_known_vector():
    # FIPS 180-2 test vector for "abc".
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_hex(b"abc") == expected
