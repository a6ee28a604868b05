"""``glassnet info MODEL``: what a model file holds, without running it."""

from __future__ import annotations

import argparse
import math
from typing import Any

from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    format_grid,
    load_bundle,
    name_list,
    paragraph,
    plural,
    refuses_bad_input,
)

EXAMPLES = """\
examples:
  glassnet info iris.safetensors

Works on any file written by gn.save; models from `glassnet train` also show their features,
classes and how they were trained.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show a model file's architecture, features and classes",
        description=paragraph(
            "Show what MODEL holds: the architecture layer by layer, the parameter count, the "
            "file format version, and (for models from `glassnet train`) the features with "
            "their standardisation, the classes or the target, and the training settings."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    parser.add_argument("model", metavar="MODEL", help="a model file written by gn.save")
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    from glassnet import tabular
    from glassnet.training.argument_checks import expected_input_features

    bundle = load_bundle(args.model)
    metadata = bundle.metadata
    try:  # checked before anything is printed: a broken file gives one line on stderr
        preprocessing = tabular.Preprocessing.from_metadata(metadata, source=args.model)
    except tabular.DataError:
        preprocessing = None
    training = (training_record(metadata["training"], args.model)
                if preprocessing is not None and "training" in metadata else None)
    model = bundle.model
    parameters = sum(parameter.size for parameter in model.parameters())
    version = f", saved by glassnet {bundle.glassnet_version}" if bundle.glassnet_version else ""
    print(f"{args.model}: a glassnet model (format version {bundle.format_version}{version})")
    print(f"Parameters: {parameters:,}")
    in_features = expected_input_features(model)
    summary = model.summary((in_features,)) if in_features else model.summary()
    print("\n" + str(summary))
    if preprocessing is None:
        extra = ", ".join(sorted(metadata)) or "none"
        print(f"\nNot trained on a table (no feature names or statistics); metadata keys: {extra}")
        return 0
    describe_table_model(preprocessing, training)
    return 0


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _positive_count(value: Any) -> bool:
    return _count(value) and value >= 1


def _rate(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _widths(value: Any) -> bool:
    return isinstance(value, list) and all(_positive_count(width) for width in value)


# The fields `glassnet train` writes in metadata["training"], and what each must be.
TRAINING_FIELDS = {
    "data": (_text, "a file name"),
    "rows": (_count, "a whole number >= 0"),
    "validation_rows": (_count, "a whole number >= 0"),
    "hidden": (_widths, "a list of whole numbers >= 1"),
    "activation": (_text, "a name"),
    "optimizer": (_text, "a name"),
    "lr": (_rate, "a finite number > 0"),
    "batch_size": (_positive_count, "a whole number >= 1"),
    "epochs": (_count, "a whole number >= 0"),
    "seed": (_count, "a whole number >= 0"),
}


def training_record(training: Any, source: str) -> dict[str, Any]:
    """``metadata["training"]`` checked field by field (absent fields are shown as "?");
    ModelFormatError naming the first field that is wrong."""
    from glassnet.errors import ModelFormatError

    if not isinstance(training, dict):
        raise ModelFormatError(f"{source}: the metadata's training should be an object of "
                               f"training settings; it is {type(training).__name__}.")
    for field, (valid, expected) in TRAINING_FIELDS.items():
        if field in training and not valid(training[field]):
            shown = repr(training[field])
            shown = shown if len(shown) <= 60 else shown[:60] + "..."
            raise ModelFormatError(f"{source}: the metadata's training.{field} should be "
                                   f"{expected}; it is {shown}.")
    return training


def column_rows(column: dict[str, Any]) -> list[str]:
    """One feature's line in the table of inputs: its kind and what the network gets of it."""
    if column["kind"] == "category":
        categories = column["categories"]
        count = len(categories)
        return [column["name"], f"text, {count} categor{'y' if count == 1 else 'ies'}",
                f"one-hot: {name_list(categories, limit=8)}"]
    scaled = f"(x - {column['mean']:.6g}) / {column['std']:.6g}"
    if column.get("median") is None:
        return [column["name"], "numbers", scaled]
    return [column["name"], "numbers, some missing",
            f"{scaled}, missing -> median {column['median']:.6g}; + a missing flag"]


def describe_table_model(preprocessing: Any, training: dict[str, Any] | None) -> None:
    names = preprocessing.feature_names
    what = "classification" if preprocessing.task == "classify" else "regression"
    print(f"\nPredicts: {preprocessing.target!r} ({what})")
    if preprocessing.task == "classify":
        classes = ", ".join(str(label) for label in preprocessing.classes)
        print(f"Classes ({len(preprocessing.classes)}): {classes}")
    else:
        print(f"Target scaling: mean {preprocessing.target_mean:g}, "
              f"std {preprocessing.target_std:g}")
    print(f"Features ({len(names)}): {name_list(names, limit=50)}")
    print(f"\nNetwork inputs ({preprocessing.input_width}), in order:")
    print(format_grid(["feature", "kind", "becomes"],
                      [column_rows(column) for column in preprocessing.columns]))
    if training is not None:
        hidden = ",".join(map(str, training.get("hidden", []))) or "none"
        rows_text = plural(training["rows"], "row") if "rows" in training else "? rows"
        print(f"\nTrained on {training.get('data', '?')}: {rows_text}, "
              f"{training.get('validation_rows', '?')} more for validation")
        print(f"  hidden {hidden}, {training.get('activation', '?')}, "
              f"{training.get('optimizer', '?')} lr {training.get('lr', '?')}, batch size "
              f"{training.get('batch_size', '?')}, {training.get('epochs', '?')} epochs, "
              f"seed {training.get('seed', '?')}")
