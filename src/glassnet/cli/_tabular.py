"""What the table commands (train, evaluate, predict, info) share: turning bad input into one line
on stderr with exit status 2, checking output paths before any work, writing CSV a spreadsheet
cannot run, and printing small tables.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any

BAD_INPUT = 2  # argparse's status for a usage error; bad data is the same kind of mistake

EPILOG_FORMAT = argparse.RawDescriptionHelpFormatter  # keeps the examples' line breaks


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """--sep and --encoding, for commands that read a CSV file."""
    parser.add_argument("--sep", metavar="CHAR", type=separator,
                        help="the separator between cells (tab: 'tab'); default: ',' or, when "
                             "the header has none but several ';', tabs or '|', that one "
                             "(said when used)")
    parser.add_argument("--encoding", metavar="NAME",
                        help="the file's text encoding, e.g. latin-1 or cp1252; default: UTF-8")


def add_model_and_labelled_data(parser: argparse.ArgumentParser) -> None:
    """MODEL, DATA.csv, --target and the reading options, for commands that measure a saved
    model against the true answers of a CSV file (evaluate, diagnose, importance)."""
    parser.add_argument("model", metavar="MODEL", help="a model file written by glassnet train")
    parser.add_argument("data", metavar="DATA.csv", help="rows with the features and the target")
    parser.add_argument("--target", metavar="COLUMN",
                        help="the column holding the true answers; default: the column the "
                             "model was trained to predict")
    add_reading_options(parser)


def labelled_table(args: argparse.Namespace, tabular_model: Any) -> tuple[Any, str]:
    """(the table of DATA.csv, its target column): --target, which the model's preprocessing then
    encodes, else the column the model was trained to predict. BadInput when neither names one;
    DataError when the table lacks it."""
    preprocessing = tabular_model.preprocessing
    if args.target:
        preprocessing.target = args.target
    if not preprocessing.target:
        raise BadInput(f"{args.model} does not record its target column; pass --target.")
    table = read_table(args.data, args)
    table.column_index(preprocessing.target, role="target column")
    return table, preprocessing.target


def separator(text: str) -> str:
    """--sep's value: one character, with 'tab' and '\\t' for the tab a shell makes hard to type.
    """
    return "\t" if text in ("tab", "\\t") else text


def read_table(path: str, args: argparse.Namespace, *, notes_to: Any = None) -> Any:
    """``glassnet.tabular.read_csv`` with the command's --sep and --encoding; prints what the
    reader noticed (a separator it chose, a header that looks like data) to ``notes_to``
    (default: standard output). Gzip, bz2, xz and zip files are read as they are."""
    from glassnet import tabular

    table = tabular.read_csv(path, sep=getattr(args, "sep", None),
                             encoding=getattr(args, "encoding", None))
    for note in table.notes:
        print(f"Note: {note}", file=notes_to or sys.stdout)
    return table


@contextlib.contextmanager
def unseen_categories_as_notes(stream: Any = None, prefix: str = "Note: ") -> Iterator[None]:
    """Inside, the model's warning about text it never saw in training (encoded as no category)
    is printed once as a line starting with ``prefix`` to ``stream`` (default: standard error)
    instead of Python's warning with a file and line of glassnet's source."""
    import warnings

    from glassnet.tabular import UnseenCategoryWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnseenCategoryWarning)
        yield
    told = set()
    for warning in caught:
        if issubclass(warning.category, UnseenCategoryWarning):
            if str(warning.message) not in told:  # once, however many batches met it
                told.add(str(warning.message))
                print(f"{prefix}{warning.message}", file=stream or sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)


def paragraph(text: str) -> str:
    """``text`` wrapped for --help (the raw formatter that keeps the examples does not wrap)."""
    return textwrap.fill(" ".join(text.split()), width=90)


class BadInput(Exception):
    """A problem with what the user asked for (paths, option combinations), found before work."""


def bad_input_types() -> tuple[type[BaseException], ...]:
    """The errors that mean "fix your input", not "glassnet failed"."""
    from glassnet.errors import FolderInUseError, ModelFormatError
    from glassnet.tabular import DataError, MissingExtra
    from glassnet.tabular.sources import ReadOptionError

    return (BadInput, DataError, FolderInUseError, ModelFormatError, MissingExtra, ReadOptionError,
            FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def describe(error: BaseException) -> str:
    """One line: "x.csv: No such file or directory" rather than "[Errno 2] ..." for OS errors."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split())  # never more than one line


