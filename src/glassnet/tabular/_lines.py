"""The physical lines of a CSV file: bounds checked before pandas reads it, and the line each
record starts on, found only when a message must name one.

pandas reports no line numbers, so glassnet reads the file a second time when it must say
"line 7", splitting it into records by the rules of pandas' C tokenizer for this dialect: fields
are separated by commas; a field that starts with a double quote runs to the closing quote and
may hold commas, line breaks and doubled quotes (""); a quote anywhere else is an ordinary
character; lines holding only spaces and tabs are skipped. Lines end at \\n, \\r\\n or \\r.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_LINE_BYTES = 64 * 2**20  # a line longer than this is refused before pandas reads any of it
_CHUNK_BYTES = 4 * 2**20  # read at a time; at most MAX_LINE_BYTES, so a chunk's inner lines fit
_BLANK = " \t"  # what pandas skips as an empty line (C's isblank)
_LONE_CR = re.compile(rb"\r(?!\n)")


@dataclass
class Record:
    """One record of the file: the physical line it starts on (from 1), its field count, and
    for each further line it spans (a line break inside a quoted field), how many fields were
    complete where that line starts."""

    line: int
    fields: int
    continued: tuple[int, ...] = ()

    def line_of_field(self, field: int) -> int:
        """The line where field ``field`` (from 0) starts: the line of the comma before it."""
        return self.line + sum(1 for complete in self.continued if complete < field)


class UnterminatedQuote(Exception):
    """The file ends inside a quoted field; ``line`` is where its opening quote is."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@dataclass
class ByteProblems:
    """What ``check_bytes`` found: the first line longer than the limit, whether a NUL byte,
    whether a carriage return not followed by \\n (see ``lone_carriage_return``)."""

    long_line: int | None = None
    has_nul: bool = False
    has_lone_cr: bool = False


def check_bytes(path: str, limit: int | None = None) -> ByteProblems:
    """One streamed pass over the raw bytes, which stops at the first line longer than
    ``limit`` bytes (default MAX_LINE_BYTES), before anything reads that line. Memory: one
    chunk; a few C-speed searches per chunk (about 0.1 s for 200 MB)."""
    limit = MAX_LINE_BYTES if limit is None else limit
    chunk_size = min(_CHUNK_BYTES, limit)  # lines that start and end inside a chunk then fit
    found = ByteProblems()
    offset = 0
    line_start = 0  # the file offset where the current line began
    pending_cr = False  # the previous chunk ended with \r: lone unless this one starts with \n
    with open(path, "rb") as file:
        while chunk := file.read(chunk_size):
            has_cr = b"\r" in chunk  # searches for \r run only where there is one
            first = _first_break(chunk, has_cr)
            line_end = offset + (first if first >= 0 else len(chunk))
            if line_end - line_start > limit:
                found.long_line = _line_at(path, line_start)
                return found
            if first >= 0:
                last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r") if has_cr else -1)
                line_start = offset + last + 1
            offset += len(chunk)
            found.has_nul |= b"\x00" in chunk
            if has_cr:  # a final \r may be half of a \r\n split between chunks
                end = len(chunk) - chunk.endswith(b"\r")
                found.has_lone_cr |= _LONE_CR.search(chunk, 0, end) is not None
            found.has_lone_cr |= pending_cr and not chunk.startswith(b"\n")
            pending_cr = chunk.endswith(b"\r")
    found.has_lone_cr |= pending_cr
    return found


def _first_break(chunk: bytes, has_cr: bool) -> int:
    newline = chunk.find(b"\n")
    if not has_cr:
        return newline
    carriage_return = chunk.find(b"\r")
    return carriage_return if newline < 0 or 0 <= carriage_return < newline else newline


def _line_at(path: str, offset: int) -> int:
    """The line (from 1) holding byte ``offset``: \\r\\n, \\n and \\r each end one line."""
    breaks = 0
    previous = b""
    with open(path, "rb") as file:
        while offset > 0:
            chunk = file.read(min(_CHUNK_BYTES, offset))
            offset -= len(chunk)
            joined = chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - joined
            previous = chunk[-1:]
    return breaks + 1


