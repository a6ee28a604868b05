"""The glassnet file: a safetensors file whose JSON header carries glassnet's own document.

Layout (https://huggingface.co/docs/safetensors; written by the safetensors library, read and
checked here byte by byte, so every defect becomes a ``ModelFormatError`` that says what is
wrong)::

    8 bytes    N, the header length, unsigned little-endian
    N bytes    JSON header: {"__metadata__": {"glassnet": <document JSON>,
                                               "glassnet.sha256": <hex digest>},
                             "<tensor name>": {"dtype": "F32", "shape": [8, 4],
                                               "data_offsets": [begin, end]}, ...}
    the rest   the tensors' bytes, little-endian, back to back, offsets relative to this part

The digest covers the document text and every tensor's name, dtype, shape and bytes, so a flipped
bit anywhere that matters is caught. Reading never unpickles, imports or evaluates anything, and
never reads more than the header and the tensors it declares (see ``glassnet.io.source``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import safetensors.numpy

from glassnet.errors import ModelFormatError
from glassnet.io.source import ByteSource

DOCUMENT_KEY = "glassnet"
CHECKSUM_KEY = "glassnet.sha256"
MAX_HEADER_BYTES = 100_000_000  # the safetensors library's own limit
MAX_DIMENSIONS = 32
MAX_JSON_OBJECTS = 200_000  # far above what a file of the largest architecture holds

SAFETENSORS_DTYPES: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype("<u1"),
    "I8": np.dtype("<i1"),
    "U16": np.dtype("<u2"),
    "I16": np.dtype("<i2"),
    "U32": np.dtype("<u4"),
    "I32": np.dtype("<i4"),
    "U64": np.dtype("<u8"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
}

# Leading bytes of files people mistake for model files, and what to tell them.
_FOREIGN_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "this is a zip archive (a PyTorch .pt/.pth file or a Keras .keras file), not "
     "a glassnet model; glassnet never unpickles"),
    (b"\x93NUMPY", "this is a NumPy .npy file, not a glassnet model"),
    (b"\x89HDF\r\n\x1a\n", "this is an HDF5 file (a Keras .h5 model?), not a glassnet model"),
]
_OLD_PICKLE_FIRST_OPCODES = {bytes([c]) for c in b"(}]cKJXVSNIFG"}
_PICKLE_MESSAGE = "this is a pickle/PyTorch file, not a glassnet model; glassnet never unpickles"


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it; offsets are relative to the data section."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def dtype_code(array: np.ndarray) -> str:
    """The safetensors name of an array's dtype ('F32'); TypeError for dtypes it cannot hold."""
    for code, dtype in SAFETENSORS_DTYPES.items():
        if array.dtype == dtype or array.dtype == dtype.newbyteorder("="):
            return code
    raise TypeError(
        f"arrays of dtype {array.dtype} cannot be stored; use bool, (u)int8-64 or float16/32/64."
    )


def dump_json(value: Any) -> str:
    """Compact JSON, keys in insertion order, no NaN/Infinity (not JSON), ASCII only."""
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def content_digest(document_text: str, tensors: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the document and each tensor's name, dtype, shape and little-endian bytes."""
    digest = hashlib.sha256()

    def put(chunk: bytes | memoryview) -> None:
        # Length prefixes make the concatenation unambiguous.
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)

    put(b"glassnet-content-v1")
    put(document_text.encode("utf-8"))
    for name in sorted(tensors):
        array = tensors[name]
        code = dtype_code(array)
        put(name.encode("utf-8"))
        put(code.encode("ascii"))
        put(json.dumps(list(array.shape)).encode("ascii"))
        stored = np.ascontiguousarray(array, dtype=SAFETENSORS_DTYPES[code])  # no copy if it is
        put(memoryview(stored.reshape(-1).view(np.uint8)))  # its bytes, not a copy of them
    return digest.hexdigest()


def encode_file(tensors: Mapping[str, np.ndarray], document: Mapping[str, Any]) -> bytes:
    """The bytes of a glassnet file holding ``tensors`` and the JSON-able ``document``."""
    arrays = {}
    for name, array in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"tensor names must be strings, not '__metadata__'; got {name!r}.")
        array = np.asarray(array)
        arrays[name] = np.asarray(array, dtype=SAFETENSORS_DTYPES[dtype_code(array)], order="C")
    text = dump_json(document)
    metadata = {DOCUMENT_KEY: text, CHECKSUM_KEY: content_digest(text, arrays)}
    return safetensors.numpy.save(arrays, metadata=metadata)


