"""``read_csv``: a CSV file as a Table, parsed by pandas' C engine, with glassnet's exact errors.

pandas is the optional extra ``tabular`` (``pip install 'glassnet[tabular]'``), imported only
here, when a file is read. The file's text comes from a ``Source`` (``tabular.sources``):
decompressed, decoded and re-encoded as UTF-8 as it streams, so pandas and ``_lines`` read the
same text. Time and memory are linear in the file. A plain UTF-8 file is scanned once
(``_lines.check_bytes``), then pandas reads its path; any other is scanned as pandas reads it.
pandas reports no line numbers, and pads a row with too few fields without a word, so glassnet
reads the text again with ``_lines.records`` whenever a message must name a line, or a row may
be short (its last cell is empty).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from glassnet.errors import GlassnetError
from glassnet.tabular import _lines, dialect
from glassnet.tabular.decoding import DEFAULT_ENCODING, find_undecodable, undecodable_message
from glassnet.tabular.sources import Source, SourceError, open_source
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


def _pandas_options(pandas: ModuleType, sep: str) -> dict[str, Any]:
    """read_csv's arguments: this dialect, no cell read as missing (glassnet decides that, with
    MISSING_MARKERS), no column taken as the index, numbers parsed exactly as float() does."""
    options: dict[str, Any] = {
        "sep": sep, "quotechar": '"', "doublequote": True, "escapechar": None, "comment": None,
        "header": 0, "index_col": False, "engine": "c", "encoding": "utf-8",
        "encoding_errors": "strict", "na_filter": False, "keep_default_na": False,
        "skip_blank_lines": True, "skipinitialspace": False, "thousands": None,
    }
    if int(pandas.__version__.split(".")[0]) < 3:
        # pandas 2's default float parser misrounds the last bit of about a third of 17-digit
        # numbers; pandas 3's default is exact (and deprecates the option).
        options["float_precision"] = "round_trip"
    return options


def read_csv(
    path: str | os.PathLike[str],
    *,
    sep: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """The file at ``path`` as a Table: a header row of unique names, then equally long rows.

    Parameters
    ----------
    path : a CSV file, or one compressed with gzip, bz2 or xz, or a zip archive of one file:
        found from the name (.gz .bz2 .xz .zip) or, when it says nothing, the first bytes.
    sep : the one ASCII character between fields. None: commas, unless the header splits into
        one field on commas and into several on exactly one of ; tab | (then that one, said in
        ``Table.notes``).
    encoding : a Python codec name ("latin-1", "cp1252", "utf-16", ...). None: UTF-8, whose
        byte-order mark is skipped.
    max_bytes : the most bytes read once decompressed, checked as they stream. None: 8 GiB
        for a plain file, and for a compressed one at most 50 times its size (64 MiB at
        least): more is what a decompression bomb gives.

    Fields are quoted with double quotes, lines end with \\n or \\r\\n; blank lines are
    skipped. A line may hold at most ``_lines.MAX_LINE_BYTES`` (64 MiB), checked before pandas
    is given any of it, and no NUL character. A header whose every name is a number gets
    a note in ``Table.notes`` (it may be data). Raises DataError for an empty file, a file with
    no data rows, a header with empty or repeated names, a row with too few or too many
    fields, a quote that is never closed, text the encoding cannot decode (with its line and
    character, and an encoding to try), a file over ``max_bytes``, damaged compressed data, a
    zip of several files; ReadOptionError for an unknown encoding or an unusable ``sep``;
    FileNotFoundError / IsADirectoryError / PermissionError when it cannot be opened;
    MissingExtra without pandas.
    """
    pandas = require_pandas()
    dialect.check_separator(sep)
    source = open_source(os.fspath(path), encoding=encoding, max_bytes=max_bytes)
    # A plain file is scanned before pandas reads its path; any other as pandas reads it.
    scanned = _lines.check_bytes(source) if source.is_plain_utf8 else None
    reader = _Reader(pandas, source, scanned)
    try:
        separator, notes = dialect.choose_separator(source, sep)
        reader.sep = separator
        raw_header, header = reader.read_header()
    except SourceError:
        raise
    except DataError:  # bytes that are wrong are named for themselves, not for the header
        reader.refuse_bad_bytes(header=None)
        raise
    if scanned is not None:
        reader.refuse_bad_bytes(header)
    frame = reader.read_frame(header)
    if list(frame.columns) != raw_header:  # pandas and the csv module split the header alike
        raise DataError(f"{source.path}: pandas reads the header as "
                        f"{quote_list(list(frame.columns))}, not {quote_list(raw_header)}; "
                        f"is it separated by {dialect.describe(separator)}?")
    if len(frame) == 0:
        raise DataError(f"{source.path} has a header but no data rows.")
    reader.refuse_short_rows(header, frame)
    note = dialect.header_note(source.path, header)
    return Table(source.path, header, frame, read_text=reader.read_text,
                 find_records=reader.find_records, notes=[*notes, *([note] if note else [])])


class _Reader:
    """One file's reading: its source, separator and pandas options, and the checks that name
    a line when pandas fails or may have read something wrong. ``scanned`` is what the byte
    scan of a plain file found before pandas read it (None when the scan happens during);
    ``sep`` is a comma until the separator is chosen."""

    def __init__(self, pandas: ModuleType, source: Source,
                 scanned: _lines.ByteProblems | None) -> None:
        self.pandas = pandas
        self.source = source
        self.name = source.path
        self.scanned = scanned
        self.sep = ","

    @property
    def options(self) -> dict[str, Any]:
        return _pandas_options(self.pandas, self.sep)

    def read_header(self) -> tuple[list[str], list[str]]:
        """(the names as written, stripped): refuses an empty file and blank or repeated names."""
        try:
            first = _lines.first_record_text(self.source, self.sep)
        except _lines.UnterminatedQuote as quote:
            raise self.unterminated(quote.line) from None
        if first is None:
            raise DataError(
                f"{self.name} is empty; expected a header row of column names, then data."
            )
        line, text = first
        try:
            raw = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.sep))
        except csv.Error as error:
            raise DataError(
                f"{self.name}, line {line}: the header is not readable as CSV ({error})."
            ) from None
        header = [cell.strip() for cell in raw]
        blank = next((position for position, cell in enumerate(header) if not cell), None)
        if blank is not None:
            raise DataError(
                f"{self.name}, line {line}: the header's field {blank + 1} is empty; every "
                "column needs a name."
            )
        repeated = sorted(cell for cell, count in Counter(header).items() if count > 1)
        if repeated:
            raise DataError(f"{self.name}, line {line}: the header repeats "
                            f"{quote_list(repeated)}.")
        return raw, header

    def refuse_bad_bytes(self, header: list[str] | None,
                         problems: _lines.ByteProblems | None = None) -> None:
        """DataError for bytes pandas cannot read faithfully: a NUL byte (text the encoding
        cannot decode, if there is some: NUL bytes mostly mean UTF-16 or a binary file), a lone
        \\r line ending (pandas 2 cuts a cell at a NUL, and misreads some \\r files)."""
        found = problems or self.scanned or _lines.check_bytes(self.source)
        if found.has_nul:
            if self.source.encoding == DEFAULT_ENCODING and find_undecodable(self.source):
                raise DataError(undecodable_message(self.source))
            raise self.nul_error(header)
        line = _lines.lone_carriage_return(self.source, self.sep) if found.has_lone_cr else None
        if line is not None:
            raise DataError(
                f"{self.name}, line {line}: ends with a lone carriage return (\\r, old Mac line "
                "endings), which pandas misreads in some files; save the file with \\n or "
                "\\r\\n line endings."
            )

    @contextlib.contextmanager
    def _opened(self) -> Iterator[Any]:
        """What pandas reads: the path of a plain file, else the Source's UTF-8 stream."""
        if self.source.is_plain_utf8:
            yield self.source.path
            return
        with self.source.open() as stream:
            yield stream

    def read_frame(self, header: list[str]) -> Any:
        """pandas.read_csv, its complaints turned into DataErrors that name a line."""
        pandas = self.pandas
        with warnings.catch_warnings(record=True) as caught, self._opened() as data:
            # A DtypeWarning (a column that is numbers in one chunk, text in another) is
            # handled: such a column is text, and Table re-reads it as text when it needs it.
            warnings.simplefilter("always")
            try:
                frame = pandas.read_csv(data, **self.options)
            except UnicodeDecodeError:
                self.refuse_bad_bytes(header)
                raise DataError(undecodable_message(self.source)) from None
            except pandas.errors.ParserError as error:
                self.refuse_bad_bytes(header)
                raise self.malformed(header, detail=str(error).strip()) from None
            problems = None if isinstance(data, str) else data.raw.problems
        if problems is not None:  # the scan ran as pandas read: its findings come now
            self.refuse_bad_bytes(header, problems if problems.complete else None)
        if any(issubclass(warning.category, pandas.errors.ParserWarning) for warning in caught):
            # e.g. a first data row with one field too many, which pandas truncates
            detail = next(str(w.message) for w in caught
                          if issubclass(w.category, pandas.errors.ParserWarning))
            raise self.malformed(header, detail=detail)
        return frame

    def refuse_short_rows(self, header: list[str], frame: Any) -> None:
        """pandas fills a row with too few fields with empty cells, so a short row has an empty
        last cell: the file is read again only if some last cell is empty, up to the last such
        row."""
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
            self.refuse_malformed_records(header, until_record=final_row + 1)

    def refuse_malformed_records(self, header: list[str], until_record: int | None) -> None:
        """DataError for the first record whose field count differs from the header's, or for
        a quote that is never closed; reads up to record ``until_record`` (the header is 0)."""
        try:
            for index, record in enumerate(_lines.records(self.source, self.sep)):
                if record.fields != len(header):
                    raise DataError(
                        f"{self.name}, line {record.line}: {record.fields} fields, but the "
                        f"header has {len(header)} ({quote_list(header)})."
                    )
                if until_record is not None and index >= until_record:
                    return
        except _lines.UnterminatedQuote as quote:
            raise self.unterminated(quote.line) from None

    def malformed(self, header: list[str], detail: str) -> DataError:
        self.refuse_malformed_records(header, until_record=None)
        return DataError(f"{self.name}: not readable as CSV ({' '.join(detail.split())}).")

    def unterminated(self, line: int) -> DataError:
        return DataError(
            f"{self.name}, line {line}: a quoted field opens here and is never closed (the file "
            'ends inside it); close it with ", or write a quote inside a quoted field as "".'
        )

    def nul_error(self, header: list[str] | None) -> DataError:
        line, record, field = _lines.first_nul(self.source, self.sep)
        if record == 0:
            where = f"the header's field {field + 1}"
        elif header is not None and field < len(header):
            where = f"column {show(header[field])}"
        else:
            where = f"field {field + 1}"
        return DataError(f"{self.name}, line {line}, {where}: holds a NUL byte (\\x00); CSV "
                         "cells are text, which never holds one. Is it a CSV file?")

    def read_text(self, position: int) -> list[str]:
        """Column ``position`` as the text written in the file, every cell a str."""
        with warnings.catch_warnings(), self._opened() as data:
            warnings.simplefilter("ignore")
            frame = self.pandas.read_csv(data, **self.options, usecols=[position], dtype=str)
        return frame.iloc[:, 0].tolist()

    def find_records(self, rows: Sequence[int]) -> list[_lines.Record]:
        """Where each of ``rows`` (data rows, from 0) is: one pass up to the last of them."""
        wanted = sorted(set(rows))
        found: dict[int, _lines.Record] = {}
        if wanted:
            pending = iter(wanted)
            next_row = next(pending)
            for index, record in enumerate(_lines.records(self.source, self.sep)):
                if index - 1 == next_row:  # record 0 is the header
                    found[next_row] = record
                    next_row = next(pending, -1)
                    if next_row < 0:
                        break
        return [found[row] for row in rows]
