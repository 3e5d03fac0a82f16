"""Every chapter's "Check it" can fail: plant a fault in what it checks and the same check reports it.

Each case below runs one check of ``fm_helpers.checks`` twice or more: on the real object (it must
pass) and on the object with a planted fault (it must fail). The faults are the ones the README's
table lists: a field scaled by 1.01, the naive average in place of the marginal field, a wrong
derivative, a schedule's time reversed, a solver one order short, ...
"""

from __future__ import annotations

import numpy as np
import pytest

from fm_helpers import checks, data, marginal, ode, sampling, schedules
from fm_helpers.paths import GaussianPath

MIXTURE = data.two_cities()
Z_VEGAS = np.array(data.CITIES["Las Vegas"])
CONDOT = GaussianPath(schedules.CondOT())
COSINE = GaussianPath(schedules.Cosine())


def scaled(field, factor=1.01):
    """The fault used most: a field 1 % too fast."""
    return lambda *args: factor * field(*args)


def exact_field(path):
    return sampling.flow_field(path, MIXTURE)


def naive_field(path):
    # the naive average is undefined at t = 1; a solver that asks there gets t just below it
    return lambda x, t: marginal.naive_field(path, MIXTURE, x, min(t, 0.999))


class WrongDerivative(schedules.Schedule):
    """Cosine with d_alpha 1 % too large: the values are right, the derivative is not."""

    name = "Cosine, wrong d_alpha"

    def __init__(self, base=schedules.Cosine(), d_alpha_factor=1.01):
        self.base, self.factor = base, d_alpha_factor

    def _alpha(self, t):
        return self.base._alpha(t)

    def _beta(self, t):
        return self.base._beta(t)

    def _d_alpha(self, t):
        return self.factor * self.base._d_alpha(t)

    def _d_beta(self, t):
        return self.base._d_beta(t)

    def expressions(self):
        return self.base.expressions()


def assert_catches(good: checks.CheckResult, *faulty: checks.CheckResult):
    assert good.passed, f"the unfaulted check fails: {good}"
    for result in faulty:
        assert not result.passed, f"a planted fault passes: {result}"


# -- chapter 1 ---------------------------------------------------------------------------------------

def test_ch1_sample_moments_catch_wrong_noise_and_reversed_time():
    schedule = schedules.Cosine()

    def run(sampler):
        return checks.sample_moments(sampler, schedule, Z_VEGAS, 0.3, 200_000, np.random.default_rng(2))

    def beta_off(z, t, rng):   # noise width 1 % too large
        return schedule.alpha(t) * z + 1.01 * schedule.beta(t) * rng.standard_normal(z.shape)

    assert_catches(run(COSINE.sample), run(beta_off),
                   run(lambda z, t, rng: COSINE.sample(z, 1 - t, rng)))


def test_ch1_flow_against_sympy_catches_swapped_arguments_and_reversed_time():
    eps = np.random.default_rng(0).standard_normal((4, 2))
    times = (0.2, 0.5, 0.9)

    def run(flow):
        return checks.flow_matches_expressions(flow, schedules.Cosine(), eps, Z_VEGAS, times)

    assert_catches(run(COSINE.flow), run(lambda e, z, t: COSINE.flow(z, e, t)),
                   run(lambda e, z, t: COSINE.flow(e, z, 1 - t)))


def test_ch1_normalisation_and_ends_catch_a_scaled_density_and_reversed_time():
    xs, ys = np.linspace(-7, 8, 201), np.linspace(-6, 9, 201)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    density = lambda x, t: marginal.marginal_density(CONDOT, MIXTURE, x, t)
    times = (0.0, 0.5, 1.0)
    assert_catches(checks.normalisation(density, grid, cell, times),
                   checks.normalisation(scaled(density), grid, cell, times))
    assert_catches(checks.path_ends(density, grid, MIXTURE.pdf),
                   checks.path_ends(lambda x, t: density(x, 1 - t), grid, MIXTURE.pdf))


def test_ch1_monte_carlo_density_catches_a_density_one_percent_off():
    x = np.array(data.CITIES["Irvine"])
    density = lambda x, t: marginal.marginal_density(CONDOT, MIXTURE, x, t)

    def run(candidate):
        return checks.monte_carlo_density(candidate, CONDOT, MIXTURE, x, 0.5, 1_000_000, np.random.default_rng(3))

    assert_catches(run(density), run(scaled(density)))


