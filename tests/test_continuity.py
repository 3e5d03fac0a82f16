"""The continuity equation: finite-difference operators, the marginal pair satisfies it, the naive one does not,
and integrating the marginal field carries noise to the data."""

import math

import numpy as np
import pytest
from fm_cases import over_schedules

from fm_helpers import continuity, data, marginal, ode, paths, schedules


def test_divergence_of_a_linear_field_is_the_trace():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    x = rng.standard_normal((20, 3))
    div = continuity.divergence(lambda p, t: p @ a.T, x, 0.5)
    assert div.shape == (20,)
    np.testing.assert_allclose(div, np.trace(a), rtol=1e-9)


def test_divergence_of_a_nonlinear_field_is_the_analytic_one():
    """v = (sin(x y), y^2 + exp(x) t): div v = y cos(x y) + 2 y."""
    def field(p, t):
        x, y = p[..., 0], p[..., 1]
        return np.stack([np.sin(x * y), y**2 + np.exp(x) * t], axis=-1)

    p = np.random.default_rng(1).uniform(-2, 2, size=(7, 5, 2))
    x, y = p[..., 0], p[..., 1]
    np.testing.assert_allclose(continuity.divergence(field, p, 0.3), y * np.cos(x * y) + 2 * y, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("t", [0.0, 0.4, 1.0])
def test_time_derivative_is_the_analytic_one_also_at_the_ends(t):
    """p = exp(-(1 + t^2) |x|^2): dp/dt = -2 t |x|^2 p; one-sided differences at t = 0 and t = 1."""
    def density(x, s):
        return np.exp(-(1 + s**2) * np.sum(x**2, axis=-1))

    x = np.random.default_rng(2).standard_normal((10, 2))
    expected = -2 * t * np.sum(x**2, axis=-1) * density(x, t)
    np.testing.assert_allclose(continuity.time_derivative(density, x, t), expected, rtol=1e-6, atol=1e-8)


def test_relative_error_needs_a_changing_density():
    check = continuity.continuity_residual(lambda x, t: np.ones(x.shape[:-1]), lambda x, t: np.zeros_like(x),
                                           np.zeros((3, 2)), 0.5)
    with pytest.raises(ValueError, match="d/dt p_t is zero everywhere"):
        check.relative_error


@pytest.mark.parametrize("h", [0.0, -1e-3, np.nan, "small"])
def test_step_sizes_must_be_positive(h):
    with pytest.raises(ValueError, match="h must be a positive step size"):
        continuity.divergence(lambda x, t: x, np.zeros(2), 0.5, h=h)


def residual(kind, path, mixture, x, t):
    field = marginal.marginal_field if kind == "marginal" else marginal.naive_field
    return continuity.continuity_residual(lambda p, s: marginal.marginal_density(path, mixture, p, s),
                                          lambda p, s: field(path, mixture, p, s), x, t)


MIXTURES = {"two_cities": data.two_cities(), "eight_gaussians": data.eight_gaussians()}


@over_schedules
@pytest.mark.parametrize("name", MIXTURES)
def test_marginal_density_and_field_satisfy_the_continuity_equation(schedule, name):
    """d/dt p_t + div(p_t u_t) ~ 0 for the exact pair (eq-continuity); the naive field leaves a large residual."""
    mixture, path = MIXTURES[name], paths.GaussianPath(schedule)
    x = data.square_grid(-4.0, 4.5, 15)
    for t in (0.3, 0.5, 0.8):
        assert residual("marginal", path, mixture, x, t).relative_error < 1e-4
    # (early on, alpha_t is small for Polynomial(3) and the two fields are still close, so start at t = 0.5)
    for t in (0.5, 0.8):
        assert residual("naive", path, mixture, x, t).relative_error > 0.1


def nearest_component(mixture, x):
    return np.argmin(np.sum((x[:, None, :] - mixture.means[None]) ** 2, axis=-1), axis=1)


def masses_and_means(mixture, x):
    labels = nearest_component(mixture, x)
    masses = np.bincount(labels, minlength=mixture.n_components) / len(x)
    means = np.stack([x[labels == k].mean(axis=0) if np.any(labels == k) else np.full(mixture.dim, np.nan)
                      for k in range(mixture.n_components)])
    return masses, means


@pytest.mark.parametrize("schedule, mixture, method", [
    (schedules.CondOT(), data.eight_gaussians(), "rk4"),
    (schedules.Cosine(), data.eight_gaussians(), "heun"),
    (schedules.LinearVP(), data.two_cities(weights=(0.3, 0.7)), "rk4"),
    (schedules.Polynomial(2), data.two_cities(weights=(0.3, 0.7)), "heun"),
], ids=["CondOT-eight-rk4", "Cosine-eight-heun", "LinearVP-cities-rk4", "Polynomial2-cities-heun"])
def test_integrating_the_marginal_field_reproduces_the_mixture(schedule, mixture, method):
    """Noise carried to t = 1 by the marginal field: component masses within 0.03 (about 4 binomial standard
    errors for 4,000 samples) of the weights, component means within 0.05, spreads close to the stds."""
    path = paths.GaussianPath(schedule)
    x0 = np.random.default_rng(3).standard_normal((4_000, 2))
    x1 = ode.integrate(lambda x, t: marginal.marginal_field(path, mixture, x, t), x0, 0.0, 1.0, steps=100,
                       method=method)[-1]
    masses, means = masses_and_means(mixture, x1)
    np.testing.assert_allclose(masses, mixture.weights, atol=0.03)
    np.testing.assert_allclose(means, mixture.means, atol=0.05)
    labels = nearest_component(mixture, x1)
    spread = np.sqrt(np.mean(np.sum((x1 - mixture.means[labels]) ** 2, axis=1) / 2))
    assert spread == pytest.approx(mixture.stds[0], rel=0.1)


def test_integrating_the_naive_field_does_not():
    """The naive field carries every sample to the mean of the data: nowhere near the components."""
    path = paths.GaussianPath(schedules.CondOT())
    x0 = np.random.default_rng(4).standard_normal((4_000, 2))
    for mixture in (data.eight_gaussians(), data.two_cities(weights=(0.3, 0.7))):
        x1 = ode.integrate(lambda x, t: marginal.naive_field(path, mixture, x, t), x0, 0.0, 0.999, steps=100,
                           method="rk4")[-1]
        distance = np.min(np.linalg.norm(x1[:, None, :] - mixture.means[None], axis=-1), axis=1)
        assert np.median(distance) > 5 * mixture.stds[0]
        np.testing.assert_allclose(x1.mean(axis=0), mixture.mean(), atol=0.01)
    # two cities: the mean lies nearer Las Vegas, so (almost) everything is counted there instead of 30 / 70
    masses, _ = masses_and_means(mixture, x1)
    assert masses[0] < 0.05


# -- divergence as net outflow (moved with box_outflow from the chapter 5 figure module) -------------

def test_box_outflow_tends_to_the_divergence():
    def v(x):
        return np.stack([x[..., 0] ** 2 * x[..., 1], np.cos(x[..., 0]) * np.sin(x[..., 1])], axis=-1)

    center = np.array([0.5, 1.0])
    exact = 2 * 0.5 * 1.0 + math.cos(0.5) * math.cos(1.0)
    errors = [abs(continuity.box_outflow(v, center, h) - exact) for h in (0.4, 0.2, 0.1)]
    assert errors[-1] < 1e-3
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.05)  # second order in h
    numeric = continuity.divergence(lambda x, t: v(x), center, 0.0)
    assert numeric == pytest.approx(exact, rel=1e-7)


