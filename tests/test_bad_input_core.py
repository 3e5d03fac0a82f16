"""Bad input to the numerical core: every public function answers with a ValueError that names the problem.

Issue 8, sections 1, 4 and 5: no ZeroDivisionError, TypeError, OverflowError, LinAlgError, numpy broadcast
message, "Probabilities do not sum to 1" or NaN; each refusal comes within a wall-clock limit (a hang fails
the test instead of blocking it). Each case is named "<kind>: <what>", kind one of schedule, array, data,
figure. Inputs that can be computed (weights near 1e308, means of 1e160) are checked against values worked
out here by hand, not refused.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy
from matplotlib.lines import Line2D

from fm_cases import answer_within
from fm_helpers import continuity, data, learning, marginal, ode, paths, sampling, schedules
from fm_helpers.figures.base import LiveFigure, declare_t
from fm_helpers.interactive import StaticPlayer
from fm_helpers.schedules import T

LIMIT_S = 2.0
PATH = paths.GaussianPath(schedules.Cosine())
MIX = data.two_cities()
X2 = np.array([[0.5, 1.0], [1.0, 2.0]])
RNG = np.random.default_rng


def assert_refused(call, message: str) -> ValueError:
    try:
        value = answer_within(LIMIT_S, call)
    except BaseException as err:  # noqa: BLE001 - anything but the named ValueError fails below
        assert type(err) is ValueError, f"{type(err).__name__}: {err}"
        assert re.search(message, str(err)), f"message {str(err)!r} does not match {message!r}"
        return err
    raise AssertionError(f"accepted, returned {value!r}")


def expression_schedule(alpha, beta) -> schedules.ExpressionSchedule:
    """A schedule straight from sympy expressions, without from_expressions' checks: to reach the evaluation path."""
    return schedules.ExpressionSchedule(alpha, beta, name="test")


# Built once here, outside the timed calls: lambdify's first compile can take seconds on a busy machine.
CUBE_ROOT_BETA = expression_schedule(T, (1 - T) ** sympy.Rational(1, 3))   # beta d_beta = -1 / (3 (1 - t)^(1/3))
ALPHA_WITH_POLE = expression_schedule(T + T * (1 - T) / (T - sympy.Rational(1, 2)), 1 - T)
COMPLEX_BETA = expression_schedule(T, 1 - T + sympy.I * T * (1 - T) / 10**13)


def singular_design():
    phi = RNG(0).standard_normal((50, 3))
    return np.concatenate([phi, phi[:, :1]], axis=1)  # the last column repeats the first


