"""What the table commands (train, evaluate, predict, info) share: turning bad input into one line
on stderr with exit status 2, checking output paths before any work, and printing small tables.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

BAD_INPUT = 2  # argparse's status for a usage error; bad data is the same kind of mistake

EPILOG_FORMAT = argparse.RawDescriptionHelpFormatter  # keeps the examples' line breaks


def paragraph(text: str) -> str:
    """``text`` wrapped for --help (the raw formatter that keeps the examples does not wrap)."""
    return textwrap.fill(" ".join(text.split()), width=90)


class BadInput(Exception):
    """A problem with what the user asked for (paths, option combinations), found before work."""


def bad_input_types() -> tuple[type[BaseException], ...]:
    """The errors that mean "fix your input", not "glassnet failed"."""
    from glassnet.errors import ModelFormatError
    from glassnet.tabular import DataError

    return (BadInput, DataError, ModelFormatError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError)


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
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadInput(f"{option} {path}: the folder {os.path.dirname(path)} does not exist.")
    if os.path.isdir(path):
        raise BadInput(f"{option} {path} is a folder; give a file name.")
    for source in inputs:
        if os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source):
            raise BadInput(f"{option} {path} would overwrite the input file {source}.")


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
    from glassnet.errors import ModelFormatError
    from glassnet.tabular import TabularModel

    try:
        return TabularModel.load(path)
    except ModelFormatError as error:
        raise not_a_model(path, error) from None


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
