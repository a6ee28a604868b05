"""glassnet.tabular.read_csv and Table.numbers: exact line-and-column errors."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.tabular import DataError, read_csv


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_reads_header_rows_and_line_numbers(tmp_path):
    path = write(tmp_path, 'a,b,label\n1,2,"x, quoted"\n\n3,4,"two\nlines"\n5 , 6,z\n')
    table = read_csv(path)
    assert table.columns == ["a", "b", "label"]
    assert len(table) == 3
    assert table.line_numbers == [2, 4, 6]  # blank line 3 skipped; a row's first line counts
    assert table.text("label") == ["x, quoted", "two\nlines", "z"]
    np.testing.assert_array_equal(table.numbers(["b", "a"]), [[2, 1], [4, 3], [6, 5]])


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n", encoding="utf-8-sig")
    assert read_csv(path).columns == ["a", "b"]


@pytest.mark.parametrize("text, message", [
    ("", "data.csv is empty; expected a header row"),
    ("\n\n", "data.csv is empty"),
    ("a,b\n", "data.csv has a header but no data rows."),
    ("a,,c\n1,2,3\n", "data.csv, line 1: the header's field 2 is empty"),
    ("a,b,a\n1,2,3\n", "data.csv, line 1: the header repeats 'a'."),
    ("a,b\n1,2\n3\n", "data.csv, line 3: 1 fields, but the header has 2 ('a', 'b')."),
    ("a,b\n1,2\n3,4,5\n", "data.csv, line 3: 3 fields, but the header has 2"),
])
def test_malformed_files_are_named_with_their_line(tmp_path, text, message):
    with pytest.raises(DataError) as caught:
        read_csv(write(tmp_path, text))
    assert str(caught.value).startswith(str(tmp_path / message.split(" ", 1)[0]))
    assert message.split(" ", 1)[1] in str(caught.value)


def test_binary_files_are_not_csv(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n\xff\xfe\x00garbage\n")
    with pytest.raises(DataError, match=r"is not UTF-8 text \(line 3, byte 8: invalid start"):
        read_csv(path)
    monkeypatch.setattr("glassnet.tabular._lines.MAX_LINE_BYTES", 100_000)
    path.write_text("a,b\n1,2\n3," + "4" * 200_000 + "\n")
    with pytest.raises(DataError, match=r"line 3: longer than 100,000 bytes"):
        read_csv(path)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "absent.csv")


@pytest.mark.parametrize("cell, message", [
    ("abc", "line 3, column 'b': 'abc' is not a number."),
    ("1,5", "line 3, column 'b': '1,5' is not a number."),
    ("inf", "line 3, column 'b': 'inf' is not a finite number."),
    ("-Infinity", "line 3, column 'b': '-Infinity' is not a finite number."),
])
def test_the_first_bad_number_is_named(tmp_path, cell, message):
    table = read_csv(write(tmp_path, f'a,b\n1,2\n3,"{cell}"\n4,xyz\n'))
    with pytest.raises(DataError, match=message):
        table.numbers(["a", "b"])


def test_every_missing_cell_is_named_up_to_five(tmp_path):
    rows = "\n".join(["1,2"] + ["NA,"] * 4 + ["nan,?", " ,null"])
    table = read_csv(write(tmp_path, "a,b\n" + rows + "\n"))
    with pytest.raises(DataError) as caught:
        table.numbers(["a", "b"])
    assert str(caught.value) == (
        f"{table.name} has 12 missing values (line 3, column 'a'; line 3, column 'b'; line 4, "
        "column 'a'; line 4, column 'b'; line 5, column 'a' and 7 more); fill them in or drop "
        "those rows first."
    )


def test_only_the_columns_asked_for_are_checked(tmp_path):
    table = read_csv(write(tmp_path, "a,b,c\n1,,x\n2,NA,y\n"))
    np.testing.assert_array_equal(table.numbers(["a"]), [[1.0], [2.0]])


def test_an_unknown_column_lists_the_columns(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,2\n"))
    with pytest.raises(DataError, match=r"has no target column 'c'; its columns are 'a', 'b'\."):
        table.column_index("c", role="target column")


def test_numbers_of_an_all_float_table_is_its_frame_read_only_and_checked(tmp_path):
    # pandas reads a file this long in chunks and keeps the float columns as one block, which
    # numbers() hands over without a copy (as DataFrame.to_numpy does), after checking it
    rows = 300_000
    path = tmp_path / "floats.csv"
    expected = np.column_stack([np.arange(rows) / 4, np.arange(rows) * 1.5])
    with open(path, "w") as file:
        file.write("a,b\n")
        np.savetxt(file, expected, fmt="%.2f", delimiter=",")
    values = read_csv(path).numbers(["a", "b"])
    np.testing.assert_array_equal(values, expected)
    assert not values.flags.writeable  # shared with the table: nobody may change it through this
    with pytest.raises(ValueError):
        values[0, 0] = 1.0
    expected[rows - 5, 1] = np.inf  # a bad cell is still found, and named, on this route
    with open(path, "w") as file:
        file.write("a,b\n")
        np.savetxt(file, expected, fmt="%.2f", delimiter=",")
    with pytest.raises(DataError, match=f"line {rows - 3}, column 'b'"):
        read_csv(path).numbers(["a", "b"])
