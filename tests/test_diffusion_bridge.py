"""Chapter 9's functions against independent computations.

* ``marginal.score`` against central differences of ``log_marginal_density`` and against sympy's derivative
  of the mixture density;
* ``marginal.posterior_mean`` against quadrature over z (Bayes' rule done numerically) and, like
  ``marginal.noise_prediction``, against the defining property of a conditional expectation,
  E[(z - E[z | X]) f(X)] = 0, by Monte Carlo with a standard-error tolerance;
* the identities of eq-09-tweedie and eq-09-field-from-score between the three functions and ``marginal_field``;
* ``sampling.euler_maruyama`` against the exact law of its own recursion (Ornstein-Uhlenbeck, Brownian motion),
  and the SDE family of eq-09-sde against the exact moments of p_t;
* ``sampling.ddim`` against the closed-form flow of one point mass and against an RK4 reference.
"""

import math
import tracemalloc

import numpy as np
import pytest
import sympy
from fm_cases import over_schedules
from scipy import integrate as scipy_integrate

from fm_helpers import data, marginal, ode, paths, sampling, schedules

MIXTURE = data.GaussianMixture([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]], [0.5, 1.0, 0.2], [0.2, 0.5, 0.3])
POINT_MASSES = data.from_points([[0.0, 1.0], [2.0, -1.0], [-1.5, 0.5]])
TIMES = (0.0, 0.05, 0.5, 0.95)
CONDOT = paths.GaussianPath(schedules.CondOT())


def near_and_far(t, rng, n=40):
    """Points drawn from p_t of MIXTURE, and points 5 to 30 units away from everything."""
    path = CONDOT
    near = path.sample(MIXTURE.sample(n, rng), t, rng) if t < 1 else MIXTURE.sample(n, rng)
    far = rng.normal(size=(10, 2))
    far *= rng.uniform(5, 30, size=(10, 1)) / np.linalg.norm(far, axis=1, keepdims=True)
    return np.concatenate([near, far])


# -- the score ------------------------------------------------------------------------------

@over_schedules
@pytest.mark.parametrize("t", TIMES + (1.0,))
def test_score_is_the_gradient_of_the_log_density(schedule, t):
    """Central differences of log p_t with h = 1e-5: truncation ~ h^2 |d^3 log p| and rounding
    ~ 1e-16 |log p| / h, both far below the tolerance 1e-5 (scaled by the score's size)."""
    path = paths.GaussianPath(schedule)
    x = near_and_far(t, np.random.default_rng(0))
    h = 1e-5
    numeric = np.stack([(marginal.log_marginal_density(path, MIXTURE, x + h * e, t)
                         - marginal.log_marginal_density(path, MIXTURE, x - h * e, t)) / (2 * h)
                        for e in np.eye(2)], axis=-1)
    exact = marginal.score(path, MIXTURE, x, t)
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-5)


def test_score_is_sympys_derivative_of_the_mixture_density():
    """A 1-D two-component mixture on the cosine path: sympy differentiates log p_t itself."""
    x_sym = sympy.Symbol("x", real=True)
    means, stds, weights = (-1.0, 2.0), (0.3, 0.6), (0.4, 0.6)
    mixture = data.GaussianMixture([[m] for m in means], stds, weights)
    path = paths.GaussianPath(schedules.Cosine())
    xs = np.linspace(-4, 4, 17)
    for t in (0.1, 0.5, 0.9):
        a, b = sympy.Float(np.sin(np.pi * t / 2)), sympy.Float(np.cos(np.pi * t / 2))
        density = sum(w * sympy.exp(-(x_sym - a * m) ** 2 / (2 * (a**2 * s**2 + b**2)))
                      / sympy.sqrt(2 * sympy.pi * (a**2 * s**2 + b**2)) for m, s, w in zip(means, stds, weights))
        derivative = sympy.lambdify(x_sym, sympy.diff(sympy.log(density), x_sym), "numpy")
        expected = derivative(xs)
        np.testing.assert_allclose(marginal.score(path, mixture, xs[:, None], t)[:, 0], expected, rtol=1e-12, atol=1e-12)


