"""read_csv on files as they come: compressed, in other encodings, too large once decompressed;
the exact line errors hold on the decoded text."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile

import pytest

from glassnet.tabular import DataError, _lines, read_csv
from glassnet.tabular.sources import ReadOptionError

TEXT = 'name,city,n\r\nJosé,"Zürich\nnord",1\r\nÅsa,Malmö,2\r\n'


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


COMPRESSORS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zip": lambda data: zipped({"inner.csv": data}),
}


def write(tmp_path, data: bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path, **options) -> str:
    with pytest.raises(DataError) as caught:
        read_csv(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message.removeprefix(str(path))


def check_cells(table) -> None:
    assert table.columns == ["name", "city", "n"]
    assert table.text("name") == ["José", "Åsa"]
    assert table.text("city") == ["Zürich\nnord", "Malmö"]
    assert table.numbers(["n"]).ravel().tolist() == [1.0, 2.0]
    assert table.line_numbers == [2, 4]


@pytest.mark.parametrize("kind, suffix", [
    ("gzip", ".csv.gz"), ("bz2", ".csv.bz2"), ("xz", ".csv.xz"), ("zip", ".zip"),
    ("gzip", ".csv"),  # the name says nothing: the first bytes do
    ("bz2", ""), ("xz", ".txt"), ("zip", ".csv"),
])
def test_compressed_files_read_as_the_plain_one(tmp_path, kind, suffix):
    path = write(tmp_path, COMPRESSORS[kind](TEXT.encode()), "data" + suffix)
    check_cells(read_csv(path))


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "utf-8-sig", "UTF8"])
def test_other_encodings_read_as_utf8(tmp_path, encoding):
    path = write(tmp_path, TEXT.encode(encoding))
    check_cells(read_csv(path, encoding=encoding))


def test_a_gzipped_latin1_file(tmp_path):
    path = write(tmp_path, gzip.compress(TEXT.encode("latin-1")), "data.csv.gz")
    check_cells(read_csv(path, encoding="latin-1"))


def test_smart_quotes_in_cp1252(tmp_path):
    path = write(tmp_path, "a,b\n\u201cquoted\u201d \u2013 dash,2\n".encode("cp1252"))
    assert read_csv(path, encoding="cp1252").text("a") == ["\u201cquoted\u201d \u2013 dash"]
    assert refusal(path) == (
        " is not UTF-8 text (line 2, byte 4: invalid start byte b'\\x93' at character 1 of the "
        "line); in cp1252 (Windows Western) these bytes read '\u201c': if the file is saved so, "
        "pass encoding='cp1252' or 'latin-1' (--encoding cp1252 on the command line)."
    )


def test_a_utf8_byte_order_mark_is_skipped_in_every_source(tmp_path):
    data = "\ufeffa;b\n1;2\n".encode()
    for path in (write(tmp_path, data), write(tmp_path, gzip.compress(data), "data.csv.gz")):
        table = read_csv(path)
        assert table.columns == ["a", "b"] and table.text("a") == ["1"]


@pytest.mark.parametrize("compress", [False, True])
def test_latin1_read_as_utf8_names_line_character_and_the_encoding_to_try(tmp_path, compress):
    # the character counts decoded text: "ü" is one character, two bytes
    data = 'a,b\n"ü\nü",x\nüü,Gen'.encode() + b"\xe8ve\n"  # lines of 4, 4, 6 bytes, then 8
    path = write(tmp_path, gzip.compress(data) if compress else data,
                 "data.csv.gz" if compress else "data.csv")
    assert refusal(path) == (
        " is not UTF-8 text (line 4, byte 22: invalid continuation byte b'\\xe8' at character 7 "
        "of the line); in cp1252 (Windows Western) these bytes read 'è': if the file is saved "
        "so, pass encoding='cp1252' or 'latin-1' (--encoding cp1252 on the command line)."
    )


def test_bytes_another_encoding_cannot_decode_are_named(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,é\n".encode())
    assert refusal(path, encoding="ascii") == (
        " is not ascii text (line 3, byte 10: ordinal not in range(128) b'\\xc3' at character 3 "
        "of the line); is ascii the file's encoding? Pass the right one as encoding= "
        "(--encoding on the command line)."
    )


def test_a_multibyte_codec_names_the_character_after_the_last_good_one(tmp_path):
    path = write(tmp_path, "a,b\n\u3042\u3044,2\n".encode("shift_jis") + b"x,\x82\n")
    assert refusal(path, encoding="shift_jis").startswith(
        " is not shift_jis text (line 3, byte 13: illegal multibyte sequence b'\\x82' at "
        "character 3 of the line)"
    )


@pytest.mark.parametrize("encoding", ["klingon", "base64", "rot13", 8])
def test_an_unknown_encoding_is_refused_before_reading(tmp_path, encoding):
    with pytest.raises(ReadOptionError, match="encoding"):
        read_csv(tmp_path / "absent.csv", encoding=encoding)


def test_a_zip_of_several_files_or_none_is_refused_naming_them(tmp_path):
    path = write(tmp_path, zipped({"train.csv": b"a\n1\n", "test.csv": b"a\n2\n"}), "d.zip")
    assert refusal(path) == (" holds 2 files ('train.csv', 'test.csv'); glassnet reads a zip "
                             "archive of exactly one CSV file. Extract the one you mean and "
                             "pass it.")
    path = write(tmp_path, zipped({}), "empty.zip")
    assert refusal(path).startswith(" holds no file;")


def test_a_name_that_promises_compression_the_bytes_lack_is_refused(tmp_path):
    path = write(tmp_path, b"a,b\n1,2\n", "data.csv.gz")
    assert refusal(path) == (": its name says gzip (.gz), but its bytes do not start as gzip "
                             "data does (they start b'a,b\\n1,2\\n'); rename it if it is not "
                             "compressed.")


def test_damaged_compressed_data_is_named(tmp_path):
    path = write(tmp_path, gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:-12], "data.csv.gz")
    assert refusal(path) == (": the gzip data is damaged or cut short (Compressed file ended "
                             "before the end-of-stream marker was reached); is the file "
                             "complete?")


def test_a_gzip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    rows = 2**21  # 8 MiB once decompressed
    path = write(tmp_path, gzip.compress(b"a,b\n" + b"0,0\n" * rows, compresslevel=1),
                 "bomb.csv.gz")
    decompressed: dict[int, int] = {}  # bytes each opening of the file gave
    opened = []  # kept alive, so that no two openings share an id
    original_read = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = original_read(self, size)
        opened.append(self)
        decompressed[id(self)] = decompressed.get(id(self), 0) + len(data)
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    limit = 2**16
    assert refusal(path, max_bytes=limit) == (
        ": more than max_bytes=65,536 bytes of data (once decompressed); glassnet stops there. "
        "Pass a larger max_bytes if the file is meant to be this big."
    )
    assert max(decompressed.values()) == limit + 1  # one byte past the limit, of 8 MiB


def test_a_plain_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = write(tmp_path, b"a,b\n" + b"1,2\n" * 100)
    monkeypatch.setattr(_lines, "check_bytes", lambda source: pytest.fail("read"))
    assert refusal(path, max_bytes=100).startswith(": more than max_bytes=100 bytes")


@pytest.mark.parametrize("max_bytes", [0, -1, 1.5, True, "8G"])
def test_max_bytes_must_be_a_positive_integer(tmp_path, max_bytes):
    with pytest.raises(ReadOptionError, match="max_bytes must be a positive whole number"):
        read_csv(write(tmp_path, b"a\n1\n"), max_bytes=max_bytes)


ERRORS = [  # (text, the message after the file name)
    ('a,b\n"é\nè",1\n3,"4\n5,6\n', ", line 4: a quoted field opens here and is never closed"),
    ('a,b\n"é\nè",1\n3,4\x00\n', ", line 4, column 'b': holds a NUL byte (\\x00)"),
    ('a,b\n"é\nè",1\n\n3\n5,6\n', ", line 5: 1 fields, but the header has 2 ('a', 'b')."),
    ('a,b\n"é\nè",1\n3,4,5\n', ", line 4: 3 fields, but the header has 2 ('a', 'b')."),
    ('a,b\r\n"é\nè",1\r\r\n3,4\r\n', ", line 3: ends with a lone carriage return"),
    ('a,"é\nb\n1,2\n', ", line 1: a quoted field opens here and is never closed"),
]


@pytest.mark.parametrize("text, message", ERRORS)
@pytest.mark.parametrize("encoding, compress", [
    ("utf-8", False), ("utf-8", True), ("latin-1", False), ("latin-1", True),
    ("utf-16", False),
])
def test_errors_name_the_line_of_the_decoded_text(tmp_path, text, message, encoding, compress):
    data = text.encode(encoding)
    path = write(tmp_path, gzip.compress(data) if compress else data,
                 "data.csv.gz" if compress else "data.csv")
    options = {} if encoding == "utf-8" else {"encoding": encoding}
    assert refusal(path, **options).startswith(message)


def test_a_long_line_in_a_compressed_file_is_refused_as_it_streams(tmp_path, monkeypatch):
    monkeypatch.setattr(_lines, "MAX_LINE_BYTES", 1000)
    data = b"a,b\r\n1,2\r\n3," + b"4" * 100_000 + b"\r\n5,6\r\n"
    path = write(tmp_path, gzip.compress(data), "data.csv.gz")
    assert refusal(path) == (", line 3: longer than 1,000 bytes, the most glassnet reads in "
                             "one line; is it a CSV file?")


def test_cells_reread_from_a_compressed_latin1_file_keep_their_text(tmp_path):
    # pandas parses "1e999" as a number; the message quotes the text, re-read from the source
    data = 'a,é\n1,"x\ny"\n1e999,2\n'.encode("latin-1")
    table = read_csv(write(tmp_path, bz2.compress(data), "data.csv.bz2"), encoding="latin-1")
    with pytest.raises(DataError, match="line 4, column 'a': '1e999' is not a finite number."):
        table.numbers(["a"])
    assert table.lines_of([0, 1], "é") == [2, 4]
    assert table.text("é") == ["x\ny", "2"]


def test_a_decompression_bomb_is_refused_at_fifty_times_its_size(tmp_path, monkeypatch):
    from glassnet.tabular import sources

    monkeypatch.setattr(sources, "SMALL_DECOMPRESSED", 2**20)  # the floor, scaled down 64 times
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(b"a,b\n" + b"0,0\n" * 2**20)  # 4 MiB of rows, a few KiB packed
    size = path.stat().st_size
    assert sources.DECOMPRESSION_RATIO * size < 2**20
    with pytest.raises(DataError, match=r"decompresses to more than 50 times its [\d,]+ bytes "
                                        r"\(over 1,048,576 bytes\), as a decompression bomb"):
        read_csv(path)
    assert len(read_csv(path, max_bytes=5 * 2**20)) == 2**20  # asked for: read


def test_an_ordinary_gzip_is_read_whole(tmp_path):
    rows = "".join(f"{i},{i * 7 % 13}\n" for i in range(300_000))
    path = tmp_path / "ordinary.csv.gz"
    with gzip.open(path, "wt") as file:
        file.write("a,b\n" + rows)
    assert len(read_csv(path)) == 300_000
