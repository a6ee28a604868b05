"""read_csv through pandas: exact cells and lines, hostile files refused, linear in the file."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.tabular import DataError, MissingExtra, _lines, read_csv


def write(tmp_path, text: str | bytes, name: str = "data.csv"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, newline="")
    return path


def refusal(path) -> str:
    with pytest.raises(DataError) as caught:
        read_csv(path)
    message = str(caught.value)
    assert "\n" not in message
    return message.removeprefix(f"{path}")


@pytest.mark.parametrize("text, line", [
    ('a,b\n1,2\n3,"4\n5,6\n7,8\n', 3),  # the rest of the file would be one cell
    ('a,b\n1,2\n"x\ny",5\n6,"7\n', 5),  # after a record that spans lines
    ('a,"b\n1,2\n', 1),  # in the header
])
def test_an_unterminated_quote_is_refused_where_it_opens(tmp_path, text, line):
    message = refusal(write(tmp_path, text))
    assert message.startswith(f", line {line}: a quoted field opens here and is never closed")


@pytest.mark.parametrize("text, line, fields", [
    ("a,b,c\n1,2,3\n4,5\n6,7,8\n", 3, 2),  # pandas would pad it with an empty cell
    ("a,b,c\n1,2,3,4\n5,6,7\n", 2, 4),  # pandas would drop the last field with a warning
    ("a,b,c\n1,2,3\n\n4\n", 4, 1),
    ('a,b,c\n1,"x\ny",3\n4,"z\nw"\n', 4, 2),
])
def test_rows_of_the_wrong_length_are_named(tmp_path, text, line, fields):
    message = refusal(write(tmp_path, text))
    assert message == f", line {line}: {fields} fields, but the header has 3 ('a', 'b', 'c')."


def test_empty_last_cells_are_not_short_rows(tmp_path):
    table = read_csv(write(tmp_path, "a,b,c\n1,2,\n3,4,x\n"))
    assert table.text("c") == ["", "x"]


def test_nul_bytes_are_refused_naming_line_and_column(tmp_path):
    message = refusal(write(tmp_path, "a,b,label\n1,2,x\n3,4,\"y\nz\",\n5,6,ok\x00\n"))
    assert message == (", line 5, column 'label': holds a NUL byte (\\x00); CSV cells are text, "
                       "which never holds one. Is it a CSV file?")


def test_utf16_is_named_as_not_utf8(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n".encode("utf-16"))
    assert refusal(path) == (" is not UTF-8 text (line 1, byte 0: invalid start byte b'\\xff' at "
                             "character 1 of the line); it starts with a UTF-16 byte-order mark: "
                             "pass encoding='utf-16' (--encoding utf-16 on the command line).")


def test_a_line_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(_lines, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(_lines, "_CHUNK_BYTES", 64)  # the long line spans many chunks
    read_lines = []
    monkeypatch.setattr(_lines, "_lines", lambda path: read_lines.append(path) or iter(()))
    path = write(tmp_path, "a,b\r\n1,2\r\n3," + "4" * 1001 + "\r\n5,6\r\n")
    assert refusal(path) == (", line 3: longer than 1,000 bytes, the most glassnet reads in "
                             "one line; is it a CSV file?")
    assert read_lines == []  # refused from the byte scan, before any line was read as text


def test_lone_carriage_returns_are_refused(tmp_path):
    # pandas drops the comma after a blank line ended by a lone \r, shifting the row's cells
    message = refusal(write(tmp_path, "a,b\r\r,2\r3,4\r"))
    assert message.startswith(", line 1: ends with a lone carriage return")
    table = read_csv(write(tmp_path, 'a,b\r\n"x\ry",2\r\n'))  # inside quotes it is text
    assert table.text("a") == ["x\ry"]


def test_crlf_bom_and_quotes_mixed(tmp_path):
    text = '\ufeffa,b,c\r\n"1",\'2\',x"y\r\n-0,"say ""hi""", 3 \r\n'
    table = read_csv(write(tmp_path, text))
    assert table.columns == ["a", "b", "c"]
    assert table.text("b") == ["'2'", 'say "hi"']
    assert table.text("c") == ['x"y', "3"]
    assert table.line_numbers == [2, 3]


