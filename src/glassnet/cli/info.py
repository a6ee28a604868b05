"""``glassnet info MODEL``: what a model file holds, without running it."""

from __future__ import annotations

import argparse
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
    from glassnet.training.validation import expected_input_features

    bundle = load_bundle(args.model)
    model = bundle.model
    parameters = sum(parameter.size for parameter in model.parameters())
    version = f", saved by glassnet {bundle.glassnet_version}" if bundle.glassnet_version else ""
    print(f"{args.model}: a glassnet model (format version {bundle.format_version}{version})")
    print(f"Parameters: {parameters:,}")
    in_features = expected_input_features(model)
    summary = model.summary((in_features,)) if in_features else model.summary()
    print("\n" + str(summary))
    metadata = bundle.metadata
    try:
        preprocessing = tabular.Preprocessing.from_metadata(metadata, source=args.model)
    except tabular.DataError:
        extra = ", ".join(sorted(metadata)) or "none"
        print(f"\nNot trained on a table (no feature names or statistics); metadata keys: {extra}")
        return 0
    describe_table_model(preprocessing, metadata.get("training"))
    return 0


def describe_table_model(preprocessing: Any, training: Any) -> None:
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
    print("\nStandardisation, x' = (x - mean) / std:")
    rows = [[name, f"{mean:.6g}", f"{std:.6g}"] for name, mean, std in
            zip(names, preprocessing.feature_mean, preprocessing.feature_std, strict=True)]
    print(format_grid(["feature", "mean", "std"], rows))
    if isinstance(training, dict):
        hidden = ",".join(map(str, training.get("hidden", []))) or "none"
        print(f"\nTrained on {training.get('data', '?')}: "
              f"{plural(int(training.get('rows', 0)), 'row')}, "
              f"{training.get('validation_rows', 0)} more for validation")
        print(f"  hidden {hidden}, {training.get('activation', '?')}, "
              f"{training.get('optimizer', '?')} lr {training.get('lr', '?')}, batch size "
              f"{training.get('batch_size', '?')}, {training.get('epochs', '?')} epochs, "
              f"seed {training.get('seed', '?')}")
