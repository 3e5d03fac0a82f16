"""The exact marginal path and field of a mixture, against scipy, Bayes' rule and Monte Carlo."""

import numpy as np
import pytest
import sympy
from fm_cases import SCHEDULES, over_schedules
from scipy import stats
from scipy.special import logsumexp

from fm_helpers import data, marginal, paths, schedules

MIXTURE = data.GaussianMixture([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]], [0.5, 1.0, 0.2], [0.2, 0.5, 0.3])


def component_log_joint(schedule, mixture, x, t):
    """log w_k + log N(x; alpha_t mu_k, (alpha_t^2 sigma_k^2 + beta_t^2) I) with scipy, shape (K, N)."""
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    d = mixture.dim
    return np.stack([np.log(w) + stats.multivariate_normal(alpha * m, (alpha**2 * s**2 + beta**2) * np.eye(d)).logpdf(x)
                     for w, s, m in zip(mixture.weights, mixture.stds, mixture.means)])


# -- posterior weights ------------------------------------------------------------------

@over_schedules
def test_posterior_weights_follow_bayes_rule(schedule):
    """p(k|x) = w_k N_k(x) / sum_j w_j N_j(x), computed directly in float64 with scipy (well-conditioned here)."""
    path = paths.GaussianPath(schedule)
    x = np.random.default_rng(0).uniform(-2, 3, size=(200, 2))
    for t in (0.2, 0.5, 0.8):
        joint = np.exp(component_log_joint(schedule, MIXTURE, x, t)).T      # (N, K)
        np.testing.assert_allclose(marginal.posterior_weights(path, MIXTURE, x, t),
                                   joint / joint.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-14)


def test_posterior_weights_are_the_prior_at_t_zero():
    """At t = 0, x_0 is pure noise and says nothing about the component."""
    path = paths.GaussianPath(schedules.Cosine())
    x = np.random.default_rng(1).standard_normal((50, 2)) * 100
    np.testing.assert_allclose(marginal.posterior_weights(path, MIXTURE, x, 0.0), np.tile(MIXTURE.weights, (50, 1)),
                               rtol=1e-12)


@pytest.mark.parametrize("stds", [0.3, [0.3, 0.5, 0.1]], ids=["equal stds", "unequal stds"])
def test_posterior_weights_are_finite_far_away(stds):
    """500 units away every N_k(x) underflows to 0 in float64; log space still gives the right answer."""
    mixture = data.GaussianMixture(MIXTURE.means, stds, MIXTURE.weights)
    path = paths.GaussianPath(schedules.CondOT())
    x = np.array([[500.0, 0.0], [-350.0, 350.0], [0.0, -500.0]])
    w = marginal.posterior_weights(path, mixture, x, 0.7)
    assert np.all(np.isfinite(w)) and np.allclose(w.sum(axis=1), 1.0)
    log_joint = component_log_joint(path.schedule, mixture, x, 0.7).T
    np.testing.assert_allclose(w, np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True)), rtol=1e-8, atol=1e-300)


def test_posterior_weights_are_finite_near_t_one_with_narrow_components():
    """t = 0.999, stds 0.01: component variances ~1e-4, so the logits are in the tens of thousands."""
    mixture = data.GaussianMixture(MIXTURE.means, 0.01, MIXTURE.weights)
    path = paths.GaussianPath(schedules.CondOT())
    t = 0.999
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, size=300)
    x = t * mixture.means[labels] + rng.normal(scale=0.05, size=(300, 2))
    x[:3] = [[500.0, 500.0], [1.5, 0.5], [0.0, 0.0]]
    w = marginal.posterior_weights(path, mixture, x, t)
    assert np.all(np.isfinite(w)) and np.allclose(w.sum(axis=1), 1.0)
    # far from the others, a point belongs to the component whose centre it is near
    assert np.array_equal(np.argmax(w[3:], axis=1), labels[3:])
    log_joint = component_log_joint(path.schedule, mixture, x, t).T
    np.testing.assert_allclose(w, np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True)), rtol=1e-6, atol=1e-300)


# -- the marginal density -------------------------------------------------------------

@over_schedules
@pytest.mark.parametrize("mixture", [data.two_cities(), data.eight_gaussians(), MIXTURE],
                         ids=["two_cities", "eight_gaussians", "three"])
