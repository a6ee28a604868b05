"""BLAS where it beats NumPy's own loops, for glassnet's fast paths (see ``glassnet.fast_paths``).

- ``axpy(alpha, x, y)``: y ← y + α·x in one pass. NumPy has no fused multiply-add, so
  ``y += alpha * x`` makes two passes (α·x into a temporary, then the addition).
- ``add_to_rows(out, row)``: out[i] ← out[i] + row for every row, as BLAS's rank-1 update ``ger``
  (out ← out + 1·rowᵀ); NumPy's broadcast add runs its inner loop once per row.
- ``matmul(a, b)``: a @ b for 2-D arrays through the cheaper of NumPy's two routes to BLAS.
- ``sum_rows(matrix)``: Σᵢ matrix[i] as the product ones·matrix, one BLAS call, where NumPy's
  reduction along axis 0 adds row after row.

Each computes what its NumPy expression computes, and decides for itself when BLAS pays: sizes,
dtypes and layouts are tested here, never by the caller, and whatever BLAS cannot take is done
with that NumPy expression. Results: ``add_to_rows`` and ``matmul`` give the same bits as the
expression; ``axpy`` may round once where NumPy rounds twice (|Δ| ≤ ε·(|y| + |α·x|) per element);
``sum_rows`` adds in another order (both within N·ε·Σᵢ|matrix[i]| of the exact sum).

Where the kernels come from. NumPy does not expose ``axpy`` and ``ger`` to Python. Its wheels
bundle OpenBLAS (``scipy_openblas``), so this module finds that library among NumPy's own files,
binds the two routines through ctypes and checks them on known values against NumPy's
arithmetic before using them. A NumPy built another way — conda's with MKL, Apple's Accelerate,
a distribution package linked to the system's BLAS — has no such file, and a library without the
symbols or failing the check is not used: then ``axpy`` and ``add_to_rows`` always compute with
NumPy, within the bounds above (the same results a bundled OpenBLAS gives, up to them), only
slower. ``matmul`` and ``sum_rows`` call NumPy, so they use whatever BLAS NumPy was built with.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Below these sizes a ctypes call, with its pointer lookups, costs more than it saves.
# add_to_rows only from inference batches: timed alone, ger also wins on a training batch's
# 128 × 256, but between the large products of a training step the ctypes machinery runs with
# cold caches and the step got slower.
AXPY_MIN_SIZE = 4096
ADD_TO_ROWS_MIN_SIZE = 1 << 17
# From this many elements in a product's result (64 KiB of float32), np.matmul; below it,
# ndarray.dot. Both make the same BLAS call, but dot zero-fills its result first, a wasted pass
# over memory; matmul costs more to call, which is what counts on small results.
MATMUL_MIN_SIZE = 1 << 14

# (symbol form, integer type) per OpenBLAS build NumPy has shipped: scipy-openblas (NumPy ≥ 2)
# and the 64-bit-integer OpenBLAS of NumPy 1.2x wheels. {0}: s or d; {1}: the routine.
_SYMBOL_FORMS = (
    ("scipy_cblas_{0}{1}64_", ctypes.c_int64),
    ("scipy_cblas_{0}{1}", ctypes.c_int32),
    ("cblas_{0}{1}64_", ctypes.c_int64),
)
_ROW_MAJOR, _COLUMN_MAJOR = 101, 102  # CBLAS_ORDER

_Kernel = Callable[..., None]
# (routine, dtype) -> kernel
_Kernels = dict[tuple[str, np.dtype], _Kernel]


def _numpy_blas_files() -> list[Path]:
    root = Path(np.__file__).parent
    folders = (root.parent / "numpy.libs", root / ".dylibs")  # Linux/Windows wheels, macOS wheels
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*openblas*"))


def _load_kernels() -> _Kernels:
    for path in _numpy_blas_files():
        try:
            library = ctypes.CDLL(str(path))
        except OSError:
            continue
        for form, integer in _SYMBOL_FORMS:
            kernels = _bind(library, form, integer)
            if kernels is not None and _agrees_with_numpy(kernels):
                return kernels
    return {}


def _bind(library: ctypes.CDLL, form: str, integer: type) -> _Kernels | None:
    """axpy and ger for float32 and float64 under one symbol form, or None if one is missing."""
    kernels: _Kernels = {}
    pointer = ctypes.c_void_p
    for letter, dtype, real in (("s", np.float32, ctypes.c_float),
                                ("d", np.float64, ctypes.c_double)):  # fmt: skip
        signatures = {
            # axpy(n, alpha, x, incx, y, incy)
            "axpy": [integer, real, pointer, integer, pointer, integer],
            # ger(order, m, n, alpha, x, incx, y, incy, a, lda)
            "ger": [ctypes.c_int, integer, integer, real, pointer, integer, pointer, integer,
                    pointer, integer],  # fmt: skip
        }
        for routine, argtypes in signatures.items():
            function = getattr(library, form.format(letter, routine), None)
            if function is None:
                return None
            function.restype = None
            function.argtypes = argtypes
            kernels[routine, np.dtype(dtype)] = function
    return kernels


def _agrees_with_numpy(kernels: _Kernels) -> bool:
    """A wrong signature guess would corrupt memory or compute nonsense: try it on known values."""
    for (routine, dtype), kernel in kernels.items():
        if routine == "axpy":
            x = np.linspace(-3, 3, 37, dtype=dtype)
            y = np.linspace(5, 1, 37, dtype=dtype)
            expected = y - dtype.type(0.25) * x  # 0.25·x is exact, so FMA or not gives this
            kernel(x.size, -0.25, x.ctypes.data, 1, y.ctypes.data, 1)
            if not np.array_equal(y, expected):
                return False
            continue
        row = np.linspace(-1, 2, 7, dtype=dtype)
        for order in "CF":
            out = np.asarray(np.linspace(3, -4, 35, dtype=dtype).reshape(5, 7), order=order)
            expected = out + row
            _ger(kernel, out, row)
            if not np.array_equal(out, expected):
                return False
    return True


_KERNELS: _Kernels | None = None  # loaded at the first call that could use one


def _kernel(routine: str, dtype: np.dtype) -> _Kernel | None:
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _load_kernels()
    return _KERNELS.get((routine, dtype))


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """y ← y + alpha·x in place; x broadcasts against y as in ``y += alpha * x``.

    One BLAS pass when y is large and both are contiguous, aligned and of one float dtype;
    otherwise ``y += alpha * x``, rounded twice instead of once.
    """
    if y.size >= AXPY_MIN_SIZE:  # tested first: small arrays pay for nothing else
        kernel = _kernel("axpy", y.dtype)
        if (
            kernel is not None
            and x.dtype == y.dtype
            and x.shape == y.shape
            and x.flags.c_contiguous
            and y.flags.c_contiguous
            and y.flags.writeable
            and x.flags.aligned
            and y.flags.aligned
            and not np.may_share_memory(x, y)
        ):
            kernel(y.size, alpha, _address(x), 1, _address(y), 1)
            return
    # alpha as the 0-d array NumPy would make of it for x: converting the number anew on every
    # call costs as much as the update of a small parameter itself. The last one is kept.
    global _last_alpha
    number, dtype, typed = _last_alpha
    if number != alpha or dtype is not x.dtype:  # `is`: NumPy has one object per builtin dtype
        typed = np.array(alpha, dtype=np.result_type(alpha, x.dtype))
        _last_alpha = (alpha, x.dtype, typed)
    y += typed * x


_last_alpha: tuple[float, np.dtype, np.ndarray] = (0.0, np.dtype(np.float64), np.zeros(()))


def add_to_rows(out: np.ndarray, row: np.ndarray) -> None:
    """out[i] ← out[i] + row for every row of ``out``, in place: ``out += row``, the same bits.

    Through BLAS's ger when out is a large float32/64 matrix (row- or column-major) and row a
    contiguous vector of its dtype, both aligned; otherwise NumPy's broadcast add.
    """
    if out.size >= ADD_TO_ROWS_MIN_SIZE:  # tested first: small arrays pay for nothing else
        kernel = _kernel("ger", out.dtype)
        if (
            kernel is not None
            and out.ndim == 2
            and row.dtype == out.dtype
            and row.shape == out.shape[1:]
            and row.flags.c_contiguous
            and out.flags.writeable
            and (out.flags.c_contiguous or out.flags.f_contiguous)
            and out.flags.aligned
            and row.flags.aligned
            and not np.may_share_memory(out, row)
        ):
            _ger(kernel, out, row)
            return
    # one sample: the same sum without broadcasting, which costs more than the addition itself
    if out.ndim == 2 and len(out) == 1 and row.ndim == 1:
        out[0] += row
        return
    out += row


def _ger(kernel: _Kernel, out: np.ndarray, row: np.ndarray) -> None:
    """out ← out + ones·rowᵀ for a contiguous 2-D out of either layout."""
    rows, columns = out.shape
    if out.flags.c_contiguous:
        order, leading, start = _ROW_MAJOR, columns, _address(out)
    else:  # the buffer route takes only row-major arrays; out.T starts at the same address
        order, leading, start = _COLUMN_MAJOR, rows, _address(out.T)
    ones_address = _ones_vector(rows, out.dtype)[1]
    kernel(order, rows, columns, 1.0, ones_address, 1, _address(row), 1, start, leading)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, the same bits. For 2-D arrays through ndarray.dot when the result is small (it
    costs less to call) and np.matmul when it is large (dot zero-fills its result first)."""
    if a.ndim != 2 or b.ndim != 2:
        return a @ b
    # k = 1, an outer product, stays with dot: matmul does not hand it to BLAS
    if len(a) * b.shape[1] < MATMUL_MIN_SIZE or len(b) == 1:
        return a.dot(b)
    return np.matmul(a, b)


