"""Where a CSV file's text comes from: the file, decompressed and decoded, as one stream.

``open_source`` looks at the file once (its name, its first bytes, a zip's member list) and
returns a ``Source``; every reader then opens it again from the start: pandas, and ``_lines``
whenever a message must name a line. ``Source.open()`` streams the text as UTF-8 bytes::

    file -> gunzip / bunzip2 / unxz / unzip -> decode(encoding) -> UTF-8 -> pandas, _lines

so both read the same text, and a line or a character in a message is one of the decoded text.
Every stream is bounded before anything is read: at most ``max_bytes`` decompressed bytes (a
gzip "bomb" stops there, not at its end), no line over ``_lines.MAX_LINE_BYTES``; either is a
``SourceError`` raised from inside the read. A plain UTF-8 file (no compression, the default
encoding) is read by pandas from its path, the fastest way; ``Source.open`` reads it too.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from glassnet.errors import GlassnetError
from glassnet.tabular import _lines
from glassnet.tabular.decoding import DEFAULT_ENCODING, undecodable_message
from glassnet.tabular.table import DataError, quote_list

DEFAULT_MAX_BYTES = 8 * 2**30  # decompressed bytes read from one file, at most
# Unless max_bytes is given, a compressed file may grow this many times its size when
# decompressed (and to SMALL_DECOMPRESSED in any case): CSV text compresses 3 to 20 times, a
# decompression bomb a thousand times, and parsing takes several times the text in memory.
DECOMPRESSION_RATIO = 50
SMALL_DECOMPRESSED = 64 * 2**20
_BUFFER_BYTES = 2**20  # read from the decompressor at a time
_BY_SUFFIX = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
_SUFFIX_OF = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zip": ".zip"}
_MAGIC = [  # the first bytes of each format; bz2's include a block's magic number, so that a
    # text file starting "BZh9" is not taken for one
    ("gzip", re.compile(rb"\x1f\x8b")),
    ("bz2", re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")),
    ("xz", re.compile(rb"\xfd7zXZ\x00")),
    ("zip", re.compile(rb"PK(\x03\x04|\x05\x06|\x07\x08)")),
    ("zstd", re.compile(rb"\x28\xb5\x2f\xfd")),
]
_MAGIC_BYTES = 10
# What a decompressor raises for data that is not what it should be, or ends too soon.
_DAMAGED = (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, gzip.BadGzipFile)


class ReadOptionError(GlassnetError, ValueError):
    """An argument of read_csv that cannot be used: an unknown encoding, a separator pandas
    cannot split on, a limit that is not a positive number of bytes."""


class SourceError(DataError):
    """A file refused while its bytes stream past (too large once decompressed, damaged, a line
    too long, bytes its encoding cannot decode); the message is complete when raised."""


@dataclass(frozen=True)
class Source:
    """A file's text: ``path`` as the user typed it, ``compression`` None or one of "gzip",
    "bz2", "xz", "zip" (then ``member`` is the one file inside), ``encoding`` a codec name as
    ``codecs.lookup`` spells it, ``max_bytes`` the most decompressed bytes read (given by the
    caller when ``max_chosen``), ``size`` the file's bytes."""

    path: str
    compression: str | None
    encoding: str
    max_bytes: int
    member: str | None = None
    size: int = 0
    max_chosen: bool = True

    @property
    def is_plain_utf8(self) -> bool:
        """Whether pandas can read the file's path as it is."""
        return self.compression is None and self.encoding == DEFAULT_ENCODING

    def open(self, *, check_lines: bool = True) -> io.BufferedReader:
        """The text as UTF-8 bytes, from the start; ``.raw.problems`` is what the byte scan
        found (``_lines.ByteProblems``, ``complete`` once the stream was read to its end).
        ``check_lines=False`` skips the scan: for finding the line of a long one."""
        stream = _Stream(self, as_text=True, check_lines=check_lines)
        return io.BufferedReader(stream, buffer_size=_BUFFER_BYTES)

    def open_decompressed(self) -> io.BufferedReader:
        """The decompressed bytes, not decoded: where undecodable bytes are looked for."""
        return io.BufferedReader(_Stream(self, as_text=False), buffer_size=_BUFFER_BYTES)

    def _open_file(self) -> tuple[BinaryIO, list[BinaryIO | zipfile.ZipFile]]:
        """(the decompressed bytes, everything to close when done)."""
        if self.compression is None:
            file: BinaryIO = open(self.path, "rb", buffering=0)
            return file, [file]
        if self.compression == "zip":
            archive = zipfile.ZipFile(self.path)
            try:
                member = archive.open(str(self.member))
            except BaseException:
                archive.close()
                raise
            return member, [member, archive]
        opener = {"gzip": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}
        file = opener[self.compression](self.path, "rb")
        return file, [file]


