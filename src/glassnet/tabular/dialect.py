"""The separator between fields, chosen or found from the header, and a header that looks like
data: what read_csv decides about a file before pandas reads it, said in a note the caller can
print (``Table.notes``).
"""

from __future__ import annotations

import math

from glassnet.tabular import _lines
from glassnet.tabular.sources import ReadOptionError, Source
from glassnet.tabular.table import DataError

CANDIDATES = (",", ";", "\t", "|")  # the separators found without being told, commas first
_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}
_FORBIDDEN = {'"': "the quote character", "\n": "a line break", "\r": "a line break",
              "\x00": "a NUL character"}
_SHOWN_HEADER_CELLS = 3


def describe(sep: str) -> str:
    """'semicolons', 'tabs', "'|'": a separator in words, for messages."""
    return _NAMES.get(sep, repr(sep))


def check_separator(sep: str | None) -> None:
    """ReadOptionError unless ``sep`` is None or one ASCII character pandas' C engine can split
    on (not the quote, a line break or NUL)."""
    if sep is None:
        return
    if not isinstance(sep, str) or len(sep) != 1 or not sep.isascii():
        raise ReadOptionError(
            f"sep must be one ASCII character, such as ',', ';', '\\t' or '|'; got {sep!r}."
        )
    if sep in _FORBIDDEN:
        raise ReadOptionError(f"sep cannot be {_FORBIDDEN[sep]} ({sep!r}); CSV needs it for "
                              "something else.")


def choose_separator(source: Source, sep: str | None) -> tuple[str, list[str]]:
    """(the separator, notes for the caller). ``sep`` if given; otherwise found from the first
    line that is not blank: commas when it splits into several fields on commas or into one on
    every candidate; else the one candidate (; tab |) that splits it, with a note saying so.
    A header that splits on several candidates but not on commas is a DataError naming
    them: only the caller knows which is meant."""
    if sep is not None:
        return sep, []
    first = _lines.first_line(source)
    if first is None:
        return ",", []  # an empty file, refused when its header is read
    line, text = first
    fields = {candidate: _lines.count_fields(text, candidate) for candidate in CANDIDATES}
    splitting = [candidate for candidate in CANDIDATES[1:] if fields[candidate] > 1]
    if fields[","] > 1 or not splitting:
        return ",", []
    if len(splitting) > 1:
        found = " and ".join(f"{describe(c)} ({fields[c]} fields)" for c in splitting)
        raise DataError(
            f"{source.path}, line {line}: the header splits on {found}, not on commas; pass "
            "sep= (--sep on the command line) with the file's separator."
        )
    chosen = splitting[0]
    return chosen, [
        f"{source.path}: read as separated by {describe(chosen)}, which split its header into "
        f"{fields[chosen]} fields where commas split none; pass sep= (--sep on the command "
        "line) to choose another."
    ]


def header_note(path: str, header: list[str]) -> str | None:
    """A note when every name in the header is a finite number: the file may have no header,
    and its first row of data would then be read as column names."""
    for name in header:
        try:
            value = float(name)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
    shown = ", ".join(header[:_SHOWN_HEADER_CELLS])
    more = ", ..." if len(header) > _SHOWN_HEADER_CELLS else ""
    return (f"the first line of {path} ({shown}{more}) looks like data, not column names; "
            "glassnet takes the first line as the header.")
