"""Bad input anywhere in the public API gives a ValueError that names the problem, never a NaN."""

import numpy as np
import pytest
from fm_cases import SCHEDULES, over_schedules

from fm_helpers import continuity, data, marginal, paths, schedules

PATH = paths.GaussianPath(schedules.Cosine())
MIX = data.two_cities()
X2 = np.array([[0.5, 1.0], [1.0, 2.0]])

# Every public function that takes a time, called with time `t`.
TIMED_CALLS = {
    "alpha": lambda t: schedules.CondOT().alpha(t),
    "d_beta": lambda t: schedules.LinearVP().d_beta(t),
    "flow": lambda t: PATH.flow(X2, X2, t),
    "sample": lambda t: PATH.sample(X2, t, np.random.default_rng(0)),
    "density": lambda t: PATH.density(X2, X2, t),
    "conditional_field": lambda t: PATH.conditional_field(X2, X2, t),
    "conditional_field_from_noise": lambda t: PATH.conditional_field_from_noise(X2, X2, t),
    "marginal_density": lambda t: marginal.marginal_density(PATH, MIX, X2, t),
    "posterior_weights": lambda t: marginal.posterior_weights(PATH, MIX, X2, t),
    "marginal_field": lambda t: marginal.marginal_field(PATH, MIX, X2, t),
    "naive_field": lambda t: marginal.naive_field(PATH, MIX, X2, t),
    "monte_carlo_field": lambda t: marginal.monte_carlo_field(PATH, X2, X2, t),
    "divergence": lambda t: continuity.divergence(lambda x, s: x, X2, t),
    "time_derivative": lambda t: continuity.time_derivative(lambda x, s: x[..., 0], X2, t),
}


@pytest.mark.parametrize("call", TIMED_CALLS.values(), ids=TIMED_CALLS.keys())
@pytest.mark.parametrize("t, message", [
    (1.3, r"t must lie in \[0, 1\], got 1.3"),
    (-0.1, r"t must lie in \[0, 1\], got -0.1"),
    (float("nan"), r"t must be a finite number in \[0, 1\], got nan"),
])
def test_times_outside_zero_one_are_refused(call, t, message):
    with pytest.raises(ValueError, match=message):
        call(t)


@pytest.mark.parametrize("fn", [marginal.marginal_field, marginal.posterior_weights, marginal.marginal_density])
def test_marginal_quantities_take_one_time(fn):
    with pytest.raises(ValueError, match="t must be a single number"):
        fn(PATH, MIX, X2, np.array([0.2, 0.4]))


X3 = np.ones((2, 3))
MISMATCHED = {
    "flow": lambda: PATH.flow(X3, X2, 0.5),
    "conditional_field": lambda: PATH.conditional_field(X3, X2, 0.5),
    "conditional_field_from_noise": lambda: PATH.conditional_field_from_noise(X3, X2, 0.5),
    "density": lambda: PATH.density(X3, X2, 0.5),
    "marginal_density": lambda: marginal.marginal_density(PATH, MIX, X3, 0.5),
    "posterior_weights": lambda: marginal.posterior_weights(PATH, MIX, X3, 0.5),
    "marginal_field": lambda: marginal.marginal_field(PATH, MIX, X3, 0.5),
    "naive_field": lambda: marginal.naive_field(PATH, MIX, X3, 0.5),
    "monte_carlo_field": lambda: marginal.monte_carlo_field(PATH, X2, X3, 0.5),
    "mixture.pdf": lambda: data.GaussianMixture(X2, 1.0).pdf(X3),
}


@pytest.mark.parametrize("call", MISMATCHED.values(), ids=MISMATCHED.keys())
def test_mismatched_dimensions_are_named(call):
    with pytest.raises(ValueError, match="mismatched dimensions: .* has dimension 3"):
        call()