def sum_rows(matrix: np.ndarray) -> np.ndarray:
    """Σᵢ matrix[i]: (N, k) -> (k,).

    As ones·matrix, one BLAS call, faster than ``matrix.sum(axis=0)``, which adds row after
    row; the two round differently, both within N·ε·Σᵢ|matrix[i]| of the exact sum. A single row
    is its own sum (returned as a view of it); integer and other non-BLAS dtypes go through
    ``sum(axis=0)``.
    """
    if len(matrix) == 1:
        return matrix[0]
    if matrix.dtype.kind != "f" or matrix.dtype.itemsize not in (4, 8):
        return matrix.sum(axis=0)
    return _ones_vector(matrix.shape[0], matrix.dtype)[0].dot(matrix)


# Read-only vectors of ones with their data addresses, by (length, dtype): the 1 of ger's
# out ← out + 1·rowᵀ and of sum_rows' ones·matrix. A handful of batch sizes in practice.
_ONES_VECTORS: dict[tuple[int, np.dtype], tuple[np.ndarray, int]] = {}


def _ones_vector(length: int, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """A read-only vector of ``length`` ones of ``dtype`` and its address, made once and kept."""
    entry = _ONES_VECTORS.get((length, dtype))
    if entry is None:
        if len(_ONES_VECTORS) > 16:  # many batch sizes (the last batch of many data sets)
            _ONES_VECTORS.clear()
        vector = np.ones(length, dtype=dtype)
        vector.flags.writeable = False
        entry = _ONES_VECTORS[length, dtype] = (vector, vector.ctypes.data)
    return entry


_NO_BYTES = ctypes.c_char * 0


def _address(array: np.ndarray) -> int:
    """Where a contiguous array's data starts. The buffer protocol costs a third of
    ``array.ctypes.data``, which builds a helper object each time but also takes read-only
    arrays, which the buffer route refuses."""
    try:
        return ctypes.addressof(_NO_BYTES.from_buffer(array))
    except TypeError:
        return array.ctypes.data
