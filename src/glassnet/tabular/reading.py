"""``read_csv``: a CSV file as a Table, parsed by pandas' C engine, with glassnet's exact errors.

pandas is the optional extra ``tabular`` (``pip install 'glassnet[tabular]'``), imported only
here, when a file is read. Time and memory are linear in the file: one streamed pass over the
bytes (``_lines.check_bytes``), then pandas. pandas reports no line numbers, and pads a row with
too few fields without a word, so glassnet reads the file again with ``_lines.records`` whenever a
message must name a line, or a row may be short (its last cell is empty).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import warnings
from collections import Counter
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from glassnet.errors import GlassnetError
from glassnet.tabular import _lines
from glassnet.tabular.table import DataError, Table, quote_list, show

INSTALL_HINT = "pip install 'glassnet[tabular]'"


class MissingExtra(GlassnetError, ImportError):
    """An optional dependency that is not installed; the message names the extra to install."""


def require_pandas(feature: str = "glassnet.tabular.read_csv") -> ModuleType:
    """The ``pandas`` module, or MissingExtra naming the extra that installs it."""
    try:
        import pandas
    except ImportError as error:
        raise MissingExtra(
            f"{feature} needs pandas, which is not installed: {INSTALL_HINT}"
        ) from error
    return pandas


def _pandas_options(pandas: ModuleType) -> dict[str, Any]:
    """read_csv's arguments: this dialect, no cell read as missing (glassnet decides that, with
    MISSING_MARKERS), no column taken as the index, numbers parsed exactly as float() does."""
    options: dict[str, Any] = {
        "sep": ",", "quotechar": '"', "doublequote": True, "escapechar": None, "comment": None,
        "header": 0, "index_col": False, "engine": "c", "encoding": "utf-8",
        "encoding_errors": "strict", "na_filter": False, "keep_default_na": False,
        "skip_blank_lines": True, "skipinitialspace": False, "thousands": None,
    }
    if int(pandas.__version__.split(".")[0]) < 3:
        # pandas 2's default float parser misrounds the last bit of about a third of 17-digit
        # numbers; pandas 3's default is exact (and deprecates the option).
        options["float_precision"] = "round_trip"
    return options


def read_csv(path: str | os.PathLike[str]) -> Table:
    """The file at ``path`` as a Table: a header row of unique names, then equally long rows.

    UTF-8 text (a byte-order mark is skipped), comma-separated, fields quoted with double
    quotes, lines ended by \\n or \\r\\n. Blank lines are skipped. A line may hold at most
    ``MAX_LINE_BYTES`` (64 MiB) and no NUL byte, both checked before pandas reads anything.
    Raises DataError for an empty file, a file with no data rows, a header with empty or
    repeated names, a row with too few or too many fields, a quote that is never closed, text
    that is not UTF-8; FileNotFoundError / IsADirectoryError / PermissionError when it cannot be
    opened; MissingExtra without pandas.
    """
    pandas = require_pandas()
    name = os.fspath(path)
    raw_header, header = _check_text(name)
    options = _pandas_options(pandas)
    frame = _read_frame(pandas, name, header, options)
    if list(frame.columns) != raw_header:  # pandas and the csv module split the header alike
        raise DataError(f"{name}: pandas reads the header as {quote_list(list(frame.columns))}, "
                        f"not {quote_list(raw_header)}; is it a comma-separated file?")
    if len(frame) == 0:
        raise DataError(f"{name} has a header but no data rows.")
    _refuse_short_rows(name, header, frame)
    return Table(
        name, header, frame,
        read_text=functools.partial(_read_text, pandas, name, options),
        find_records=functools.partial(_find_records, name),
    )


def _check_text(name: str) -> tuple[list[str], list[str]]:
    """The header (as written, stripped) of a file whose bytes pandas can read faithfully:
    DataError for a line too long, a NUL byte, a lone \\r line ending, text that is not UTF-8
    there (pandas 2 cuts a cell at a NUL, and misreads some \\r files)."""
    problems = _lines.check_bytes(name)
    if problems.long_line is not None:
        raise DataError(
            f"{name}, line {problems.long_line}: longer than {_lines.MAX_LINE_BYTES:,} bytes, "
            "the most glassnet reads in one line; is it a CSV file?"
        )
    if problems.has_nul and _lines.undecodable(name) is not None:
        raise _undecodable_error(name)  # NUL bytes mostly mean UTF-16 or a binary file
    raw_header, header = _read_header(name)
    if problems.has_nul:
        raise _nul_error(name, header)
    line = _lines.lone_carriage_return(name) if problems.has_lone_cr else None
    if line is not None:
        raise DataError(
            f"{name}, line {line}: ends with a lone carriage return (\\r, old Mac line "
            "endings), which pandas misreads in some files; save the file with \\n or "
            "\\r\\n line endings."
        )
    return raw_header, header


def _read_header(name: str) -> tuple[list[str], list[str]]:
    """(the names as written, stripped): refuses an empty file and blank or repeated names."""
    try:
        first = _lines.first_record_text(name)
    except _lines.UnterminatedQuote as quote:
        raise _unterminated(name, quote.line) from None
    if first is None:
        raise DataError(f"{name} is empty; expected a header row of column names, then data.")
    line, text = first
    try:
        raw = next(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise DataError(
            f"{name}, line {line}: the header is not readable as CSV ({error})."
        ) from None
    header = [cell.strip() for cell in raw]
    blank = next((position for position, cell in enumerate(header) if not cell), None)
    if blank is not None:
        raise DataError(
            f"{name}, line {line}: the header's field {blank + 1} is empty; every column needs "
            "a name."
        )
    repeated = sorted(cell for cell, count in Counter(header).items() if count > 1)
    if repeated:
        raise DataError(f"{name}, line {line}: the header repeats {quote_list(repeated)}.")
    return raw, header


def _read_frame(pandas: ModuleType, name: str, header: list[str], options: dict) -> Any:
    """pandas.read_csv, its complaints turned into DataErrors that name a line."""
    with warnings.catch_warnings(record=True) as caught:
        # A DtypeWarning (a column that is numbers in one chunk, text in another) is handled:
        # such a column is text, and Table re-reads it as text when it needs it.
        warnings.simplefilter("always")
        try:
            frame = pandas.read_csv(name, **options)
        except UnicodeDecodeError:
            raise _undecodable_error(name) from None
        except pandas.errors.ParserError as error:
            raise _malformed(name, header, detail=str(error).strip()) from None
    if any(issubclass(warning.category, pandas.errors.ParserWarning) for warning in caught):
        # e.g. a first data row with one field too many, which pandas truncates
        detail = next(str(w.message) for w in caught
                      if issubclass(w.category, pandas.errors.ParserWarning))
        raise _malformed(name, header, detail=detail)
    return frame


def _refuse_short_rows(name: str, header: list[str], frame: Any) -> None:
    """pandas fills a row with too few fields with empty cells, so a short row has an empty last
    cell: the file is read again only if some last cell is empty, up to the last such row."""
    if len(header) == 1:
        return  # a row of no fields is a blank line
    last = frame.iloc[:, -1]
    if last.dtype.kind in "iub":
        return
    empty = last.isna().to_numpy(dtype=bool)  # how some pandas versions pad a number column
    if last.dtype.kind != "f":
        empty = empty | (last == "").to_numpy(dtype=bool)
    if empty.any():
        final_row = int(empty.nonzero()[0][-1])
        _refuse_malformed_records(name, header, until_record=final_row + 1)


def _refuse_malformed_records(name: str, header: list[str], until_record: int | None) -> None:
    """DataError for the first record whose field count differs from the header's, or for a
    quote that is never closed; reads up to record ``until_record`` (the header is record 0)."""
    try:
        for index, record in enumerate(_lines.records(name)):
            if record.fields != len(header):
                raise DataError(
                    f"{name}, line {record.line}: {record.fields} fields, but the header has "
                    f"{len(header)} ({quote_list(header)})."
                )
            if until_record is not None and index >= until_record:
                return
    except _lines.UnterminatedQuote as quote:
        raise _unterminated(name, quote.line) from None


def _malformed(name: str, header: list[str], detail: str) -> DataError:
    _refuse_malformed_records(name, header, until_record=None)
    return DataError(f"{name}: not readable as CSV ({' '.join(detail.split())}).")


def _unterminated(name: str, line: int) -> DataError:
    return DataError(
        f"{name}, line {line}: a quoted field opens here and is never closed (the file ends "
        'inside it); close it with ", or write a quote inside a quoted field as "".'
    )


def _undecodable_error(name: str) -> DataError:
    found = _lines.undecodable(name)
    where = f"line {found[0]}, byte {found[1]:,}: {found[2]}" if found else "pandas found it"
    return DataError(f"{name} is not UTF-8 text ({where}); is it a CSV file saved as UTF-8?")


def _nul_error(name: str, header: list[str]) -> DataError:
    line, record, field = _lines.first_nul(name)
    if record == 0:
        where = f"the header's field {field + 1}"
    elif field < len(header):
        where = f"column {show(header[field])}"
    else:
        where = f"field {field + 1}"
    return DataError(f"{name}, line {line}, {where}: holds a NUL byte (\\x00); CSV cells are "
                     "text, which never holds one. Is it a CSV file?")


def _read_text(pandas: ModuleType, name: str, options: dict, position: int) -> list[str]:
    """Column ``position`` as the text written in the file, every cell a str."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pandas.read_csv(name, **options, usecols=[position], dtype=str)
    return frame.iloc[:, 0].tolist()


def _find_records(name: str, rows: Sequence[int]) -> list[_lines.Record]:
    """Where each of ``rows`` (data rows, from 0) is: one pass up to the last of them."""
    wanted = sorted(set(rows))
    found: dict[int, _lines.Record] = {}
    if wanted:
        pending = iter(wanted)
        next_row = next(pending)
        for index, record in enumerate(_lines.records(name)):
            if index - 1 == next_row:  # record 0 is the header
                found[next_row] = record
                next_row = next(pending, -1)
                if next_row < 0:
                    break
    return [found[row] for row in rows]