# -- chapter 2 ---------------------------------------------------------------------------------------

def test_ch2_route_follows_flow_catches_scaled_zero_and_wrong_derivative_fields():
    starts = np.random.default_rng(0).standard_normal((20, 2))
    wrong = GaussianPath(WrongDerivative())

    def run(field):
        return checks.route_follows_flow(field, COSINE.flow, starts, Z_VEGAS)

    assert_catches(run(COSINE.conditional_field), run(scaled(COSINE.conditional_field)),
                   run(lambda x, z, t: np.zeros_like(x)), run(wrong.conditional_field))


def test_ch2_velocity_check_catches_scaled_field_and_wrong_derivative():
    starts = np.random.default_rng(0).standard_normal((50, 2))
    times = np.linspace(0.01, 0.99, 99)[:, None]
    wrong = GaussianPath(WrongDerivative())

    def run(field):
        return checks.velocity_matches_flow(COSINE.flow, lambda x0, z, t: field(COSINE.flow(x0, z, t), z, t),
                                            starts, Z_VEGAS, times)

    assert_catches(run(COSINE.conditional_field), run(scaled(COSINE.conditional_field)),
                   run(wrong.conditional_field))


# -- chapter 3 ---------------------------------------------------------------------------------------

def test_ch3_noise_form_check_catches_a_wrong_derivative():
    eps = np.random.default_rng(0).standard_normal((50, 2))
    z = MIXTURE.sample(50, np.random.default_rng(1))
    times = np.linspace(0.05, 0.95, 19)[:, None]
    wrong = GaussianPath(WrongDerivative())
    assert_catches(checks.velocity_matches_flow(COSINE.flow, COSINE.conditional_field_from_noise, eps, z, times),
                   checks.velocity_matches_flow(COSINE.flow, wrong.conditional_field_from_noise, eps, z, times))


def test_ch3_and_ch6_same_routes_catch_a_scaled_field_and_a_wrong_clock():
    starts = np.random.default_rng(0).standard_normal((40, 2))
    poly, condot = exact_field(GaussianPath(schedules.Polynomial(2))), exact_field(CONDOT)

    def run(fast, tau):
        return checks.same_routes_on_new_clock(fast, condot, tau, starts, steps=100)

    assert_catches(run(poly, lambda t: t**2), run(scaled(poly), lambda t: t**2), run(poly, lambda t: t))


# -- chapter 4 ---------------------------------------------------------------------------------------

def test_ch4_monte_carlo_field_catches_scaled_and_naive_fields():
    points = np.stack([data.CITIES["Irvine"], data.CITIES["San Diego"], MIXTURE.mean()])
    field = lambda x, t: marginal.marginal_field(CONDOT, MIXTURE, x, t)

    def run(candidate):
        return checks.monte_carlo_field(candidate, CONDOT, MIXTURE, points, 0.5)

    assert_catches(run(field), run(scaled(field)),
                   run(lambda x, t: marginal.naive_field(CONDOT, MIXTURE, x, t)))


# -- chapter 5 ---------------------------------------------------------------------------------------

def test_ch5_continuity_catches_scaled_and_naive_fields():
    grid = data.rect_grid((-4.5, 4.5, -4.5, 4.5), 20)
    density = lambda x, t: marginal.marginal_density(CONDOT, MIXTURE, x, t)
    field = lambda x, t: marginal.marginal_field(CONDOT, MIXTURE, x, t)

    def run(candidate):
        return checks.continuity_holds(density, candidate, grid, 0.5)

    assert_catches(run(field), run(scaled(field)),
                   run(lambda x, t: marginal.naive_field(CONDOT, MIXTURE, x, t)))


# -- chapter 6 ---------------------------------------------------------------------------------------

def test_ch6_pushforward_catches_scaled_and_naive_fields():
    starts = np.random.default_rng(3).standard_normal((40, 2))
    log_density = lambda x, t: marginal.log_marginal_density(CONDOT, MIXTURE, x, t)
    field = exact_field(CONDOT)

    def run(candidate):
        return checks.pushforward(candidate, log_density, starts)

    assert_catches(run(field), run(scaled(field)), run(naive_field(CONDOT)))


