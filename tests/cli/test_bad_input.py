"""Bad input to the table commands: one line on stderr, exit status 2, no traceback, no file.

The commands run as subprocesses, several at a time (each spends most of its second importing).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_helpers import FEATURES, iris_rows, run_cli, save_model_with_metadata, write_csv


@dataclass
class Case:
    args: list[str]  # {files} in an argument is the folder of the files written below
    message: str  # expected on stderr after "glassnet <command>: error: "
    output: str | None = None  # a file that must not exist afterwards


CASES = {
    "empty-file": Case(["train", "{files}/empty.csv", "--target", "species",
                        "--out", "{files}/out.st"],
                       "{files}/empty.csv is empty; expected a header row", "out.st"),
    "header-only": Case(["train", "{files}/header.csv", "--target", "species",
                         "--out", "{files}/out.st"],
                        "{files}/header.csv has a header but no data rows.", "out.st"),
    "missing-target-column": Case(
        ["train", "{files}/good.csv", "--target", "Species", "--out", "{files}/out.st"],
        "{files}/good.csv has no target column 'Species'; its columns are 'sepal_length', "
        "'sepal_width', 'petal_length', 'petal_width', 'species'.", "out.st"),
    "not-a-number": Case(["train", "{files}/text.csv", "--target", "species",
                          "--out", "{files}/out.st"],
                         "{files}/text.csv, line 7, column 'petal_width': 'abc' is not a number.",
                         "out.st"),
    "missing-values-the-model-cannot-fill": Case(  # trained on complete columns: no median
        ["predict", "{model}", "{files}/holes.csv", "--out", "{files}/p.csv"],
        "{files}/holes.csv has 2 missing values (line 4, column 'sepal_width'; line 9, column "
        "'petal_length'); fill them in or drop those rows first.", "p.csv"),
    "missing-target-value": Case(
        ["train", "{files}/no_label.csv", "--target", "species", "--out", "{files}/out.st"],
        "{files}/no_label.csv: the target column 'species' has a missing value (line 5)",
        "out.st"),
    "ragged-row": Case(["train", "{files}/ragged.csv", "--target", "species",
                        "--out", "{files}/out.st"],
                       "{files}/ragged.csv, line 3: 4 fields, but the header has 5", "out.st"),
    "no-such-data": Case(["train", "{files}/nothing.csv", "--target", "species",
                          "--out", "{files}/out.st"],
                         "{files}/nothing.csv: No such file or directory", "out.st"),
    "out-folder-missing": Case(["train", "{files}/good.csv", "--target", "species",
                                "--out", "{files}/no/out.st"],
                               "--out {files}/no/out.st: the folder {files}/no does not exist."),
    "features-missing-at-predict": Case(
        ["predict", "{model}", "{files}/fewer.csv", "--out", "{files}/p.csv"],
        "{files}/fewer.csv lacks the model's feature columns 'sepal_width', 'petal_width'; "
        "the model was trained on 'sepal_length', 'sepal_width', 'petal_length', "
        "'petal_width', and the file has 'sepal_length', 'petal_length'.", "p.csv"),
    "bad-value-at-predict": Case(["predict", "{model}", "{files}/text.csv", "--out",
                                  "{files}/p.csv"],
                                 "{files}/text.csv, line 7, column 'petal_width': 'abc' is not "
                                 "a number.", "p.csv"),
    "not-a-model-predict": Case(["predict", "{files}/good.csv", "{files}/good.csv"],
                                "{files}/good.csv is not a glassnet model file ("),
    "not-a-model-evaluate": Case(["evaluate", "{files}/fake.safetensors", "{files}/good.csv"],
                                 "{files}/fake.safetensors is not a glassnet model file ("),
    "not-a-model-info": Case(["info", "{files}/empty.csv"],
                             "{files}/empty.csv is not a glassnet model file ("),
    "no-such-model": Case(["predict", "{files}/nothing.st", "{files}/good.csv"],
                          "{files}/nothing.st: No such file or directory"),
    "unknown-class-at-evaluate": Case(
        ["evaluate", "{model}", "{files}/new_class.csv"],
        "{files}/new_class.csv, line 3, column 'species': 'daisy' is not one of the model's "
        "classes ('setosa', 'versicolor', 'virginica')."),
    "model-without-table-metadata": Case(
        ["predict", "{files}/plain.safetensors", "{files}/good.csv"],
        "{files}/plain.safetensors is a glassnet model but not one trained on a table"),
    "unterminated-quote": Case(
        ["train", "{files}/open_quote.csv", "--target", "species", "--out", "{files}/out.st"],
        "{files}/open_quote.csv, line 4: a quoted field opens here and is never closed",
        "out.st"),
    "unterminated-quote-at-predict": Case(  # pandas' C parser and csv kept 3 rows of 12
        ["predict", "{model}", "{files}/open_quote.csv", "--out", "{files}/p.csv"],
        "{files}/open_quote.csv, line 4: a quoted field opens here and is never closed",
        "p.csv"),
    "nul-in-a-label": Case(
        ["train", "{files}/nul.csv", "--target", "species", "--out", "{files}/out.st"],
        "{files}/nul.csv, line 5, column 'species': holds a NUL byte", "out.st"),
    "values-too-far-apart-to-standardise": Case(
        ["train", "{files}/spread.csv", "--target", "species", "--out", "{files}/out.st"],
        "{files}/spread.csv, line 8, column 'sepal_length': 1.7e+308 is too far from the "
        "training rows' values", "out.st"),
    "value-too-far-at-predict": Case(
        ["predict", "{model}", "{files}/far.csv", "--out", "{files}/p.csv"],
        "{files}/far.csv, line 3, column 'petal_width': 1e+300 is too far from the training "
        "rows' values", "p.csv"),
    "metadata-subnormal-std": Case(
        ["predict", "{files}/subnormal_std.st", "{files}/good.csv"],
        "{files}/subnormal_std.st: the table metadata's feature_std[0] should be a list of 4 "
        "finite numbers of at least 2.23e-308; it is 1e-320."),
    "metadata-mean-1e999": Case(
        ["evaluate", "{files}/infinite_mean.st", "{files}/good.csv"],
        "{files}/infinite_mean.st: the table metadata's feature_mean[1] should be a list of 4 "
        "finite numbers; it is inf."),
    "metadata-nested-classes": Case(
        ["info", "{files}/nested_classes.st"],
        "{files}/nested_classes.st: the table metadata's classes[0] should be a flat list of "
        "at least two distinct labels, all text or all finite numbers; it is ['setosa']."),
    "metadata-rows-text": Case(
        ["info", "{files}/rows_text.st"],
        "{files}/rows_text.st: the metadata's training.rows should be a whole number >= 0; it "
        "is 'abc'."),
    "metadata-rows-1e999": Case(
        ["info", "{files}/rows_infinite.st"],
        "{files}/rows_infinite.st: the metadata's training.rows should be a whole number >= 0; "
        "it is inf."),
}

TABLE_METADATA = {
    "task": "classify", "target": "species", "feature_names": FEATURES,
    "feature_mean": [5.8, 3.0, 3.8, 1.2], "feature_std": [0.8, 0.4, 1.7, 0.7],
    "classes": ["setosa", "versicolor", "virginica"],
    "training": {"data": "iris.csv", "rows": 120, "validation_rows": 30, "hidden": [],
                 "activation": "relu", "optimizer": "adam", "lr": 0.001, "batch_size": 32,
                 "epochs": 40, "seed": 3},
}


def write_files(folder: Path) -> None:
    header = [*FEATURES, "species"]
    rows = iris_rows(seed=4, per_class=4)
    write_csv(folder / "good.csv", header, rows)
    (folder / "empty.csv").write_text("")
    (folder / "header.csv").write_text(",".join(header) + "\n")
    text = [row[:] for row in rows]
    text[5][3] = "abc"  # data row 6 is line 7: the header is line 1
    write_csv(folder / "text.csv", header, text)
    holes = [row[:] for row in rows]
    holes[2][1], holes[7][2] = "", "NA"
    write_csv(folder / "holes.csv", header, holes)
    no_label = [row[:] for row in rows]
    no_label[3][4] = ""
    write_csv(folder / "no_label.csv", header, no_label)
    (folder / "ragged.csv").write_text(",".join(header) + "\n1,2,3,4,setosa\n1,2,3,setosa\n"
                                       "1,2,3,4,virginica\n")
    write_csv(folder / "fewer.csv", ["sepal_length", "petal_length"],
              [[row[0], row[2]] for row in rows])
    new_class = [row[:] for row in rows]
    new_class[1][4] = "daisy"
    write_csv(folder / "new_class.csv", header, new_class)
    (folder / "fake.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    lines[3] = lines[3].replace(",setosa", ',"setosa')  # line 4: the quote never closes
    (folder / "open_quote.csv").write_text("\n".join(lines) + "\n")
    nul = [row[:] for row in rows]
    nul[3][4] = "set\x00osa"
    write_csv(folder / "nul.csv", header, nul)
    spread = [row[:] for row in rows]
    for index, row in enumerate(spread):
        row[0] = "1.7e308" if index == 6 else "-1.7e308"
    write_csv(folder / "spread.csv", header, spread)
    far = [row[:] for row in rows]
    far[1][3] = "1e300"
    write_csv(folder / "far.csv", header, far)
    hostile = {
        "subnormal_std.st": ({**TABLE_METADATA, "feature_std": [1e-320, 0.4, 1.7, 0.7]}, None),
        "infinite_mean.st": ({**TABLE_METADATA, "feature_mean": [5.8, 123456789, 3.8, 1.2]},
                             {"123456789": "1e999"}),
        "nested_classes.st": ({**TABLE_METADATA, "classes": [["setosa"], ["versicolor"]]},
                              None),
        "rows_text.st": ({**TABLE_METADATA, "training": {"rows": "abc"}}, None),
        "rows_infinite.st": ({**TABLE_METADATA, "training": {"rows": 123456789}},
                             {"123456789": "1e999"}),
    }
    for name, (metadata, raw) in hostile.items():
        save_model_with_metadata(folder / name, metadata, raw)

    import glassnet as gn
    from glassnet import nn

    gn.save(nn.Sequential(nn.Linear(4, 3)), folder / "plain.safetensors")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, trained_classifier) -> dict:
    folder = tmp_path_factory.mktemp("bad-input")
    write_files(folder)
    model, _ = trained_classifier
    names = {"files": str(folder), "model": str(model)}

    def run(case: Case):
        result = run_cli(*(arg.format(**names) for arg in case.args))
        output = folder / case.output if case.output else None
        return result, output is not None and output.exists(), case.message.format(**names)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run, case) for name, case in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_status_2_and_no_file(outcomes, name):
    result, output_written, message = outcomes[name]
    command = CASES[name].args[0]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"glassnet {command}: error: "), line
    assert message in line
    assert not output_written
