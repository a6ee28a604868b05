"""``glassnet diagnose MODEL DATA.csv``: what is wrong with a saved model, in words, measured on
a labelled CSV file's rows."""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    add_model_and_labelled_data,
    labelled_table,
    load_tabular_model,
    paragraph,
    plural,
    refuses_bad_input,
    unseen_categories_as_notes,
)
from glassnet.cli._training import describe_diagnosis

EXAMPLES = """\
examples:
  glassnet diagnose iris.safetensors iris.csv
  glassnet diagnose houses.safetensors houses_2024.csv --target price

The checks (gn.diagnose) run on at most 256 of the rows, the same ones every time: the scale of
the network's inputs, targets the loss cannot use, outputs that do not depend on the input, dead
ReLU units, saturated sigmoid/tanh units, exploding or vanishing gradients. Findings are not
errors: the exit status is 0 whatever is found.
"""

NO_OPTIMIZER = ("The learning-rate checks need the optimizer, which the model file does not "
                "keep: skipped (`glassnet train` runs them at the end of training).")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="say what is wrong with a saved model, measured on a labelled CSV file",
        description=paragraph(
            "Run glassnet's diagnosis of a training on MODEL (written by `glassnet train`) with "
            "the rows of DATA.csv: a forward and backward pass of the network on the rows as the "
            "model's preprocessing encodes them, and a report of each problem found, its "
            "numbers and what to try."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    add_model_and_labelled_data(parser)
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    import numpy as np

    import glassnet as gn
    from glassnet import tabular
    from glassnet.training.argument_checks import model_dtype

    tabular_model = load_tabular_model(args.model)
    preprocessing = tabular_model.preprocessing
    table, target = labelled_table(args, tabular_model)
    truth = preprocessing.encode_target(table)
    largest = float(np.finfo(model_dtype(tabular_model.model)).max)
    with unseen_categories_as_notes():
        inputs = preprocessing.transform(tabular_model.features(table), largest=largest,
                                         where=table.where)
    classify = preprocessing.task == tabular.CLASSIFY
    loss = "cross_entropy" if classify else "mse"
    diagnosis = gn.diagnose(tabular_model.model, inputs, truth, loss=loss)
    print(f"{args.model} on {table.name}: {plural(len(table), 'row')}, target {target!r}, "
          f"loss {loss}; checked on {plural(diagnosis.sample_size, 'row')}.")
    print(NO_OPTIMIZER)
    print()
    print(describe_diagnosis(diagnosis))
    return 0