@over_schedules
def test_x_form_fields_refuse_beta_zero(schedule):
    """At t = 1 beta_t = 0: the x-form conditional field and the naive field divide by it."""
    path = paths.GaussianPath(schedule)
    for call in (lambda: path.conditional_field(X2, X2, 1.0), lambda: path.field_coefficients(1.0),
                 lambda: marginal.naive_field(path, MIX, X2, 1.0),
                 lambda: path.conditional_field(X2, X2, np.array([0.5, 1.0]))):
        with pytest.raises(ValueError, match=r"divides by beta_t, which is 0 at t = 1"):
            call()


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), np.random], ids=["None", "int", "RandomState",
                                                                                  "module"])
def test_rng_must_be_a_generator(rng):
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        PATH.sample(X2, 0.5, rng)
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        MIX.sample(10, rng)


@pytest.mark.parametrize("n", [2.5, -1, float("nan"), float("inf"), None, "10", True])
def test_sample_count_must_be_a_non_negative_integer(n):
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        MIX.sample(n, np.random.default_rng(0))


def test_integral_float_and_numpy_counts_are_accepted():
    assert MIX.sample(3.0, np.random.default_rng(0)).shape == (3, 2)
    assert MIX.sample(np.int64(4), np.random.default_rng(0)).shape == (4, 2)
    assert MIX.sample(0, np.random.default_rng(0)).shape == (0, 2)


@pytest.mark.parametrize("bad, message", [
    (np.array([1.0, np.nan]), "x contains NaN or infinite coordinates"),
    (np.array([np.inf, 0.0]), "x contains NaN or infinite coordinates"),
    (3.0, r"x must have shape \(\.\.\., d\)"),
    (np.zeros((3, 0)), "x has an empty last axis"),
    ("points", "x must be an array of numbers"),
])
def test_bad_points_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        marginal.marginal_field(PATH, MIX, bad, 0.5)


def test_wrong_objects_are_named():
    with pytest.raises(ValueError, match="path must be a paths.GaussianPath"):
        marginal.marginal_field(schedules.CondOT(), MIX, X2, 0.5)
    with pytest.raises(ValueError, match="mixture must be a data.GaussianMixture"):
        marginal.marginal_field(PATH, X2, X2, 0.5)
    with pytest.raises(ValueError, match="path must be a paths.GaussianPath"):
        marginal.monte_carlo_field(None, X2, X2, 0.5)
    with pytest.raises(ValueError, match=r"z_samples must have shape \(M, d\)"):
        marginal.monte_carlo_field(PATH, np.ones((2, 2, 2)), X2, 0.5)


@over_schedules
def test_no_nan_anywhere_on_zero_one(schedule):
    """With stds > 0 every exact quantity is finite for every t in [0, 1], 1 included, even far from the data."""
    path = paths.GaussianPath(schedule)
    mixture = data.GaussianMixture([[0.0, 0.0], [3.0, 1.0]], [0.01, 0.3], [0.4, 0.6])
    x = np.array([[0.0, 0.0], [1.5, 0.5], [500.0, -500.0], [-1e4, 3.0]])
    for t in np.linspace(0.0, 1.0, 21):
        assert np.all(np.isfinite(marginal.marginal_field(path, mixture, x, t)))
        weights = marginal.posterior_weights(path, mixture, x, t)
        assert np.all(np.isfinite(weights)) and np.allclose(weights.sum(axis=-1), 1.0)
        assert np.all(np.isfinite(marginal.log_marginal_density(path, mixture, x, t)))


def test_linear_vp_noise_form_at_one_is_refused_not_infinite():
    """d_beta is infinite at t = 1 for LinearVP, so d_alpha z + d_beta eps is too: a ValueError."""
    with pytest.raises(ValueError, match="d_beta of schedule LinearVP is not finite at t = 1"):
        paths.GaussianPath(schedules.LinearVP()).conditional_field_from_noise(X2, X2, 1.0)


def test_all_cases_cover_the_named_schedules():
    assert {s.name for s in SCHEDULES} >= set(schedules.named_schedules())