@pytest.mark.parametrize("cell", ["-0", "-0.0", "1e-400", "2.4703282292062328e-324",
                                  "0.1", "9007199254740993", "1_000", "١٢", " 7 "])
def test_numbers_are_what_float_reads(tmp_path, cell):
    table = read_csv(write(tmp_path, f'a,b\n"{cell}",1.5\n'))
    [[value]] = table.numbers(["a"])
    assert value == float(cell)
    assert np.copysign(1.0, value) == np.copysign(1.0, float(cell)) or cell == "-0"


@pytest.mark.parametrize("cell, problem", [
    ("1e999", "'1e999' is not a finite number."),
    ("-inf", "'-inf' is not a finite number."),
    ("True", "'True' is not a number."),
])
def test_cells_pandas_parses_keep_their_text_in_messages(tmp_path, cell, problem):
    table = read_csv(write(tmp_path, f"a,b\n1,2\n{cell},3\n"))
    with pytest.raises(DataError, match=f"line 3, column 'a': {problem}"):
        table.numbers(["a", "b"])


def test_long_cells_are_shortened_in_messages(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,2\n" + "x" * 100_000 + ",3\n"))
    with pytest.raises(DataError) as caught:
        table.numbers(["a"])
    assert str(caught.value).endswith("'... (100,000 characters) is not a number.")
    assert len(str(caught.value)) < 300


def test_a_column_of_text_in_one_chunk_and_numbers_in_another_keeps_its_text(tmp_path):
    # pandas reads large files in chunks and may parse some chunks of a column as numbers
    rows = [f"{i},0{i % 10}" for i in range(300_000)] + ["1,cat"]
    table = read_csv(write(tmp_path, "a,label\n" + "\n".join(rows) + "\n"))
    labels = table.text("label")
    assert labels[:3] == ["00", "01", "02"] and labels[-1] == "cat"


def test_cell_lines_follow_line_breaks_inside_quotes(tmp_path):
    table = read_csv(write(tmp_path, 'a,b,c\n1,"x\n\ny",z\n2,3,4\n'))
    assert table.line_numbers == [2, 5]
    assert table.where(0, "a") == f"{table.name}, line 2, column 'a'"
    assert table.where(0, "c") == f"{table.name}, line 4, column 'c'"


class CountingStr(str):
    """A str that counts the comparisons made with it."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountingStr.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_looking_up_columns_is_one_dict_pass(tmp_path):
    columns = 2000
    header = ",".join(f"c{j}" for j in range(columns))
    table = read_csv(write(tmp_path, header + "\n" + ",".join(["1"] * columns) + "\n"))
    wanted = [CountingStr(name) for name in table.columns]
    CountingStr.comparisons = 0
    assert table.numbers(wanted).shape == (1, columns)
    assert CountingStr.comparisons <= 2 * columns  # a list.index per column: columns² / 2


def wide_file(path, columns: int):
    with open(path, "w") as file:
        file.write(",".join(f"c{j}" for j in range(columns)) + ",label\n")
        for row in range(2):
            file.write(",".join(str((row + j) % 7) for j in range(columns)) + ",yes\n")
    return path


def test_a_100k_column_file_reads(tmp_path):
    columns = 100_000
    table = read_csv(wide_file(tmp_path / "wide.csv", columns))
    values = table.numbers(table.columns[:-1])
    assert values.shape == (2, columns) and values[1, -1] == (1 + columns - 1) % 7
    assert table.text("label") == ["yes", "yes"]


def test_reading_scans_no_list_per_column(tmp_path):
    """The header's repeated names and the columns' positions come from one set / dict pass,
    not from header.count(name) or columns.index(name) for each column."""
    path = wide_file(tmp_path / "wide.csv", 3000)
    scans = []

    def profile(frame, event, argument):
        if event == "c_call" and getattr(argument, "__qualname__", "") in ("list.count",
                                                                            "list.index"):
            scans.append(argument.__qualname__)

    sys.setprofile(profile)
    try:
        table = read_csv(path)
        table.numbers(table.columns[:-1])
    finally:
        sys.setprofile(None)
    assert scans == []


def test_memory_is_a_small_multiple_of_the_file(tmp_path):
    path = tmp_path / "numbers.csv"
    rng = np.random.default_rng(0)
    with open(path, "w") as file:
        file.write(",".join(f"x{j}" for j in range(10)) + "\n")
        np.savetxt(file, rng.normal(size=(150_000, 10)) * 100, fmt="%.6f", delimiter=",")
    size = path.stat().st_size
    script = textwrap.dedent(f"""
        import resource
        import numpy, pandas
        from glassnet.tabular import read_csv
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        table = read_csv({str(path)!r})
        values = table.numbers(table.columns)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, values.shape)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    added, shape = done.stdout.split(" ", 1)
    assert shape.strip() == "(150000, 10)"
    assert int(added) < 5 * size, f"{int(added) / size:.1f} x the file's {size:,} bytes"


