"""fm_helpers.learning: the closed-form fit, the conditional and marginal losses, and the posterior variance.

The checks are written from the formulas of chapter 8, not from the module's own code: a field in the span of
the features is recovered exactly, the least squares minimiser of a tiny discrete conditional loss is the
posterior mean computed by hand, the closed-form posterior variance matches a Monte Carlo estimate from
data samples weighted by Bayes' rule, and L_CFM - L_FM equals the expected posterior variance within error.
"""

from __future__ import annotations

import numpy as np
import pytest

from fm_helpers import data, learning, marginal
from fm_helpers.paths import GaussianPath
from fm_helpers.schedules import CondOT, Cosine, LinearVP, named_schedules

MIXTURE = data.GaussianMixture([[-1.0, 0.5], [2.0, 1.5]], [0.3, 0.5], [0.3, 0.7])


def _features(n_random=20, seed=0, polynomial=True):
    return learning.random_fourier_features(n_random, 2, np.random.default_rng(seed), 1.0, 0.3, polynomial)


def test_features_shape_and_values():
    f = _features(7)
    x, t = np.array([[0.3, -1.2], [1.0, 2.0]]), np.array([0.1, 0.8])
    phi = f(x, t)
    assert phi.shape == (2, 7 + 6)
    # polynomial block [1, x, t, t x] then sqrt(2/m) cos(omega . (x / ell_x, t / ell_t) + b)
    np.testing.assert_allclose(phi[:, :6], np.column_stack([np.ones(2), x, t, t[:, None] * x]))
    arg = np.column_stack([x / f.length_x, t / f.length_t]) @ f.omega.T + f.phase
    np.testing.assert_allclose(phi[:, 6:], np.sqrt(2 / 7) * np.cos(arg))
    assert f(x, 0.5).shape == (2, 13)                      # a scalar time broadcasts


def test_fit_recovers_a_field_in_the_span():
    rng = np.random.default_rng(1)
    f = _features(15)
    x, t = rng.normal(size=(500, 2)), rng.uniform(size=500)
    w_true = rng.normal(size=(f.n_features, 2))
    y = f(x, t) @ w_true
    w = learning.ridge_fit(f(x, t), y, ridge=0.0)
    np.testing.assert_allclose(w, w_true, atol=1e-6)
    # a linear field u = A x + t c with polynomial features only (no random part needed)
    a, c = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.2, -0.7])
    y_lin = x @ a.T + t[:, None] * c
    model = learning.FieldModel(f, learning.ridge_fit(f(x, t), y_lin, ridge=0.0))
    x_new = rng.normal(size=(50, 2))
    np.testing.assert_allclose(model(x_new, 0.3), x_new @ a.T + 0.3 * c, atol=1e-7)
    # the blockwise (callable) design gives the same weights
    w_blocks = learning.ridge_fit(lambda rows: f(x[rows], t[rows]), y, ridge=0.0)
    np.testing.assert_allclose(w_blocks, w_true, atol=1e-6)


def test_cfm_minimiser_is_the_posterior_mean_in_a_discrete_example():
    # x takes three values; at each x the targets u(x|z) = z come from several destinations z.
    # One-hot features of x make the model a free value per x, so least squares must return the mean of
    # the targets at each x: E[z | x = 0] = (1 + 1 + 4)/3 = 2, E[z | x = 1] = (0 + 2)/2 = 1, E[z | x = 2] = 3.
    xs = np.array([0, 0, 0, 1, 1, 2])
    z = np.array([[1.0], [1.0], [4.0], [0.0], [2.0], [3.0]])
    one_hot = np.eye(3)[xs]
    w = learning.ridge_fit(one_hot, z, ridge=0.0)
    np.testing.assert_allclose(w[:, 0], [2.0, 1.0, 3.0])
    # and any other value per x has a larger conditional loss
    loss = lambda v: np.mean((v[xs] - z[:, 0]) ** 2)
    assert loss(w[:, 0]) < loss(w[:, 0] + np.array([0.1, 0.0, 0.0]))


@pytest.mark.parametrize("schedule", [CondOT(), Cosine(), LinearVP()], ids=lambda s: s.name)
@pytest.mark.parametrize("t", [0.1, 0.5, 0.9])
def test_posterior_variance_matches_monte_carlo(schedule, t):
    path = GaussianPath(schedule)
    rng = np.random.default_rng(2)
    # typical points of p_t: near each component's centre alpha_t mu_k, a noise's length away
    x = schedule.alpha(t) * MIXTURE.means + schedule.beta(t) * np.array([[0.5, -0.3], [-0.4, 0.6]])
    z = MIXTURE.sample(400_000, rng)
    exact = learning.posterior_variance(path, MIXTURE, x, t)
    for i in range(len(x)):
        # self-normalised importance sampling: z ~ p_data weighted by p_t(x | z) is z ~ p(z | x) (eq-posterior)
        log_w = path.log_density(x[i], z, t)
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        u = path.conditional_field(x[i], z, t)
        mean = w @ u
        var_mc = w @ np.sum((u - mean) ** 2, axis=1)
        np.testing.assert_allclose(mean, marginal.marginal_field(path, MIXTURE, x[i], t), rtol=0.02, atol=0.01)
        assert abs(var_mc - exact[i]) < 0.03 * exact[i] + 1e-3, (var_mc, exact[i])