CASES = {
    # -- schedules and their evaluation (section 1) ------------------------------------------------
    "schedule: exponent too large for a float": (lambda: schedules.Polynomial(10**400), r"Polynomial needs a finite exponent n >= 1 .*, got 1000"),
    "schedule: boolean exponent": (lambda: schedules.Polynomial(True), r"Polynomial needs a finite exponent"),
    "schedule: t as a string": (lambda: schedules.CondOT().at("0.5"), r"t must be a number in \[0, 1\], got '0.5'"),
    "schedule: t an int too large for a float": (lambda: schedules.CondOT().at(10**400), r"t must be a number in \[0, 1\], got 1000"),
    "schedule: t a boolean": (lambda: schedules.CondOT().at(True), r"t must be a number in \[0, 1\], got True"),
    "schedule: t complex": (lambda: schedules.CondOT().at(0.5 + 0.1j), r"t must be a number in \[0, 1\]"),
    "schedule: t array with NaN": (lambda: schedules.Cosine().at(np.array([0.2, np.nan])), r"t must be a finite number"),
    "schedule: a_t at beta_t = 0": (lambda: schedules.Cosine().at(1.0).a, r"divides by beta_t, which is 0 at t = 1 for schedule Cosine"),
    "schedule: b_t on an array reaching t = 1": (lambda: schedules.CondOT().at(np.array([0.5, 1.0])).b, r"divides by beta_t, which is 0 at t = 1"),
    "schedule: LinearVP d_beta at t = 1": (lambda: schedules.LinearVP().at(1.0).d_beta, r"d_beta of schedule LinearVP is not finite at t = 1"),
    "schedule: values of another schedule": (lambda: schedules.CondOT().at(schedules.Cosine().at(0.5)), r"these values belong to schedule Cosine, not to CondOT"),
    "schedule: array t where one time is needed": (lambda: schedules.CondOT().at(np.array([0.1, 0.2]), single=True), r"t must be a single number in \[0, 1\] here, got an array of shape \(2,\)"),
    "schedule: beta (1-t)^(1/3), beta d_beta at t = 1 (was ZeroDivisionError)": (
        lambda: CUBE_ROOT_BETA.at(1.0).beta_d_beta,
        r"beta \* d_beta of schedule test is not finite at t = 1"),
    "schedule: beta (1-t)^(1/3), d_beta at t = 1 on an array": (
        lambda: CUBE_ROOT_BETA.at(np.array([0.5, 1.0])).d_beta,
        r"d_beta of schedule test is not finite at t = 1"),
    "schedule: alpha with a pole": (lambda: ALPHA_WITH_POLE.at(0.5),
                                    r"alpha of schedule test is not finite at t = 0.5"),
    "schedule: complex beta": (lambda: COMPLEX_BETA.at(np.array([0.5])),
                               r"beta of schedule test is not real at t = 0.5"),
    # -- arrays: shapes and times (section 4) ----------------------------------------------------------
    "array: flow with leading axes that do not broadcast": (lambda: PATH.flow(np.ones((3, 2)), X2, 0.5), r"x0 has leading shape \(3,\), z has leading shape \(2,\)"),
    "array: one time per point, wrong count": (lambda: PATH.flow(X2, X2, np.array([0.1, 0.2, 0.3])), r"t has leading shape \(3,\)"),
    "array: conditional field with times that do not broadcast": (lambda: PATH.conditional_field(X2, X2, np.array([0.1, 0.2, 0.3])), r"t has leading shape \(3,\)"),
    "array: noise-form field with points that do not broadcast": (lambda: PATH.conditional_field_from_noise(np.ones((4, 2)), X2, 0.3), r"eps has leading shape \(4,\)"),
    "array: points given as an int too large for a float": (lambda: PATH.flow([[10**400, 0]], X2, 0.5), r"x0 must be an array of numbers"),
    "array: posterior_variance at an array of times (was TypeError)": (lambda: learning.posterior_variance(PATH, MIX, X2, np.array([0.2, 0.4])), r"t must be a single number in \[0, 1\] here"),
    "array: continuity_residual at an array of times (was TypeError)": (
        lambda: continuity.continuity_residual(lambda x, s: np.ones(x.shape[:-1]), lambda x, s: x, X2, np.array([0.2, 0.4])),
        r"t must be a single number in \[0, 1\] here"),
    "array: divergence at an array of times": (lambda: continuity.divergence(lambda x, s: x, X2, np.array([0.2, 0.4])), r"t must be a single number"),
    "array: divergence of a field of the wrong shape": (lambda: continuity.divergence(lambda x, s: x[..., :1], X2, 0.5), r"field\(x, t\) must return shape \(2, 2\) .* got shape \(2, 1\)"),
    "array: time_derivative of a density of the wrong shape": (lambda: continuity.time_derivative(lambda x, s: x, X2, 0.5), r"density\(x, t\) must return shape \(2,\)"),
    "array: step size an int too large for a float (was OverflowError)": (lambda: continuity.divergence(lambda x, s: x, X2, 0.5, h=10**400), r"h must be a positive step size"),
    "array: ode field of the wrong shape is refused, not broadcast": (lambda: ode.integrate(lambda x, s: np.ones(2), np.zeros((5, 2)), steps=3), r"field\(x, t\) must return an array of the shape of x, \(5, 2\), got shape \(2,\)"),
    "array: ode field that is not a function": (lambda: ode.integrate(np.ones(2), np.zeros((5, 2))), r"field must be a function field\(x, t\)"),
    "array: ode steps an int too large for a float": (lambda: ode.integrate(lambda x, s: x, np.zeros(2), steps=10**400), r"steps must be a positive integer \(at most 1,000,000\)"),
    "array: ode steps that would take hours": (lambda: ode.integrate(lambda x, s: x, np.zeros(2), steps=10**8), r"steps must be a positive integer \(at most 1,000,000\)"),
    "array: ode trajectory too large for memory": (lambda: ode.integrate(lambda x, s: x, np.zeros((10**5, 2)), steps=10**5), r"would need 160.0 GB"),
    "array: ode time an array": (lambda: ode.integrate(lambda x, s: x, np.zeros(2), t1=np.array([0.5, 1.0])), r"t1 must be a single number"),
    "array: denoise at an array of times": (lambda: learning.denoise(lambda x, s: x, PATH, X2, np.array([0.2, 0.4])), r"t must be a single number"),
    "array: ridge_fit on a singular design (was LinAlgError)": (lambda: learning.ridge_fit(singular_design(), np.ones((50, 2)), ridge=0.0), r"the normal equations are singular"),
    "array: ridge_fit on an all-zero design": (lambda: learning.ridge_fit(np.zeros((50, 4)), np.ones((50, 2))), r"the normal equations are singular"),
    "array: ridge_fit on a design with NaN": (lambda: learning.ridge_fit(np.full((50, 4), np.nan), np.ones((50, 2))), r"design contains NaN"),
    "array: ridge_fit on a block of the wrong shape": (lambda: learning.ridge_fit(lambda rows: np.ones((3, 4)), np.ones((50, 2))), r"design must have shape \(n, F\) with n = 50"),
    "array: t_range of one number": (lambda: learning.conditional_training_set(PATH, MIX, 10, RNG(0), t_range=0.5), r"t_range must be a pair \(low, high\)"),
    "array: t_range of three numbers (was 'too many values to unpack')": (lambda: learning.conditional_training_set(PATH, MIX, 10, RNG(0), t_range=(0.1, 0.2, 0.3)), r"t_range must be a pair"),
    "array: t_range outside [0, 1]": (lambda: learning.conditional_training_set(PATH, MIX, 10, RNG(0), t_range=(0.1, 2.0)), r"t_range must lie in \[0, 1\], got 2"),
    "array: grid extent of three numbers (was 'not enough values to unpack')": (lambda: data.rect_grid((0, 1, 2), 5), r"extent must be four numbers"),
    "array: grid extent upside down": (lambda: data.rect_grid((1, 0, 0, 1), 5), r"x_low < x_high"),
    "array: grid size negative (was numpy's linspace message)": (lambda: data.square_grid(0, 1, -1), r"n must be an integer between 2 and 10000"),
    "array: grid size fractional": (lambda: data.square_grid(0, 1, 2.5), r"n must be an integer between 2 and 10000"),
    "array: training set too large for memory": (lambda: learning.conditional_training_set(PATH, MIX, 10**12, RNG(0)), r"training draws is too many"),
    "array: ode method given as a list (was TypeError: unhashable)": (lambda: ode.integrate(lambda x, s: x, X2, steps=2, method=["euler"]), r"method must be one of \['euler', 'heun', 'rk4'\]"),
    "array: ridge an int too large for a float (was TypeError from isfinite)": (lambda: learning.ridge_fit(np.eye(2), X2, 10**400), r"ridge must be a number >= 0"),
    "array: feature length scale an int too large for a float": (lambda: learning.random_fourier_features(5, 2, RNG(0), 10**400), r"length_x must be a positive number"),
    "array: fitted_order of an int too large for a float (was OverflowError)": (lambda: sampling.fitted_order([10**400, 2], [1.0, 2.0]), r"steps and errors must be 1-D arrays of numbers"),
    "array: step-count candidates that are not a list (was TypeError)": (lambda: sampling.steps_needed(lambda x, s: x, X2, X2, MIX, "euler", 8), r"candidates must be a list of step counts"),
    # -- the data layer (section 5) ----------------------------------------------------------------
    "data: stds of 1e-200 (their square underflows to 0)": (lambda: data.GaussianMixture(X2, 1e-200), r"stds must be 0 \(a point mass\) or between 1e-150 and 1e\+150.* got 1e-200"),
    "data: stds of 1e200 (their square overflows)": (lambda: data.GaussianMixture(X2, [1.0, 1e200]), r"stds must be 0 \(a point mass\) or between .* got 1e\+200"),
    "data: means an int too large for a float (was OverflowError)": (lambda: data.GaussianMixture([[10**400, 0.0]], 1.0), r"means must be an array of numbers"),
    "data: weights that are not numbers": (lambda: data.GaussianMixture(X2, 1.0, ["a", "b"]), r"weights must be numbers"),
    "data: weights all zero": (lambda: data.GaussianMixture(X2, 1.0, [0.0, 0.0]), r"weights must be finite, >= 0 and not all 0"),
    "data: stds of the wrong shape": (lambda: data.GaussianMixture(X2, [1.0, 1.0, 1.0]), r"stds must be a number or have shape \(2,\)"),
    "data: sample count an int too large for a float (was OverflowError)": (lambda: MIX.sample(10**400, RNG(0)), r"n must be a non-negative integer"),
    "data: sample count that would exhaust memory": (lambda: MIX.sample(10**9, RNG(0)), r"too many \(at most 100,000,000\)"),
    "data: a point so far away that its squared distance overflows": (lambda: marginal.marginal_field(PATH, MIX, [[1e200, 0.0]], 0.5), r"so far from every component at t = 0.5"),
    "data: density at a point of overflowing distance": (lambda: data.GaussianMixture(X2, 1.0).log_pdf([[1e200, 0.0]]), r"so far from every component"),
    "data: marginal field of point masses at t = 1": (lambda: marginal.marginal_field(PATH, data.from_points(X2), X2, 1.0), r"point masses at the data points"),
}