def test_without_pandas_reading_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(MissingExtra, match=r"pip install 'glassnet\[tabular\]'"):
        read_csv(write(tmp_path, "a\n1\n"))


CELLS = st.one_of(
    st.sampled_from(["1", "-2.5", "3e4", "", "NA", " x ", "a,b", 'say "hi"', "two\nlines",
                     "x\r\ny", "-0", "1e999", "True", "é", "\t"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
            max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=6),
    blank_before=st.lists(st.booleans(), min_size=7, max_size=7),
    terminator=st.sampled_from(["\n", "\r\n"]),
)
def test_cells_and_lines_are_the_files(tmp_path_factory, rows, blank_before, terminator):
    """Whatever csv.writer writes (quotes, commas and line breaks in cells, blank lines
    between rows), read_csv gives back each cell's text and the line each row starts on."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator)
    lines, written_rows, line = [], [], 2
    writer.writerow(["a", "b", "c"])
    for row, blank in zip(rows, blank_before, strict=False):
        if blank:
            buffer.write(terminator)
            line += 1
        if all(cell.strip(" \t") == "" for cell in row):
            row = [*row[:2], "z"]  # a line of spaces and commas only would be skipped
        lines.append(line)
        written_rows.append(row)
        before = buffer.tell()
        writer.writerow(row)
        written = buffer.getvalue()[before:]
        line += written.count("\n") + written.count("\r") - written.count("\r\n")
    path = tmp_path_factory.mktemp("property") / "data.csv"
    path.write_text(buffer.getvalue(), newline="")
    table = read_csv(path)
    assert table.line_numbers == lines
    for j, name in enumerate(["a", "b", "c"]):
        assert table.text(name) == [row[j].strip() for row in written_rows]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40).map(lambda raw: bytes(b"ab\r\n\x00"[byte % 5] for byte in raw)),
       chunk=st.integers(1, 7))
def test_the_byte_scan_agrees_with_a_whole_file_reading(data, chunk):
    limit = 5
    lines = re.split(rb"\r\n|\r|\n", data)
    too_long = next((sum(len(line) for line in re.split(rb"(\r\n|\r|\n)", data)[:2 * index])
                     for index, line in enumerate(lines) if len(line) > limit), None)
    scanner = _lines.ByteScanner(limit)
    found = next((long_line for start in range(0, len(data), chunk)
                  if (long_line := scanner.feed(data[start:start + chunk])) is not None), None)
    assert found == too_long  # the offset where the first long line starts
    if too_long is None:
        problems = scanner.finish()
        assert problems.has_nul == (b"\x00" in data)
        assert problems.has_lone_cr == (re.search(rb"\r(?!\n)", data) is not None)
