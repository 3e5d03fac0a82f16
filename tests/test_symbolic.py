"""The sympy derivations: each step follows from the one before, a wrong step is caught, and the resulting
expressions agree numerically with the numpy code."""

import dataclasses

import numpy as np
import pytest
import sympy
from fm_cases import over_schedules

from fm_helpers import paths, schedules, symbolic
from fm_helpers.symbolic import eps, t, x, z

DERIVATIONS = {"general": symbolic.conditional_field_derivation, "CondOT": symbolic.condot_derivation}


@pytest.mark.parametrize("build", DERIVATIONS.values(), ids=DERIVATIONS.keys())
def test_every_step_of_the_derivations_is_verified(build):
    derivation = build()
    results = derivation.verify()
    assert len(results) == len(derivation.steps) - 1
    assert all(results)


def with_step(derivation, index, **changes):
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], **changes)
    return dataclasses.replace(derivation, steps=tuple(steps))


def test_a_wrong_step_in_the_general_derivation_is_caught():
    """A sign slip when collecting the z terms: verify() must say False for that step, True for the others."""
    d_alpha, d_beta = sympy.Derivative(symbolic.alpha, t), sympy.Derivative(symbolic.beta, t)
    slipped = (d_alpha + d_beta / symbolic.beta * symbolic.alpha) * z + d_beta / symbolic.beta * symbolic.Xt
    results = with_step(symbolic.conditional_field_derivation(), -1, lhs=slipped).verify()
    assert results == [True] * (len(results) - 1) + [False]


def test_a_wrong_step_in_the_condot_derivation_is_caught():
    """Replace the last line z - eps by z + eps (and, separately, a wrong substitution)."""
    good = symbolic.condot_derivation()
    assert with_step(good, -1, rhs=z + eps).verify()[-1] is False
    at_xt = [i for i, s in enumerate(good.steps) if x in s.substitution][0]
    wrong_point = with_step(good, at_xt, substitution={x: t * z + (1 + t) * eps})
    assert wrong_point.verify()[at_xt - 1] is False


@over_schedules
def test_conditional_field_expression_matches_the_numpy_field(schedule):
    """The simplified sympy u_t(x|z), lambdified here, equals GaussianPath.conditional_field."""
    expression = symbolic.conditional_field_expression(schedule)
    assert expression.free_symbols <= {t, x, z}
    fn = sympy.lambdify((t, x, z), expression, modules="numpy")
    path = paths.GaussianPath(schedule)
    rng = np.random.default_rng(0)
    xs, zs = rng.standard_normal((25, 1)), rng.standard_normal((25, 1))
    for time in (0.05, 0.3, 0.6, 0.95):
        np.testing.assert_allclose(np.broadcast_to(fn(time, xs, zs), xs.shape), path.conditional_field(xs, zs, time),
                                   rtol=1e-10, atol=1e-12)


@over_schedules
def test_noise_form_expression_matches_the_numpy_field(schedule):
    fn = sympy.lambdify((t, eps, z), symbolic.conditional_field_from_noise_expression(schedule), modules="numpy")
    path = paths.GaussianPath(schedule)
    rng = np.random.default_rng(1)
    es, zs = rng.standard_normal((25, 1)), rng.standard_normal((25, 1))
    for time in (0.0, 0.4, 0.9):
        np.testing.assert_allclose(np.broadcast_to(fn(time, es, zs), es.shape),
                                   path.conditional_field_from_noise(es, zs, time), rtol=1e-12, atol=1e-12)


def test_condot_noise_form_is_z_minus_eps():
    expression = symbolic.conditional_field_from_noise_expression(schedules.CondOT())
    assert sympy.simplify(expression - (z - eps)) == 0
    assert sympy.simplify(expression - (z + eps)) != 0  # the comparison can fail


def test_condot_x_form_is_z_minus_x_over_one_minus_t():
    expression = symbolic.conditional_field_expression(schedules.CondOT())
    assert sympy.simplify(expression - (z - x) / (1 - t)) == 0


def test_derivations_render_one_latex_row_per_step():
    derivation = symbolic.condot_derivation()
    latex = derivation.latex()
    assert latex.startswith(r"\begin{aligned}") and latex.count(r" \\ ") == len(derivation.steps) - 1
    assert r"\varepsilon" in latex and r"u_t(x \mid z)" in latex
    assert len(repr(derivation).splitlines()) == len(derivation.steps) + 1
