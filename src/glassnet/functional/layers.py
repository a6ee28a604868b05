"""The stateless halves of layers: ``linear`` (one fused op) and ``dropout``."""

from __future__ import annotations

import numpy as np

from glassnet._blas import ADD_TO_ROWS_MIN_SIZE, add_to_rows, ones
from glassnet.autograd import Function, Tensor, input_tensor
from glassnet.autograd.dtypes import promote
from glassnet.errors import ShapeError
from glassnet.random import default_generator


class Linear(Function):
    """y = x @ Wᵀ + b.   x: (…, in), W: (out, in), b: (out,) -> (…, out).

    One node instead of matmul, transpose and add: the backward is three products,
    ∂x = g @ W,  ∂W = gᵀ @ x,  ∂b = Σ g over the batch — and none is computed if not needed.
    """

    def forward(
        self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None
    ) -> np.ndarray:
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ShapeError(
                f"linear expects input of shape (batch, {weight.shape[1]}) for a weight of shape "
                f"{weight.shape}; got {x.shape}."
            )
        self.x, self.weight = x, weight
        if x.ndim != 2:
            out = x @ weight.T
        elif len(x) * len(weight) < _MATMUL_FROM:  # the result's size, N · out
            out = x.dot(weight.T)
        elif len(x) <= len(weight):  # feature-major: see the note on layouts below
            out = _column_major_product(x, weight.T)
        else:
            out = _large_product(x, weight.T)
        if bias is not None:
            # in place on the fresh product (no temporary); a large one through BLAS, which
            # adds a row to every row 2-4x faster than NumPy's broadcast (see _blas.py). The size
            # is tested here first so that small batches (one sample, say) make no call at all
            if out.size < ADD_TO_ROWS_MIN_SIZE or not add_to_rows(out, bias):
                out += bias
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        needs = self.needs_input_grad  # (x, weight) or (x, weight, bias)
        x = self.x
        grad_2d = grad
        if x.ndim != 2:  # fold leading batch axes: (…, out) -> (N, out)
            grad_2d = grad.reshape(-1, grad.shape[-1])
            x = x.reshape(-1, x.shape[-1])
        grad_x = grad_weight = None
        if needs[0]:  # (N, out) @ (out, in): a result of x's size
            if x.size < _MATMUL_FROM:
                grad_x = grad_2d.dot(self.weight)
            elif _column_major(x):  # laid out as x is, like the gradients of elementwise ops
                grad_x = _column_major_product(grad_2d, self.weight)
            else:
                grad_x = _large_product(grad_2d, self.weight)
            if grad_x.shape != self.x.shape:
                grad_x = grad_x.reshape(self.x.shape)
        if needs[1]:  # (out, N) @ (N, in): a result of the weight's size
            if self.weight.size < _MATMUL_FROM:
                grad_weight = grad_2d.T.dot(x)
            else:
                grad_weight = _large_product(grad_2d.T, x)
        if len(needs) == 2:
            return grad_x, grad_weight
        grad_bias = _sum_over_batch(grad_2d) if needs[2] else None
        return grad_x, grad_weight, grad_bias


# From this many elements in the result (64 KiB of float32), Linear's products go through
# np.matmul; below, through ndarray.dot. Both make the same BLAS call (same bits), but dot first
# zero-fills its result (NumPy's cblas_matrixproduct), a wasted pass over memory that BLAS then
# overwrites: on a 256×784 float32 weight gradient over a batch of 128, 281 µs against 243. dot
# costs ~1 µs less to call, which is what counts on small results. Measured on the 784-256-128-10
# benchmark step: the threshold at 2**14 instead of 2**17 makes the step 2-3% faster.
_MATMUL_FROM = 1 << 14


# Layouts. A large result (N, out) with no more rows than columns, a training batch
# through a layer at least as wide, is computed as the transpose of W @ xᵀ: column-major, laid out
# along its shorter side. OpenBLAS (SkylakeX kernels, 2 threads) runs the product 10-25 % faster so
# (128 x 784 @ 784 x 256: 409 µs against 462), and the products that consume it as well; larger
# batches are faster row-major (1024 rows: 1893 µs against 2095), so they stay so. Elementwise ops
# keep a layout, and the input gradient takes the input's, so the activations and their gradients
# stay feature-major through bias, ReLU and backward: the benchmark step runs 3.6-5.4 % faster.
# Weight gradients keep the weight's own row-major layout, which optimizers read flat.


def _column_major(x: np.ndarray) -> bool:
    """Whether x is laid out feature-major (column-major and not also row-major)."""
    return x.ndim > 1 and x.flags.f_contiguous and not x.flags.c_contiguous


def _large_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-D a (m, k), b (k, n) -> (m, n) with a large result."""
    # k = 1 (an outer product) stays with dot: matmul does not hand it to BLAS (5x slower)
    return np.matmul(a, b) if a.shape[1] > 1 else a.dot(b)


def _column_major_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b as _large_product makes it, laid out column-major: the transpose of bᵀ @ aᵀ."""
    return _large_product(b.T, a.T).T


def _sum_over_batch(grad: np.ndarray) -> np.ndarray:
    """Σₙ grad[n]: (N, out) -> (out,). As ones·grad it is one BLAS call, 2-3x faster than
    np.add.reduce along axis 0 (which adds row after row) and no less accurate."""
    if grad.shape[0] == 1:  # one sample: the row is its own sum (backward copies a view for a leaf)
        return grad[0]
    if grad.dtype.kind != "f" or grad.dtype.itemsize not in (4, 8):
        return np.add.reduce(grad, axis=0)  # no BLAS for this type
    return ones(grad.shape[0], grad.dtype).dot(grad)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias.   x: (N, in), weight: (out, in), bias: (out,) -> (N, out).

    Array data x takes the weight's dtype; Tensors meet at their common dtype (type promotion,
    so an int64 batch through a float32 weight gives float32)."""
    x = input_tensor(x, like=weight)
    dtype = weight.data.dtype
    if x.data.dtype is not dtype or (bias is not None and bias.data.dtype is not dtype):
        x, weight, bias = promote(x, weight, bias)  # an int batch becomes float32, say
    if bias is None:
        return Linear().apply(x, weight)
    return Linear().apply(x, weight, bias)


class Dropout(Function):
    """y = x·mask/(1 − p), mask ~ Bernoulli(1 − p) (inverted dropout).  Any shape."""

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x: np.ndarray) -> np.ndarray:
        generator = default_generator()
        # the mask in x's layout: a product of two layouts is a strided pass, 5x slower
        draws = generator.random(x.T.shape).T if _column_major(x) else generator.random(x.shape)
        keep = draws >= self.p
        self.scale = (keep / (1 - self.p)).astype(x.dtype)
        return x * self.scale

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.scale,)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p, scale the rest by 1/(1 − p); identity in eval."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be between 0 and 1; got {p}.")
    x = input_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    return Dropout(p).apply(x)
