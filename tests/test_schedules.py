"""Schedules: values, derivatives and boundary conditions, each against an independent computation."""

import numpy as np
import pytest
import sympy
from fm_cases import SCHEDULES, over_schedules

from fm_helpers import schedules
from fm_helpers.schedules import T

# Interior times; LinearVP's d_beta = -t / sqrt(1 - t^2) is steep near 1, so stop at 0.98.
INTERIOR = np.linspace(0.02, 0.98, 49)


def central_difference(fn, t, h=1e-5):
    return (fn(t + h) - fn(t - h)) / (2 * h)


def sympy_functions(schedule):
    """alpha, beta and their derivatives lambdified here from ``expressions()``, not by the schedule."""
    a, b = schedule.expressions()
    return [sympy.lambdify(T, e, modules="numpy") for e in (a, b, sympy.diff(a, T), sympy.diff(b, T))]


@over_schedules
def test_derivatives_equal_central_differences(schedule):
    """d_alpha, d_beta against central differences of alpha, beta (error O(h^2) ~ 1e-10)."""
    np.testing.assert_allclose(schedule.d_alpha(INTERIOR), central_difference(schedule.alpha, INTERIOR),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(schedule.d_beta(INTERIOR), central_difference(schedule.beta, INTERIOR),
                               rtol=1e-6, atol=1e-6)


@over_schedules
def test_values_and_derivatives_equal_sympy(schedule):
    """alpha, beta, d_alpha, d_beta against sympy's expressions and sympy's derivatives of them."""
    alpha, beta, d_alpha, d_beta = sympy_functions(schedule)
    t = INTERIOR
    for ours, theirs in ((schedule.alpha, alpha), (schedule.beta, beta),
                         (schedule.d_alpha, d_alpha), (schedule.d_beta, d_beta)):
        np.testing.assert_allclose(ours(t), np.broadcast_to(theirs(t), t.shape), rtol=1e-12, atol=1e-12)


@over_schedules
def test_boundary_values_are_exact(schedule):
    """Noise at t = 0 (alpha 0, beta 1), data at t = 1 (alpha 1, beta 0), exactly, for floats and arrays."""
    # exact by construction: at t = 0 and 1, t, 1 - t, t**n, sqrt(1 - t**2) and sin(0) are exact in floating point and
    # sin of the float pi/2 rounds to 1; formula schedules pin their ends to sympy's exact values
    assert schedule.alpha(0.0) == 0.0 and schedule.beta(0.0) == 1.0
    assert schedule.alpha(1.0) == 1.0 and schedule.beta(1.0) == 0.0
    np.testing.assert_array_equal(schedule.alpha(np.array([0.0, 1.0])), [0.0, 1.0])
    np.testing.assert_array_equal(schedule.beta(np.array([0.0, 1.0])), [1.0, 0.0])


@over_schedules
def test_arrays_give_the_same_values_as_scalars(schedule):
    """Vectorised evaluation (any shape) agrees with one call per float, to a few ulps.

    Not bit for bit: numpy's SIMD power (AVX-512) and a scalar power may round differently.
    """
    t = INTERIOR.reshape(7, 7)
    for fn in (schedule.alpha, schedule.beta, schedule.d_alpha, schedule.d_beta):
        values = fn(t)
        assert values.shape == t.shape
        np.testing.assert_array_max_ulp(values, np.vectorize(lambda s, fn=fn: fn(float(s)))(t), maxulp=4)


@over_schedules
def test_beta_d_beta_is_product_and_has_the_right_limit_at_one(schedule):
    """beta * d_beta equals the product inside (0, 1) and, at t = 1, sympy's limit of the product."""
    np.testing.assert_allclose(schedule.beta_d_beta(INTERIOR), schedule.beta(INTERIOR) * schedule.d_beta(INTERIOR),
                               rtol=1e-12, atol=1e-14)
    a, b = schedule.expressions()
    limit = float(sympy.limit(b * sympy.diff(b, T), T, 1, dir="-"))
    assert schedule.beta_d_beta(1.0) == pytest.approx(limit, abs=1e-12)


def test_linear_vp_d_beta_is_infinite_at_one():
    """d_beta = -t / sqrt(1 - t^2) diverges at t = 1: a ValueError, not -inf."""
    vp = schedules.LinearVP()
    with pytest.raises(ValueError, match="d_beta of schedule LinearVP is not finite at t = 1"):
        vp.d_beta(1.0)
    with pytest.raises(ValueError, match="not finite"):
        vp.d_beta(np.array([0.5, 1.0]))
    assert np.isfinite(vp.d_beta(1 - 1e-9))


def test_linear_vp_preserves_variance():
    """alpha_t^2 + beta_t^2 = 1 for every t (the definition of variance preserving)."""
    vp = schedules.LinearVP()
    t = np.linspace(0, 1, 101)
    np.testing.assert_allclose(vp.alpha(t) ** 2 + vp.beta(t) ** 2, 1.0, rtol=0, atol=1e-15)


def test_named_schedules_are_the_four_of_the_book():
    named = schedules.named_schedules()
    assert list(named) == ["CondOT", "Cosine", "Polynomial(n=2)", "LinearVP"]
    assert all(isinstance(s, schedules.Schedule) and s.name == key for key, s in named.items())


@pytest.mark.parametrize("n", [0.5, 0, -2, float("nan"), float("inf"), "2"])
def test_polynomial_refuses_exponents_below_one(n):
    with pytest.raises(ValueError, match="Polynomial needs a finite exponent n >= 1"):
        schedules.Polynomial(n)


def test_polynomial_with_n_1_is_condot():
    """t^1 and 1 - t^1 are CondOT: same values and derivatives."""
    poly, ot = schedules.Polynomial(1), schedules.CondOT()
    t = np.linspace(0, 1, 11)
    for name in ("alpha", "beta", "d_alpha", "d_beta"):
        np.testing.assert_allclose(getattr(poly, name)(t), getattr(ot, name)(t), rtol=0, atol=1e-15)


@pytest.mark.parametrize("bad, message", [
    (1.3, r"t must lie in \[0, 1\], got 1.3"),
    (-0.1, r"t must lie in \[0, 1\], got -0.1"),
    (float("nan"), r"t must be a finite number in \[0, 1\], got nan"),
    (float("inf"), r"t must be a finite number in \[0, 1\]"),
    ("half", r"t must be a number in \[0, 1\]"),
    (None, r"t must be a number in \[0, 1\], got None"),
    (np.array([0.2, 1.5, 0.3]), r"t must lie in \[0, 1\], got 1.5"),
])
def test_times_outside_the_unit_interval_are_refused(bad, message):
    for s in SCHEDULES:
        with pytest.raises(ValueError, match=message):
            s.alpha(bad)


@over_schedules
def test_at_gives_field_coefficients_equal_to_sympy(schedule):
    """a_t = d_alpha - d_beta alpha / beta and b_t = d_beta / beta from ``at``, against sympy's own derivatives."""
    alpha, beta = schedule.expressions()
    a_expr = sympy.diff(alpha, T) - sympy.diff(beta, T) * alpha / beta
    b_expr = sympy.diff(beta, T) / beta
    values = schedule.at(INTERIOR)
    for ours, expr in ((values.a, a_expr), (values.b, b_expr)):
        theirs = np.broadcast_to(sympy.lambdify(T, expr, modules="numpy")(INTERIOR), INTERIOR.shape)
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)