def _rk4_without_midpoint_stage(field, x0, t0=0.0, t1=1.0, steps=100, method="euler"):
    """The solver with a planted fault: its 'rk4' is Heun, two orders short."""
    return ode.integrate(field, x0, t0, t1, steps, "heun" if method == "rk4" else method)


def test_ch6_solver_orders_catch_a_solver_one_order_short():
    starts = np.random.default_rng(1).standard_normal((40, 2))
    field = exact_field(CONDOT)
    yardstick = ode.integrate(field, starts, steps=1024, method="rk4")[-1]
    assert_catches(checks.solver_orders(field, starts, yardstick),
                   checks.solver_orders(field, starts, yardstick, integrate=_rk4_without_midpoint_stage))


def test_ch6_clock_change_catches_a_scaled_field_and_a_wrong_clock_rate():
    x = np.random.default_rng(5).uniform(-3, 4, size=(200, 2))
    fast, slow = exact_field(GaussianPath(schedules.Polynomial(2))), exact_field(CONDOT)
    tau, d_tau = (lambda t: t**2), (lambda t: 2 * t)
    assert_catches(checks.clock_change(fast, slow, tau, d_tau, x),
                   checks.clock_change(scaled(fast), slow, tau, d_tau, x),
                   checks.clock_change(fast, slow, tau, lambda t: 1.0, x))


def test_ch6_stiffness_catches_a_scaled_field():
    la, spread = MIXTURE.means[0], MIXTURE.stds[0]
    field = exact_field(GaussianPath(schedules.LinearVP()))
    predicted = 1 - 1 / spread**2
    assert_catches(checks.stiffness(field, la, predicted), checks.stiffness(scaled(field), la, predicted))


# -- chapter 7 ---------------------------------------------------------------------------------------

def test_ch7_one_way_straightness_catches_a_wrong_derivative():
    from fm_helpers.sampling import conditional_straightness
    from fm_helpers.schedules import PRESETS, SURPRISE, schedule_from_text

    schedule = schedule_from_text(*PRESETS[SURPRISE], name=SURPRISE)
    rng = np.random.default_rng(0)
    measured = conditional_straightness(schedule, rng.standard_normal((20, 2)), MIXTURE.sample(20, rng))
    assert_catches(checks.one_way_straightness(measured, schedule),
                   checks.one_way_straightness(measured, WrongDerivative(schedule)))


def test_ch7_change_of_schedule_catches_scaled_field_and_reversed_routes():
    x = np.random.default_rng(2).uniform(-3.0, 4.0, size=(200, 2))
    cosine_field, condot_field = exact_field(COSINE), exact_field(CONDOT)
    assert_catches(checks.change_of_schedule_field(cosine_field, condot_field, schedules.Cosine(), x),
                   checks.change_of_schedule_field(scaled(cosine_field), condot_field, schedules.Cosine(), x))

    starts = np.random.default_rng(0).standard_normal((10, 2))
    routes = ode.integrate(cosine_field, starts, steps=100, method="rk4")

    condot_routes = ode.integrate(condot_field, starts, steps=400, method="rk4")

    def run(candidate):
        return checks.change_of_schedule_routes(candidate, condot_routes, schedules.Cosine())

    faster_routes = ode.integrate(scaled(cosine_field), starts, steps=100, method="rk4")
    assert_catches(run(routes), run(faster_routes), run(routes[::-1]))


# -- chapter 8 ---------------------------------------------------------------------------------------

def test_ch8_loss_gap_catches_a_wrong_marginal_target():
    from fm_helpers import learning

    rng = np.random.default_rng(10)
    times = 0.05 + 0.9 * (np.arange(9) + 0.5) / 9
    t_rec = np.repeat(times, 1000)
    z_rec = MIXTURE.sample(t_rec.size, rng)
    eps_rec = rng.standard_normal(z_rec.shape)
    x_rec = CONDOT.flow(eps_rec, z_rec, t_rec)
    u_cond = CONDOT.conditional_field_from_noise(eps_rec, z_rec, t_rec)
    by_time = [t_rec == s for s in times]

    def target(field):
        out = np.empty_like(x_rec)
        for mask, s in zip(by_time, times):
            out[mask] = field(CONDOT, MIXTURE, x_rec[mask], s)
        return out

    u_marg, u_naive = target(marginal.marginal_field), target(marginal.naive_field)
    exact = [learning.expected_posterior_variance(CONDOT, MIXTURE, s, 5000, np.random.default_rng(20 + j))
             for j, s in enumerate(times)]
    constant = np.mean([m for m, _ in exact])
    constant_se = np.sqrt(np.sum([se**2 for _, se in exact])) / len(times)
    models = {"zero field": lambda x, t: np.zeros_like(x),        # records in the order of x_rec
              "half the field": lambda x, t: 0.5 * u_marg,
              "the field itself": lambda x, t: u_marg}

    def run(marginal_target):
        return checks.loss_gap(models, u_cond, marginal_target, x_rec, t_rec, constant, constant_se)

    assert_catches(run(u_marg), run(u_naive), run(1.05 * u_marg))