def test_score_at_t_zero_is_that_of_the_standard_normal():
    x = np.random.default_rng(1).normal(size=(20, 2)) * 10
    np.testing.assert_allclose(marginal.score(CONDOT, MIXTURE, x, 0.0), -x, rtol=1e-14)


def test_score_is_finite_far_away_and_near_t_one():
    x = np.array([[500.0, -500.0], [1e4, 0.0]])
    for t in (0.0, 0.5, 0.999, 1.0):
        assert np.all(np.isfinite(marginal.score(CONDOT, MIXTURE, x, t)))


@pytest.mark.parametrize("function", [marginal.score, marginal.posterior_mean, marginal.noise_prediction])
def test_point_masses_at_t_one_are_refused(function):
    with pytest.raises(ValueError, match="point masses"):
        function(CONDOT, POINT_MASSES, np.zeros((3, 2)), 1.0)


# -- the posterior mean (denoiser) and the noise prediction ------------------------------------

@pytest.mark.parametrize("t", [0.05, 0.5, 0.95])
def test_posterior_mean_is_bayes_rule_by_quadrature(t):
    """1-D mixture: E[z | x] = int z p(x|z) p_data(z) dz / int p(x|z) p_data(z) dz by adaptive quadrature."""
    mixture = data.GaussianMixture([[-1.0], [0.5], [2.0]], [0.3, 0.2, 0.5], [0.3, 0.3, 0.4])
    path = paths.GaussianPath(schedules.Cosine())
    alpha, beta = path.schedule.alpha(t), path.schedule.beta(t)
    xs = np.array([-2.0, 0.4, 3.0])
    components = [(float(w), float(m[0]), float(s)) for w, m, s in zip(mixture.weights, mixture.means, mixture.stds)]

    def normal(v, mean, sd):
        return math.exp(-0.5 * ((v - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    def joint(z, x):
        return normal(x, alpha * z, beta) * sum(w * normal(z, m, s) for w, m, s in components)

    expected = [scipy_integrate.quad(lambda z: z * joint(z, x), -8, 8, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
                / scipy_integrate.quad(lambda z: joint(z, x), -8, 8, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
                for x in xs]
    np.testing.assert_allclose(marginal.posterior_mean(path, mixture, xs[:, None], t)[:, 0], expected, rtol=1e-8)


def test_posterior_mean_of_point_masses_is_bayes_rule_over_the_points():
    """Point masses: E[z | x] = sum_i z_i N(x; alpha z_i, beta^2) / sum_i N(...), with scipy's logsumexp."""
    from scipy.special import softmax

    path = paths.GaussianPath(schedules.LinearVP())
    x = np.random.default_rng(2).normal(size=(30, 2)) * 2
    for t in (0.3, 0.9, 0.999):
        alpha, beta = path.schedule.alpha(t), path.schedule.beta(t)
        logits = -np.sum((x[:, None, :] - alpha * POINT_MASSES.means) ** 2, axis=-1) / (2 * beta**2)
        expected = softmax(logits, axis=1) @ POINT_MASSES.means
        np.testing.assert_allclose(marginal.posterior_mean(path, POINT_MASSES, x, t), expected, rtol=1e-9, atol=1e-12)


@over_schedules
@pytest.mark.parametrize("t", [0.3, 0.8])
def test_both_predictions_are_conditional_expectations_by_monte_carlo(schedule, t):
    """E[(z - E[z|X_t]) f(X_t)] = 0 and E[(eps - E[eps|X_t]) f(X_t)] = 0 for test functions f, from
    200,000 joint draws; tolerance: 5 standard errors of the sample mean (false alarm about 6e-7 each)."""
    rng = np.random.default_rng(3)
    path = paths.GaussianPath(schedule)
    z = MIXTURE.sample(200_000, rng)
    eps = rng.standard_normal(z.shape)
    x = path.flow(eps, z, t)
    tests = (x, np.sin(x[:, ::-1]), np.tanh(x[:, :1] * x[:, 1:]) * np.ones(2))
    for truth, prediction in ((z, marginal.posterior_mean(path, MIXTURE, x, t)),
                              (eps, marginal.noise_prediction(path, MIXTURE, x, t))):
        for f in tests:
            terms = (truth - prediction) * f
            se = terms.std(axis=0) / np.sqrt(len(terms))
            assert np.all(np.abs(terms.mean(axis=0)) < 5 * se), (terms.mean(axis=0), se)


def test_the_monte_carlo_check_catches_a_wrong_denoiser():
    """Planted fault: the denoiser of a mixture with a shifted component fails the same check."""
    rng = np.random.default_rng(3)
    path = CONDOT
    z = MIXTURE.sample(200_000, rng)
    x = path.flow(rng.standard_normal(z.shape), z, 0.5)
    wrong = data.GaussianMixture(MIXTURE.means + [[0.3, 0.0], [0, 0], [0, 0]], MIXTURE.stds, MIXTURE.weights)
    terms = (z - marginal.posterior_mean(path, wrong, x, 0.5)) * x
    se = terms.std(axis=0) / np.sqrt(len(terms))
    assert np.any(np.abs(terms.mean(axis=0)) > 5 * se)


def test_posterior_mean_is_the_prior_mean_at_t_zero():
    x = np.random.default_rng(4).normal(size=(25, 2)) * 50
    for mixture in (MIXTURE, POINT_MASSES):
        np.testing.assert_allclose(marginal.posterior_mean(CONDOT, mixture, x, 0.0),
                                   np.tile(mixture.mean(), (25, 1)), rtol=1e-13, atol=1e-14)


def test_the_ends_of_the_noise_prediction():
    """X_0 = eps, so E[eps | x] = x at t = 0; X_1 = z is independent of eps, so E[eps | x] = 0 at t = 1."""
    x = np.random.default_rng(5).normal(size=(25, 2)) * 3
    for schedule in schedules.named_schedules().values():
        path = paths.GaussianPath(schedule)
        np.testing.assert_allclose(marginal.noise_prediction(path, MIXTURE, x, 0.0), x, rtol=1e-14)
        assert np.all(marginal.noise_prediction(path, MIXTURE, x, 1.0) == 0.0)
        np.testing.assert_allclose(marginal.posterior_mean(path, MIXTURE, x, 1.0), x, rtol=1e-14)


# -- identities between the four views ---------------------------------------------------------

@over_schedules
@pytest.mark.parametrize("t", [0.05, 0.5, 0.95, 1.0])
def test_tweedie_and_the_field_from_the_two_predictions(schedule, t):
    """x = alpha E[z|x] + beta E[eps|x]; Tweedie (eq-09-tweedie); E[eps|x] = -beta s (eq-09-score);
    u = d_alpha E[z|x] + d_beta E[eps|x] (eq-09-field-from-predictions), written with beta d_beta s so it
    also holds at t = 1 for LinearVP. Different per-component tables: agreement to rounding (1e-11)."""
    path = paths.GaussianPath(schedule)
    x = near_and_far(t, np.random.default_rng(6))
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    z_hat = marginal.posterior_mean(path, MIXTURE, x, t)
    eps_hat = marginal.noise_prediction(path, MIXTURE, x, t)
    s = marginal.score(path, MIXTURE, x, t)
    scale = 1 + np.abs(x)
    assert np.max(np.abs(alpha * z_hat + beta * eps_hat - x) / scale) < 1e-12
    assert np.max(np.abs(eps_hat + beta * s) / scale) < 1e-12
    assert np.max(np.abs(alpha * z_hat - (x + beta**2 * s)) / scale) < 1e-12
    field = marginal.marginal_field(path, MIXTURE, x, t)
    from_predictions = schedule.d_alpha(t) * z_hat - schedule.beta_d_beta(t) * s
    assert np.max(np.abs(field - from_predictions) / (1 + np.abs(field))) < 1e-11


def test_the_identity_check_catches_a_dropped_term():
    """Planted fault: leave out the noise term d_beta E[eps | x]; the field no longer matches."""
    t = 0.5
    x = near_and_far(t, np.random.default_rng(6))
    z_hat = marginal.posterior_mean(CONDOT, MIXTURE, x, t)
    field = marginal.marginal_field(CONDOT, MIXTURE, x, t)
    assert np.max(np.abs(field - z_hat)) > 0.1


def test_no_n_by_m_by_d_array_is_built():
    """2,000 points against 5,000 point masses: an (N, M, d) array would be 160 MB; the row blocks stay small."""
    rng = np.random.default_rng(7)
    cloud = data.from_points(rng.normal(size=(5000, 2)))
    x = rng.normal(size=(2000, 2))
    for function in (marginal.score, marginal.posterior_mean, marginal.noise_prediction):
        tracemalloc.start()
        function(CONDOT, cloud, x, 0.5)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 16e6, f"{function.__name__} peaked at {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("function", [marginal.score, marginal.posterior_mean, marginal.noise_prediction])
@pytest.mark.parametrize("args, message", [
    ((CONDOT, MIXTURE, [[np.nan, 0.0]], 0.5), "NaN"),
    ((CONDOT, MIXTURE, [[0.0, 0.0, 0.0]], 0.5), "mismatched dimensions"),
    ((CONDOT, MIXTURE, [[0.0, 0.0]], 1.5), r"t must lie in \[0, 1\]"),
    ((CONDOT, MIXTURE, [[0.0, 0.0]], [0.2, 0.3]), "single number"),
    ((schedules.CondOT(), MIXTURE, [[0.0, 0.0]], 0.5), "GaussianPath"),
    ((CONDOT, [[0.0, 0.0]], [[0.0, 0.0]], 0.5), "GaussianMixture"),
])
def test_bad_input_is_refused_in_words(function, args, message):
    with pytest.raises(ValueError, match=message):
        function(*args)


def test_shapes_follow_x():
    x = np.zeros((4, 3, 2))
    for function in (marginal.score, marginal.posterior_mean, marginal.noise_prediction):
        assert function(CONDOT, MIXTURE, x, 0.4).shape == (4, 3, 2)
        assert function(CONDOT, MIXTURE, [1.0, 2.0], 0.4).shape == (2,)


# -- Euler-Maruyama ------------------------------------------------------------------------------

def test_euler_maruyama_without_noise_is_euler():
    field = sampling.flow_field(CONDOT, MIXTURE)
    x0 = np.random.default_rng(8).normal(size=(50, 2))
    em = sampling.euler_maruyama(field, lambda t: 0.0, x0, 0.0, 1.0, 16, np.random.default_rng(0))
    np.testing.assert_allclose(em, ode.integrate(field, x0, 0.0, 1.0, 16, "euler"), rtol=1e-14, atol=1e-14)


def test_euler_maruyama_ornstein_uhlenbeck_has_the_law_of_its_recursion():
    """dX = -theta X dt + sigma dW, 20 steps: X_n = (1 - theta h)^n x0 + Gaussian with variance
    sigma^2 h sum_k (1 - theta h)^(2k), exactly. 100,000 paths; mean within 5 standard errors,
    variance within 5 standard errors of a sample variance (sqrt(2/n) relative)."""
    theta, sigma, x0, steps, n = 1.5, 0.8, 2.0, 20, 100_000
    h = 1.0 / steps
    path = sampling.euler_maruyama(lambda x, t: -theta * x, lambda t: sigma, np.full((n, 1), x0), 0.0, 1.0, steps,
                                   np.random.default_rng(9))
    assert path.shape == (steps + 1, n, 1)
    factor = 1 - theta * h
    for k in (5, 20):
        mean, var = factor**k * x0, sigma**2 * h * sum(factor ** (2 * j) for j in range(k))
        sample = path[k, :, 0]
        assert abs(sample.mean() - mean) < 5 * np.sqrt(var / n)
        assert abs(sample.var() / var - 1) < 5 * np.sqrt(2 / n)


def test_euler_maruyama_uses_the_diffusion_at_the_start_of_each_step():
    """No drift, g(t) = 1 + t: X_1 - X_0 ~ N(0, h sum_i g(t_i)^2) (left end points), not the right end points."""
    steps, n = 4, 200_000
    h = 1 / steps
    path = sampling.euler_maruyama(lambda x, t: np.zeros_like(x), lambda t: 1 + t, np.zeros((n, 1)), 0.0, 1.0,
                                   steps, np.random.default_rng(10))
    left = h * sum((1 + i * h) ** 2 for i in range(steps))
    right = h * sum((1 + (i + 1) * h) ** 2 for i in range(steps))
    var = path[-1, :, 0].var()
    assert abs(var / left - 1) < 5 * np.sqrt(2 / n) < abs(var / right - 1)


def test_euler_maruyama_is_reproducible_from_the_seed():
    args = (lambda x, t: -x, lambda t: 1.0, np.zeros((3, 2)), 0.2, 0.9, 7)
    a = sampling.euler_maruyama(*args, np.random.default_rng(11))
    b = sampling.euler_maruyama(*args, np.random.default_rng(11))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=0), "steps must be a positive integer"),
    (dict(steps=2.5), "steps must be a positive integer"),
    (dict(rng=None), "rng must be a numpy Generator"),
    (dict(rng=np.random.RandomState(0)), "rng must be a numpy Generator"),
    (dict(diffusion=lambda t: -1.0), "finite number >= 0"),
    (dict(diffusion=lambda t: np.nan), "finite number >= 0"),
    (dict(t0=0.5, t1=0.5), "forward in time"),
    (dict(t1=1.2), r"t1 must lie in \[0, 1\]"),
    (dict(x0=[[np.inf, 0.0]]), "NaN or infinite"),
    (dict(drift=lambda x, t: x * 1e200), "stopped being finite"),
])
def test_euler_maruyama_refuses_bad_input(kwargs, message):
    args = dict(drift=lambda x, t: -x, diffusion=lambda t: 1.0, x0=np.ones((2, 2)), t0=0.0, t1=1.0, steps=5,
                rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sampling.euler_maruyama(**args)


def exact_moments(schedule, mixture, t):
    """Mean and per-coordinate variance of X_t = alpha z + beta eps, from the mixture's moments."""
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    mean_z = mixture.mean()
    second_z = mixture.weights @ (mixture.means**2 + mixture.stds[:, None] ** 2)
    return alpha * mean_z, alpha**2 * (second_z - mean_z**2) + beta**2


def sde_run(drift, g, t1, steps, n=5000):
    x0 = np.random.default_rng(12).standard_normal((n, 2))
    return sampling.euler_maruyama(drift, lambda t: g, x0, 0.0, t1, steps, np.random.default_rng(13))


@pytest.mark.parametrize("g", [0.5, 2.0])
def test_the_sde_family_keeps_the_moments_of_p_t(g):
    """Euler-Maruyama of eq-09-sde (200 steps, 5,000 paths) at t = 0.5 and 0.9: mean within 5 standard
    errors, variance within 5 standard errors plus 4% for the O(h) bias of the scheme."""
    path = paths.GaussianPath(schedules.Cosine())
    n, steps = 5000, 200
    run = sde_run(sampling.sde_drift(path, MIXTURE, g), g, 1.0, steps, n)
    for t in (0.5, 0.9):
        mean, var = exact_moments(path.schedule, MIXTURE, t)
        sample = run[int(round(t * steps))]
        assert np.all(np.abs(sample.mean(axis=0) - mean) < 5 * np.sqrt(var / n))
        assert np.all(np.abs(sample.var(axis=0) / var - 1) < 5 * np.sqrt(2 / n) + 0.04)


def test_the_moment_check_catches_a_dropped_score_term():
    """Planted fault: drift u_t only, noise g = 1: the variance grows by about int g^2 dt too much."""
    path = paths.GaussianPath(schedules.Cosine())
    n = 5000
    run = sde_run(sampling.flow_field(path, MIXTURE), 1.0, 0.9, 180, n)
    _, var = exact_moments(path.schedule, MIXTURE, 0.9)
    assert np.any(np.abs(run[-1].var(axis=0) / var - 1) > 5 * np.sqrt(2 / n) + 0.04)


def test_sde_drift_is_the_field_plus_half_g_squared_times_the_score():
    x = np.random.default_rng(14).normal(size=(10, 2))
    drift = sampling.sde_drift(CONDOT, MIXTURE, lambda t: 2 * t)
    expected = marginal.marginal_field(CONDOT, MIXTURE, x, 0.3) + 0.5 * 0.6**2 * marginal.score(CONDOT, MIXTURE, x, 0.3)
    np.testing.assert_allclose(drift(x, 0.3), expected, rtol=1e-13, atol=1e-14)
    at_one = sampling.sde_drift(CONDOT, MIXTURE, 1.5)(x, 1.0)     # stds > 0: finite at t = 1
    np.testing.assert_allclose(at_one, marginal.marginal_field(CONDOT, MIXTURE, x, 1.0)
                               + 0.5 * 1.5**2 * marginal.score(CONDOT, MIXTURE, x, 1.0), rtol=1e-13, atol=1e-14)
    with pytest.raises(ValueError, match="noise level"):
        sampling.sde_drift(CONDOT, MIXTURE, -1.0)


# -- DDIM --------------------------------------------------------------------------------------

@over_schedules
def test_ddim_is_exact_in_one_step_for_a_single_point_mass(schedule):
    """One point mass m: the marginal flow is alpha_t m + beta_t eps with eps = (x_t0 - alpha_t0 m) / beta_t0."""
    path = paths.GaussianPath(schedule)
    point = data.from_points([[1.5, -0.5]])
    m = point.means[0]
    x0 = np.random.default_rng(15).normal(size=(20, 2))
    for t0, t1 in ((0.0, 1.0), (0.2, 0.7), (0.5, 1.0)):
        start = path.flow(x0, m, t0)
        end = sampling.ddim(path, point, start, t0, t1, steps=1)[-1]
        np.testing.assert_allclose(end, path.flow(x0, m, t1), rtol=1e-12, atol=1e-12)


def test_euler_is_not_exact_in_one_step_for_a_point_mass():
    """The same claim for Euler in t fails on the cosine path: what makes DDIM exact is its clock."""
    path = paths.GaussianPath(schedules.Cosine())
    point = data.from_points([[1.5, -0.5]])
    x0 = np.random.default_rng(15).normal(size=(20, 2))
    end = ode.integrate(sampling.flow_field(path, point), x0, 0.0, 1.0, 1, "euler")[-1]
    assert np.max(np.abs(end - point.means[0])) > 0.1


def test_ddim_step_is_euler_in_x_over_beta_and_alpha_over_beta():
    """y = x / beta, tau = alpha / beta: dy/dtau = E[z | x] (eq-09-ddim-ode); Euler in (y, tau), then back."""
    path = paths.GaussianPath(schedules.LinearVP())
    schedule = path.schedule
    x = np.random.default_rng(16).normal(size=(30, 2))
    for t, t_next in ((0.1, 0.3), (0.5, 0.55), (0.8, 0.99)):
        tau, tau_next = schedule.alpha(t) / schedule.beta(t), schedule.alpha(t_next) / schedule.beta(t_next)
        y_next = x / schedule.beta(t) + (tau_next - tau) * marginal.posterior_mean(path, MIXTURE, x, t)
        np.testing.assert_allclose(sampling.ddim_step(path, MIXTURE, x, t, t_next), schedule.beta(t_next) * y_next,
                                   rtol=1e-12, atol=1e-12)


def test_ddim_converges_to_the_flow_at_first_order():
    """End points against RK4 with 256 steps: errors fall by about 2 per doubling (slope within 0.2 of 1)."""
    path = paths.GaussianPath(schedules.CondOT())
    mixture = data.two_cities()
    x0 = np.random.default_rng(17).normal(size=(200, 2))
    reference = ode.integrate(sampling.flow_field(path, mixture), x0, 0.0, 1.0, 256, "rk4")[-1]
    steps = [16, 32, 64, 128]
    errors = [np.median(np.linalg.norm(sampling.ddim(path, mixture, x0, 0.0, 1.0, n)[-1] - reference, axis=1))
              for n in steps]
    assert abs(sampling.fitted_order(steps, errors) - 1) < 0.2


def test_ddim_refuses_bad_input():
    with pytest.raises(ValueError, match="t0 must be smaller"):
        sampling.ddim(CONDOT, MIXTURE, np.zeros((2, 2)), 0.5, 0.2, 3)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        sampling.ddim(CONDOT, MIXTURE, np.zeros((2, 2)), 0.0, 1.0, 0)
    with pytest.raises(ValueError, match="point masses"):
        sampling.ddim_step(CONDOT, POINT_MASSES, np.zeros((2, 2)), 1.0, 1.0)
