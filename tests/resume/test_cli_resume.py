"""``glassnet train ... --resume``: a killed or Ctrl-C'd run continues to the very model file an
uninterrupted run writes; divergence is one line, exit status 1, and leaves no backup."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from glassnet.io import load_bundle

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
EPOCHS = 30


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4))
    y = np.where(X[:, 0] + X[:, 1] ** 2 > 1, "high", "low")
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["a", "b", "c", "d", "level"])
        for row, label in zip(X, y, strict=True):
            writer.writerow([f"{value:.4f}" for value in row] + [label])
    return path


def command(data_csv, out, *extra, epochs: int = EPOCHS) -> list[str]:
    return [sys.executable, "-m", "glassnet", "train", str(data_csv), "--target", "level",
            "--out", str(out), "--epochs", str(epochs), "--hidden", "64,64", "--verbose", "2",
            "--seed", "7", *extra]


def run(arguments) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, capture_output=True, text=True, env=ENVIRONMENT, timeout=120)


def interrupt_after(arguments, epoch: int, signal_number: int) -> subprocess.CompletedProcess:
    """Start the command, send ``signal_number`` once it printed the line of ``epoch``."""
    # Ctrl-C's default action in the child, even where pytest itself runs with SIGINT ignored
    # (started in the background by a shell without job control)
    child = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENVIRONMENT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.startswith(f"Epoch {epoch}/{EPOCHS} "):
            child.send_signal(signal_number)
            break
    stdout, stderr = child.communicate(timeout=120)
    return subprocess.CompletedProcess(arguments, child.returncode, "".join(lines) + stdout,
                                       stderr)


def test_killed_and_interrupted_runs_resume_to_the_uninterrupted_model_file(tmp_path, data_csv):
    reference = run(command(data_csv, tmp_path / "reference.safetensors"))
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "model.safetensors"
    backup = tmp_path / "model.backup"

    killed = interrupt_after(command(data_csv, out), 4, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL and backup.is_dir() and not out.exists()

    again = run(command(data_csv, out))  # forgot --resume: refused, the backup kept
    assert again.returncode == 2
    assert f"{backup} holds the backup of an interrupted run: add --resume" in again.stderr
    assert backup.is_dir()

    interrupted = interrupt_after(command(data_csv, out, "--resume"), 8, signal.SIGINT)
    assert interrupted.returncode == 130
    assert "Resuming from" in interrupted.stdout
    assert interrupted.stdout.count("Epoch 1/") == 0  # it went on after the killed run's epochs
    assert "run the same command with --resume" in interrupted.stderr

    resumed = run(command(data_csv, out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    assert f"Epoch {EPOCHS}/{EPOCHS} " in resumed.stdout and "Epoch 8/" not in resumed.stdout
    assert not backup.exists()
    # Not the file bytes: safetensors writes the header's metadata keys in a per-process order.
    expected, saved = load_bundle(tmp_path / "reference.safetensors"), load_bundle(out)
    assert saved.metadata == expected.metadata and saved.architecture == expected.architecture
    expected_weights, weights = expected.model.state_dict(), saved.model.state_dict()
    assert weights.keys() == expected_weights.keys()
    for name, array in expected_weights.items():
        assert weights[name].tobytes() == array.tobytes(), name


def test_resume_without_a_backup_starts_from_the_first_epoch(tmp_path, data_csv):
    result = run(command(data_csv, tmp_path / "m.safetensors", "--resume", epochs=2))
    assert result.returncode == 0, result.stderr
    assert "Nothing to resume in" in result.stdout and "Epoch 1/2 " in result.stdout


def test_divergence_is_one_line_exit_1_and_leaves_no_backup(tmp_path, data_csv):
    out = tmp_path / "m.safetensors"
    result = run(command(data_csv, out, "--optimizer", "sgd", "--lr", "1e8"))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("glassnet train: error: training diverged")
    assert "at epoch 1, batch" in line and "No model was saved." in line
    assert not out.exists() and not (tmp_path / "m.backup").exists()


def test_an_empty_backup_folder_is_no_interrupted_run(tmp_path, data_csv):
    """A run killed after locking its folder but before its first backup leaves it empty."""
    (tmp_path / "m.backup").mkdir()
    result = run(command(data_csv, tmp_path / "m.safetensors", epochs=2))
    assert result.returncode == 0, result.stderr


def test_a_second_run_into_the_same_model_is_refused_while_the_first_trains(tmp_path, data_csv):
    out = tmp_path / "model.safetensors"
    # more epochs than it can finish while the second starts (it is killed below): a first run
    # that ended meanwhile would have released the folder before the second names its holder
    epochs = 100_000
    first = subprocess.Popen(command(data_csv, out, epochs=epochs), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=ENVIRONMENT)
    try:
        for line in first.stdout:
            if line.startswith(f"Epoch 2/{epochs} "):  # its folder locked, a backup written
                break
        second = run(command(data_csv, out, "--resume"))
    finally:
        first.kill()
        first.communicate(timeout=120)
    assert second.returncode == 2
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    holder = f"process {first.pid}" if sys.platform.startswith("linux") else "another process"
    assert f"is in use by another training run ({holder})" in second.stderr
