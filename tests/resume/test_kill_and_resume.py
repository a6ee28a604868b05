"""SIGKILL a training process at random moments, mid-write included; every restart resumes from
an intact backup, and the run ends with the weights of a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from glassnet.io import BackupFiles, load_checkpoint

CHILD = str(Path(__file__).with_name("train_child.py"))
KILLS = 10
# The same BLAS thread count in every process: one of the conditions for bit-identical results.
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
TIMEOUT = 60.0


def start_child(folder: Path, seed: int, out: Path) -> subprocess.Popen:
    # stderr to a file: with stdout the only pipe, communicate() reads through the same buffered
    # reader as the line-by-line reads, so no report is lost between the two.
    with open(out.with_suffix(".stderr"), "w") as errors:  # the child has its own descriptor
        return subprocess.Popen([sys.executable, CHILD, str(folder), str(seed), str(out)],
                                stdout=subprocess.PIPE, stderr=errors, text=True, env=ENVIRONMENT)


def child_errors(out: Path) -> str:
    return out.with_suffix(".stderr").read_text()


def read_line(child: subprocess.Popen, out: Path) -> str:
    line = child.stdout.readline()
    if not line:
        child.wait(TIMEOUT)
        raise AssertionError(f"the child ended without a report: {child_errors(out)}")
    return line.strip()


def run_to_completion(folder: Path, seed: int, out: Path) -> tuple[dict, list[str]]:
    """Run a child to its end: (what it saved, its report lines)."""
    child = start_child(folder, seed, out)
    stdout, _ = child.communicate(timeout=TIMEOUT)
    assert child.returncode == 0, child_errors(out)
    assert stdout.splitlines()[-1] == "finished"
    return load_checkpoint(out), stdout.splitlines()


def numbers(reports: list[str], kind: str) -> list[tuple[int, float]]:
    """(epoch, number) of every "writing" or "wrote" report."""
    return [(int(line.split()[1]), float(line.split()[2])) for line in reports
            if line.startswith(kind + " ")]


def latest_backup(folder: Path) -> tuple[int, bool]:
    """(epoch of the newest intact backup or -1, whether the kill left a write half done on
    disk: a temporary file, or only the previous generation)."""
    files = BackupFiles(folder)
    half_done = any(name.endswith(".tmp") for name in os.listdir(folder)) or (
        os.path.exists(files.previous_path) and not os.path.exists(files.newest_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a kill between the two renames warns; expected
        state = files.read_latest()  # raises if no generation were intact
    return (-1 if state is None else state["training_state"]["epoch"]), half_done


def kill_at_some_moment(child: subprocess.Popen, reports: list[str], first_epoch: int,
                        timing: tuple[float, float], rng: np.random.Generator,
                        anywhere: bool) -> None:
    """SIGKILL ``child`` within its first three epochs (so that it never finishes, however fast
    the machine): ``anywhere``, at a random time; otherwise at a random point of the write of
    a backup. ``timing``: (seconds per epoch, seconds per backup write), about."""
    epoch_seconds, write_seconds = timing
    timer = None
    last = first_epoch + (3 if anywhere else int(rng.integers(0, 3)))
    if anywhere:
        timer = threading.Timer(rng.uniform(0.0, 3 * epoch_seconds), child.send_signal,
                                [signal.SIGKILL])
        timer.start()
    for line in child.stdout:  # ends early if the timer killed the child
        reports.append(line.strip())
        if reports[-1].startswith(f"writing {last} "):
            if not anywhere:
                time.sleep(rng.uniform(0.0, write_seconds))
            break
    child.send_signal(signal.SIGKILL)
    if timer is not None:
        timer.cancel()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_killed_training_resumes_from_an_intact_backup_to_identical_weights(tmp_path):
    started = time.perf_counter()
    reference, reference_reports = run_to_completion(tmp_path / "reference", 0,
                                                     tmp_path / "reference.safetensors")
    clocks = [clock for _, clock in numbers(reference_reports, "writing")]
    timing = (float(np.median(np.diff(clocks))),
              float(np.median([seconds for _, seconds in numbers(reference_reports, "wrote")])))
    rng = np.random.default_rng(2024)
    folder, out = tmp_path / "backup", tmp_path / "run.safetensors"
    folder.mkdir()
    confirmed = -1  # the last epoch whose backup a child reported complete
    killed_in_a_write = half_done_on_disk = 0
    for kill in range(KILLS):
        backed_up, _ = latest_backup(folder)
        # A fresh start must use the reference's seed; a resume must not depend on it.
        seed = 0 if backed_up < 0 else 1000 + kill
        child = start_child(folder, seed, out)
        reports = [read_line(child, out)]
        assert reports == [f"start {backed_up + 1}"]  # resumes right after the intact backup
        kill_at_some_moment(child, reports, backed_up + 1, timing, rng, anywhere=kill % 2 == 0)
        stdout, _ = child.communicate(timeout=TIMEOUT)
        assert child.returncode == -signal.SIGKILL, "the child finished before it was killed"
        reports += stdout.splitlines()
        confirmed = max([confirmed, *(epoch for epoch, _ in numbers(reports, "wrote"))])
        killed_in_a_write += reports[-1].startswith("writing ")
        backed_up, half_done = latest_backup(folder)
        half_done_on_disk += half_done
        # Never behind what was reported written; at most one epoch ahead (killed after the
        # write but before the report).
        assert confirmed <= backed_up <= confirmed + 1
        confirmed = backed_up
    resumed, _ = run_to_completion(folder, 4321, out)
    assert not folder.exists()  # the completed run removed its backup
    assert resumed["training_state"] == reference["training_state"]  # the whole History
    for name, weights in reference["model_state"].items():
        assert resumed["model_state"][name].tobytes() == weights.tobytes(), name
    print(f"{KILLS} kills: {killed_in_a_write} inside a backup write ({half_done_on_disk} left "
          f"it half done on disk; an epoch takes {timing[0] * 1e3:.1f} ms, its backup "
          f"{timing[1] * 1e3:.1f} ms); last backup before the final run: epoch {confirmed}; "
          f"{time.perf_counter() - started:.1f} s")
