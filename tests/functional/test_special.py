"""erf, erfc, normal_cdf and normal_pdf against SciPy (SciPy is a test-only dependency).

scipy.special.erfc itself loses up to ~6e-14 in the tail (it rounds x² before exp), so tail
references are built where that rounding cannot happen: on dyadic points, where x² is exact, or
as erfcx(x) · exp(−x²) with x² split exactly into two doubles (Dekker's product).
"""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from glassnet.functional.special import erf, erfc, normal_cdf, normal_pdf

pytestmark = pytest.mark.filterwarnings("error")

RELATIVE_TOLERANCE = 1e-14
TINY = 1e-300  # below this, compare absolutely: scipy's erfc flushes to 0 from x ≈ 26.55
SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's constant for splitting a double into halves


@pytest.fixture(autouse=True)
def raise_on_floating_point_errors():
    with np.errstate(all="raise"):
        yield


def max_relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(actual - expected) / np.abs(expected)))


def exp_minus_square_reference(x: np.ndarray, factor: float = 1.0) -> np.ndarray:
    """exp(−factor·x²) with x² = high + low exactly (Dekker), for factor a power of two."""
    high = x * x
    scaled = SPLIT * x
    x_high = scaled - (scaled - x)
    x_low = x - x_high
    low = ((x_high * x_high - high) + 2.0 * x_high * x_low) + x_low * x_low
    with np.errstate(under="ignore"):
        return np.exp(-factor * high) * np.exp(-factor * low)


def erfc_reference(x: np.ndarray) -> np.ndarray:
    """erfc from scipy, its right tail rebuilt as erfcx(x) · exp(−x²) with an exact x²."""
    with np.errstate(under="ignore"):
        tail = scipy.special.erfcx(np.abs(x)) * exp_minus_square_reference(x)
        return np.where(x > 1.0, tail, scipy.special.erfc(x))


def grid_points() -> np.ndarray:
    """Dense grid over [-30, 30], random points, tiny values and the branch boundaries."""
    rng = np.random.default_rng(20240601)
    tiny = np.geomspace(1e-300, 1e-3, 2000)
    boundaries = np.array([0.46875, 4.0, 26.543])
    near_boundaries = np.concatenate(
        [boundaries, np.nextafter(boundaries, 0.0), np.nextafter(boundaries, 30.0)]
    )
    positive = np.concatenate([tiny, near_boundaries, [5e-324, 2.2250738585072014e-308]])
    return np.concatenate(
        [
            np.linspace(-30.0, 30.0, 120_001),
            rng.uniform(-30.0, 30.0, 50_000),
            rng.standard_normal(50_000),
            positive,
            -positive,
        ]
    )


def dyadic_points(limit: float, step: float) -> np.ndarray:
    """Multiples of a power-of-two step: few mantissa bits, so x² is exact in float64."""
    return np.arange(-limit, limit + step, step)


def test_erf_matches_scipy_over_the_real_line():
    x = grid_points()
    expected = scipy.special.erf(x)
    actual = erf(x)
    nonzero = expected != 0.0
    assert max_relative_error(actual[nonzero], expected[nonzero]) <= RELATIVE_TOLERANCE
    assert np.array_equal(actual[~nonzero], expected[~nonzero])


def test_erfc_matches_scipy_on_dyadic_grid():
    x = dyadic_points(30.0, 1.0 / 256.0)
    expected = scipy.special.erfc(x)
    actual = erfc(x)
    normal = expected > TINY
    assert normal.sum() > 10_000
    assert max_relative_error(actual[normal], expected[normal]) <= RELATIVE_TOLERANCE
    assert np.max(np.abs(actual[~normal] - expected[~normal])) <= TINY


def test_erfc_matches_reference_without_cancellation_in_the_tail():
    x = grid_points()
    expected = erfc_reference(x)
    actual = erfc(x)
    normal = expected > TINY
    assert np.any(normal & (x > 25.0))  # the far tail, erfc ≈ 1e-280, is really tested
    assert max_relative_error(actual[normal], expected[normal]) <= RELATIVE_TOLERANCE
    assert np.max(np.abs(actual[~normal] - expected[~normal])) <= TINY


def test_erfc_decreases_to_zero_through_the_subnormals():
    x = np.linspace(26.0, 28.0, 2001)
    values = erfc(x)
    assert np.all(np.diff(values) <= 0.0)
    assert values[0] > 0.0 and values[-1] == 0.0
    assert np.any((values > 0.0) & (values < np.finfo(np.float64).tiny))