@over_schedules
def test_at_for_a_float_and_for_an_array_agree_to_a_few_ulps(schedule):
    """One code path for both: the float result is within 4 ulps of the array's entry (SIMD may round differently)."""
    values = schedule.at(INTERIOR)
    for i, t in enumerate(INTERIOR[::8]):
        single = schedule.at(float(t))
        assert isinstance(single.alpha, float) and isinstance(single.a, float)
        for name in ("alpha", "beta", "d_alpha", "d_beta", "beta_d_beta", "a", "b"):
            np.testing.assert_array_max_ulp(getattr(single, name), getattr(values, name)[8 * i], maxulp=4)


@over_schedules
def test_split_gives_each_time_the_values_of_its_own_evaluation(schedule):
    """``split`` of an array evaluation equals ``at`` of each time on its own (to a few ulps), without evaluating."""
    times = np.array([0.0, 0.3, 0.77, 1.0])
    parts = schedule.at(times).split()
    assert [p.t for p in parts] == times.tolist()
    for part, t in zip(parts, times):
        single = schedule.at(float(t))
        assert isinstance(part.alpha, float) and part.schedule is schedule
        for name in ("alpha", "beta", "beta_d_beta"):
            np.testing.assert_array_max_ulp(getattr(part, name), getattr(single, name), maxulp=4)
        assert part.derivatives_defined == single.derivatives_defined
        if single.derivatives_defined:
            for name in ("d_alpha", "d_beta"):
                np.testing.assert_array_max_ulp(getattr(part, name), getattr(single, name), maxulp=4)


def test_derivatives_defined_marks_linear_vp_at_one():
    """LinearVP's d_beta = -t / sqrt(1 - t^2) is infinite at t = 1 and only there; CondOT's derivatives are constants."""
    times = np.array([0.0, 0.5, 0.999, 1.0])
    assert schedules.LinearVP().at(times).derivatives_defined.tolist() == [True, True, True, False]
    assert schedules.CondOT().at(times).derivatives_defined.tolist() == [True] * 4
    assert schedules.LinearVP().at(1.0).derivatives_defined is False