@pytest.mark.parametrize("call, message", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_with_a_named_value_error(call, message):
    assert_refused(call, message)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


# -- what can be computed is computed, against values worked out here ---------------------------------

def test_numpy_numbers_are_valid_exponents():
    assert schedules.Polynomial(np.int64(2)).name == "Polynomial(n=2)"
    assert schedules.Polynomial(np.float64(2.5)).alpha(0.25) == pytest.approx(0.25**2.5, rel=1e-15)


def test_weights_near_the_largest_float_are_normalised_not_nan():
    """Weights of 1e308 sum to inf; normalised by their largest first they are (1/2, 1/2), and sampling works."""
    mixture = answer_within(LIMIT_S, data.GaussianMixture, X2, 1.0, [1e308, 1e308])
    np.testing.assert_allclose(mixture.weights, [0.5, 0.5], rtol=1e-15)
    assert mixture.sample(5, RNG(0)).shape == (5, 2)
    uneven = data.GaussianMixture(X2, 1.0, [1.5e308, 0.5e308])
    np.testing.assert_allclose(uneven.weights, [0.75, 0.25], rtol=1e-15)


def test_means_of_1e160_give_the_exact_field_posterior_and_density():
    """Means of +-1e160 (|mu|^2 overflows): near alpha mu_1 the posterior is (1, 0) and field and log density
    are those of component 1 alone, N(alpha mu_1, v I) with v = alpha^2 s^2 + beta^2 (CondOT, t = 0.7, s = 1)."""
    mixture = data.GaussianMixture([[1e160, 0.0], [-1e160, 0.0]], 1.0)
    path = paths.GaussianPath(schedules.CondOT())
    t, offset = 0.7, np.array([0.0, 3.0])
    x = np.array([0.7e160, 0.0]) + offset
    v = 0.7**2 + 0.3**2
    c = (1.0 * 0.7 * 1.0 + 0.3 * -1.0) / v            # (d_alpha alpha s^2 + beta d_beta) / v
    weights = answer_within(LIMIT_S, marginal.posterior_weights, path, mixture, x[None], t)
    np.testing.assert_allclose(weights, [[1.0, 0.0]], atol=1e-300)
    field = marginal.marginal_field(path, mixture, x[None], t)[0]
    np.testing.assert_allclose(field, [1e160 + c * 0.0, c * 3.0], rtol=1e-14)
    log_p = marginal.log_marginal_density(path, mixture, x[None], t)[0]
    assert log_p == pytest.approx(np.log(0.5) - np.log(2 * np.pi * v) - 9.0 / (2 * v), rel=1e-14)


def test_log_density_of_point_masses_near_t_one_is_exact():
    """Point masses, CondOT, t = 1 - 1e-9, at a data point: p_t = (1/2) N(0; 0, beta^2 I) plus a term below
    1e-300, so log p = log(1/2) - log(2 pi beta^2) = 38.92 (the expansion |x|^2 - 2 x.mu + |mu|^2 gave 256)."""
    mixture = data.from_points([[0.0, 0.0], [1.0, 2.0]])
    path = paths.GaussianPath(schedules.CondOT())
    t = 1 - 1e-9
    beta = 1.0 - t
    x = t * np.array([[1.0, 2.0]])
    log_p = marginal.log_marginal_density(path, mixture, x, t)[0]
    assert log_p == pytest.approx(np.log(0.5) - np.log(2 * np.pi * beta**2), rel=1e-12)
    assert round(log_p, 2) == 38.92


def test_posterior_far_from_the_data_keeps_the_prior_to_an_ulp_scale():
    """At t = 0 every component is at 0 with the same variance: the posterior is the prior exactly, even where
    |x|^2 / 2 is 1e4 (the distance term is removed before the log weights are added)."""
    mixture = data.GaussianMixture([[0.0, 0.0], [3.0, 1.0]], 0.5, [0.3, 0.7])
    x = np.array([[100.0, -100.0], [141.0, 0.5]])
    np.testing.assert_allclose(marginal.posterior_weights(PATH, mixture, x, 0.0), [[0.3, 0.7]] * 2, rtol=4e-16)


def test_cache_key_is_the_formulas_not_the_name():
    """Polynomial(1.0000001) is shown as "Polynomial(n=1)" but is another schedule; a CondOT typed as formulas
    is the same schedule under another name."""
    near_one, one = schedules.Polynomial(1.0000001), schedules.Polynomial(1)
    assert near_one.name == one.name and near_one.cache_key() != one.cache_key()
    typed = schedules.from_expressions("t", "1 - t", name="mine")
    assert typed.cache_key() == schedules.CondOT().cache_key() == one.cache_key()
    assert typed.cache_key() != schedules.Cosine().cache_key()


# -- figures: parameters and picture stay in step ------------------------------------------------------

class LineFigure(LiveFigure):
    """A small figure for the contract: a horizontal line at height t; ``fail_above`` makes drawing fail half way."""

    figsize = (2.0, 1.5)
    defaults = {"fail_above": 2.0}
    t_control = declare_t([0.2, 0.9])

    def _build(self):
        self.ax = self.fig.add_subplot()
        self.ax.set_xlim(0, 1), self.ax.set_ylim(0, 1)
        self.line = self.dynamic(Line2D([0, 1], [0, 0], lw=4))
        self.ax.add_line(self.line)

    def _draw(self, changed):
        self.line.set_ydata([self.t, self.t])       # the picture changes first ...
        if self.t > self.params["fail_above"]:
            raise TypeError("a bug in a figure's drawing code")   # ... then the drawing code fails


def test_figure_update_rolls_back_parameters_and_picture_on_any_exception():
    figure = LineFigure(t=0.3, fail_above=0.5)
    before = figure.render().copy()
    err = assert_refused(lambda: figure.update(t=0.8), r"LineFigure cannot be drawn with t=0.8 \(TypeError: a bug")
    assert isinstance(err.__cause__, TypeError)
    assert figure.t == 0.3 and figure.values.t == 0.3
    np.testing.assert_array_equal(figure.render(), before)   # the same state drawn by the same code: same pixels
    figure.update(t=0.4)
    assert not np.array_equal(figure.render(), before)        # the check can see a change


@pytest.mark.parametrize("t, message", [
    (np.array([0.2, 0.4]), r"t must be a single number in \[0, 1\] here"),
    (1.5, r"t must lie in \[0, 1\], got 1.5"),
    ("soon", r"t must be a number in \[0, 1\]"),
], ids=["figure: array t (was TypeError)", "figure: t outside [0, 1]", "figure: t a string"])
def test_figure_refuses_bad_t_and_keeps_its_state(t, message):
    figure = LineFigure(t=0.3)
    assert_refused(lambda: figure.update(t=t), message)
    assert figure.t == 0.3 and figure.values.alpha == pytest.approx(schedules.CondOT().alpha(0.3), rel=4e-16)


def test_static_player_restores_its_figure_when_a_frame_fails(tmp_path):
    figure = LineFigure(t=0.3, schedule="Cosine", fail_above=0.5)
    with pytest.raises(ValueError, match="cannot be drawn with"):
        StaticPlayer(figure, store=tmp_path)              # the frame at t = 0.9 fails
    assert figure.t == 0.3 and figure.schedule.name == "Cosine"
