"""``glassnet export MODEL --onnx OUT``: a saved glassnet model (or estimator) as an ONNX file.

MODEL is a file written by ``gn.save`` (a model or a fitted glassnet.sklearn estimator) or by
``glassnet train``.
The ONNX graph computes what glassnet computes: for a model from ``glassnet train``, what
``glassnet predict`` does (standardisation, labels, target units included, unless
``--network-only``); otherwise what ``gn.predict`` does. ``--verify`` runs it in onnxruntime on
random rows and compares. Needs the onnx extra: ``pip install 'glassnet[onnx]'``.
"""

from __future__ import annotations

import argparse
import json
import warnings
from typing import Any

from glassnet.cli._arguments import positive_int
from glassnet.cli._tabular import BadInput, refuses_bad_input

VERIFY_ROWS = 16
VERIFY_TOLERANCE = 1e-5


def _feature_shape(text: str) -> tuple[int, ...]:
    """"4" or "3,8,8": one sample's shape, for argparse's ``type=``."""
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or numbers joined by commas, got "
                                         f"{text!r}") from None
    if not all(size >= 1 for size in shape):
        raise argparse.ArgumentTypeError(f"expected sizes >= 1, got {text!r}")
    return shape


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a saved model as an ONNX file",
        description=(
            "Write MODEL (a file saved by gn.save, of a model or a fitted glassnet.sklearn "
            "estimator, or by `glassnet train`) as an ONNX model that "
            "onnxruntime can run on any number of rows. A model from `glassnet train` keeps its "
            "preprocessing: raw feature values in, labels and probabilities (or values in the "
            "target's units) out. Needs: pip install 'glassnet[onnx]'."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help="the saved glassnet model file")
    parser.add_argument("--onnx", metavar="OUT", required=True, help="the .onnx file to write")
    parser.add_argument("--n-features", type=_feature_shape, default=None, metavar="N",
                        help="input features (or one sample's shape, e.g. 3,8,8) when the "
                             "model does not start with a layer that fixes it")
    parser.add_argument("--opset", type=positive_int, default=None,
                        help="ONNX operator set, 17 (default) to 21")
    parser.add_argument("--network-only", action="store_true",
                        help="export only the network, without the standardisation and labels "
                             "that `glassnet train` saved with it")
    parser.add_argument("--verify", action="store_true",
                        help=f"run the ONNX file in onnxruntime on {VERIFY_ROWS} random rows and "
                             f"compare with glassnet (fails above {VERIFY_TOLERANCE:g}, relative "
                             "for values above 1)")
    parser.set_defaults(handler=run)


def _describe(value_infos: Any) -> str:
    parts = []
    for info in value_infos:
        dims = [d.dim_param or str(d.dim_value) for d in info.type.tensor_type.shape.dim]
        parts.append(f"{info.name} ({', '.join(dims)})")
    return ", ".join(parts)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    import glassnet.onnx
    from glassnet.io import load_bundle

    try:
        glassnet.onnx.require_onnx("glassnet export")
    except ImportError as error:  # the extra is missing: the user's to install
        raise BadInput(str(error)) from None
    bundle = load_bundle(args.model)
    subject: Any = bundle.model
    if "sklearn_estimator" in bundle.metadata:
        from glassnet.sklearn import from_bundle

        subject = from_bundle(bundle)
    elif "task" in bundle.metadata and not args.network_only:  # saved by `glassnet train`
        from glassnet.tabular import Preprocessing, TabularModel

        preprocessing = Preprocessing.from_metadata(bundle.metadata, source=args.model)
        subject = TabularModel(bundle.model, preprocessing, bundle)
    n_features = None
    if args.n_features is not None:
        n_features = args.n_features[0] if len(args.n_features) == 1 else args.n_features
    try:
        proto = glassnet.onnx.export(subject, args.onnx, n_features, opset=args.opset)
    except (TypeError, ValueError) as error:  # a layer ONNX cannot express, an unknown opset
        raise BadInput(str(error)) from None
    print(f"Wrote {args.onnx}: {type(subject).__name__}, opset "
          f"{proto.opset_import[0].version}, checked by onnx.checker.")
    print(f"  inputs:  {_describe(proto.graph.input)}")
    print(f"  outputs: {_describe(proto.graph.output)}")
    if args.verify:
        return _verify(subject, proto, args.onnx)
    return 0


def _column_rows(subject: Any, mapping: list[dict[str, str]]) -> tuple[dict[str, Any], Any]:
    """Random raw rows for a model with one ONNX input per column: (the inputs' feeds, the same
    rows as a DataFrame for glassnet). Numbers around each column's mean, a missing one where
    the model imputes; every category, a missing cell and an unseen text."""
    import numpy as np
    import pandas

    rng = np.random.default_rng(0)
    described = {column["name"]: column for column in subject.preprocessing.columns}
    feeds, frame = {}, {}
    for entry in mapping:
        column = described[entry["column"]]
        if column["kind"] == "numeric":
            values = column["mean"] + column["std"] * rng.normal(size=VERIFY_ROWS)
            if column.get("median") is not None:
                values[0] = np.nan
            feeds[entry["input"]] = values.astype(np.float32).reshape(-1, 1)
            frame[column["name"]] = feeds[entry["input"]][:, 0].astype(np.float64)
        else:
            choices = [*column["categories"], "(not seen in training)"]
            cells = [choices[i % len(choices)] for i in range(VERIFY_ROWS)]
            if column.get("missing_label") is not None:
                cells = [None if cell == column["missing_label"] else cell for cell in cells]
            feeds[entry["input"]] = np.array([[cell or ""] for cell in cells], dtype=object)
            frame[column["name"]] = pandas.Series(cells, dtype=object)
    return feeds, pandas.DataFrame(frame)


def _verify(subject: Any, proto: Any, path: str) -> int:
    """Compare onnxruntime's outputs with glassnet's on random rows; 0 if they agree."""
    import numpy as np

    try:
        import onnxruntime
    except ImportError:
        raise BadInput("--verify needs onnxruntime: pip install 'glassnet[onnx]'") from None
    import glassnet as gn

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = [output.name for output in proto.graph.output]
    columns = {entry.key: entry.value for entry in proto.metadata_props}.get("input_columns")
    if columns is not None:  # one input per column of the table: raw cells, text included
        feeds, X = _column_rows(subject, json.loads(columns))
    else:
        dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:]]
        X = np.random.default_rng(0).normal(size=(VERIFY_ROWS, *dims)).astype(np.float32)
        feeds = {"input": X}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unseen category fed on purpose
        if "probabilities" in outputs:
            expected, output = subject.predict_proba(X), "probabilities"
        elif "predictions" in outputs:
            expected, output = subject.predict(X), "predictions"
        else:
            expected, output = gn.predict(subject, X), "output"
    (actual,) = session.run([output], feeds)
    # float32 carries 7 digits: outputs in the thousands agree to 1e-5 relative, not absolute
    allowed = VERIFY_TOLERANCE * np.maximum(1.0, np.abs(expected))
    difference = float(np.max(np.abs(actual - expected)))
    agree = bool(np.all(np.abs(actual - expected) <= allowed))
    print(f"  verify:  onnxruntime vs glassnet on {VERIFY_ROWS} random rows, largest "
          f"difference {difference:.2e} ({'OK' if agree else 'MISMATCH'})")
    return 0 if agree else 1
