"""``glassnet train DATA.csv --target COLUMN --out MODEL``: a network trained on a CSV file.

The steps, each a function below: read and check the table; choose the task (or guess it from
the target and say so); split off validation rows (shuffled with the seed, every class alike);
standardise the features with the training rows' statistics; build the network; fit it with a
progress bar; print the final scores; save the model with everything needed to use it again.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from glassnet.cli._arguments import positive_float, positive_int, seed
from glassnet.cli._dataset import Dataset, column_list, load_dataset
from glassnet.cli._tabular import (
    EPILOG_FORMAT,
    BadInput,
    add_reading_options,
    cannot_write,
    check_output_path,
    paragraph,
    plural,
    refuses_bad_input,
    writing,
)
from glassnet.cli._training import (
    Outcome,
    chosen_metrics,
    default_patience,
    describe_diagnosis,
    diagnose_training,
    fit_network,
    metric_list,
    report,
)
from glassnet.nn import ACTIVATIONS, mlp
from glassnet.optim import OPTIMIZERS
from glassnet.tabular.fitting import MAX_CATEGORIES

EXAMPLES = """\
examples:
  glassnet train iris.csv --target species --out iris.safetensors
  glassnet train houses.csv --target price --task regress --hidden 32 --epochs 200 \\
      --early-stopping 20 --plot curves.png --out houses.safetensors

The model file keeps the feature names, their means and standard deviations and the class
labels, so `glassnet evaluate`, `glassnet predict` and glassnet.tabular.TabularModel.load(...)
apply the same preprocessing to new rows.
"""


def hidden_sizes(text: str) -> list[int]:
    """'64,32' -> [64, 32]; 'none' -> [] (no hidden layer: a linear model)."""
    if text.strip().lower() in ("none", "0", ""):
        return []
    sizes = [part.strip() for part in text.split(",")]
    try:
        return [positive_int(size) for size in sizes]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected layer widths like 64,32 (or 'none'), got {text!r}"
        ) from None


def patience(text: str) -> int:
    """A whole number >= 0, for argparse's ``type=``."""
    return 0 if text.strip() == "0" else positive_int(text)