def test_posterior_variance_is_zero_for_a_single_point_mass():
    path = GaussianPath(CondOT())
    point = data.GaussianMixture([[1.0, 2.0]], 0.0)
    x = np.random.default_rng(3).normal(size=(5, 2))
    np.testing.assert_allclose(learning.posterior_variance(path, point, x, 0.4), 0.0, atol=1e-12)


def test_loss_gap_equals_expected_posterior_variance():
    path = GaussianPath(CondOT())
    rng = np.random.default_rng(4)
    f = _features(30)
    model = learning.fit_conditional_field(path, MIXTURE, f, 4000, rng, t_range=(0.05, 0.95))
    times = np.linspace(0.1, 0.9, 9)
    n = 4000
    t = np.repeat(times, n)
    z = MIXTURE.sample(t.size, rng)
    eps = rng.standard_normal(z.shape)
    x = path.flow(eps, z, t)
    exact = np.mean([learning.expected_posterior_variance(path, MIXTURE, s, 50_000, rng)[0] for s in times])
    for candidate in (model, model.scaled(0.5), model.perturbed(0.3, rng)):
        gap = learning.conditional_loss(candidate, path, eps, z, t) - learning.marginal_loss(candidate, path, MIXTURE, x, t)
        se = gap.std(ddof=1) / np.sqrt(gap.size)
        assert abs(gap.mean() - exact) < 4 * se + 0.01, (gap.mean(), exact, se)


def test_fit_learns_the_marginal_field_and_samples_the_weights():
    path = GaussianPath(CondOT())
    mixture = data.two_cities()
    f = learning.random_fourier_features(60, 2, np.random.default_rng(1), 0.7, 0.25)
    model = learning.fit_conditional_field(path, mixture, f, 12000, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    errors = [learning.relative_l2_error(model, path, mixture, t, 1000, rng) for t in (0.1, 0.5, 0.9)]
    assert max(errors) < 0.3
    end = learning.sample_model(model, path, rng.standard_normal((400, 2)), steps=10)
    from fm_helpers.sampling import component_masses
    assert np.max(np.abs(component_masses(mixture, end) - mixture.weights)) < 0.08


def test_denoise_of_the_exact_field_is_the_posterior_mean():
    path = GaussianPath(Cosine())
    x = np.random.default_rng(5).normal(size=(10, 2))
    t = 0.6
    field = lambda y, s: marginal.marginal_field(path, MIXTURE, y, s)
    alpha, beta = path.schedule.alpha(t), path.schedule.beta(t)
    v = alpha**2 * MIXTURE.stds**2 + beta**2
    m = MIXTURE.means + (alpha * MIXTURE.stds**2 / v)[:, None] * (x[:, None, :] - alpha * MIXTURE.means)
    w = marginal.posterior_weights(path, MIXTURE, x, t)
    np.testing.assert_allclose(learning.denoise(field, path, x, t), np.einsum("nk,nkd->nd", w, m), atol=1e-10)


@pytest.mark.parametrize("call", [
    lambda: learning.random_fourier_features(0, 2, np.random.default_rng(0)),
    lambda: learning.random_fourier_features(5, 2, np.random.default_rng(0), length_x=-1.0),
    lambda: learning.random_fourier_features(5, 2, 0),
    lambda: learning.ridge_fit(np.ones((3, 2)), np.ones((4, 2))),
    lambda: learning.ridge_fit(np.ones((3, 2)), np.ones((3, 2)), ridge=-1.0),
    lambda: _features(5)(np.ones((3, 3)), 0.5),
    lambda: _features(5)(np.ones((3, 2)), 1.5),
    lambda: learning.conditional_training_set(GaussianPath(CondOT()), MIXTURE, 10, np.random.default_rng(0), (0.5, 0.2)),
    lambda: learning.fit_conditional_field(GaussianPath(CondOT()), MIXTURE, "features", 10, np.random.default_rng(0)),
    lambda: learning.posterior_variance(GaussianPath(CondOT()), MIXTURE, np.zeros((1, 2)), 1.0),
    lambda: learning.expected_posterior_variance(GaussianPath(CondOT()), MIXTURE, 0.5, 1, np.random.default_rng(0)),
    lambda: learning.denoise(lambda x, t: x, GaussianPath(CondOT()), np.zeros((1, 2)), 1.0),
    lambda: learning.relative_l2_error(lambda x, t: x, "path", MIXTURE, 0.5, 10, np.random.default_rng(0)),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_all_named_schedules_fit_without_error():
    for schedule in named_schedules().values():
        model = learning.fit_conditional_field(GaussianPath(schedule), MIXTURE, _features(10), 500,
                                               np.random.default_rng(0))
        assert np.all(np.isfinite(model(np.zeros((3, 2)), 0.5)))
