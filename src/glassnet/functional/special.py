"""Special functions for GELU, in pure NumPy: erf, erfc, the standard normal CDF and PDF.

erf and erfc use W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 23 (1969) 631-638), with the coefficients,
ranges and evaluation order of his routine CALERF (netlib specfun/erf, last modified 1990):

    |x| <= 0.46875          erf(x)  = x · A(x²) / B(x²)
    0.46875 < |x| <= 4      erfc(|x|) = exp(-x²) · C(|x|) / D(|x|)
    |x| > 4                 erfc(|x|) = exp(-x²) / |x| · (1/√π − z · P(z) / Q(z)),  z = 1/x²

and the reflections erf(-x) = -erf(x), erfc(-x) = 2 − erfc(x). Unlike CALERF, erfc is not cut to
0 at |x| = 26.543 but followed down through the subnormals. Every function works on arrays of
any shape, computes in float64 and returns the input's floating dtype (float64 for integers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

# Cody's coefficients, in his storage order: the numerator's leading coefficient is last, the
# denominator is monic (its leading 1 is implicit). See _cody_ratio for how they combine.
_ERF_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_ERF_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERFC_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_ERFC_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERFC_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_ERFC_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)

_SMALL_LIMIT = 0.46875  # |x| up to here: erf by A/B
_MIDDLE_LIMIT = 4.0  # |x| up to here: erfc by C/D, beyond it by P/Q
_ERFC_ZERO_FROM = 28.0  # erfc(28) ≈ 6e-343 rounds to 0 in float64 (Cody's XBIG is 26.543)
_ONE_OVER_SQRT_PI = 0.56418958354775628695
_ONE_OVER_SQRT_2 = 0.70710678118654752440
_ONE_OVER_SQRT_2PI = 0.39894228040143267794
_NORMAL_ZERO_FROM = 40.0  # φ(40) and Φ(−40) round to 0 in float64


def _cody_ratio(t: np.ndarray, numerator: tuple, denominator: tuple) -> np.ndarray:
    """N(t) / D(t) in Cody's nesting: N = (((n[-1]·t + n[0])·t + n[1])·t ...) + n[k-1],
    D = (((t + d[0])·t + d[1])·t ...) + d[k-1], with k = len(denominator)."""
    k = len(denominator)
    num = numerator[-1] * t
    den = t.copy()
    for i in range(k - 1):  # a handful of coefficients: the arrays do the per-element work
        num += numerator[i]  # in place: no temporary array per step
        num *= t
        den += denominator[i]
        den *= t
    num += numerator[k - 1]
    den += denominator[k - 1]
    num /= den
    return num


def _exp_minus_square(y: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """exp(-factor · y²) for factor a power of two, without the rounding error of y².

    y² rounds by half an ulp, which exp turns into a relative error of y²·2⁻⁵³ (≈ 1e-13 at
    y = 26). Splitting y = r + (y − r) with r = trunc(16y)/16 makes r² exact, and the rest,
    (y − r)(y + r), is small, so its rounding barely matters (Cody's own trick).
    """
    rounded = np.trunc(y * 16.0) / 16.0
    rest = (y - rounded) * (y + rounded)
    return np.exp(-factor * rounded * rounded) * np.exp(-factor * rest)


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    return x * _cody_ratio(x * x, _ERF_A, _ERF_B)


def _erfcx_large(y: np.ndarray) -> np.ndarray:
    """erfcx(y) = exp(y²) · erfc(y) for finite y > 0.46875 (NaN passes through)."""
    result = np.empty_like(y)
    middle = y <= _MIDDLE_LIMIT
    result[middle] = _cody_ratio(y[middle], _ERFC_C, _ERFC_D)
    tail = ~middle
    y_tail = y[tail]
    z = 1.0 / (y_tail * y_tail)
    result[tail] = (_ONE_OVER_SQRT_PI - z * _cody_ratio(z, _ERFC_P, _ERFC_Q)) / y_tail
    return result


def _erfc_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875; y may be +inf or NaN."""
    clipped = np.minimum(y, _ERFC_ZERO_FROM)  # keeps y² finite; np.minimum keeps NaN
    return _exp_minus_square(clipped) * _erfcx_large(clipped)


def _erf64(x: np.ndarray) -> np.ndarray:
    """erf on a 1-D float64 array."""
    result = np.empty_like(x)
    small = np.abs(x) <= _SMALL_LIMIT
    result[small] = _erf_small(x[small])
    large = ~small  # NaN lands here and stays NaN
    x_large = x[large]
    result[large] = np.copysign(1.0 - _erfc_large(np.abs(x_large)), x_large)
    return result


def _erfc64(x: np.ndarray) -> np.ndarray:
    """erfc on a 1-D float64 array."""
    result = np.empty_like(x)
    small = np.abs(x) <= _SMALL_LIMIT
    result[small] = 1.0 - _erf_small(x[small])
    large = ~small
    x_large = x[large]
    erfc_abs = _erfc_large(np.abs(x_large))
    result[large] = np.where(x_large < 0.0, 2.0 - erfc_abs, erfc_abs)
    return result


def _normal_cdf64(x: np.ndarray) -> np.ndarray:
    """½ · erfc(−x/√2) on a 1-D float64 array.

    In the left tail, erfc(z) = exp(−z²) · erfcx(z) with z = −x/√2 would square the rounding
    error of z (relative error ≈ x²·2⁻⁵³, 1e-13 at x = −37); exp(−x²/2) is taken from x itself
    instead, and erfcx is insensitive to that rounding.
    """
    result = np.empty_like(x)
    z = -x * _ONE_OVER_SQRT_2
    left = z > _SMALL_LIMIT
    result[~left] = 0.5 * _erfc64(z[~left])  # NaN lands here and stays NaN
    x_left = np.maximum(x[left], -_NORMAL_ZERO_FROM)
    erfcx = _erfcx_large(-x_left * _ONE_OVER_SQRT_2)
    result[left] = 0.5 * _exp_minus_square(x_left, factor=0.5) * erfcx
    return result


def _normal_pdf64(x: np.ndarray) -> np.ndarray:
    """exp(−x²/2) / √(2π) on a 1-D float64 array."""
    clipped = np.minimum(np.abs(x), _NORMAL_ZERO_FROM)  # np.minimum keeps NaN
    return _ONE_OVER_SQRT_2PI * _exp_minus_square(clipped, factor=0.5)


def _apply(function64: Callable[[np.ndarray], np.ndarray], x: ArrayLike) -> np.ndarray:
    """Run a 1-D float64 kernel on x of any shape; return x's floating dtype."""
    x = np.asarray(x)
    out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    # Results far below 1 (erfc(27), erf(1e-310), a float32 cast of 1e-50) round to subnormals
    # or zero, which is the correctly rounded answer, so only underflow is silenced here.
    with np.errstate(under="ignore"):
        values = function64(x.astype(np.float64).reshape(-1))
        return values.reshape(x.shape).astype(out_dtype, copy=False)


def erf(x: ArrayLike) -> np.ndarray:
    """erf(x) = 2/√π ∫₀ˣ exp(-t²) dt, element-wise; any shape -> same shape."""
    return _apply(_erf64, x)


def erfc(x: ArrayLike) -> np.ndarray:
    """erfc(x) = 1 − erf(x), element-wise, with full relative accuracy in the tail x → +∞."""
    return _apply(_erfc64, x)


def normal_cdf(x: ArrayLike) -> np.ndarray:
    """Φ(x) = ½ · erfc(−x/√2), the standard normal CDF, element-wise; any shape."""
    return _apply(_normal_cdf64, x)


def normal_pdf(x: ArrayLike) -> np.ndarray:
    """φ(x) = exp(−x²/2) / √(2π), the standard normal density, element-wise; any shape."""
    return _apply(_normal_pdf64, x)