def test_marginal_density_is_the_scipy_mixture_and_integrates_to_one(schedule, mixture):
    """p_t = sum_k w_k N(alpha mu_k, nu_k I), summed here with scipy; its grid integral is 1."""
    path = paths.GaussianPath(schedule)
    grid = data.square_grid(-8.0, 8.0, 161)   # spacing 0.1: a Riemann sum of a Gaussian of std >= 0.14 is exact to ~1e-15
    cell = 0.1**2
    x = np.random.default_rng(7).uniform(-4, 5, size=(500, 2))
    for t in (0.0, 0.3, 0.7, 0.95):
        p = marginal.marginal_density(path, mixture, grid, t)
        assert p.shape == grid.shape[:-1]
        assert p.sum() * cell == pytest.approx(1.0, abs=1e-6)
        expected = np.exp(logsumexp(component_log_joint(schedule, mixture, x, t), axis=0))
        np.testing.assert_allclose(marginal.marginal_density(path, mixture, x, t), expected, rtol=1e-10, atol=1e-300)


def test_marginal_density_is_the_average_of_conditional_densities():
    """p_t(x) = E_z[p_t(x|z)]: a Monte Carlo average over data draws, within 5 standard errors."""
    path = paths.GaussianPath(schedules.CondOT())
    z = MIXTURE.sample(100_000, np.random.default_rng(3))
    x = np.array([[0.2, 0.3], [1.5, 1.0], [-1.0, 1.6]])
    t = 0.6
    conditional = path.density(x[:, None, :], z[None, :, :], t)     # (3, M)
    estimate, se = conditional.mean(axis=1), conditional.std(axis=1) / np.sqrt(z.shape[0])
    exact = marginal.marginal_density(path, MIXTURE, x, t)
    assert np.all(np.abs(estimate - exact) < 5 * se)


# -- the marginal field ---------------------------------------------------------------

QUERIES = np.array([[0.5, 0.5], [1.5, 0.8], [-1.0, 1.5], [0.0, 2.0]])


@over_schedules
def test_marginal_field_agrees_with_self_normalised_monte_carlo(schedule):
    """monte_carlo_field over independent seeds: its mean is within 5 standard errors of marginal_field."""
    path = paths.GaussianPath(schedule)
    t = 0.5
    estimates = np.stack([marginal.monte_carlo_field(path, MIXTURE.sample(4_000, np.random.default_rng(seed)),
                                                     QUERIES, t) for seed in range(10)])
    mean, se = estimates.mean(axis=0), estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
    exact = marginal.marginal_field(path, MIXTURE, QUERIES, t)
    assert np.all(np.abs(mean - exact) < 5 * se + 1e-3)  # 1e-3: the O(1/M) bias of self-normalising


@pytest.mark.parametrize("schedule", [schedules.CondOT(), schedules.Cosine()], ids=["CondOT", "Cosine"])
def test_marginal_field_is_the_average_conditional_field_of_pairs_landing_near_x(schedule):
    """Brute force E[u_t(x|z) | x_t = x]: draw (z, eps), keep the pairs with x_t in a small ball, average."""
    path = paths.GaussianPath(schedule)
    t, q, radius = 0.5, np.array([0.8, 0.9]), 0.1
    rng = np.random.default_rng(4)
    kept = []
    for _ in range(2):
        z = MIXTURE.sample(1_000_000, rng)
        eps = rng.standard_normal(z.shape)
        x = path.flow(eps, z, t)
        near = np.sum((x - q) ** 2, axis=1) < radius**2
        kept.append(path.conditional_field_from_noise(eps[near], z[near], t))
    u = np.concatenate(kept)
    assert len(u) > 1_000
    se = u.std(axis=0) / np.sqrt(len(u))
    exact = marginal.marginal_field(path, MIXTURE, q, t)
    assert np.all(np.abs(u.mean(axis=0) - exact) < 5 * se + 0.01)  # 0.01: the ball's O(radius^2) bias (~0.006)
    # ... and the check can tell the marginal field from the naive one
    assert np.max(np.abs(u.mean(axis=0) - marginal.naive_field(path, MIXTURE, q, t)) / se) > 20


