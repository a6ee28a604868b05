"""Two BLAS calls that NumPy does not expose, from the OpenBLAS that NumPy itself loaded.

- ``axpy``: y ← y + a·x in one pass. NumPy has no fused multiply-add, so ``p -= lr * g`` costs
  two passes over the parameters (lr·g into a scratch array, then the subtraction): for a
  784-256-128-10 MLP that is ~100 µs of a ~1.4 ms training step.
- ``add_to_rows``: out[i] ← out[i] + b for every row, a bias added to a batch, as BLAS's rank-1
  update ``ger`` (out ← out + 1·bᵀ). NumPy's broadcast ``out += b`` runs its inner loop once per
  row, and on a column-major ``out`` first copies b into a buffer: measured here on float32,
  70 µs against 23 for a 1024×256 batch, 12.0 against 8.8 for a column-major 128×256 one. The
  same bits: 1·b + out is one rounding, as out + b is.

NumPy's wheels bundle OpenBLAS (as ``scipy_openblas64``) without exposing it to Python, so this
module finds that library among NumPy's own files and calls it through ctypes. Anything
unexpected — another BLAS, a library without the symbols, a self-check that does not match
NumPy's arithmetic — leaves both returning False and the caller doing it with NumPy.
``GLASSNET_BLAS=0`` turns them off (as does ``GLASSNET_BLAS_AXPY=0``, its former name).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Below these sizes a ctypes call (~1.5 µs with the pointer lookups, more with cold caches)
# costs more than it saves: axpy's second NumPy pass, or the broadcast add. Timed alone, ger
# beats the add from 128×256 on; but a training step whose 128×256 bias went through it ran
# 1-1.7 % slower (paired, in one process: between large products the ctypes machinery runs cold),
# while 1024-row inference batches (128k and 256k elements) gain.
AXPY_MIN_SIZE = 4096
ADD_TO_ROWS_MIN_SIZE = 1 << 17

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


_KERNELS: _Kernels | None = None


def _kernel(routine: str, dtype: np.dtype) -> _Kernel | None:
    global _KERNELS
    if _KERNELS is None:
        off = "0" in (os.environ.get("GLASSNET_BLAS"), os.environ.get("GLASSNET_BLAS_AXPY"))
        _KERNELS = {} if off else _load_kernels()
    return _KERNELS.get((routine, dtype))


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> bool:
    """y += alpha·x in place if BLAS can (same dtype float32/64, both contiguous and aligned,
    large enough); returns False, touching nothing, when the caller must do it with NumPy."""
    kernel = _kernel("axpy", y.dtype)
    if (
        kernel is None
        or y.size < AXPY_MIN_SIZE
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
        or not (x.flags.aligned and y.flags.aligned)
        or np.may_share_memory(x, y)
    ):
        return False
    kernel(y.size, alpha, _address(x), 1, _address(y), 1)
    return True


def add_to_rows(out: np.ndarray, row: np.ndarray) -> bool:
    """out[i] += row for every row of a 2-D ``out`` (N, k), in place, if BLAS can (row (k,) of
    out's dtype, float32/64, contiguous; out row- or column-major, large enough; both aligned);
    returns False, touching nothing, when the caller must do it with NumPy."""
    kernel = _kernel("ger", out.dtype)
    if (
        kernel is None
        or out.ndim != 2
        or out.size < ADD_TO_ROWS_MIN_SIZE
        or row.dtype != out.dtype
        or row.shape != out.shape[1:]
        or not (row.flags.c_contiguous and out.flags.writeable)
        or not (out.flags.c_contiguous or out.flags.f_contiguous)
        or not (out.flags.aligned and row.flags.aligned)
        or np.may_share_memory(out, row)
    ):
        return False
    _ger(kernel, out, row)
    return True


def _ger(kernel: _Kernel, out: np.ndarray, row: np.ndarray) -> None:
    """out ← out + ones·rowᵀ for a contiguous 2-D out of either layout."""
    rows, columns = out.shape
    if out.flags.c_contiguous:
        order, leading, start = _ROW_MAJOR, columns, _address(out)
    else:  # the buffer route takes only row-major arrays; out.T starts at the same address
        order, leading, start = _COLUMN_MAJOR, rows, _address(out.T)
    ones_address = _ones_with_address(rows, out.dtype)[1]
    kernel(order, rows, columns, 1.0, ones_address, 1, _address(row), 1, start, leading)


# Read-only vectors of ones by (length, dtype), with their addresses; a handful of batch sizes in
# practice: the 1 of out ← out + 1·bᵀ here and of a batch sum ones·g (functional/layers.py).
_ONES: dict[tuple[int, np.dtype], tuple[np.ndarray, int]] = {}


def ones(length: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of ``length`` ones of ``dtype``, made once and kept."""
    return _ones_with_address(length, dtype)[0]


def _ones_with_address(length: int, dtype: np.dtype) -> tuple[np.ndarray, int]:
    entry = _ONES.get((length, dtype))
    if entry is None:
        if len(_ONES) > 16:  # many batch sizes (e.g. the last batch of many data sets): start over
            _ONES.clear()
        vector = np.ones(length, dtype=dtype)
        vector.flags.writeable = False
        entry = _ONES[length, dtype] = (vector, vector.ctypes.data)
    return entry


_NO_BYTES = ctypes.c_char * 0


def _address(array: np.ndarray) -> int:
    """Where a contiguous array's data starts. Through the buffer protocol it costs 0.4 µs;
    array.ctypes.data builds a helper object each time (1.3 µs), but also takes read-only
    arrays, which the buffer route refuses."""
    try:
        return ctypes.addressof(_NO_BYTES.from_buffer(array))
    except TypeError:
        return array.ctypes.data
