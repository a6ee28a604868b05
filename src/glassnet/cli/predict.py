"""``glassnet predict MODEL DATA.csv``: a saved model's answers for each row of a CSV file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    BadInput,
    check_output_path,
    csv_line,
    load_tabular_model,
    paragraph,
    refuses_bad_input,
    spreadsheet_safe,
    writing,
)

EXAMPLES = """\
examples:
  glassnet predict iris.safetensors new_flowers.csv
  glassnet predict iris.safetensors new_flowers.csv --proba --out predictions.csv

The output is CSV with one row per input row, in the same order: a "prediction" column (the
class label, or the value for regression) and, with --proba, a "probability_<class>" column per
class. A label a spreadsheet would run as a formula (text starting with = + - @, a tab or a
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
    table = tabular.read_csv(args.data)
    outputs = tabular_model.outputs(tabular_model.features(table), where=table.where)
    text = predictions_csv(preprocessing, outputs, args.proba)
    if args.out:
        with writing(args.out):
            atomic_write_bytes(args.out, text.encode("utf-8"))
        print(f"Wrote {len(outputs):,} predictions to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def predictions_csv(preprocessing: Any, outputs: Any, with_probabilities: bool) -> str:
    """CSV text: a header, then one line per row of ``outputs`` (N, C) or (N, 1); every cell
    safe to open in a spreadsheet."""
    labels = preprocessing.labels(outputs)
    header = ["prediction"]
    if with_probabilities:
        header += [spreadsheet_safe(f"probability_{label}") for label in preprocessing.classes]
    lines = [csv_line(header)]
    if preprocessing.task != "classify":
        lines += [csv_line([spreadsheet_safe(f"{value:.7g}")]) for value in labels]
        return "".join(lines)
    probabilities = preprocessing.probabilities(outputs) if with_probabilities else None
    for row, label in enumerate(labels.tolist()):
        cells = [spreadsheet_safe(str(label))]
        if probabilities is not None:
            cells += [f"{p:.6f}" for p in probabilities[row]]
        lines.append(csv_line(cells))
    return "".join(lines)