@over_schedules
def test_marginal_field_at_one_is_the_closed_form_limit(schedule):
    """With stds > 0, u_1(x) = d_alpha(1) x - L grad log p_data(x) with L = lim beta d_beta (sympy),
    grad log p_data by central differences; and u_1 is the limit of u_t as t -> 1."""
    path = paths.GaussianPath(schedule)
    x = np.array([[0.3, 0.2], [2.0, 1.5], [-1.5, 2.0]])
    u1 = marginal.marginal_field(path, MIXTURE, x, 1.0)
    assert np.all(np.isfinite(u1))
    a, b = schedule.expressions()
    d_alpha_1 = float(sympy.diff(a, schedules.T).subs(schedules.T, 1))
    limit = float(sympy.limit(b * sympy.diff(b, schedules.T), schedules.T, 1, dir="-"))
    h = 1e-5
    score = np.stack([(MIXTURE.log_pdf(x + h * e) - MIXTURE.log_pdf(x - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(u1, d_alpha_1 * x - limit * score, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(u1, marginal.marginal_field(path, MIXTURE, x, 1 - 1e-7), rtol=1e-4, atol=1e-4)


def test_marginal_field_of_point_masses_at_one_is_refused():
    path = paths.GaussianPath(schedules.CondOT())
    with pytest.raises(ValueError, match=r"at t = 1 \(beta_t = 0\) the marginal path p_t is a set of point masses"):
        marginal.marginal_field(path, data.from_points(np.eye(2)), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="point masses"):
        marginal.marginal_density(path, data.from_points(np.eye(2)), np.zeros(2), 1.0)


def test_marginal_field_of_a_single_point_mass_is_the_conditional_field():
    """With one data point z the posterior is certain: u_t(x) = u_t(x|z)."""
    z = np.array([1.0, -2.0])
    x = np.random.default_rng(5).standard_normal((20, 2))
    for schedule in SCHEDULES:
        path = paths.GaussianPath(schedule)
        np.testing.assert_allclose(marginal.marginal_field(path, data.from_points([z]), x, 0.6),
                                   path.conditional_field(x, z, 0.6), rtol=1e-12, atol=1e-12)


def test_marginal_field_keeps_the_shape_and_handles_large_blocks():
    """Shape (..., d) in and out; more points than one block of the blocked computation."""
    path = paths.GaussianPath(schedules.CondOT())
    points = data.from_points(np.random.default_rng(6).standard_normal((300, 2)))
    grid = data.square_grid(-3, 3, 60)                                        # 3,600 points, > 1 block
    u = marginal.marginal_field(path, points, grid, 0.5)
    assert u.shape == grid.shape
    flat = grid.reshape(-1, 2)
    w = marginal.posterior_weights(path, points, flat, 0.5)                  # (N, M)
    direct = 2 * (w @ points.means - flat)                                   # CondOT at t = 1/2: u(x|z) = 2 (z - x)
    np.testing.assert_allclose(u.reshape(-1, 2), direct, rtol=1e-9, atol=1e-9)


# -- the naive field ------------------------------------------------------------------

def test_naive_field_is_the_field_toward_the_mean_and_not_the_marginal():
    """At Irvine (between the cities) the naive field points at the mean of the data, the marginal does not."""
    path = paths.GaussianPath(schedules.CondOT())
    cities = data.two_cities()
    irvine = np.array(data.CITIES["Irvine"])
    mean = (np.array(data.CITIES["Los Angeles"]) + np.array(data.CITIES["Las Vegas"])) / 2
    t = 0.5
    naive = marginal.naive_field(path, cities, irvine, t)
    np.testing.assert_allclose(naive, (mean - irvine) / (1 - t), rtol=1e-12)  # CondOT: u(x|z) = (z - x)/(1 - t)
    true = marginal.marginal_field(path, cities, irvine, t)
    assert np.linalg.norm(true - naive) > 1.0
    # the naive field is also the weighted average of the conditional fields toward every mean
    for schedule in SCHEDULES:
        p = paths.GaussianPath(schedule)
        average = sum(w * p.conditional_field(irvine, m, t) for w, m in zip(cities.weights, cities.means))
        np.testing.assert_allclose(marginal.naive_field(p, cities, irvine, t), average, rtol=1e-12)
