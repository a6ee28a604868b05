"""``glassnet evaluate MODEL DATA.csv``: a saved model's scores on a labelled CSV file."""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    add_model_and_labelled_data,
    format_grid,
    format_number,
    labelled_table,
    load_tabular_model,
    paragraph,
    plural,
    refuses_bad_input,
    unseen_categories_as_notes,
)
from glassnet.cli._training import chosen_metrics, metric_list

EXAMPLES = """\
examples:
  glassnet evaluate iris.safetensors iris_test.csv
  glassnet evaluate houses.safetensors houses_2024.csv --target price

Classification: accuracy, each class's precision, recall and F1 (with their macro and weighted
means, as scikit-learn's classification_report), and a confusion matrix (rows: true class,
columns: predicted class).
Regression: MAE (mean absolute error), RMSE (root mean squared error) and R² (1 is perfect,
0 is no better than always predicting the mean), in the target's units.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a saved model on a labelled CSV file",
        description=paragraph(
            "Score MODEL (written by `glassnet train`) on DATA.csv. The model's feature columns "
            "are found by name; other columns are ignored."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    add_model_and_labelled_data(parser)
    parser.add_argument("--metrics", type=metric_list, metavar="A,B",
                        help="more scores to print: balanced_accuracy, precision, recall, f1, "
                             "roc_auc, log_loss (classification; binary: of the second class, "
                             "more classes: their macro mean), each as scikit-learn computes it")
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    from glassnet import tabular
    from glassnet.training.metrics import resolve_metrics

    tabular_model = load_tabular_model(args.model)
    preprocessing = tabular_model.preprocessing
    if args.metrics and tabular_model.task != tabular.CLASSIFY:
        chosen_metrics(args, classify=False)  # MAE, RMSE and R² are printed anyway
    table, target = labelled_table(args, tabular_model)
    features = tabular_model.features(table)
    truth = preprocessing.encode_target(table)
    with unseen_categories_as_notes():
        outputs = tabular_model.outputs(features, where=table.where)
    print(f"{args.model} on {table.name}: {plural(len(table), 'row')}, target {target!r}.")
    if preprocessing.task == tabular.CLASSIFY:
        found = tabular.classification_scores(truth, outputs.argmax(axis=1),
                                              preprocessing.n_outputs)
        print(f"accuracy: {format_number(found['accuracy'])} "
              f"({found['correct']:,} of {found['rows']:,} rows right)")
        for name in chosen_metrics(args, classify=True) if args.metrics else []:
            if name != "accuracy":
                [(_, metric)] = resolve_metrics([name], from_logits=True)
                print(f"{name}: {format_number(float(metric(truth, outputs)))}")
        names = [str(label) for label in preprocessing.classes]
        print_class_report(names, found["confusion"])
        grid = [[name, *map(str, counts)] for name, counts in zip(names, found["confusion"],
                                                                  strict=True)]
        print("\nConfusion matrix (rows: true class, columns: predicted class):")
        print(format_grid(["true \\ predicted", *names], grid))
        return 0
    found = tabular.regression_scores(preprocessing.target_values(truth),
                                      preprocessing.target_values(outputs))
    r2_note = " (the target is constant, so R² is undefined)" if found["r2"] != found["r2"] else ""
    print(f"  MAE   {format_number(found['mae'])}")
    print(f"  RMSE  {format_number(found['rmse'])}")
    print(f"  R²    {format_number(found['r2'])}{r2_note}")
    return 0


def print_class_report(names: list[str], confusion: Any) -> None:
    """Each class's precision, recall, F1 and row count, then their macro and weighted means
    (scikit-learn's classification_report)."""
    from glassnet.tabular.scores import per_class_scores

    per_class = per_class_scores(confusion)
    measures = ("precision", "recall", "f1")
    rows = [[name, *(f"{per_class[m][i]:.4f}" for m in measures), f"{per_class['support'][i]:,}"]
            for i, name in enumerate(names)]
    support = per_class["support"]
    total = int(support.sum())
    rows.append(["macro mean", *(f"{per_class[m].mean():.4f}" for m in measures), f"{total:,}"])
    weights = support / total if total else support * 0.0
    rows.append(["weighted mean", *(f"{float(per_class[m] @ weights):.4f}" for m in measures),
                 f"{total:,}"])
    print("\nPer class (precision: of the rows predicted as the class, the share right; recall: "
          "of the class's rows, the share found):")
    print(format_grid(["class", "precision", "recall", "F1", "rows"], rows))
