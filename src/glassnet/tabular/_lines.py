"""The physical lines of a CSV text: bounds checked as its bytes stream past, and the line each
record starts on, found only when a message must name one.

pandas reports no line numbers, so glassnet reads the text a second time when it must say
"line 7", splitting it into records by the rules of pandas' C tokenizer for this dialect: fields
are separated by one character (``sep``, a comma unless told); a field that starts with a double
quote runs to the closing quote and may hold separators, line breaks and doubled quotes (""); a
quote anywhere else is an ordinary character; lines holding only spaces and tabs (other than
the separator) are skipped. Lines end at \\n, \\r\\n or \\r.

Every function reads a ``TextSource``: something whose ``open()`` gives the text as UTF-8 bytes
(``glassnet.tabular.sources``: the file, decompressed and decoded), so the lines counted here
are the lines of the text pandas read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

MAX_LINE_BYTES = 64 * 2**20  # a line longer than this is refused before pandas reads any of it
_CHUNK_BYTES = 4 * 2**20  # read at a time
_BLANK = " \t"  # what pandas skips as an empty line (C's isblank), unless one is the separator
_LONE_CR = re.compile(rb"\r(?!\n)")


class TextSource(Protocol):
    """Where the text comes from: ``open()`` gives it as UTF-8 bytes, from the start, and
    refuses a line longer than MAX_LINE_BYTES as it streams, unless ``check_lines=False``."""

    def open(self, *, check_lines: bool = True) -> BinaryIO: ...


@dataclass
class Record:
    """One record of the file: the physical line it starts on (from 1), its field count, and
    for each further line it spans (a line break inside a quoted field), how many fields were
    complete where that line starts."""

    line: int
    fields: int
    continued: tuple[int, ...] = ()

    def line_of_field(self, field: int) -> int:
        """The line where field ``field`` (from 0) starts: the line of the separator before it."""
        return self.line + sum(1 for complete in self.continued if complete < field)


class UnterminatedQuote(Exception):
    """The file ends inside a quoted field; ``line`` is where its opening quote is."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass
class ByteProblems:
    """What a ``ByteScanner`` found: whether a NUL byte, whether a carriage return not followed
    by \\n (see ``lone_carriage_return``); ``complete`` once it has seen the end of the text."""

    has_nul: bool = False
    has_lone_cr: bool = False
    complete: bool = False


class ByteScanner:
    """One pass over the bytes, a chunk at a time, as they stream past: ``feed`` returns the
    offset where a line longer than ``limit`` bytes starts (default MAX_LINE_BYTES) as soon as
    the chunk that makes it too long arrives, else None; NUL bytes and lone carriage returns are
    noted in ``problems``. A few C-speed searches per chunk (about 0.1 s for 200 MB)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_LINE_BYTES if limit is None else limit
        self.problems = ByteProblems()
        self._offset = 0  # of the next chunk
        self._line_start = 0  # the offset where the current line began
        self._pending_cr = False  # the previous chunk ended with \r: lone unless \n comes next

    def feed(self, chunk: bytes) -> int | None:
        # Only a chunk's first line is measured, so a chunk is at most ``limit`` bytes: the lines
        # that start and end inside it then fit.
        for start in range(0, len(chunk), self.limit):
            long_line = self._feed(chunk[start:start + self.limit] if len(chunk) > self.limit
                                   else chunk)
            if long_line is not None:
                return long_line
        return None

    def _feed(self, chunk: bytes) -> int | None:
        has_cr = b"\r" in chunk  # searches for \r run only where there is one
        first = _first_break(chunk, has_cr)
        line_end = self._offset + (first if first >= 0 else len(chunk))
        if line_end - self._line_start > self.limit:
            return self._line_start
        if first >= 0:
            last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r") if has_cr else -1)
            self._line_start = self._offset + last + 1
        self._offset += len(chunk)
        found = self.problems
        found.has_nul |= b"\x00" in chunk
        if has_cr:  # a final \r may be half of a \r\n split between chunks
            end = len(chunk) - chunk.endswith(b"\r")
            found.has_lone_cr |= _LONE_CR.search(chunk, 0, end) is not None
        found.has_lone_cr |= self._pending_cr and not chunk.startswith(b"\n")
        self._pending_cr = chunk.endswith(b"\r")
        return None

    def finish(self) -> ByteProblems:
        """The problems, once the text has ended."""
        self.problems.has_lone_cr |= self._pending_cr
        self.problems.complete = True
        return self.problems


def check_bytes(source: TextSource) -> ByteProblems:
    """Stream the whole text once: its ``open()`` refuses a line that is too long (a
    ``ByteScanner`` sees every read); what else the scan found."""
    with source.open() as stream:
        while stream.read(_CHUNK_BYTES):
            pass
        return stream.raw.problems  # type: ignore[attr-defined]


def _first_break(chunk: bytes, has_cr: bool) -> int:
    newline = chunk.find(b"\n")
    if not has_cr:
        return newline
    carriage_return = chunk.find(b"\r")
    return carriage_return if newline < 0 or 0 <= carriage_return < newline else newline


def line_at(source: TextSource, offset: int) -> int:
    """The line (from 1) holding byte ``offset`` of the text: \\r\\n, \\n and \\r each end one
    line."""
    breaks = 0
    previous = b""
    with source.open(check_lines=False) as file:  # the line at offset may be a long one
        while offset > 0:
            chunk = file.read(min(_CHUNK_BYTES, offset))
            if not chunk:
                break
            offset -= len(chunk)
            joined = chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - joined
            previous = chunk[-1:]
    return breaks + 1


def _lines(source: TextSource) -> Iterator[tuple[int, str, str]]:
    """(number, text, line break) for each physical line; undecodable bytes become U+FFFD,
    which leaves the separators, quotes and line breaks where they are."""
    with io.TextIOWrapper(source.open(), encoding="utf-8-sig", errors="replace",
                          newline="") as file:
        for number, line in enumerate(file, start=1):
            text = line.rstrip("\r\n")
            yield number, text, line[len(text):]


class _Tokenizer:
    """pandas' record splitting, one physical line at a time."""

    def __init__(self, sep: str = ",") -> None:
        self.sep = sep
        self.blank = _BLANK.replace(sep, "")
        self.in_record = False
        self.in_quotes = False
        self.at_field_start = True
        self.complete_fields = 0  # fields completed in the current record
        self.start_line = 0
        self.quote_line = 0
        self.continued: list[int] = []  # self.complete_fields at the start of each further line

    def feed(self, text: str, line: int) -> Record | None:
        """Advance over one line; the record it completes, if it completes one."""
        if not self.in_record:
            if not text.strip(self.blank):
                return None
            self.in_record, self.at_field_start = True, True
            self.complete_fields, self.start_line, self.continued = 0, line, []
        elif line > self.start_line:
            self.continued.append(self.complete_fields)
        self.advance(text, line)
        if self.in_quotes:  # the line break belongs to a quoted field
            return None
        self.in_record = False
        return Record(self.start_line, self.complete_fields + 1, tuple(self.continued))

    def advance(self, text: str, line: int) -> None:
        """Move over ``text``, counting the separators outside quotes: one find per quote, and
        one count for the stretch between two quotes."""
        position, end, sep = 0, len(text), self.sep
        while position < end:
            if self.in_quotes:
                close = text.find('"', position)
                if close < 0:
                    return
                if text.startswith('"', close + 1):  # "" is one quote inside the field
                    position = close + 2
                    continue
                self.in_quotes, self.at_field_start = False, False
                position = close + 1
                continue
            quote = text.find('"', position)
            stop = end if quote < 0 else quote
            self.complete_fields += text.count(sep, position, stop)
            if stop > position:  # after unquoted text, a field starts only right after a sep
                self.at_field_start = text[stop - 1] == sep
            if quote < 0:
                return
            if self.at_field_start:  # a quote that opens a field
                self.in_quotes, self.quote_line = True, line
            self.at_field_start = False  # otherwise an ordinary character inside the field
            position = quote + 1