@pytest.mark.parametrize("name,expected", [("source", 2.0), ("sink", -2.0), ("rotation", 0.0)])
def test_example_fields(name, expected):
    _, v = continuity.EXAMPLE_FIELDS[name]
    points = np.random.default_rng(0).normal(size=(20, 2))
    assert np.allclose(continuity.divergence(lambda x, t: v(x), points, 0.0), expected, atol=1e-8)
    assert continuity.box_outflow(v, (0.3, -0.7), 0.5) == pytest.approx(expected, abs=1e-10)  # linear fields: exact


def test_box_outflow_rejects_bad_input():
    with pytest.raises(ValueError, match="center must be one 2-D point"):
        continuity.box_outflow(lambda x: x, (0.0, 0.0, 0.0), 0.1)
    for side in (0.0, -1.0, float("nan"), "0.1", None, True, 10**400):  # was TypeError or OverflowError for some
        with pytest.raises(ValueError, match="h must be a positive side length"):
            continuity.box_outflow(lambda x: x, (0.0, 0.0), side)


@pytest.mark.parametrize("t", [0.0, 0.00005, 0.5, 0.99995, 1.0])
def test_time_derivative_asks_for_the_density_exactly_at_time_stencil(t):
    """A caller that evaluates its schedule at ``time_stencil(t, h)`` beforehand (chapter 5's figure) finds every
    time ``time_derivative`` asks for among them; the stencil stays inside [0, 1]."""
    asked = []

    def density(x, s):
        asked.append(s)
        return np.exp(-s) * np.ones(x.shape[:-1])

    h = 1e-4
    slope = continuity.time_derivative(density, np.zeros((3, 2)), t, h)
    assert asked == list(continuity.time_stencil(t, h))
    assert all(0.0 <= s <= 1.0 for s in asked)
    np.testing.assert_allclose(slope, -np.exp(-t), rtol=1e-7)  # d/dt e^{-t}, second order in h