def refuses_bad_input(run: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Wrap a command's ``run``: bad input -> ``glassnet <command>: error: ...`` and status 2."""

    @functools.wraps(run)
    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except bad_input_types() as error:
            print(f"glassnet {args.command}: error: {describe(error)}", file=sys.stderr)
            return BAD_INPUT

    return guarded


def check_output_path(path: str, *, option: str, inputs: Sequence[str] = ()) -> None:
    """Refuse, before any work, an output path that cannot be written or would overwrite an input.

    The folder is tried by creating and removing an empty file in it, the one test that
    permissions, read-only mounts and access lists all answer alike.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadInput(f"{option} {path}: the folder {os.path.dirname(path)} does not exist.")
    if os.path.isdir(path):
        raise BadInput(f"{option} {path} is a folder; give a file name.")
    for source in inputs:
        if os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source):
            raise BadInput(f"{option} {path} would overwrite the input file {source}.")
    with writing(path):
        descriptor, probe = tempfile.mkstemp(prefix=".glassnet-probe-", dir=folder)
        os.close(descriptor)
        os.remove(probe)


def cannot_write(path: str, error: OSError) -> BadInput:
    """"cannot write out.csv: No space left on device": the user's path, not a temporary one."""
    return BadInput(f"cannot write {path}: {error.strerror or error}.")


@contextlib.contextmanager
def writing(path: str) -> Iterator[None]:
    """Writing ``path``: an OSError (read-only folder, full disk) becomes bad input naming it."""
    try:
        yield
    except OSError as error:
        raise cannot_write(path, error) from None


# OWASP's advice against formula injection: a spreadsheet runs a cell that starts with one of
# these, so such a cell gets a leading ' (which makes it text); numbers are left as they are.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as text no spreadsheet runs: "=1+2" -> "'=1+2"; "-1.5" stays a number."""
    if cell.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def csv_line(cells: Sequence[str]) -> str:
    """One CSV line, RFC 4180: a cell holding a comma, a quote, \\r or \\n is quoted, quotes
    doubled (csv.writer leaves a \\r unquoted when lines end in \\n, which splits the row)."""
    quoted = [
        '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
        for cell in cells
    ]
    return ",".join(quoted) + "\n"


def not_a_model(path: str, error: Exception) -> BadInput:
    """"x.csv is not a glassnet model file (why)" from gn.load's ModelFormatError."""
    reason = str(error).removeprefix(f"cannot load {path!r}: ").rstrip(".")
    return BadInput(f"{path} is not a glassnet model file ({reason}).")


def load_bundle(path: str) -> Any:  # -> glassnet.io.SavedModel
    from glassnet.errors import ModelFormatError
    from glassnet.io import load_bundle as read

    try:
        return read(path)
    except ModelFormatError as error:
        raise not_a_model(path, error) from None


def load_tabular_model(path: str) -> Any:  # -> glassnet.tabular.TabularModel
    """A model file from `glassnet train`; its table metadata's errors name their field."""
    from glassnet.tabular import TabularModel

    return TabularModel.from_bundle(load_bundle(path), source=path)


def format_number(value: float, digits: int = 4) -> str:
    """A score for people: 0.9667, 123.4560, 23456.7, 1.2e+08; "n/a" for NaN."""
    if value != value:
        return "n/a"
    return f"{value:.{digits}f}" if abs(value) < 10**digits else f"{value:.6g}"


def format_grid(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Columns aligned: the first left-aligned (names), the rest right-aligned (numbers)."""
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for line in table:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def name_list(names: Sequence[str], limit: int = 12) -> str:
    """a, b, c, ... and 4 more."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