def _lines(path: str) -> Iterator[tuple[int, str, str]]:
    """(number, text, line break) for each physical line; undecodable bytes become U+FFFD,
    which leaves the commas, quotes and line breaks where they are."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as file:
        for number, line in enumerate(file, start=1):
            text = line.rstrip("\r\n")
            yield number, text, line[len(text):]


class _Tokenizer:
    """pandas' record splitting, one physical line at a time."""

    def __init__(self) -> None:
        self.in_record = False
        self.in_quotes = False
        self.at_field_start = True
        self.commas = 0  # fields completed in the current record
        self.start_line = 0
        self.quote_line = 0
        self.continued: list[int] = []  # self.commas at the start of each further line

    def feed(self, text: str, line: int) -> Record | None:
        """Advance over one line; the record it completes, if it completes one."""
        if not self.in_record:
            if not text.strip(_BLANK):
                return None
            self.in_record, self.at_field_start = True, True
            self.commas, self.start_line, self.continued = 0, line, []
        elif line > self.start_line:
            self.continued.append(self.commas)
        self.advance(text, line)
        if self.in_quotes:  # the line break belongs to a quoted field
            return None
        self.in_record = False
        return Record(self.start_line, self.commas + 1, tuple(self.continued))

    def advance(self, text: str, line: int) -> None:
        """Move over ``text``, counting the commas outside quotes: one find per quote, and one
        count for the stretch between two quotes."""
        position, end = 0, len(text)
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
            self.commas += text.count(",", position, stop)
            if stop > position:  # after unquoted text, a field starts only right after a comma
                self.at_field_start = text[stop - 1] == ","
            if quote < 0:
                return
            if self.at_field_start:  # a quote that opens a field
                self.in_quotes, self.quote_line = True, line
            self.at_field_start = False  # otherwise an ordinary character inside the field
            position = quote + 1


def records(path: str) -> Iterator[Record]:
    """The file's records (the header first) as pandas splits them; UnterminatedQuote if the
    file ends inside a quoted field."""
    tokenizer = _Tokenizer()
    for number, text, _ in _lines(path):
        record = tokenizer.feed(text, number)
        if record is not None:
            yield record
    if tokenizer.in_quotes:
        raise UnterminatedQuote(tokenizer.quote_line)


def lone_carriage_return(path: str) -> int | None:
    """The first line ended by a lone \\r (old Mac line endings) outside a quoted field, or
    None.

    pandas' C tokenizer misreads some such files: after a blank line ended by a lone \\r it
    drops a following comma (pandas 3), or invents rows (pandas 2).
    """
    tokenizer = _Tokenizer()
    for number, text, line_break in _lines(path):
        tokenizer.feed(text, number)
        if line_break == "\r" and not tokenizer.in_quotes:
            return number
    return None


def first_record_text(path: str) -> tuple[int, str] | None:
    """(line, text) of the first record, the header, line breaks inside quotes kept; None for a
    file of blank lines."""
    tokenizer = _Tokenizer()
    parts: list[str] = []
    for number, text, line_break in _lines(path):
        record = tokenizer.feed(text, number)
        if tokenizer.in_record or record is not None:
            parts.append(text + line_break)
        if record is not None:
            return record.line, "".join(parts)
    if tokenizer.in_quotes:
        raise UnterminatedQuote(tokenizer.quote_line)
    return None


def first_nul(path: str) -> tuple[int, int, int]:
    """(line, record index, field index) of the first NUL character, all from the file's start
    (record 0 is the header, field 0 the first); ValueError if there is none."""
    tokenizer = _Tokenizer()
    record_index = 0
    for number, text, _ in _lines(path):
        column = text.find("\x00")
        if column >= 0:
            if not tokenizer.in_record:
                tokenizer.in_record, tokenizer.at_field_start = True, True
                tokenizer.commas = 0
            tokenizer.advance(text[:column], number)
            return number, record_index, tokenizer.commas
        if tokenizer.feed(text, number) is not None:
            record_index += 1
    raise ValueError(f"{path} holds no NUL character")


def undecodable(path: str) -> tuple[int, int, str] | None:
    """(line, byte offset in the file, reason) of the first bytes that are not UTF-8, or None.
    """
    offset, line = 0, 1
    with open(path, "rb") as file:
        for raw in file:  # split at \n, which no UTF-8 sequence contains
            start = len(codecs.BOM_UTF8) if offset == 0 and raw.startswith(codecs.BOM_UTF8) else 0
            try:
                raw[start:].decode("utf-8")
            except UnicodeDecodeError as error:
                before = raw[: start + error.start]
                line += before.count(b"\r") - before.count(b"\r\n")
                return line, offset + start + error.start, error.reason
            line += raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
            offset += len(raw)
    return None