def open_source(
    path: str, *, encoding: str | None = None, max_bytes: int | None = None
) -> Source:
    """The Source of ``path``: checks the options, then finds the compression from the name
    (.gz .bz2 .xz .zip) or, when the name says nothing, from the first bytes. Raises
    ReadOptionError for an encoding Python does not know or a bad ``max_bytes``; SourceError
    for a name and bytes that disagree, a zip of no file or several, a plain file larger than
    ``max_bytes``; OSError (FileNotFoundError, ...) when the file cannot be opened. Without
    ``max_bytes``: DEFAULT_MAX_BYTES for a plain file, and for a compressed one at most
    DECOMPRESSION_RATIO times its size (SMALL_DECOMPRESSED at least)."""
    codec = check_encoding(encoding)
    chosen = max_bytes is not None
    max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ReadOptionError(
            f"max_bytes must be a positive whole number of bytes; got {max_bytes!r}."
        )
    with open(path, "rb") as file:
        start = file.read(_MAGIC_BYTES)
        size = os.fstat(file.fileno()).st_size
    compression = _compression(path, start)
    member = _only_member(path) if compression == "zip" else None
    if compression is None and size > max_bytes:
        raise SourceError(_too_large(path, max_bytes))
    if compression is not None and not chosen:
        max_bytes = min(max_bytes, max(SMALL_DECOMPRESSED, DECOMPRESSION_RATIO * size))
    return Source(path, compression, codec, max_bytes, member, size, chosen)


def check_encoding(encoding: str | None) -> str:
    """The codec name of ``encoding`` (None: UTF-8, whose byte-order mark is skipped);
    ReadOptionError for a name that is not a text encoding Python knows."""
    if encoding is None:
        return DEFAULT_ENCODING
    if not isinstance(encoding, str):
        raise ReadOptionError(f"encoding must be a codec name such as 'latin-1'; got "
                              f"{type(encoding).__name__} {encoding!r}.")
    try:
        name = codecs.lookup(encoding).name
        b"a".decode(encoding, "ignore")  # refuses codecs of bytes to bytes, such as "base64"
    except LookupError:
        raise ReadOptionError(
            f"{encoding!r} is not the name of a text encoding Python knows; pass one such as "
            "'utf-8', 'latin-1', 'cp1252' or 'utf-16'."
        ) from None
    # UTF-8 with or without a byte-order mark is read alike: the mark is skipped.
    return DEFAULT_ENCODING if name in ("utf-8", "utf-8-sig") else name


def _compression(path: str, start: bytes) -> str | None:
    """The compression the name says, which the first bytes must confirm; the one the first
    bytes show when the name says nothing."""
    found = next((kind for kind, magic in _MAGIC if magic.match(start)), None)
    suffix = os.path.splitext(path)[1].lower()
    named = _BY_SUFFIX.get(suffix)
    if named is not None and found != named:
        raise SourceError(
            f"{path}: its name says {named} ({suffix}), but its bytes do not start as {named} "
            f"data does (they start {start[:8]!r}); rename it if it is not compressed."
        )
    if found == "zstd":
        raise SourceError(f"{path} is compressed with zstd, which glassnet does not read; "
                          "decompress it first, or compress it with gzip, bz2, xz or zip.")
    return found


