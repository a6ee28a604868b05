"""y ← y + a·x in one pass over memory, from the BLAS that NumPy itself loaded.

NumPy has no fused multiply-add, so ``p -= lr * g`` costs two passes over the parameters (lr·g
into a scratch array, then the subtraction): for a 784-256-128-10 MLP that is ~100 µs of a ~1.4 ms
training step. BLAS's ``axpy`` does it in one. NumPy's wheels bundle OpenBLAS (as
``scipy_openblas64``) without exposing it to Python, so this module finds that library among
NumPy's own files and calls its ``cblas_?axpy`` through ctypes.

Anything unexpected — another BLAS, a library without the symbol, a self-check that does not
match NumPy's arithmetic — leaves ``axpy`` returning False and the caller doing the two NumPy
passes. ``GLASSNET_BLAS_AXPY=0`` turns it off.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Below this many elements a ctypes call (~1.5 µs with the pointer lookups) costs more than the
# second NumPy pass it saves.
MIN_SIZE = 4096

# (symbol prefix, integer type) per OpenBLAS build NumPy has shipped: scipy-openblas (NumPy ≥ 2)
# and the 64-bit-integer OpenBLAS of NumPy 1.2x wheels.
_SYMBOL_FORMS = (
    ("scipy_cblas_{}axpy64_", ctypes.c_int64),
    ("scipy_cblas_{}axpy", ctypes.c_int32),
    ("cblas_{}axpy64_", ctypes.c_int64),
)

_Kernel = Callable[[int, float, int, int, int, int], None]


def _numpy_blas_files() -> list[Path]:
    root = Path(np.__file__).parent
    folders = (root.parent / "numpy.libs", root / ".dylibs")  # Linux/Windows wheels, macOS wheels
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*openblas*"))


def _load_kernels() -> dict[np.dtype, _Kernel]:
    for path in _numpy_blas_files():
        try:
            library = ctypes.CDLL(str(path))
        except OSError:
            continue
        for form, integer in _SYMBOL_FORMS:
            kernels = {}
            for letter, dtype, real in (("s", np.float32, ctypes.c_float),
                                        ("d", np.float64, ctypes.c_double)):  # fmt: skip
                function = getattr(library, form.format(letter), None)
                if function is None:
                    break
                function.restype = None
                function.argtypes = [integer, real, ctypes.c_void_p, integer,
                                     ctypes.c_void_p, integer]  # fmt: skip
                kernels[np.dtype(dtype)] = function
            if len(kernels) == 2 and _agrees_with_numpy(kernels):
                return kernels
    return {}


def _agrees_with_numpy(kernels: dict[np.dtype, _Kernel]) -> bool:
    """A wrong signature guess would corrupt memory or compute nonsense: try it on known values."""
    for dtype, kernel in kernels.items():
        x = np.linspace(-3, 3, 37, dtype=dtype)
        y = np.linspace(5, 1, 37, dtype=dtype)
        expected = y - dtype.type(0.25) * x  # 0.25·x is exact, so FMA or not gives this
        kernel(x.size, -0.25, x.ctypes.data, 1, y.ctypes.data, 1)
        if not np.array_equal(y, expected):
            return False
    return True


_KERNELS: dict[np.dtype, _Kernel] | None = None


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> bool:
    """y += alpha·x in place if BLAS can (same dtype float32/64, both contiguous, large enough);
    returns False, touching nothing, when the caller must do it with NumPy."""
    global _KERNELS
    if _KERNELS is None:
        enabled = os.environ.get("GLASSNET_BLAS_AXPY", "1") != "0"
        _KERNELS = _load_kernels() if enabled else {}
    kernel = _KERNELS.get(y.dtype)
    if (
        kernel is None
        or y.size < MIN_SIZE
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
        or np.may_share_memory(x, y)
    ):
        return False
    kernel(y.size, alpha, _address(x), 1, _address(y), 1)
    return True


_NO_BYTES = ctypes.c_char * 0


def _address(array: np.ndarray) -> int:
    """Where a contiguous array's data starts. Through the buffer protocol it costs 0.4 µs;
    array.ctypes.data builds a helper object each time (1.3 µs), but also takes read-only
    arrays, which the buffer route refuses."""
    try:
        return ctypes.addressof(_NO_BYTES.from_buffer(array))
    except TypeError:
        return array.ctypes.data