def fraction(text: str) -> float:
    """A number in [0, 1), for argparse's ``type=``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to below 1, got {text}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a network on a CSV file and save it",
        description=paragraph(
            "Train a network on DATA.csv to predict the column --target from the other columns "
            "(or those of --features, less those of --drop and --id), and save it to --out. The "
            "file needs a header row; it may be gzip, bz2, xz or zip compressed. A feature "
            "column of numbers is standardised with the training rows' mean and standard "
            "deviation; its empty cells become the median, with an added input that flags them. "
            "A column of text becomes categories (one input per category; empty cells are a "
            "category of their own). A column of numbers with a few text cells is refused at "
            "the first one: a typo, not a category. The target may be numbers or text. Without "
            "--task, text or whole numbers with at most 10 distinct values mean classification, "
            "other numbers regression; the guess is printed, and so is every decision above."
        ),
        epilog=EXAMPLES,
        formatter_class=EPILOG_FORMAT,
    )
    parser.add_argument("data", metavar="DATA.csv", help="the training data (CSV, header row)")
    parser.add_argument("--target", required=True, metavar="COLUMN",
                        help="the column to predict")
    parser.add_argument("--out", required=True, metavar="MODEL",
                        help="where to save the model (e.g. model.safetensors)")
    add_reading_options(parser)
    parser.add_argument("--features", type=column_list, metavar="A,B,C",
                        help="the feature columns; default: every column but the target, --id "
                             "and --drop")
    parser.add_argument("--drop", type=column_list, metavar="A,B",
                        help="columns not to learn from (ids, names, leaks)")
    parser.add_argument("--id", metavar="COLUMN",
                        help="a column that names the rows: not learned from, and written "
                             "beside each prediction by `glassnet predict`")
    parser.add_argument("--max-categories", type=positive_int, default=MAX_CATEGORIES,
                        metavar="N", help="refuse a text column with more distinct values "
                                          f"than N; default: {MAX_CATEGORIES}")
    parser.add_argument("--task", choices=("classify", "regress"),
                        help="classify or regress; default: guessed from the target column")
    parser.add_argument("--hidden", type=hidden_sizes, default=[128, 64], metavar="128,64",
                        help="widths of the hidden layers, or 'none'; default: 128,64")
    parser.add_argument("--activation", choices=list(ACTIVATIONS), default="relu",
                        help="activation after each hidden layer; default: relu")
    parser.add_argument("--epochs", type=positive_int, default=100, help="default: 100")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="default: 32")
    parser.add_argument("--lr", type=positive_float, metavar="X",
                        help="learning rate; default: the optimizer's (0.001 for adam)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                        help="default: adam")
    parser.add_argument("--val-split", type=fraction, default=0.2, metavar="FRACTION",
                        help="fraction of rows held out for validation (0 for none); "
                             "default: 0.2")
    parser.add_argument("--early-stopping", type=patience, metavar="PATIENCE",
                        help="stop after PATIENCE epochs without a better validation loss "
                             "(training loss with --val-split 0); 0 runs every epoch. With "
                             "validation rows the best epoch's weights are kept either way. "
                             f"Default: a tenth of --epochs, at least {default_patience(0)}, "
                             "when rows are held out for validation; otherwise off")
    parser.add_argument("--class-weight", choices=("balanced",),
                        help="'balanced' weighs each class's rows by rows / (classes · the "
                             "class's rows), scikit-learn's formula, in the training and the "
                             "validation loss; default: every row alike")
    parser.add_argument("--metrics", type=metric_list, metavar="A,B",
                        help="scores to report: accuracy, balanced_accuracy, precision, recall, "
                             "f1, roc_auc, log_loss (classification; binary: of the second "
                             "class, more classes: their macro mean) or mae, rmse, r2 "
                             "(regression); default: accuracy, or mae,rmse,r2")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run of this same command from its "
                             "backup, MODEL.backup/ next to --out (written after every epoch, "
                             "deleted when training completes); the result is the one an "
                             "uninterrupted run gives")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed for the split, the initial weights and the shuffling, 0 to "
                             "4294967295; default: 0")
    parser.add_argument("--plot", metavar="FILE", help="also draw the training curves to FILE "
                                                       "(PNG; needs matplotlib)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                        help="0 quiet, 1 a progress bar per epoch, 2 one line per epoch; "
                             "default: 1")
    parser.set_defaults(handler=run)


@refuses_bad_input
def run(args: argparse.Namespace) -> int:
    import glassnet as gn
    from glassnet.io import BackupFiles, FolderLock

    check_output_path(args.out, option="--out", inputs=[args.data])
    if args.plot:
        check_output_path(args.plot, option="--plot", inputs=[args.data, args.out])
        if os.path.abspath(args.plot) == os.path.abspath(args.out):
            raise BadInput(f"--plot and --out are the same file ({args.out}).")
        from glassnet.plot import require_matplotlib

        require_matplotlib()  # now, not after training
    backup = backup_folder(args.out)
    backup_files = BackupFiles(backup)
    if os.path.isdir(backup):  # FolderInUseError now, if another run is training into it
        probe = FolderLock(backup)
        probe.acquire()
        probe.release()
    if backup_files.exists() and not args.resume:
        raise BadInput(f"{backup} holds the backup of an interrupted run: add --resume to "
                       "continue it, or delete that folder to start over.")
    data = load_dataset(args)
    classify = data.preprocessing.task == "classify"
    chosen_metrics(args, classify)  # a metric the task cannot have: refused before training
    if args.class_weight and not classify:
        raise BadInput("--class-weight needs a classification target; this one is regressed.")
    model, optimizer = initial_model(args, data)
    describe_run(args, data, model, optimizer)
    if args.resume:
        print(f"Resuming from {backup}." if backup_files.exists() else
              f"Nothing to resume in {backup}: starting from the first epoch.")
    # Always backed up, so that an interrupted run can be continued with --resume.
    backup_callback = gn.callbacks.BackupAndRestore(backup)
    try:
        history, outcome = fit_network(model, optimizer, data, args, [backup_callback])
    except BrokenPipeError:  # the reader of the progress output went away: main's to handle
        raise
    except OSError as error:  # the only files written while training are the backup's
        raise cannot_write(f"the backup {backup}{os.sep}", error) from None
    except gn.TrainingDiverged as error:
        discard_backup(backup)
        print(f"glassnet train: error: {diverged(error, optimizer)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet train: interrupted; run the same command with --resume to continue "
              f"from the last completed epoch (backed up in {backup}).", file=sys.stderr)
        return 130
    report(model, data, history, outcome, chosen_metrics(args, classify))
    print(f"\n{describe_diagnosis(diagnose_training(model, optimizer, data, history))}")
    with writing(args.out):
        gn.save(model, args.out,
                metadata=model_metadata(args, data, optimizer, history, outcome))
    print(f"\nSaved the model to {args.out}")
    if args.plot:
        from glassnet.plot import history as plot_history

        loss = ("cross-entropy" if data.preprocessing.task == "classify"
                else "mean squared error of the standardised target")
        title = f"{os.path.basename(args.data)}: predicting {args.target!r}\nloss: {loss}"
        with writing(args.plot):
            plot_history(history, args.plot, title=title, log_scale=True)
        print(f"Training curves written to {args.plot}")
    print(f"Predict with: glassnet predict {args.out} NEW_ROWS.csv")
    return 0


def backup_folder(out: str) -> str:
    """Where training backs up after every epoch: model.safetensors -> model.backup/."""
    folder = os.path.splitext(out)[0] + ".backup"
    return folder if folder != out else out + ".d"


def discard_backup(folder: str) -> None:
    """Remove a diverged run's backup: resuming it would diverge the same way."""
    from glassnet.io import BackupFiles

    BackupFiles(folder).remove()
    with contextlib.suppress(OSError):  # other files in it: not ours to delete
        os.rmdir(folder)