def _only_member(path: str) -> str:
    """The name of the one file in the zip archive at ``path``; SourceError otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            files = [info.filename for info in archive.infolist() if not info.is_dir()]
            if len(files) == 1:
                archive.open(files[0]).close()  # an encrypted or unknown method fails here
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as error:
        raise SourceError(f"{path}: not a zip archive glassnet can read ({error}).") from None
    if len(files) != 1:
        held = f"holds {len(files)} files ({quote_list(files)})" if files else "holds no file"
        raise SourceError(f"{path} {held}; glassnet reads a zip archive of exactly one CSV "
                          "file. Extract the one you mean and pass it.")
    return files[0]


def _too_large(path: str, max_bytes: int) -> str:
    return (f"{path}: more than max_bytes={max_bytes:,} bytes of data (once decompressed); "
            "glassnet stops there. Pass a larger max_bytes if the file is meant to be this big.")


def _bomb(source: Source) -> str:
    return (f"{source.path} decompresses to more than {DECOMPRESSION_RATIO} times its "
            f"{source.size:,} bytes (over {source.max_bytes:,} bytes), as a decompression bomb "
            "does, and parsing needs several times that in memory; glassnet stops there. If the "
            "file is meant to be so, decompress it first, or pass max_bytes= to read_csv.")


class _Stream(io.RawIOBase):
    """The decompressed bytes of a Source, bounded by ``max_bytes``; with ``as_text``, decoded,
    re-encoded as UTF-8 (unless already UTF-8) and scanned by a ``_lines.ByteScanner`` as they
    pass, so that no reader ever receives a line longer than ``_lines.MAX_LINE_BYTES``."""

    def __init__(self, source: Source, *, as_text: bool, check_lines: bool = True) -> None:
        super().__init__()
        self._source = source
        self._file, self._to_close = source._open_file()
        transcode = as_text and source.encoding != DEFAULT_ENCODING
        self._decoder = codecs.getincrementaldecoder(source.encoding)() if transcode else None
        self._scanner = _lines.ByteScanner() if as_text and check_lines else None
        self._taken = 0  # decompressed bytes read so far
        self._pending = memoryview(b"")  # produced, not yet handed out
        self._ended = False

    @property
    def problems(self) -> _lines.ByteProblems:
        return self._scanner.problems if self._scanner else _lines.ByteProblems()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not len(buffer):
            return 0  # asking for nothing is not the end of the data
        while not self._pending and not self._ended:
            self._pending = memoryview(self._next_chunk(len(buffer)))
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _next_chunk(self, size: int) -> bytes:
        source = self._source
        # Never more than one byte past the limit: a bomb is refused after max_bytes + 1 bytes.
        raw = self._read(min(size, source.max_bytes - self._taken + 1))
        self._taken += len(raw)
        if self._taken > source.max_bytes:
            raise SourceError(_too_large(source.path, source.max_bytes) if source.max_chosen
                              or source.max_bytes == DEFAULT_MAX_BYTES else _bomb(source))
        self._ended = not raw
        data = raw
        if self._decoder is not None:
            try:
                data = self._decoder.decode(raw, final=self._ended).encode("utf-8")
            except UnicodeError:  # UnicodeDecodeError, or UTF-16 without its byte-order mark
                raise SourceError(undecodable_message(source)) from None
        if self._scanner is not None:
            long_line = self._scanner.feed(data) if data else None
            if long_line is not None:
                raise SourceError(
                    f"{source.path}, line {_lines.line_at(source, long_line)}: longer than "
                    f"{self._scanner.limit:,} bytes, the most glassnet reads in one line; is "
                    "it a CSV file?"
                )
            if self._ended:
                self._scanner.finish()
        return data

    def _read(self, size: int) -> bytes:
        if self._source.compression is None:
            return self._file.read(size)
        try:
            return self._file.read(size)
        except (*_DAMAGED, OSError) as error:  # bz2 reports a bad stream as OSError
            raise SourceError(
                f"{self._source.path}: the {self._source.compression} data is damaged or cut "
                f"short ({error}); is the file complete?"
            ) from None

    def close(self) -> None:
        if not self.closed:
            for closable in self._to_close:
                closable.close()
        super().close()