# -- reading ------------------------------------------------------------------------------------
def _strict_json(text: str, what: str) -> Any:
    """json.loads that refuses NaN/Infinity and duplicate keys, never recurses unboundedly, and
    stops at the ``MAX_JSON_OBJECTS``-th object, so a header of millions of tiny objects costs
    a bounded amount of memory before it is refused."""
    objects = 0

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects
        objects += 1
        if objects > MAX_JSON_OBJECTS:
            raise ModelFormatError(
                f"the {what} holds more than {MAX_JSON_OBJECTS} JSON objects; a glassnet file "
                f"holds at most {MAX_JSON_OBJECTS} (10,000 layers and their tensors fit well "
                "within that)."
            )
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise ModelFormatError(f"the {what} is nested too deeply to be a glassnet file.") from None
    except ModelFormatError:
        raise
    except ValueError as error:
        raise ModelFormatError(f"the {what} is not valid JSON ({error}).") from None


def _describe_foreign(head: bytes, last_byte: bytes) -> str | None:
    """What kind of file starts with ``head`` and ends with ``last_byte``, if it is a known one."""
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 0x05:  # PROTO opcode, protocols 2-5
        return _PICKLE_MESSAGE
    if head[:1] in _OLD_PICKLE_FIRST_OPCODES and last_byte == b".":  # protocols 0-1 end in STOP
        return _PICKLE_MESSAGE
    for signature, message in _FOREIGN_SIGNATURES:
        if head.startswith(signature):
            return message
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_entry(name: str, raw: Any, data_size: int) -> TensorEntry:
    where = f"tensor {name!r}"
    if not isinstance(raw, dict) or set(raw) != {"dtype", "shape", "data_offsets"}:
        raise ModelFormatError(
            f"{where}: the header entry must be an object with exactly the keys dtype, shape "
            f"and data_offsets; got {raw!r:.120}."
        )
    dtype, shape, offsets = raw["dtype"], raw["shape"], raw["data_offsets"]
    if dtype not in SAFETENSORS_DTYPES:
        allowed = ", ".join(SAFETENSORS_DTYPES)
        raise ModelFormatError(f"{where}: unsupported dtype {dtype!r} (allowed: {allowed}).")
    if not isinstance(shape, list) or not all(_is_int(d) and 0 <= d < 2**63 for d in shape):
        raise ModelFormatError(f"{where}: shape must be a list of non-negative integers; got "
                               f"{shape!r:.120}.")
    if len(shape) > MAX_DIMENSIONS:
        raise ModelFormatError(f"{where}: {len(shape)} dimensions (at most {MAX_DIMENSIONS}).")
    if math.prod(d for d in shape if d) >= 2**62:  # NumPy refuses such shapes, even when empty
        raise ModelFormatError(f"{where}: shape {shape} is too large for an array.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_int, offsets))):
        raise ModelFormatError(f"{where}: data_offsets must be [begin, end]; got {offsets!r:.120}.")
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        raise ModelFormatError(
            f"{where}: data_offsets [{begin}, {end}] lie outside the data section, which holds "
            f"{data_size} bytes."
        )
    expected_bytes = math.prod(shape) * SAFETENSORS_DTYPES[dtype].itemsize
    if expected_bytes != end - begin:
        raise ModelFormatError(
            f"{where}: shape {shape} of {dtype} needs {expected_bytes} bytes but data_offsets "
            f"[{begin}, {end}] span {end - begin}."
        )
    return TensorEntry(name, dtype, tuple(shape), begin, end)


@dataclass(frozen=True)
class Header:
    """A file's validated header: its metadata, its tensors (sorted by offset), and where the data
    section starts; the tensors cover the data section exactly, up to the end of the file."""

    metadata: dict[str, str]
    entries: list[TensorEntry]
    data_start: int


def read_header(source: ByteSource) -> Header:
    """Validate the safetensors framing, reading only the header: ModelFormatError for any defect.

    What is read is bounded by the header length once it is checked against the limit and the
    file's size; the data section is checked against the header without being read.
    """
    if source.size == 0:
        raise ModelFormatError("the file is empty (0 bytes).")
    head = source.read(0, 16)
    # Every safetensors header starts with '{', even in a truncated file: only files that lack
    # it are checked for foreign signatures (a header length can begin 0x80 0x02, like a pickle).
    if head[8:9] != b"{":
        foreign = _describe_foreign(head, source.read(source.size - 1, 1))
        if foreign is not None:
            raise ModelFormatError(foreign + ".")
    if source.size < 8:
        raise ModelFormatError(
            f"the file is truncated: {source.size} bytes, fewer than the 8-byte header length."
        )
    header_length = int.from_bytes(head[:8], "little")
    if header_length > MAX_HEADER_BYTES:
        raise ModelFormatError(
            f"header length {header_length} exceeds the limit of {MAX_HEADER_BYTES} bytes."
        )
    if 8 + header_length > source.size:
        raise ModelFormatError(
            f"header length {header_length} is beyond the end of the file (only "
            f"{source.size - 8} bytes follow it): the file is truncated or not a safetensors file."
        )
    if head[8:9] != b"{":
        raise ModelFormatError("the header is not JSON: it must start with '{'.")
    try:
        text = source.read(8, header_length).decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFormatError("the header is not JSON (not valid UTF-8 text).") from None
    header = _strict_json(text, "header")
    if not isinstance(header, dict):
        raise ModelFormatError("the header is not a JSON object.")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise ModelFormatError("the header's __metadata__ must map strings to strings.")
    data_start = 8 + header_length
    data_size = source.size - data_start
    entries = sorted(
        (_parse_entry(name, raw, data_size) for name, raw in header.items()),
        key=lambda entry: (entry.begin, entry.end),
    )
    position = 0
    for entry in entries:
        if entry.begin < position:
            raise ModelFormatError(
                f"tensor {entry.name!r} (bytes {entry.begin}-{entry.end}) overlaps the tensor "
                f"before it, which ends at byte {position}."
            )
        if entry.begin > position:
            raise ModelFormatError(
                f"bytes {position}-{entry.begin} of the data section belong to no tensor."
            )
        position = entry.end
    if position != data_size:
        raise ModelFormatError(
            f"the data section holds {data_size} bytes but the tensors cover only {position}: "
            "trailing bytes belong to no tensor."
        )
    return Header(metadata, entries, data_start)


def read_tensors(source: ByteSource, header: Header) -> dict[str, np.ndarray]:
    """Each tensor the header declares, read straight into a fresh, writable, native-order array
    (one copy in memory, nothing else read)."""
    tensors: dict[str, np.ndarray] = {}
    for entry in header.entries:
        stored = SAFETENSORS_DTYPES[entry.dtype]
        array = np.empty(entry.shape, dtype=stored)
        own_bytes = memoryview(array.reshape(-1).view(np.uint8))  # a view: fills the array
        source.read_into(header.data_start + entry.begin, own_bytes)
        if not stored.isnative:
            array = array.astype(stored.newbyteorder("="))
        tensors[entry.name] = array
    return tensors


def decode(
    source: ByteSource, *, expected_format: str, supported_version: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Validate a whole file; return (document, tensors). Every defect → ModelFormatError.

    The header, the document and the declared tensors are checked before any tensor is read;
    the checksum after. The arrays are fresh, writable, native-byte-order copies.
    """
    header = read_header(source)
    metadata = header.metadata
    if DOCUMENT_KEY not in metadata:
        raise ModelFormatError(
            "this safetensors file has no glassnet metadata, so it is not a glassnet file "
            "(plain weights can be read with safetensors.numpy.load_file)."
        )
    document = _strict_json(metadata[DOCUMENT_KEY], "glassnet metadata")
    if not isinstance(document, dict):
        raise ModelFormatError("the glassnet metadata is not a JSON object.")
    kind, version = document.get("format"), document.get("format_version")
    if kind != expected_format:
        raise ModelFormatError(f"expected a {expected_format!r} file; this one says {kind!r}.")
    if not _is_int(version) or version < 1:
        raise ModelFormatError(f"format_version must be a positive integer; got {version!r:.60}.")
    if version > supported_version:
        raise ModelFormatError(
            f"unsupported format version {version}: this glassnet reads versions 1 to "
            f"{supported_version}. Upgrade glassnet to read this file."
        )
    stored_digest = metadata.get(CHECKSUM_KEY)
    if not isinstance(stored_digest, str) or len(stored_digest) != 64:
        raise ModelFormatError("the file carries no valid checksum (glassnet.sha256).")
    tensors = read_tensors(source, header)
    if content_digest(metadata[DOCUMENT_KEY], tensors) != stored_digest:
        raise ModelFormatError(
            "checksum mismatch: the content is not what was written (the file was corrupted or "
            "edited after it was saved)."
        )
    return document, tensors


# -- values ---------------------------------------------------------------------------------------
def count_non_finite(array: np.ndarray) -> int:
    """How many of a float array's values are NaN or ±inf (0 for other dtypes).

    One sum first, almost free on good data: it is finite only if every value is. A sum of
    large finite values can overflow to inf, so only then are the values counted one by one.
    """
    if array.dtype.kind != "f" or array.size == 0:
        return 0
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum()):
            return 0
    return int(array.size - np.count_nonzero(np.isfinite(array)))


def first_non_finite(tensors: Mapping[str, np.ndarray]) -> str | None:
    """"tensor 'w' holds 3 of 12 values that are NaN or infinite" for the first such tensor."""
    for name, array in tensors.items():
        count = count_non_finite(array)
        if count:
            return (f"tensor {name!r} holds {count} of {array.size} values that are NaN or "
                    "infinite")
    return None