def count_fields(text: str, sep: str) -> int:
    """How many fields one line splits into on ``sep``, quotes respected."""
    tokenizer = _Tokenizer(sep)
    tokenizer.advance(text, 1)
    return tokenizer.complete_fields + 1


def records(source: TextSource, sep: str = ",") -> Iterator[Record]:
    """The records (the header first) as pandas splits them; UnterminatedQuote if the text
    ends inside a quoted field."""
    tokenizer = _Tokenizer(sep)
    for number, text, _ in _lines(source):
        record = tokenizer.feed(text, number)
        if record is not None:
            yield record
    if tokenizer.in_quotes:
        raise UnterminatedQuote(tokenizer.quote_line)


def lone_carriage_return(source: TextSource, sep: str = ",") -> int | None:
    """The first line ended by a lone \\r (old Mac line endings) outside a quoted field, or
    None.

    pandas' C tokenizer misreads some such files: after a blank line ended by a lone \\r it
    drops a following separator (pandas 3), or invents rows (pandas 2).
    """
    tokenizer = _Tokenizer(sep)
    for number, text, line_break in _lines(source):
        tokenizer.feed(text, number)
        if line_break == "\r" and not tokenizer.in_quotes:
            return number
    return None


def first_line(source: TextSource) -> tuple[int, str] | None:
    """(line, text) of the first line holding more than spaces and tabs; None if none does."""
    for number, text, _ in _lines(source):
        if text.strip(_BLANK):
            return number, text
    return None


def first_record_text(source: TextSource, sep: str = ",") -> tuple[int, str] | None:
    """(line, text) of the first record, the header, line breaks inside quotes kept; None for a
    text of blank lines."""
    tokenizer = _Tokenizer(sep)
    parts: list[str] = []
    for number, text, line_break in _lines(source):
        record = tokenizer.feed(text, number)
        if tokenizer.in_record or record is not None:
            parts.append(text + line_break)
        if record is not None:
            return record.line, "".join(parts)
    if tokenizer.in_quotes:
        raise UnterminatedQuote(tokenizer.quote_line)
    return None


def first_nul(source: TextSource, sep: str = ",") -> tuple[int, int, int]:
    """(line, record index, field index) of the first NUL character, all from the start
    (record 0 is the header, field 0 the first); ValueError if there is none."""
    tokenizer = _Tokenizer(sep)
    record_index = 0
    for number, text, _ in _lines(source):
        column = text.find("\x00")
        if column >= 0:
            if not tokenizer.in_record:
                tokenizer.in_record, tokenizer.at_field_start = True, True
                tokenizer.complete_fields = 0
            tokenizer.advance(text[:column], number)
            return number, record_index, tokenizer.complete_fields
        if tokenizer.feed(text, number) is not None:
            record_index += 1
    raise ValueError("the text holds no NUL character")
