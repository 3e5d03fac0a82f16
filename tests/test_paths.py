"""Gaussian conditional paths: the flow, the conditional field and the conditional density."""

import numpy as np
import pytest
from fm_cases import over_schedules
from scipy import stats

from fm_helpers import ode, paths, schedules

Z = np.array([1.5, -0.7, 2.0])


@over_schedules
def test_rk4_along_the_conditional_field_follows_the_flow_and_lands_on_z(schedule):
    """Solving dx/dt = u_t(x|z) numerically reproduces psi_t(x0|z) = alpha_t z + beta_t x0 (eq-flow)."""
    path = paths.GaussianPath(schedule)
    x0 = np.random.default_rng(1).standard_normal((50, 3))
    t1 = 0.999
    # beta = sqrt(1 - t^2) is not smooth at t = 1, so RK4 converges more slowly for LinearVP near t1.
    steps, tol = (1000, 3e-4) if isinstance(schedule, schedules.LinearVP) else (500, 5e-5)
    trajectory = ode.integrate(lambda x, t: path.conditional_field(x, Z, t), x0, 0.0, t1, steps=steps, method="rk4")
    np.testing.assert_allclose(trajectory[-1], path.flow(x0, Z, t1), rtol=0, atol=tol)
    # ... and lands on z: |x_t1 - z| <= (1 - alpha) |z| + beta |x0|, both small at t1 = 0.999.
    distance = np.linalg.norm(trajectory[-1] - Z, axis=1)
    bound = (1 - schedule.alpha(t1)) * np.linalg.norm(Z) + schedule.beta(t1) * np.linalg.norm(x0, axis=1)
    assert np.all(distance <= bound + tol)
    assert np.max(bound) < 0.25


@over_schedules
def test_x_form_and_noise_form_of_the_field_agree(schedule):
    """u_t(psi_t(x0|z)|z) = d_alpha z + d_beta x0: the two forms of eq-cond-field."""
    path = paths.GaussianPath(schedule)
    rng = np.random.default_rng(2)
    x0, z = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    for t in (0.0, 0.1, 0.5, 0.9, 0.99):
        np.testing.assert_allclose(path.conditional_field(path.flow(x0, z, t), z, t),
                                   path.conditional_field_from_noise(x0, z, t), rtol=1e-9, atol=1e-9)


@over_schedules
def test_flow_time_derivative_is_the_noise_form_field(schedule):
    """d/dt psi_t(x0|z) by central differences equals u_t(x|z) = d_alpha z + d_beta x0."""
    path = paths.GaussianPath(schedule)
    rng = np.random.default_rng(3)
    x0, z = rng.standard_normal((30, 2)), rng.standard_normal((30, 2))
    t = rng.uniform(0.05, 0.95, size=30)  # one time per point: t broadcasts over the leading axis
    h = 1e-6
    fd = (path.flow(x0, z, t + h) - path.flow(x0, z, t - h)) / (2 * h)
    np.testing.assert_allclose(path.conditional_field_from_noise(x0, z, t), fd, rtol=1e-6, atol=1e-7)


@over_schedules
def test_samples_have_mean_alpha_z_and_covariance_beta_squared(schedule):
    """Monte Carlo moments of sample(z, t, rng) within 5 standard errors of N(alpha_t z, beta_t^2 I)."""
    path = paths.GaussianPath(schedule)
    n, t, z = 20_000, 0.6, np.array([2.0, -1.0])
    x = path.sample(np.broadcast_to(z, (n, 2)), t, np.random.default_rng(4))
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    assert np.all(np.abs(x.mean(axis=0) - alpha * z) < 5 * beta / np.sqrt(n))
    cov = np.cov(x, rowvar=False)
    var_se = beta**2 * np.sqrt(2 / (n - 1))           # standard error of a sample variance of a Gaussian
    np.testing.assert_array_less(np.abs(np.diag(cov) - beta**2), 5 * var_se)
    assert abs(cov[0, 1]) < 5 * beta**2 / np.sqrt(n)  # standard error of a covariance of independent coordinates


def test_sampling_is_reproducible_from_the_seed():
    path = paths.GaussianPath(schedules.Cosine())
    z = np.zeros((5, 2))
    a = path.sample(z, 0.3, np.random.default_rng(7))
    # bit-equal by construction: the same code path on the same machine with the same seed (the claim under test)
    np.testing.assert_array_equal(a, path.sample(z, 0.3, np.random.default_rng(7)))
    assert not np.array_equal(a, path.sample(z, 0.3, np.random.default_rng(8)))


@over_schedules
def test_density_matches_scipy_and_integrates_to_one(schedule):
    path = paths.GaussianPath(schedule)
    z, t = np.array([1.0, -0.5]), 0.55
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    axis = np.linspace(-7 * beta, 7 * beta, 201)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1) + alpha * z
    p = path.density(grid, z, t)
    np.testing.assert_allclose(p, stats.multivariate_normal(alpha * z, beta**2 * np.eye(2)).pdf(grid),
                               rtol=1e-10, atol=1e-300)
    cell = (axis[1] - axis[0]) ** 2
    assert p.sum() * cell == pytest.approx(1.0, abs=1e-6)


def test_log_density_in_3d_matches_scipy_far_from_the_mean():
    """Log space: finite where the density itself underflows to 0."""
    path = paths.GaussianPath(schedules.CondOT())
    x = np.array([[40.0, -30.0, 10.0], [0.1, 0.2, 0.3]])
    expected = stats.multivariate_normal(0.4 * Z, 0.36 * np.eye(3)).logpdf(x)
    np.testing.assert_allclose(path.log_density(x, Z, 0.4), expected, rtol=1e-12)
    assert path.density(x, Z, 0.4)[0] == 0.0 and np.isfinite(path.log_density(x, Z, 0.4)).all()


def test_condot_noise_form_field_is_z_minus_eps_at_every_t():
    path = paths.GaussianPath(schedules.CondOT())
    rng = np.random.default_rng(5)
    eps, z = rng.standard_normal((10, 2)), rng.standard_normal((10, 2))
    for t in (0.0, 0.25, 0.5, 0.999, 1.0):
        # d_alpha z + d_beta eps with d_alpha = 1, d_beta = -1 against z - eps: two computations, a few ulps apart at most
        np.testing.assert_array_max_ulp(path.conditional_field_from_noise(eps, z, t), z - eps, maxulp=4)


@over_schedules
def test_field_coefficients_reproduce_the_field(schedule):
    """u_t(x|z) = a_t z + b_t x with b_t = d_beta / beta: checked from the schedule's own parts."""
    path = paths.GaussianPath(schedule)
    t = 0.4
    a, b = path.field_coefficients(t)
    assert b == pytest.approx(schedule.d_beta(t) / schedule.beta(t), rel=1e-14)
    assert a == pytest.approx(schedule.d_alpha(t) - b * schedule.alpha(t), rel=1e-14)


@over_schedules
def test_x_form_field_refuses_t_equal_one(schedule):
    """beta_1 = 0: the x-form field divides by zero there and must say so, for every schedule."""
    path = paths.GaussianPath(schedule)
    with pytest.raises(ValueError, match=r"divides by beta_t, which is 0 at t = 1"):
        path.conditional_field(np.ones(2), np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="point mass"):
        path.density(np.ones(2), np.zeros(2), 1.0)


def test_path_needs_a_schedule():
    with pytest.raises(ValueError, match="GaussianPath needs a Schedule"):
        paths.GaussianPath("CondOT")
