"""Bytes a file's encoding cannot decode: where they are (line and character of the decoded
text, byte of the data) and which encoding they may be in instead.

Only called once a decoder has failed, so it may take a second pass over the data.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import BinaryIO, Protocol

DEFAULT_ENCODING = "utf-8"  # a byte-order mark at the start is skipped
_CHUNK_BYTES = 2**16  # decoded at a time while searching
_BYTE_ORDER_MARKS = [  # UTF-32's first: its little-endian mark starts like UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
_LIKELY_SINGLE_BYTE = "cp1252"  # what files that are not UTF-8 are most often saved as


class DecompressedSource(Protocol):
    path: str
    encoding: str

    def open_decompressed(self) -> BinaryIO: ...


@dataclass
class Undecodable:
    """Bytes ``found`` at ``offset`` of the data that do not decode (``reason``), on ``line``
    (from 1) as character ``character`` (from 1) of the decoded text."""

    line: int
    character: int
    offset: int
    found: bytes
    reason: str


def find_undecodable(source: DecompressedSource) -> Undecodable | None:
    """The first bytes of ``source`` its encoding cannot decode, or None.

    The text is decoded a chunk at a time; the chunk that fails is decoded again one byte at a
    time from the decoder's state before it, which finds the failing bytes for any codec (a
    multi-byte one keeps part of a character between calls). Lines end at \\n, \\r\\n or
    \\r, as ``_lines`` counts them.
    """
    # The UTF-8 mark is skipped as _lines skips it, so characters are counted alike.
    codec = "utf-8-sig" if source.encoding == DEFAULT_ENCODING else source.encoding
    decoder = codecs.getincrementaldecoder(codec)()
    position = _Position()
    offset = 0  # of the chunk in the data
    with source.open_decompressed() as data:
        while True:
            chunk = data.read(_CHUNK_BYTES)
            state = decoder.getstate()
            try:
                position.advance(decoder.decode(chunk, final=not chunk))
            except UnicodeError:  # a UnicodeDecodeError, or UTF-16 without its byte-order mark
                decoder.setstate(state)
                return _locate_in_chunk(decoder, chunk, offset, position)
            if not chunk:
                return None
            offset += len(chunk)


def _locate_in_chunk(decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int,
                     position: _Position) -> Undecodable:
    for index in range(len(chunk) + 1):
        try:
            if index < len(chunk):
                position.advance(decoder.decode(chunk[index:index + 1]))
            else:
                position.advance(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            # error.object is the bytes the decoder held, then this byte (or none, at the end).
            end = offset + min(index + 1, len(chunk))
            start = end - len(error.object) + error.start
            found = error.object[error.start:error.end]
            return Undecodable(position.line, position.column + 1, start, found, error.reason)
        except UnicodeError as error:  # names no bytes
            return Undecodable(position.line, position.column + 1, offset + index, b"",
                               str(error))
    raise AssertionError("a chunk that failed to decode as a whole decoded byte by byte")


class _Position:
    """The line (from 1) and column (characters since the line began) after some text."""

    def __init__(self) -> None:
        self.line, self.column, self.after_cr = 1, 0, False

    def advance(self, text: str) -> None:
        if not text:
            return
        joined = text.count("\r\n") + (self.after_cr and text.startswith("\n"))
        self.line += text.count("\n") + text.count("\r") - joined
        last_break = max(text.rfind("\n"), text.rfind("\r"))
        self.column = len(text) - last_break - 1 if last_break >= 0 else self.column + len(text)
        self.after_cr = text.endswith("\r")


def undecodable_message(source: DecompressedSource) -> str:
    """Where the bytes ``source``'s encoding cannot decode are, and what to try instead."""
    found = find_undecodable(source)
    label = "UTF-8" if source.encoding == DEFAULT_ENCODING else source.encoding
    if found is None:  # pandas failed where Python's decoder does not
        return f"{source.path} is not {label} text (pandas could not decode it)."
    return (
        f"{source.path} is not {label} text (line {found.line}, byte {found.offset:,}: "
        f"{found.reason}{f' {found.found!r}' if found.found else ''} at character "
        f"{found.character} of the line); "
        f"{_hint(source, found)}"
    )


def _hint(source: DecompressedSource, found: Undecodable) -> str:
    if source.encoding != DEFAULT_ENCODING:
        return (f"is {source.encoding} the file's encoding? Pass the right one as encoding= "
                "(--encoding on the command line).")
    with source.open_decompressed() as data:
        start = data.read(4)
    marked = next((name for mark, name in _BYTE_ORDER_MARKS if start.startswith(mark)), None)
    if marked is not None:
        return (f"it starts with a {marked.upper()} byte-order mark: pass encoding='{marked}' "
                f"(--encoding {marked} on the command line).")
    try:
        as_single_byte = found.found.decode(_LIKELY_SINGLE_BYTE)
    except UnicodeDecodeError:
        return ("pass the file's encoding as encoding= (--encoding on the command line), "
                "e.g. 'latin-1' or 'utf-16'.")
    return (f"in {_LIKELY_SINGLE_BYTE} (Windows Western) these bytes read {as_single_byte!r}: "
            f"if the file is saved so, pass encoding='{_LIKELY_SINGLE_BYTE}' or 'latin-1' "
            f"(--encoding {_LIKELY_SINGLE_BYTE} on the command line).")
