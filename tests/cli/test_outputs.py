"""What the table commands write: CSV a spreadsheet cannot run, the user's path in every write
error, one line and exit status 2 when the folder or disk refuses, or pandas is missing."""

from __future__ import annotations

import csv
import errno
import io
import os
import sys

import numpy as np
import pytest
from cli_helpers import FEATURES, iris_rows, write_csv

from glassnet.cli import main
from glassnet.cli.predict import predictions_csv
from glassnet.tabular import CLASSIFY, REGRESS, Preprocessing

FAST = ["--epochs", "2", "--verbose", "0", "--hidden", "4"]


def run_main(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str, command: str) -> str:
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith(f"glassnet {command}: error: "), line
    return line.removeprefix(f"glassnet {command}: error: ")


def written_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_labels_a_spreadsheet_would_run_get_a_leading_quote():
    classes = ["=1+2", "-2+3", "+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "safe", "-1",
               "+2.5e3"]
    preprocessing = Preprocessing(["a"], np.zeros(1), np.ones(1), CLASSIFY, "y", classes)
    text = predictions_csv(preprocessing, np.eye(len(classes)), with_probabilities=True)
    header, *rows = written_cells(text)
    assert [row[0] for row in rows] == [
        "'=1+2", "'-2+3", "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'\tx", "'\rx", "safe", "-1",
        "+2.5e3"]  # a number is not a formula, and stays a number
    assert header[1:4] == ["probability_=1+2", "probability_-2+3", "probability_+cmd|' /C "
                                                                    "calc'!A0"]


def test_negative_numbers_stay_numbers():
    regressor = Preprocessing(["a"], np.zeros(1), np.ones(1), REGRESS, "y", target_mean=-100.0,
                              target_std=10.0)
    _, *rows = written_cells(predictions_csv(regressor, np.array([[-1.0], [0.5]]), False))
    assert rows == [["-110"], ["-95"]]
    classifier = Preprocessing(["a"], np.zeros(1), np.ones(1), CLASSIFY, "y", [-1, 0, 1])
    _, *rows = written_cells(predictions_csv(classifier, np.eye(3), False))
    assert rows == [["-1"], ["0"], ["1"]]


def test_predict_help_says_how_labels_are_written(capsys):
    assert main(["predict", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "a leading ' that keeps it text, as OWASP advises against CSV injection" in out


def test_export_help_names_gn_save(capsys):
    assert main(["export", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "saved by gn.save, of a model or a fitted glassnet.sklearn estimator" in out
    assert "save_estimator" not in out


@pytest.fixture
def iris_file(tmp_path):
    return write_csv(tmp_path / "iris.csv", [*FEATURES, "species"], iris_rows(per_class=10))


def refusing(monkeypatch, folder, code: int) -> list[str]:
    """os.open that fails with ``code`` for files created in ``folder``; the paths it refused.
    """
    refused = []
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.path.dirname(os.path.abspath(path)) == str(folder):
            refused.append(path)
            raise OSError(code, os.strerror(code), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    return refused


def test_a_read_only_folder_is_refused_before_training(capsys, tmp_path, monkeypatch,
                                                        iris_file):
    out_folder = tmp_path / "read-only"
    out_folder.mkdir()
    refused = refusing(monkeypatch, out_folder, errno.EACCES)
    out = out_folder / "m.st"
    code, stdout, err = run_main(capsys, "train", iris_file, "--target", "species", "--out",
                                 out, *FAST)
    assert code == 2 and refused
    assert one_error_line(err, "train") == f"cannot write {out}: Permission denied."
    assert "Network:" not in stdout  # before any training


def test_a_full_disk_at_save_names_the_model_path(capsys, tmp_path, monkeypatch, iris_file):
    import glassnet

    def full_disk(model, path, metadata=None):
        temporary = os.path.join(os.path.dirname(path), ".m.st.1a2b3c.tmp")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), temporary)

    monkeypatch.setattr(glassnet, "save", full_disk)
    out = tmp_path / "m.st"
    code, _, err = run_main(capsys, "train", iris_file, "--target", "species", "--out", out,
                            *FAST)
    assert code == 2
    assert one_error_line(err, "train") == f"cannot write {out}: No space left on device."


def test_a_full_disk_during_training_names_the_backup(capsys, tmp_path, monkeypatch,
                                                       iris_file):
    backup = tmp_path / "m.backup"
    real_replace = os.replace

    def full_disk(source, destination, *args, **kwargs):
        if str(backup) in os.fspath(destination):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), source)
        return real_replace(source, destination, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    code, _, err = run_main(capsys, "train", iris_file, "--target", "species", "--out",
                            tmp_path / "m.st", *FAST)
    assert code == 2
    assert one_error_line(err, "train") == (f"cannot write the backup {backup}{os.sep}: No "
                                            "space left on device.")


@pytest.mark.parametrize("code, reason", [(errno.EACCES, "Permission denied"),
                                          (errno.ENOSPC, "No space left on device")])
def test_predict_out_names_the_users_path(capsys, tmp_path, monkeypatch, trained_classifier,
                                          iris_file, code, reason):
    import glassnet.io

    model, _ = trained_classifier
    out = tmp_path / "predictions.csv"

    def refused(path, data):
        temporary = os.path.join(os.path.dirname(path), ".predictions.csv.9f8e7d.tmp")
        raise OSError(code, os.strerror(code), temporary)

    monkeypatch.setattr(glassnet.io, "atomic_write_bytes", refused)
    status, _, err = run_main(capsys, "predict", model, iris_file, "--out", out)
    assert status == 2
    assert one_error_line(err, "predict") == f"cannot write {out}: {reason}."
    assert not out.exists()


@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_without_pandas_the_csv_commands_name_the_extra(capsys, monkeypatch, tmp_path,
                                                        trained_classifier, iris_file, command):
    model, _ = trained_classifier
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    argv = {"train": ["train", iris_file, "--target", "species", "--out", tmp_path / "m.st"],
            "evaluate": ["evaluate", model, iris_file],
            "predict": ["predict", model, iris_file]}[command]
    code, _, err = run_main(capsys, *argv)
    assert code == 2
    assert one_error_line(err, command) == (
        "glassnet.tabular.read_csv needs pandas, which is not installed: pip install "
        "'glassnet[tabular]'")


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1.5"])
def test_a_seed_out_of_range_is_a_usage_error(capsys, iris_file, tmp_path, seed):
    code, _, err = run_main(capsys, "train", iris_file, "--target", "species", "--out",
                            tmp_path / "m.st", "--seed", seed)
    assert code == 2 and "Traceback" not in err
    assert "argument --seed: expected a whole number" in err
    code, _, err = run_main(capsys, "demo", "--seed", seed)
    assert code == 2 and "argument --seed: expected a whole number" in err
