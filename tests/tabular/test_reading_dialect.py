"""read_csv's separator, given or found from the header, and the note on a header of numbers."""

from __future__ import annotations

import gzip

import pytest

from glassnet.tabular import DataError, read_csv
from glassnet.tabular.sources import ReadOptionError


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, newline="")
    return path


@pytest.mark.parametrize("sep, words", [(";", "semicolons"), ("\t", "tabs"), ("|", "'|'")])
def test_a_header_that_splits_on_one_other_separator_uses_it_and_says_so(tmp_path, sep, words):
    text = f'x{sep}y{sep}label\n1,5{sep}2{sep}"a{sep}b"\n3{sep}4{sep}c\n'
    path = write(tmp_path, text)
    table = read_csv(path)
    assert table.columns == ["x", "y", "label"]
    assert table.text("x") == ["1,5", "3"]  # commas inside cells stay (decimal commas, often)
    assert table.text("label") == [f"a{sep}b", "c"]
    assert table.notes == [
        f"{path}: read as separated by {words}, which split its header into 3 fields where "
        "commas split none; pass sep= (--sep on the command line) to choose another."
    ]
    assert read_csv(path, sep=sep).notes == []  # told, nothing to say


def test_commas_win_when_they_split_the_header(tmp_path):
    table = read_csv(write(tmp_path, "a;b,c|d\n1,2\n"))
    assert table.columns == ["a;b", "c|d"] and table.notes == []


def test_a_header_that_splits_several_ways_but_not_on_commas_is_refused(tmp_path):
    path = write(tmp_path, "a;b|c;d\n1;2|3;4\n")
    with pytest.raises(DataError) as caught:
        read_csv(path)
    assert str(caught.value) == (
        f"{path}, line 1: the header splits on semicolons (3 fields) and '|' (2 fields), not on "
        "commas; pass sep= (--sep on the command line) with the file's separator."
    )
    assert read_csv(path, sep="|").columns == ["a;b", "c;d"]


def test_a_one_column_file_is_read_with_commas(tmp_path):
    table = read_csv(write(tmp_path, "\n  \nvalue\n1\n2\n"))
    assert table.columns == ["value"] and table.notes == []


def test_the_separator_is_found_in_a_compressed_latin1_file(tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress("ville;n\nGenève;1\n".encode("latin-1")))
    table = read_csv(path, encoding="latin-1")
    assert table.text("ville") == ["Genève"] and len(table.notes) == 1


@pytest.mark.parametrize("sep, line, fields", [(";", 4, 2), ("\t", 5, 4)])  # row 1 spans 2 lines
def test_row_errors_count_fields_on_the_separator(tmp_path, sep, line, fields):
    rows = ["a", "b", "c"], ["1", '"x,y\nz"', "2"], ["3", "4"], ["5", "6", "7", "8"]
    text = "\n".join(sep.join(row) for row in rows) + "\n"
    if sep == "\t":
        text = text.replace("3\t4\n", "3\t4\t\n")  # a row as long as the header
    with pytest.raises(DataError, match=f"line {line}: {fields} fields, but the header has 3"):
        read_csv(write(tmp_path, text), sep=sep)


def test_a_line_of_tabs_is_a_row_when_tabs_separate(tmp_path):
    # pandas skips a line of spaces and tabs, unless the separator is one of them
    table = read_csv(write(tmp_path, "a\tb\n1\t2\n\t\n  \n3\t4\n"))
    assert table.text("a") == ["1", "", "3"]
    assert table.line_numbers == [2, 3, 5]


@pytest.mark.parametrize("sep, problem", [
    (";;", "one ASCII character"), ("", "one ASCII character"), ("é", "one ASCII character"),
    ('"', "the quote character"), ("\n", "a line break"), (0, "one ASCII character"),
])
def test_an_unusable_separator_is_refused_before_reading(tmp_path, sep, problem):
    with pytest.raises(ReadOptionError, match=problem):
        read_csv(tmp_path / "absent.csv", sep=sep)


@pytest.mark.parametrize("header, shown", [
    ("1.2,3.4,5,-6e2", "1.2, 3.4, 5, ..."),
    ("0,1", "0, 1"),
])
def test_a_header_of_numbers_gets_a_note(tmp_path, header, shown):
    path = write(tmp_path, f"{header}\n1,2,3,4\n" if header.count(",") == 3 else f"{header}\n1,2\n")
    table = read_csv(path)
    assert table.notes == [f"the first line of {path} ({shown}) looks like data, not column "
                           "names; glassnet takes the first line as the header."]


@pytest.mark.parametrize("header", ["1,2,x", "nan,1", "1,inf", "a,b"])
def test_a_header_with_a_name_that_is_not_a_finite_number_gets_no_note(tmp_path, header):
    assert read_csv(write(tmp_path, f"{header}\n1,2,3\n" if header.count(",") == 2
                          else f"{header}\n1,2\n")).notes == []