@pytest.mark.parametrize("scale", [1e-3, 0.3, 2.0, 10.0])
def test_erf_is_odd_and_erfc_reflects(scale):
    x = np.random.default_rng(7).standard_normal(10_000) * scale
    assert np.array_equal(erf(-x), -erf(x))
    assert np.allclose(erfc(x) + erfc(-x), 2.0, rtol=0.0, atol=4e-16)
    assert np.allclose(erf(x) + erfc(x), 1.0, rtol=0.0, atol=4e-16)


def test_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 1e308, -1e308, 0.0, -0.0, 5e-324])
    np.testing.assert_array_equal(erf(x), [1.0, -1.0, np.nan, 1.0, -1.0, 0.0, -0.0, 5e-324])
    np.testing.assert_array_equal(erfc(x), [0.0, 2.0, np.nan, 0.0, 2.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(normal_cdf(x), [1.0, 0.0, np.nan, 1.0, 0.0, 0.5, 0.5, 0.5])
    pdf_at_zero = 1.0 / np.sqrt(2.0 * np.pi)
    expected_pdf = [0.0, 0.0, np.nan, 0.0, 0.0, pdf_at_zero, pdf_at_zero, pdf_at_zero]
    np.testing.assert_allclose(normal_pdf(x), expected_pdf, rtol=1e-16, atol=0.0)
    assert np.signbit(erf(np.array([-0.0]))[0])


@pytest.mark.parametrize("function", [erf, erfc, normal_cdf, normal_pdf])
def test_nan_propagates_only_where_it_was(function):
    x = np.array([[np.nan, 1.0, -3.0], [0.2, np.nan, 40.0]])
    result = function(x)
    assert result.shape == x.shape
    assert np.array_equal(np.isnan(result), np.isnan(x))


@pytest.mark.parametrize(
    ("function", "reference"),
    [
        (erf, scipy.special.erf),
        (erfc, scipy.special.erfc),
        (normal_cdf, scipy.special.ndtr),
        (normal_pdf, scipy.stats.norm.pdf),
    ],
)
def test_float32_in_float32_out(function, reference):
    x = np.linspace(-15.0, 15.0, 3000, dtype=np.float32).reshape(3, 1000, 1)
    result = function(x)
    assert result.dtype == np.float32 and result.shape == x.shape
    with np.errstate(under="ignore"):  # the reference's own rounding to float32, not under test
        expected = reference(x.astype(np.float64)).astype(np.float32)
        float32_ulp = np.spacing(np.abs(expected))
    assert np.all(np.abs(result - expected) <= float32_ulp)


def test_scalars_and_integers_give_float64():
    assert erf(1).dtype == np.float64 and erf(1).shape == ()
    assert erfc(np.array([0, 1, 2])).dtype == np.float64
    assert erf(np.float16(0.5)).dtype == np.float16
    assert float(normal_cdf(0.0)) == 0.5


def test_normal_cdf_matches_scipy_in_the_body():
    x = np.linspace(-5.0, 5.0, 20_001)  # scipy's own error, ≈ x²·2⁻⁵³, stays below 3e-15 here
    assert max_relative_error(normal_cdf(x), scipy.special.ndtr(x)) <= RELATIVE_TOLERANCE


def test_normal_cdf_left_tail_matches_reference():
    x = -np.random.default_rng(11).uniform(0.7, 38.0, 20_000)
    z = -x / np.sqrt(2.0)
    with np.errstate(under="ignore"):
        expected = 0.5 * scipy.special.erfcx(z) * exp_minus_square_reference(x, factor=0.5)
    assert np.min(expected) < 1e-300 < np.max(expected)
    normal = expected > TINY
    assert max_relative_error(normal_cdf(x)[normal], expected[normal]) <= RELATIVE_TOLERANCE


def test_normal_pdf_matches_exact_square_reference():
    x = np.concatenate(
        [dyadic_points(40.0, 1.0 / 64.0), np.random.default_rng(3).uniform(-40.0, 40.0, 20_000)]
    )
    with np.errstate(under="ignore"):
        expected = exp_minus_square_reference(x, factor=0.5) / np.sqrt(2.0 * np.pi)
    actual = normal_pdf(x)
    normal = expected > TINY
    assert max_relative_error(actual[normal], expected[normal]) <= RELATIVE_TOLERANCE
    assert np.max(np.abs(actual[~normal] - expected[~normal])) <= TINY
    body = np.abs(x) <= 5.0
    assert max_relative_error(actual[body], scipy.stats.norm.pdf(x[body])) <= RELATIVE_TOLERANCE


def test_normal_pdf_is_the_derivative_of_normal_cdf():
    # Left half only: there Φ is small and the difference keeps its relative accuracy.
    x = np.linspace(-8.0, 0.0, 801)
    step = 1e-5
    central_difference = (normal_cdf(x + step) - normal_cdf(x - step)) / (2.0 * step)
    np.testing.assert_allclose(central_difference, normal_pdf(x), rtol=1e-8, atol=0.0)
