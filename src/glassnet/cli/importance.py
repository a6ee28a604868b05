"""``glassnet importance MODEL DATA.csv``: how much each original column matters to a saved model.
"""

from __future__ import annotations

import argparse
from typing import Any

from glassnet.cli._arguments import positive_int, seed
from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    BadInput,
    add_model_and_labelled_data,
    check_output_path,
    format_grid,
    labelled_table,
    load_tabular_model,
    paragraph,
    plural,
    refuses_bad_input,
    unseen_categories_as_notes,
    writing,
)

EXAMPLES = """\
examples:
  glassnet importance iris.safetensors iris_test.csv
  glassnet importance houses.safetensors houses.csv --repeats 10 --plot importance.png

Each feature column of the file is shuffled among the rows, --repeats times, and the model
scored again: the importance of a column is the mean drop of the score (scikit-learn's
permutation importance, the same shuffles for the same --seed). A text column is shuffled as
text, before the model encodes it, so every original column gets one number. A drop near 0
means the model does not use the column, or another column carries the same information.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "importance",
        help="rank a saved model's columns by permutation importance",
        description=paragraph(
            "Rank the feature columns of MODEL (written by `glassnet train`) by how much its "
            "score on DATA.csv drops when the column is shuffled. Needs scikit-learn "
            "(pip install 'glassnet[sklearn]')."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    add_model_and_labelled_data(parser)
    parser.add_argument("--repeats", type=positive_int, default=5,
                        help="shuffles per column; default: 5")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the shuffles; default: 0")
    parser.add_argument("--scoring", metavar="NAME",
                        help="accuracy, balanced_accuracy or f1_macro for a classifier; r2, "
                             "neg_mean_absolute_error or neg_root_mean_squared_error for a "
                             "regressor; default: accuracy or r2")
    parser.add_argument("--plot", metavar="FILE", help="also draw the importances as a bar "
                                                       "chart to FILE (PNG; needs matplotlib)")
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    from glassnet.tabular.importance import SCORINGS, permutation_importance

    if args.plot:
        check_output_path(args.plot, option="--plot", inputs=[args.model, args.data])
        from glassnet.plot import require_matplotlib

        require_matplotlib()  # now, not after the shuffles
    tabular_model = load_tabular_model(args.model)
    task = tabular_model.task
    if args.scoring is not None and args.scoring not in SCORINGS[task]:
        raise BadInput(f"--scoring for this {task} model must be one of "
                       f"{', '.join(SCORINGS[task])}; got {args.scoring!r}.")
    table, target = labelled_table(args, tabular_model)
    with unseen_categories_as_notes():
        found = permutation_importance(tabular_model, table, target, scoring=args.scoring,
                                       repeats=args.repeats, seed=args.seed)
    print(f"{args.model} on {table.name}: {plural(len(table), 'row')}, {found.scoring} "
          f"{found.baseline:.4f} as the rows are; each column shuffled "
          f"{plural(found.repeats, 'time')} (seed {args.seed}).")
    rows = [[name, f"{mean:.4f}", f"{std:.4f}"]
            for name, mean, std in zip(found.columns, found.mean, found.std, strict=True)]
    print(format_grid(["column", f"drop in {found.scoring}", "std"], rows))
    if args.plot:
        from glassnet.plot import importance_bars

        with writing(args.plot):
            importance_bars(found.columns, found.mean, found.std, args.plot,
                            score_name=found.scoring,
                            title=f"{args.model}: permutation importance on {table.name}")
        print(f"Bar chart written to {args.plot}")
    return 0