# -- chapter 9 ---------------------------------------------------------------------------------------

def test_ch9_ddpm_noise_rate_catches_a_forgotten_factor_two_and_a_rate_one_percent_off():
    cosine = schedules.Cosine()
    rate = lambda t: 2 * cosine.d_alpha(t) / cosine.alpha(t)   # eq-09-forward-sde for a VP schedule
    assert_catches(checks.ddpm_noise_rate(rate, cosine),
                   checks.ddpm_noise_rate(lambda t: rate(t) / 2, cosine),
                   checks.ddpm_noise_rate(scaled(rate), cosine))


def places_for(path, times=(0.05, 0.5, 0.95, 1.0), seed=7):
    """40 points drawn from p_t and 10 points 5 to 30 units from the data, at each time."""
    rng = np.random.default_rng(seed)
    places = {}
    for t in times:
        far = rng.normal(size=(10, 2))
        far *= rng.uniform(5, 30, size=(10, 1)) / np.linalg.norm(far, axis=1, keepdims=True)
        places[t] = np.concatenate([path.sample(MIXTURE.sample(40, rng), t, rng), far])
    return places


def views(path):
    """The score, the denoiser and the field of the two cities, as functions of (x, t)."""
    return (lambda x, t: marginal.score(path, MIXTURE, x, t),
            lambda x, t: marginal.posterior_mean(path, MIXTURE, x, t),
            lambda x, t: marginal.marginal_field(path, MIXTURE, x, t))


@pytest.mark.parametrize("schedule", [schedules.Cosine(), schedules.LinearVP()], ids=lambda s: s.name)
def test_ch9_score_check_catches_a_wrong_sign_a_wrong_scale_and_a_single_gaussian(schedule):
    path = GaussianPath(schedule)
    score, _, _ = views(path)
    places = places_for(path)
    log_density = lambda x, t: marginal.log_marginal_density(path, MIXTURE, x, t)
    one_gaussian = data.GaussianMixture([MIXTURE.mean()], MIXTURE.stds[0])   # ignores which city x is near

    def run(candidate):
        return checks.score_matches_log_density(candidate, log_density, places)

    assert_catches(run(score), run(lambda x, t: -score(x, t)), run(scaled(score)),
                   run(lambda x, t: marginal.score(path, one_gaussian, x, t)))


@pytest.mark.parametrize("schedule", [schedules.Cosine(), schedules.LinearVP()], ids=lambda s: s.name)
def test_ch9_denoiser_check_catches_tweedie_with_beta_for_beta_squared_and_a_scaled_denoiser(schedule):
    path = GaussianPath(schedule)
    score, denoiser, _ = views(path)
    places = places_for(path)

    def tweedie(power):
        return lambda x, t: (x + schedule.beta(t) ** power * score(x, t)) / schedule.alpha(t)

    def run(candidate):
        return checks.denoiser_matches_components(candidate, path, MIXTURE, places)

    assert_catches(run(denoiser), run(tweedie(1)), run(scaled(denoiser)))
    assert_catches(run(tweedie(2)), run(tweedie(1)))


@pytest.mark.parametrize("schedule", [schedules.Cosine(), schedules.LinearVP()], ids=lambda s: s.name)
def test_ch9_field_from_predictions_catches_scaled_field_wrong_denoiser_and_wrong_score_sign(schedule):
    path = GaussianPath(schedule)
    score, denoiser, field = views(path)
    places = places_for(path)

    def run(candidate_field, candidate_denoiser, candidate_score):
        return checks.field_from_predictions(candidate_field, candidate_denoiser, candidate_score, schedule, places)

    assert_catches(run(field, denoiser, score), run(scaled(field), denoiser, score),
                   run(field, scaled(denoiser, 1.05), score), run(field, denoiser, lambda x, t: -score(x, t)),
                   run(field, denoiser, lambda x, t: np.zeros_like(x)))