def diverged(error: Any, optimizer: Any) -> str:
    """gn.fit's TrainingDiverged in the CLI's words: where it happened and which option to turn.
    """
    where = ""
    if getattr(error, "epoch", None) is not None:
        where = f" at epoch {error.epoch + 1}, batch {error.batch + 1}"
    last = getattr(error, "last_finite_loss", None)
    before = f" (the last finite loss was {last:.4g})" if last is not None else ""
    lr = optimizer.param_groups[0]["lr"]
    return (f"training diverged: the loss became NaN or infinite{where}{before}. Try a lower "
            f"--lr (it was {lr:g}). No model was saved.")


def initial_model(args: argparse.Namespace, data: Dataset) -> tuple[Any, Any]:
    """The network and optimizer training starts from: new ones, seeded with --seed.

    This is where resuming (``--resume``) returns the saved model and optimizer state.
    """
    import glassnet as gn

    gn.manual_seed(args.seed)
    sizes = [data.preprocessing.input_width, *args.hidden, data.preprocessing.n_outputs]
    model = mlp(sizes, activation=args.activation)  # the last layer: logits or values
    return model, make_optimizer(args.optimizer, model, args.lr)


def make_optimizer(name: str, model: Any, lr: float | None) -> Any:
    """The optimizer called ``name``, with its PyTorch defaults and ``lr`` if given."""
    kind = OPTIMIZERS[name]
    return kind(model.parameters()) if lr is None else kind(model.parameters(), lr=lr)


def describe_run(args: argparse.Namespace, data: Dataset, model: Any, optimizer: Any) -> None:
    widths = [data.preprocessing.input_width, *args.hidden, data.preprocessing.n_outputs]
    parameters = sum(parameter.size for parameter in model.parameters())
    lr = optimizer.param_groups[0]["lr"]
    validation = (f"{plural(len(data.val_rows), 'row')} held out for validation"
                  if len(data.val_rows) else "no validation rows")
    print(f"Network: {' -> '.join(map(str, widths))} ({args.activation}), "
          f"{parameters:,} parameters; {args.optimizer} lr {lr:g}, batch size {args.batch_size}, "
          f"up to {args.epochs} epochs.")
    print(f"Training on {plural(len(data.train_rows), 'row')}, {validation} (seed {args.seed}).")


def model_metadata(
    args: argparse.Namespace, data: Dataset, optimizer: Any, history: Any, outcome: Outcome
) -> dict[str, Any]:
    """The preprocessing plus how the model was trained (for `glassnet info` and resuming)."""
    return {
        **data.preprocessing.to_metadata(),
        "training": {
            "data": os.path.basename(args.data),
            "id_column": args.id,
            "class_weight": args.class_weight,
            "rows": len(data.train_rows),
            "validation_rows": len(data.val_rows),
            "hidden": list(args.hidden),
            "activation": args.activation,
            "optimizer": args.optimizer,
            "lr": float(optimizer.param_groups[0]["lr"]),
            "batch_size": args.batch_size,
            "epochs": outcome.epochs_run,
            "kept_epoch": None if outcome.kept_epoch is None else outcome.kept_epoch + 1,
            "seed": args.seed,
        },
    }

