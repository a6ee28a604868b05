"""A table as practitioners have it, end to end through the CLI: a semicolon-separated Latin-1
gzip with an id column, a text column, empty cells and "NA"; then predict with ids, unseen
categories, importance, evaluate and an ONNX export that reproduces predict on raw cells."""

from __future__ import annotations

import csv
import gzip
import io
import re

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.io import load_bundle

CITIES = ["Zürich", "São Paulo", "Kraków", "Lyon"]


def messy_rows(count: int, seed: int) -> list[list[str]]:
    """customer id, age (some empty or NA), income, city (text, some empty), bought (yes/no):
    the answer follows income and city, not the id."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        city = CITIES[i % 4]
        income = rng.normal(50 + 10 * (city == "Lyon"), 15)
        age = "" if i % 9 == 4 else "NA" if i % 13 == 7 else f"{rng.integers(18, 80)}"
        bought = "yes" if income + 15 * (city in ("Zürich", "Lyon")) > 60 else "no"
        rows.append([f"c{1000 + i}", age, f"{income:.2f}", "" if i % 11 == 3 else city, bought])
    return rows


def write_messy(path, rows, header=("customer", "age", "income", "city", "bought")) -> None:
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\n").writerows([list(header), *rows])
    with gzip.open(path, "wb") as file:
        file.write(text.getvalue().encode("latin-1"))


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("messy")
    data, model = folder / "customers.csv.gz", folder / "customers.safetensors"
    write_messy(data, messy_rows(240, seed=0))
    code = main(["train", str(data), "--target", "bought", "--id", "customer",
                 "--encoding", "latin-1", "--out", str(model), "--epochs", "60",
                 "--verbose", "0", "--class-weight", "balanced", "--metrics", "accuracy,f1"])
    assert code == 0
    return folder, data, model


def test_training_says_what_it_read_and_decided(tmp_path, capsys):
    data = tmp_path / "customers.csv.gz"
    write_messy(data, messy_rows(120, seed=1))
    code, out, err = run(capsys, "train", data, "--target", "bought", "--id", "customer",
                         "--encoding", "latin-1", "--out", tmp_path / "m.st", "--epochs", "5",
                         "--verbose", "0")
    assert code == 0, err
    assert "read as separated by semicolon" in out  # found from the header, and said
    assert "3 features (age, income, city)" in out
    assert "column 'customer': the row id, not a feature (--id)" in out
    assert re.search(r"column 'age': \d+ missing → median [\d.]+, and a missing-indicator input",
                     out)
    assert "column 'city': text, 5 categories → one-hot, missing cells as '(missing)'" in out
    columns = load_bundle(tmp_path / "m.st").metadata["columns"]
    assert [c["kind"] for c in columns] == ["numeric", "numeric", "category"]
    assert sorted(columns[2]["categories"]) == sorted([*CITIES, "(missing)"])


def test_class_weight_and_metrics_are_used_and_recorded(trained):
    _, _, model = trained
    training = load_bundle(model).metadata["training"]
    assert training["class_weight"] == "balanced" and training["id_column"] == "customer"


def test_predict_writes_the_ids_and_notes_an_unseen_category(trained, tmp_path, capsys):
    _, _, model = trained
    new = messy_rows(8, seed=2)
    new[5][3] = "Oslo"  # a city the model never saw
    data = tmp_path / "new.csv.gz"
    write_messy(data, new)
    code, out, err = run(capsys, "predict", model, data, "--encoding", "latin-1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "customer,prediction"
    assert [line.split(",")[0] for line in lines[1:]] == [row[0] for row in new]
    assert {line.split(",")[1] for line in lines[1:]} <= {"yes", "no"}
    assert "Note: " in err and "'city'" in err and "'Oslo'" in err


def test_evaluate_and_importance_rank_the_original_columns(trained, capsys):
    _, data, model = trained
    code, out, err = run(capsys, "evaluate", model, data, "--encoding", "latin-1")
    assert code == 0, err
    assert "Per class" in out and "Confusion matrix" in out
    pytest.importorskip("matplotlib")
    chart = data.parent / "importance.png"
    code, out, err = run(capsys, "importance", model, data, "--encoding", "latin-1",
                         "--repeats", "3", "--plot", chart)
    assert code == 0, err
    assert f"Bar chart written to {chart}" in out and chart.read_bytes()[:4] == b"\x89PNG"
    table = out.split("std\n", 1)[1].split("\nBar chart", 1)[0].splitlines()
    ranked = [line.split()[0] for line in table]
    assert sorted(ranked) == ["age", "city", "income"]  # one line per original column
    assert ranked[0] == "income"  # the answer follows income most


def test_the_onnx_export_reproduces_predict_on_raw_cells(trained, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    _, _, model = trained
    code, out, err = run(capsys, "export", model, "--onnx", tmp_path / "m.onnx", "--verify")
    assert code == 0, err + out
    assert "inputs:  age (batch, 1), income (batch, 1), city (batch, 1)" in out
    assert re.search(r"verify: .* largest difference \S+ \(OK\)", out)


def test_a_header_of_numbers_is_noted(tmp_path, capsys):
    rows = [[f"{x:.2f}", f"{2 * x:.2f}", f"{3 * x:.2f}"]
            for x in np.random.default_rng(0).normal(size=40)]
    data = tmp_path / "no_header.csv"
    data.write_text("\n".join(",".join(row) for row in rows) + "\n")
    header = rows[0]
    code, out, err = run(capsys, "train", data, "--target", header[2], "--out",
                         tmp_path / "m.st", "--epochs", "2", "--verbose", "0")
    assert "looks like data" in out + err


def test_a_latin_1_file_read_as_utf_8_names_the_line_and_the_option(tmp_path, capsys):
    data = tmp_path / "customers.csv.gz"
    write_messy(data, messy_rows(40, seed=3))
    code, out, err = run(capsys, "train", data, "--target", "bought", "--out",
                         tmp_path / "m.st", "--verbose", "0")
    assert code == 2
    assert "is not UTF-8 text (line 2" in err and "--encoding" in err


def test_info_lists_each_input_column_and_what_it_becomes(trained, capsys):
    _, _, model = trained
    code, out, err = run(capsys, "info", model)
    assert code == 0, err
    inputs = out.split("Network inputs (", 1)[1]
    assert inputs.startswith("8), in order:")  # age + its flag, income, 5 city categories
    lines = {line.split()[0]: line for line in inputs.splitlines()[2:5]}
    assert "numbers, some missing" in lines["age"] and "missing -> median" in lines["age"]
    assert "text, 5 categories" in lines["city"] and "(missing), Kraków" in lines["city"]