def test_ch9_fokker_planck_catches_a_drift_without_or_against_its_score_term():
    grid = data.rect_grid((-4.5, 4.5, -4.5, 4.5), 20)
    density = lambda x, t: marginal.marginal_density(CONDOT, MIXTURE, x, t)
    field = exact_field(CONDOT)
    score = lambda x, t: marginal.score(CONDOT, MIXTURE, x, t)
    g = 0.5

    def run(drift, noise_level=g):
        return checks.fokker_planck_holds(density, drift, noise_level, grid, 0.7)

    assert_catches(run(sampling.sde_drift(CONDOT, MIXTURE, g)), run(field),
                   run(lambda x, t: field(x, t) - g**2 / 2 * score(x, t)),
                   run(sampling.sde_drift(CONDOT, MIXTURE, g), noise_level=1.01 * g))


def test_ch9_energy_test_catches_the_naive_field_and_an_sde_without_its_score_term():
    rng = np.random.default_rng(11)
    times, n_group, n_groups, steps = (0.5, 0.9, 1.0), 250, 6, 200

    def groups(drift, g):
        run = sampling.euler_maruyama(drift, lambda t: g, rng.standard_normal((n_group * n_groups, 2)), 0.0, 1.0,
                                      steps, rng)
        return {t: run[round(t * steps)].reshape(n_groups, n_group, 2) for t in times}

    def run(drift, g):
        return checks.marginals_match(groups(drift, g), lambda t, n, r: CONDOT.sample(MIXTURE.sample(n, r), t, r),
                                      rng, null_draws=100)

    assert_catches(run(sampling.sde_drift(CONDOT, MIXTURE, 1.0), 1.0), run(naive_field(CONDOT), 0.0),
                   run(exact_field(CONDOT), 2.0))


def _ddim_renoising_with_the_start_time(path, mixture, x0, t0, t1, steps):
    """DDIM with a planted fault: it re-noises with beta at the start of the step, not at its end."""
    times, route = np.linspace(t0, t1, steps + 1), [np.asarray(x0, dtype=float)]
    for t, t_next in zip(times[:-1], times[1:]):
        x = route[-1]
        route.append(path.schedule.alpha(t_next) * marginal.posterior_mean(path, mixture, x, t)
                     + path.schedule.beta(t) * marginal.noise_prediction(path, mixture, x, t))
    return np.stack(route)


def test_ch9_ddim_one_step_check_catches_a_wrong_coefficient_and_euler():
    starts = np.random.default_rng(15).standard_normal((50, 2))
    euler = lambda path, mixture, x0, t0, t1, steps: ode.integrate(sampling.flow_field(path, mixture), x0, t0, t1,
                                                                    steps, "euler")

    def run(sampler):
        return checks.ddim_exact_for_point_mass(sampler, COSINE, Z_VEGAS, starts)

    assert_catches(run(sampling.ddim), run(_ddim_renoising_with_the_start_time), run(euler))


def test_ch9_ddim_order_check_catches_a_wrong_coefficient():
    starts = np.random.default_rng(15).standard_normal((100, 2))
    yardstick = ode.integrate(exact_field(COSINE), starts, steps=256, method="rk4")[-1]

    def runner(sampler):
        return lambda field, x0, t0, t1, steps, method: sampler(COSINE, MIXTURE, x0, t0, t1, steps)

    def run(sampler):
        return checks.solver_orders(None, starts, yardstick, steps_list=(16, 32, 64), expected={"ddim": 1},
                                    integrate=runner(sampler))

    assert_catches(run(sampling.ddim), run(_ddim_renoising_with_the_start_time))


# -- every chapter is covered -----------------------------------------------------------------------

def test_every_listed_check_has_a_planted_fault_above():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    listed = {name for chapter in range(1, 10) for name in checks.CHECKS_BY_CHAPTER[chapter]}
    assert all(checks.CHECKS_BY_CHAPTER[chapter] for chapter in range(1, 10))
    missing = sorted(name for name in listed if f"checks.{name}(" not in source)
    assert not missing, f"checks without a planted-fault test: {missing}"
