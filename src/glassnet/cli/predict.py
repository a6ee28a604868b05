"""``glassnet predict MODEL DATA.csv``: a saved model's answers for each row of a CSV file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    BadInput,
    add_reading_options,
    check_output_path,
    csv_line,
    load_tabular_model,
    paragraph,
    read_table,
    refuses_bad_input,
    spreadsheet_safe,
    unseen_categories_as_notes,
    writing,
)

EXAMPLES = """\
examples:
  glassnet predict iris.safetensors new_flowers.csv
  glassnet predict iris.safetensors new_flowers.csv --proba --out predictions.csv

The output is CSV with one row per input row, in the same order: the row's id (the --id column
given at training, or here), a "prediction" column (the class label, or the value for
regression) and, with --proba, a "probability_<class>" column per class. A label a spreadsheet
would run as a formula (text starting with = + - @, a tab or a
carriage return) is written with a leading ' that keeps it text, as OWASP advises against CSV
injection; numbers, negative ones included, are written as numbers.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predict each row of a CSV file with a saved model",
        description=paragraph(
            "Predict each row of DATA.csv with MODEL (written by `glassnet train`). The model's "
            "feature columns are found by name, in any order; other columns (the target, ids) "
            "are ignored. Predictions are in the original labels."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by glassnet train")
    parser.add_argument("data", metavar="DATA.csv", help="rows with the model's feature columns")
    parser.add_argument("--out", metavar="FILE",
                        help="write the predictions to FILE (CSV); default: standard output")
    parser.add_argument("--proba", action="store_true",
                        help="add each class's probability (classification models)")
    parser.add_argument("--id", metavar="COLUMN",
                        help="write this column of DATA.csv first on each line; default: the "
                             "--id column the model was trained with, when DATA.csv has it")
    add_reading_options(parser)
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    from glassnet import tabular
    from glassnet.io import atomic_write_bytes

    if args.out:
        check_output_path(args.out, option="--out", inputs=[args.model, args.data])
    tabular_model = load_tabular_model(args.model)
    preprocessing = tabular_model.preprocessing
    if args.proba and preprocessing.task != tabular.CLASSIFY:
        raise BadInput(f"--proba needs a classification model; {args.model} does regression.")
    table = read_table(args.data, args, notes_to=sys.stderr)
    with unseen_categories_as_notes():
        outputs = tabular_model.outputs(tabular_model.features(table), where=table.where)
    ids = row_ids(table, args.id, tabular_model)
    text = predictions_csv(preprocessing, outputs, args.proba, ids)
    if args.out:
        with writing(args.out):
            atomic_write_bytes(args.out, text.encode("utf-8"))
        print(f"Wrote {len(outputs):,} predictions to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def row_ids(table: Any, option: str | None, tabular_model: Any) -> tuple[str, list[str]] | None:
    """(column name, its cells) of the id column to write beside the predictions: --id, else
    the one the model was trained with if the file has it; None when there is none."""
    training = tabular_model.bundle.metadata.get("training") if tabular_model.bundle else None
    recorded = training.get("id_column") if isinstance(training, dict) else None
    name = option or (recorded if isinstance(recorded, str) else None)
    if name is None:
        return None
    if option is None and name not in table.columns:
        print(f"Note: {table.name} has no column {name!r}, the model's id column; the "
              "predictions are in the rows' order.", file=sys.stderr)
        return None
    table.column_index(name, role="id column")  # --id given: a DataError naming the columns
    return name, table.text(name)


def predictions_csv(preprocessing: Any, outputs: Any, with_probabilities: bool,
                    ids: tuple[str, list[str]] | None = None) -> str:
    """CSV text: a header, then one line per row of ``outputs`` (N, C) or (N, 1), led by the
    row's id when ``ids`` = (column name, cells) is given; every cell safe to open in a
    spreadsheet."""
    labels = preprocessing.labels(outputs)
    id_cells = [] if ids is None else [spreadsheet_safe(ids[0])]
    header = [*id_cells, "prediction"]
    if with_probabilities:
        header += [spreadsheet_safe(f"probability_{label}") for label in preprocessing.classes]
    lines = [csv_line(header)]
    def leading(row: int) -> list[str]:
        return [] if ids is None else [spreadsheet_safe(ids[1][row])]

    if preprocessing.task != "classify":
        lines += [csv_line([*leading(row), spreadsheet_safe(f"{value:.7g}")])
                  for row, value in enumerate(labels)]
        return "".join(lines)
    probabilities = preprocessing.probabilities(outputs) if with_probabilities else None
    for row, label in enumerate(labels.tolist()):
        cells = [*leading(row), spreadsheet_safe(str(label))]
        if probabilities is not None:
            cells += [f"{p:.6f}" for p in probabilities[row]]
        lines.append(csv_line(cells))
    return "".join(lines)
