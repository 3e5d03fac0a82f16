"""The book's "Check it" tests as functions: each takes the thing it checks and returns a CheckResult.

Every check compares the object under test (a sampler, a flow, a field, a density, a solver, a
schedule's routes) with an *independent* computation: a closed form, a central difference, a Monte
Carlo average with its standard error, sympy, a different solver. Its threshold is stated in the
docstring with the reason a wrong formula would not meet it. A notebook's "Check it" cell calls the
check and prints the result; ``tests/test_checks_catch_faults.py`` plants a fault in the checked
object (a field scaled by 1.01, the naive average instead of the marginal field, a wrong derivative,
a schedule's time reversed, ...) and asserts that the same check reports the failure.

``CHECKS_BY_CHAPTER`` lists the checks of each chapter. This module sits at the right end of the
package: it imports the maths modules, nothing imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Callable, Sequence

import numpy as np
import sympy

from . import marginal, ode, sampling, schedules
from .data import GaussianMixture, from_points
from .paths import GaussianPath

__all__ = [
    "CheckResult", "CHECKS_BY_CHAPTER",
    "sample_moments", "flow_matches_expressions", "normalisation", "path_ends", "monte_carlo_density",
    "route_follows_flow", "velocity_matches_flow", "same_routes_on_new_clock", "monte_carlo_field",
    "continuity_holds", "pushforward", "solver_orders", "clock_change", "stiffness",
    "one_way_straightness", "change_of_schedule_field", "change_of_schedule_routes", "loss_gap",
    "ddpm_noise_rate", "score_matches_log_density", "denoiser_matches_components", "field_from_predictions",
    "fokker_planck_holds", "marginals_match", "ddim_exact_for_point_mass",
]


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check: the measured ``error``, the ``threshold`` it must not exceed, ``passed``.

    ``details`` carries arrays a notebook may want to draw or print (not part of the verdict).
    """

    name: str
    error: float
    threshold: float
    unit: str
    passed: bool
    details: dict = dataclass_field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return f"{self.name}: {self.error:.2e} {self.unit} (threshold {self.threshold:g}): {verdict}"


def _result(name: str, error: float, threshold: float, unit: str, extra_condition: bool = True,
            **details) -> CheckResult:
    error = float(error)
    passed = bool(np.isfinite(error) and error <= threshold and extra_condition)  # NaN never passes
    return CheckResult(name, error, float(threshold), unit, passed, details)


# -- chapter 1: probability paths -----------------------------------------------------------------

def sample_moments(sampler: Callable, schedule: schedules.Schedule, z, t: float, n: int,
                   rng: np.random.Generator, threshold: float = 5.0) -> CheckResult:
    """Samples ``sampler(z_repeated, t, rng)`` have mean alpha_t z and covariance beta_t^2 I (eq-gaussian-path).

    Error: the largest deviation of a sample mean or covariance entry from the closed form, in units of
    its standard error (beta_t/sqrt(n) for a mean, beta_t^2 sqrt(2/n) for a variance, beta_t^2/sqrt(n)
    for a covariance). Threshold 5: chance alone exceeds it with probability below 1e-5 per entry, while
    a wrong formula (beta_t for beta_t^2, the time reversed, a 1 % error in beta_t at n = 200 000) is
    off by 6 to thousands of standard errors.
    """
    z = np.asarray(z, dtype=float)
    x = sampler(np.broadcast_to(z, (n, z.shape[-1])), t, rng)
    a, b = schedule.alpha(t), schedule.beta(t)
    d = z.shape[-1]
    se_pattern = np.where(np.eye(d, dtype=bool), np.sqrt(2.0), 1.0)
    mean_dev = np.abs(x.mean(axis=0) - a * z) / (b / np.sqrt(n))
    cov_dev = np.abs(np.cov(x, rowvar=False).reshape(d, d) - b**2 * np.eye(d)) / (b**2 / np.sqrt(n) * se_pattern)
    return _result(f"sample moments at t = {t:g}", max(mean_dev.max(), cov_dev.max()), threshold,
                   "standard errors")


def flow_matches_expressions(flow: Callable, schedule: schedules.Schedule, eps, z, times) -> CheckResult:
    """``flow(eps, z, t)`` equals alpha_t z + beta_t eps with alpha, beta lambdified from the schedule's sympy
    expressions, a code path independent of the numpy formulas (eq-flow).

    Error: the largest difference relative to the largest |position|. Threshold 1e-12, a few hundred
    ulps; a swapped argument, a reversed time or a 1 % error in a coefficient is 1e-2 or more.
    """
    alpha_expr, beta_expr = schedule.expressions()
    alpha_fn = sympy.lambdify(schedules.T, alpha_expr, "numpy")
    beta_fn = sympy.lambdify(schedules.T, beta_expr, "numpy")
    eps, z = np.asarray(eps, dtype=float), np.asarray(z, dtype=float)
    worst, scale = 0.0, 0.0
    for t in times:
        expected = float(alpha_fn(t)) * z + float(beta_fn(t)) * eps
        worst = max(worst, np.max(np.abs(flow(eps, z, t) - expected)))
        scale = max(scale, np.max(np.abs(expected)))
    return _result("flow against the sympy schedule", worst / scale, 1e-12, "relative")


def normalisation(density: Callable, grid: np.ndarray, cell_area: float, times) -> CheckResult:
    """The Riemann sum of ``density(grid, t)`` over a box holding all the mass is 1 at every time.

    Error: the largest |sum - 1|. Threshold 1e-4: the grid resolves the narrowest spread (the sum is then
    exact to far better than 1e-6), while a density off by a factor 1.01, or one whose components have
    the wrong width, misses by 1e-2 or more.
    """
    totals = np.array([density(grid, t).sum() * cell_area for t in times])
    return _result("integral of p_t", np.max(np.abs(totals - 1)), 1e-4, "absolute", totals=totals)


def path_ends(density: Callable, grid: np.ndarray, data_pdf: Callable) -> CheckResult:
    """``density(grid, 0)`` is N(0, I) and ``density(grid, 1)`` is the data density, both written out here.

    Error: the largest pointwise difference relative to the largest value. Threshold 1e-12 (rounding);
    a path with its time reversed, or one that does not start from the noise, misses by order one.
    """
    d = grid.shape[-1]
    noise_pdf = np.exp(-0.5 * np.sum(grid**2, axis=-1)) / (2 * np.pi) ** (d / 2)
    start = np.max(np.abs(density(grid, 0.0) - noise_pdf)) / noise_pdf.max()
    data = data_pdf(grid)
    end = np.max(np.abs(density(grid, 1.0) - data)) / data.max()
    return _result("p_0 = N(0, I) and p_1 = p_data", max(start, end), 1e-12, "relative")


def monte_carlo_density(density: Callable, path: GaussianPath, mixture: GaussianMixture, x, t: float,
                        n: int, rng: np.random.Generator, threshold: float = 4.0) -> CheckResult:
    """The closed form ``density(x, t)`` equals the average of p_t(x | z_i) over n draws z_i ~ p_data.

    Error: |closed form - average| in standard errors of the average. Threshold 4 (chance: 6e-5); with
    n = 10^6 the standard error is about 0.1 % of the density, so a closed form off by 1 % is about 10
    standard errors away.
    """
    values = path.density(x, mixture.sample(n, rng), t)
    estimate, se = values.mean(), values.std(ddof=1) / np.sqrt(n)
    exact = float(density(x, t))
    return _result(f"Monte Carlo p_t(x) at t = {t:g}", abs(estimate - exact) / se, threshold,
                   "standard errors", exact=exact, estimate=estimate, se=se)


# -- chapter 2: the conditional vector field ------------------------------------------------------

def route_follows_flow(field: Callable, flow: Callable, starts, z, edges=(0.0, 0.9, 0.99, 0.999),
                       steps: int = 50, threshold: float = 1e-5) -> CheckResult:
    """RK4 on ``field(x, z, t)`` alone, from ``starts``, stays on the closed-form ``flow(x0, z, t)``.

    The solver drives in stretches between ``edges`` (finer steps where the field is steep) and never
    sees the flow. Error: the largest distance between the solver's route and the flow at the same times.
    Threshold 1e-5, several times RK4's own error here (at most 2e-6); a field scaled by 1.01 puts the cars about 1e-2 off
    the flow at mid-journey, a wrong coefficient by order one.
    """
    starts, z = np.asarray(starts, dtype=float), np.asarray(z, dtype=float)
    times, route = [np.zeros(1)], [starts[None]]
    for t0, t1 in zip(edges[:-1], edges[1:]):
        piece = ode.integrate(lambda x, t: field(x, z, t), route[-1][-1], t0, t1, steps, "rk4")
        times.append(np.linspace(t0, t1, steps + 1)[1:])
        route.append(piece[1:])
    times, route = np.concatenate(times), np.concatenate(route)
    exact = flow(starts, z, times[:, None])
    error = np.max(np.linalg.norm(route - exact, axis=-1))
    return _result("RK4 route against the flow", error, threshold, "(100 km)",
                   times=times, route=route, exact=exact)


def velocity_matches_flow(flow: Callable, velocity: Callable, starts, z, times, h: float = 1e-5,
                          threshold: float = 1e-5) -> CheckResult:
    """A central difference of ``flow(x0, z, t)`` in t equals ``velocity(x0, z, t)``, the velocity claimed
    for the car that started at x0 (eq-ode; for the x-form pass the field at the flow's position).

    Error: the largest difference relative to the largest |velocity|. A central difference is exact up to
    h^2/6 times the third time derivative plus rounding of 1e-16/h: at most a few 1e-7 here (LinearVP near
    t = 1). Threshold 1e-5; a field scaled by 1.01 is off by 1e-2, a wrong derivative by order one.
    """
    times = np.asarray(times, dtype=float)
    ahead, behind = flow(starts, z, times + h), flow(starts, z, times - h)
    claimed = velocity(starts, z, times)
    error = np.max(np.abs((ahead - behind) / (2 * h) - claimed)) / np.max(np.abs(claimed))
    return _result("velocity against d/dt of the flow", error, threshold, "relative")


# -- chapters 3 and 6: same curves, different clocks ----------------------------------------------

def same_routes_on_new_clock(field_fast: Callable, field_slow: Callable, tau: Callable, starts,
                             times=(0.3, 0.6, 1.0), steps: int = 200, threshold: float = 1e-3) -> CheckResult:
    """The marginal route of ``field_fast`` at time t is that of ``field_slow`` at time tau(t), from the same
    starts; both are integrated independently (RK4, ``steps`` steps each) to each checkpoint.

    Error: the largest distance between the two positions. Threshold 1e-3, well above the solvers' error at
    200 steps (at most about 1e-5 here); a field off by 1 % moves the cars by about 1e-2 at mid-journey, a wrong clock by order one.
    """
    worst = 0.0
    for t in times:
        fast = ode.integrate(field_fast, starts, 0.0, t, steps, "rk4")[-1]
        slow = ode.integrate(field_slow, starts, 0.0, float(tau(t)), steps, "rk4")[-1]
        worst = max(worst, np.max(np.linalg.norm(fast - slow, axis=-1)))
    return _result("routes on a new clock", worst, threshold, "(100 km)")


# -- chapter 4: the marginal vector field ----------------------------------------------------------

def monte_carlo_field(field: Callable, path: GaussianPath, mixture: GaussianMixture, points, t: float,
                      n: int = 100_000, seeds: Sequence[int] = range(8), threshold: float = 4.5) -> CheckResult:
    """The closed-form ``field(points, t)`` equals self-normalised importance sampling of eq-marginal-field:
    sum_i p_t(x|z_i) u_t(x|z_i) / sum_i p_t(x|z_i) over n draws z_i ~ p_data, for each seed.

    Error: the largest |closed form - estimate| over seeds, points and coordinates, in units of the
    estimate's delta-method standard error sqrt(sum_i wbar_i^2 (u_i - estimate)^2). Threshold 4.5: chance
    exceeds it with probability below 1e-3 over 48 numbers, while at n = 10^5 a field scaled by 1.01 sits
    about 20 standard errors away (chapter 4's places, t = 0.5) and the naive average thousands.
    """
    points = np.asarray(points, dtype=float)
    exact = field(points, t)
    worst = 0.0
    for seed in seeds:
        z = mixture.sample(n, np.random.default_rng(seed))
        for x, u_exact in zip(points, exact):
            log_w = path.log_density(x, z, t)
            w = np.exp(log_w - log_w.max())
            w /= w.sum()
            u = path.conditional_field(x, z, t)
            estimate = w @ u
            se = np.sqrt(w**2 @ (u - estimate) ** 2)
            worst = max(worst, np.max(np.abs(u_exact - estimate) / se))
    return _result(f"Monte Carlo u_t(x) at t = {t:g}", worst, threshold, "standard errors")


# -- chapter 5: the continuity equation ------------------------------------------------------------

def continuity_holds(density: Callable, field: Callable, points, t: float, threshold: float = 1e-4,
                     min_shrink: float = 30.0) -> CheckResult:
    """The continuity residual of (``density``, ``field``) is pure discretisation error: below ``threshold``
    (relative to max |dp/dt|) at steps h = 1e-4, and at least ``min_shrink`` times smaller than at h = 1e-3.

    A true violation does not shrink with h. Threshold 1e-4: the h^2 error of the central differences is
    1e-8 to 1e-5 here; a field scaled by 1.01 leaves a residual of about 1e-2 that stays put as h shrinks,
    the naive average one of order one.
    """
    from .continuity import continuity_residual

    coarse = continuity_residual(density, field, points, t, h_x=1e-3, h_t=1e-3).relative_error
    fine = continuity_residual(density, field, points, t, h_x=1e-4, h_t=1e-4).relative_error
    shrink = coarse / fine if fine > 0 else np.inf
    return _result(f"continuity residual at t = {t:g}", fine, threshold, "relative",
                   extra_condition=shrink >= min_shrink, shrink=shrink, coarse=coarse)


# -- chapter 6: sampling ---------------------------------------------------------------------------

def pushforward(field: Callable, log_density: Callable, starts, times=(0.5, 1.0), steps: int = 128,
                delta: float = 1e-5, threshold: float = 1e-4) -> CheckResult:
    """The flow of ``field`` carries N(0, I) onto the path: for every start x0 and checkpoint t,
    log p_t(X_t) + log |det dX_t/dx0| = log N(x0; 0, I), the change of variables of a map that pushes
    p_0 onto p_t (integrated form of d/dt log p_t(X_t) = -div u_t).

    X_t comes from RK4 with ``steps`` steps, the Jacobian from central differences of the solver's map
    (step ``delta``), ``log_density(x, t)`` is the closed form. Error: the largest |log residual|.
    Threshold 1e-4: for CondOT on the two cities, solver and difference errors stay below 1e-5, while a
    field scaled by 1.01 misses by about 0.4 and the naive average by order 100. (A stiff clock such as
    LinearVP's needs more steps before its solver error falls below the threshold.) Unlike comparing samples, it needs no luck: it holds
    start by start.
    """
    starts = np.asarray(starts, dtype=float)
    n, d = starts.shape
    shifts = np.concatenate([np.zeros((1, d)), delta * np.eye(d), -delta * np.eye(d)])  # (2d + 1, d)
    cloud = (starts[None] + shifts[:, None]).reshape(-1, d)
    nodes = np.linspace(0.0, 1.0, steps + 1)
    route = ode.integrate(field, cloud, 0.0, 1.0, steps, "rk4").reshape(steps + 1, 2 * d + 1, n, d)
    log_p0 = -0.5 * np.sum(starts**2, axis=-1) - 0.5 * d * np.log(2 * np.pi)
    worst = 0.0
    for t in times:
        k = int(np.argmin(np.abs(nodes - t)))
        at_t = route[k]
        jacobian = np.stack([(at_t[1 + i] - at_t[1 + d + i]) / (2 * delta) for i in range(d)], axis=-1)
        _, log_det = np.linalg.slogdet(jacobian)
        residual = log_density(at_t[0], nodes[k]) + log_det - log_p0
        worst = max(worst, np.max(np.abs(residual)))
    return _result("change of variables along the flow", worst, threshold, "(log density)")


def solver_orders(field: Callable, starts, yardstick, steps_list=(16, 32, 64, 128),
                  expected=None, integrate: Callable = ode.integrate, tolerance: float = 0.3) -> CheckResult:
    """Fitted orders (eq-06-order-fit) of each solver's median end-point error against ``yardstick`` (an
    independent solver's end points) equal the derived orders: Euler 1, Heun 2, RK4 4.

    Error: the largest |fitted - derived|. Threshold 0.3: measured orders on a gentle field are within 0.15;
    a solver one order off (an RK4 stage read at the wrong time, Heun without its corrector) is off by 1.
    """
    expected = expected or {"euler": 1, "heun": 2, "rk4": 4}
    fitted = {}
    for method, order in expected.items():
        errors = [np.median(np.linalg.norm(integrate(field, starts, 0.0, 1.0, n, method)[-1] - yardstick,
                                           axis=-1)) for n in steps_list]
        fitted[method] = sampling.fitted_order(list(steps_list), errors)
    error = max(abs(fitted[m] - expected[m]) for m in expected)
    return _result("solver orders", error, tolerance, "(order)", fitted=fitted)


def clock_change(field_fast: Callable, field_slow: Callable, tau: Callable, d_tau: Callable, x,
                 times=(0.1, 0.5, 0.9), threshold: float = 1e-12) -> CheckResult:
    """``field_fast(x, t)`` equals tau'(t) ``field_slow(x, tau(t))`` (eq-06-reparam) at every point.

    Error: the largest difference relative to the largest |field|. Threshold 1e-12 (rounding); a field
    scaled by 1.01 or a clock derivative off by a factor misses by 1e-2 or more.
    """
    worst, scale = 0.0, 0.0
    for t in times:
        fast = field_fast(x, t)
        worst = max(worst, np.max(np.abs(fast - d_tau(t) * field_slow(x, tau(t)))))
        scale = max(scale, np.max(np.abs(fast)))
    return _result("field on a new clock", worst / scale, threshold, "relative")


def stiffness(field: Callable, centre, predicted: float, dx: float = 1e-4, threshold: float = 1e-3) -> CheckResult:
    """The slope d u_x / dx of ``field`` at t = 1 at a city's centre, by a central difference, equals the
    predicted c_k(1) = d_alpha_1 + (beta d_beta)_1 / sigma_k^2 (eq-06-stiffness).

    Error: |measured - predicted| / max(1, |predicted|). Threshold 1e-3 (the difference is exact to about
    1e-8); a field scaled by 1.01 misses by 1e-2.
    """
    step = np.zeros_like(np.asarray(centre, dtype=float))
    step[0] = dx
    slope = (field(centre + step, 1.0)[0] - field(centre - step, 1.0)[0]) / (2 * dx)
    error = abs(slope - predicted) / max(1.0, abs(predicted))
    return _result("stiffness at t = 1", error, threshold, "relative", slope=slope)


# -- chapter 7: the schedule playground -----------------------------------------------------------

def one_way_straightness(measured, schedule: schedules.Schedule, threshold: float = 1e-4) -> CheckResult:
    """Measured conditional chord/arc of a schedule with alpha + beta = 1 equals 1 / int_0^1 |d_alpha| dt
    (eq-07-variation), the integral done by adaptive quadrature of the schedule's derivative.

    Error: the largest |measured - predicted|. Threshold 1e-4: the 401-point polyline misses the turning
    points of alpha by about 1e-5; a derivative off by 1 % changes the prediction by 1e-2.
    """
    from scipy.integrate import quad

    variation, _ = quad(lambda t: abs(schedule.d_alpha(t)), 0.0, 1.0, limit=200, epsabs=1e-12)
    predicted = 1.0 / variation
    error = np.max(np.abs(np.asarray(measured) - predicted))
    return _result("chord/arc against 1 / variation", error, threshold, "absolute", predicted=predicted)


def _scale_and_clock_rates(schedule: schedules.Schedule, t: float):
    a, b, da, db = schedule.alpha(t), schedule.beta(t), schedule.d_alpha(t), schedule.d_beta(t)
    return a + b, a / (a + b), da + db, (da * b - a * db) / (a + b) ** 2


def change_of_schedule_field(field: Callable, condot_field: Callable, schedule: schedules.Schedule, x,
                             times=(0.1, 0.3, 0.5, 0.7, 0.9), threshold: float = 1e-12) -> CheckResult:
    """``field(x, t)`` equals (rho'/rho) x + rho tau' u^OT_tau(x / rho) with the scale rho_t and clock tau_t of the schedule and
    CondOT's marginal field v (eq-07-field-change).

    Error: the largest difference relative to the largest |field|. Threshold 1e-12 (rounding); a field
    scaled by 1.01 misses by 1e-2.
    """
    worst = 0.0
    for t in times:
        c, s, dc, ds = _scale_and_clock_rates(schedule, t)
        actual = field(x, t)
        predicted = dc / c * x + c * ds * condot_field(x / c, s)
        worst = max(worst, np.max(np.abs(actual - predicted)) / np.max(np.abs(actual)))
    return _result("field against rho_t, tau_t and CondOT", worst, threshold, "relative")


def change_of_schedule_routes(routes: np.ndarray, condot_routes: np.ndarray, schedule: schedules.Schedule,
                              threshold: float = 1e-4) -> CheckResult:
    """``routes`` (shape (K + 1, N, d), times k / K) equal rho_t Y_{tau_t} (eq-07-route-change), where
    ``condot_routes`` (shape (M + 1, N, d), times m / M, M much larger than K) is CondOT's marginal route from
    the same starts, solved independently and interpolated linearly at the clock tau_t.

    Error: the largest distance. Threshold 1e-4, just above the error of RK4 with 100 steps on the book's
    schedules (the fast clock of Back and forth reaches about 7e-5); routes of a field scaled by 1.01, or
    routes run backwards in time, miss by 1e-2 or more.
    """
    fine_steps = condot_routes.shape[0] - 1
    worst = 0.0
    for k, t in enumerate(np.linspace(0.0, 1.0, routes.shape[0])):
        c = schedule.alpha(t) + schedule.beta(t)
        s = schedule.alpha(t) / c
        i = min(int(s * fine_steps), fine_steps - 1)
        at_s = condot_routes[i] + (s * fine_steps - i) * (condot_routes[i + 1] - condot_routes[i])
        worst = max(worst, np.max(np.linalg.norm(routes[k] - c * at_s, axis=-1)))
    return _result("routes against rho_t * CondOT(tau_t)", worst, threshold, "(100 km)")


# -- chapter 8: learning the field -----------------------------------------------------------------

def loss_gap(models: dict, conditional_target, marginal_target, x, t, constant: float, constant_se: float,
             threshold: float = 4.0) -> CheckResult:
    """For every model v, L_CFM - L_FM on the same records equals the closed-form constant C
    (eq-08-loss-gap): mean over records of |v - u(x|z)|^2 - |v - u(x)|^2.

    Error: the largest |gap - C| over the models, in units of the combined standard error of the gap's
    mean and of C. Threshold 4; the zero model's gap moves by 2 E[v . (u' - u)]-type terms when the
    marginal target is wrong, several standard errors for a 5 % error and hundreds for the naive average.
    """
    gaps, worst = {}, 0.0
    for name, model in models.items():
        v = model(x, t)
        per_record = np.sum((v - conditional_target) ** 2, axis=-1) - np.sum((v - marginal_target) ** 2, axis=-1)
        mean, se = per_record.mean(), per_record.std(ddof=1) / np.sqrt(per_record.size)
        gaps[name] = (mean, se)
        worst = max(worst, abs(mean - constant) / np.hypot(se, constant_se))
    return _result("L_CFM - L_FM against C", worst, threshold, "standard errors", gaps=gaps)


# -- chapter 9: diffusion's coordinates ------------------------------------------------------------

def ddpm_noise_rate(noise_rate: Callable, schedule: schedules.Schedule, n_steps: int = 1000, t_min: float = 0.1,
                    threshold: float = 1e-4) -> CheckResult:
    """``noise_rate(t)``, the claimed g_bar_t^2 of the forward SDE (eq-09-forward-sde), integrated over each step
    of DDPM's discrete schedule of the VP ``schedule``, equals -log(Pi_i / Pi_{i-1}) with Pi_i = alpha_{t_i}^2
    (DDPM's abar_i) at the times t_i = 1 - i / n_steps.

    The integral is the midpoint rule g_bar^2(t_mid) h. Error: the largest |-log(Pi_i / Pi_{i-1}) / (g_bar^2 h) - 1|
    over the steps with t_mid > ``t_min`` (the rate is infinite at t = 0). Threshold 1e-4: the midpoint
    rule's relative error is h^2 |d^2 g_bar^2 / dt^2| / (24 g_bar^2), below 1e-5 there for the book's VP
    schedules at n = 1000, while a rate with the factor 2 forgotten misses by 1, one 1 % off by 1e-2.
    """
    times = 1 - np.arange(n_steps + 1) / n_steps
    kept = schedule.alpha(times) ** 2      # Pi_i, the fraction of the data's variance left after i steps
    t_mid = 0.5 * (times[1:] + times[:-1])
    away = t_mid > t_min
    rate = np.array([noise_rate(s) for s in t_mid[away]], dtype=float)
    error = np.max(np.abs(-np.log((kept[1:] / kept[:-1])[away]) / (rate / n_steps) - 1))
    return _result(f"DDPM's -log(Pi_i / Pi_(i-1)) against the noise rate ({n_steps} steps)", error, threshold, "relative")


def _worst_relative(candidate: Callable, expected: Callable, places: dict) -> float:
    """max over times and places of |candidate - expected| / (1 + |expected|), entry by entry."""
    worst = 0.0
    for t, xs in places.items():
        truth = expected(xs, t)
        worst = max(worst, np.max(np.abs(candidate(xs, t) - truth) / (1 + np.abs(truth))))
    return worst


def score_matches_log_density(score: Callable, log_density: Callable, places: dict, h: float = 1e-5,
                              threshold: float = 1e-6) -> CheckResult:
    """``score(x, t)`` equals central differences of ``log_density(x, t)`` (eq-09-score) at the points
    ``places[t]`` (shape (N, d)) for every time t in ``places``.

    Error: the largest difference relative to 1 + |difference quotient|. Threshold 1e-6: the quotient is
    exact up to h^2/6 times a third derivative of log p_t plus rounding of about 1e-16 |log p_t| / h, both
    below 1e-7 at h = 1e-5 even 30 units from the data; a score 1 % off misses by 1e-2 wherever it is not
    tiny, a score of the wrong sign or one that ignores the posterior (a single Gaussian) by order one.
    """
    def differences(xs, t):
        steps = h * np.eye(xs.shape[-1])
        return np.stack([(log_density(xs + e, t) - log_density(xs - e, t)) / (2 * h) for e in steps], axis=-1)

    return _result("score against d log p_t / dx", _worst_relative(score, differences, places), threshold,
                   "relative")


def denoiser_matches_components(denoiser: Callable, path: GaussianPath, mixture: GaussianMixture, places: dict,
                                threshold: float = 1e-10) -> CheckResult:
    """``denoiser(x, t)`` equals E[z | x] assembled from chapter 4's posterior weights p(k | x, t) and each
    component's posterior mean mu_k + alpha_t sigma_k^2 / nu_k (x - alpha_t mu_k) (eq-mixture-posterior,
    eq-09-mixture-views), at the points ``places[t]`` for every time t in ``places``.

    For Tweedie's form (x + beta_t^2 s_t(x)) / alpha_t the two sides share only the weights. Error: the
    largest difference relative to 1 + |E[z | x]|. Threshold 1e-10: the forms differ by rounding, amplified
    by 1 / alpha_t (20 for CondOT at t = 0.05, 400 for Polynomial(2)); Tweedie with beta_t in place of
    beta_t^2, or a denoiser 1 % off, misses by 1e-2 or more.
    """
    def from_components(xs, t):
        a, b = path.schedule.alpha(t), path.schedule.beta(t)
        gain = a * mixture.stds**2 / (a**2 * mixture.stds**2 + b**2)                         # (K,)
        per_component = mixture.means[:, None, :] + gain[:, None, None] * (xs - a * mixture.means[:, None, :])
        return np.einsum("nk,knd->nd", marginal.posterior_weights(path, mixture, xs, t), per_component)

    return _result("E[z | x] against the components' posterior means",
                   _worst_relative(denoiser, from_components, places), threshold, "relative")


def field_from_predictions(field: Callable, denoiser: Callable, score: Callable, schedule: schedules.Schedule,
                           places: dict, threshold: float = 1e-10) -> CheckResult:
    """``field(x, t)`` equals d_alpha_t E[z | x] + d_beta_t E[eps | x] (eq-09-field-from-predictions), with
    E[z | x] = ``denoiser(x, t)`` and d_beta_t E[eps | x] = -(beta_t d_beta_t) s_t(x) from ``score(x, t)``
    (finite at t = 1 where d_beta_1 may be infinite), at the points ``places[t]`` for every t in ``places``.

    Error: the largest difference relative to 1 + |field|. Threshold 1e-10 (rounding of two code paths
    that share only the posterior weights); a field scaled by 1.01 misses by 1e-2, a denoiser 5 % off by
    about 1e-1, a score of the wrong sign or a forgotten noise term by order one.
    """
    def predicted(xs, t):
        return schedule.d_alpha(t) * denoiser(xs, t) - schedule.beta_d_beta(t) * score(xs, t)

    return _result("u_t against d_alpha E[z|x] + d_beta E[eps|x]", _worst_relative(field, predicted, places),
                   threshold, "relative")


def fokker_planck_holds(density: Callable, drift: Callable, noise_level: float, points, t: float,
                        h_laplacian: float = 1e-3, threshold: float = 1e-4) -> CheckResult:
    """(p_t, ``drift``) satisfies the Fokker-Planck equation of dX = drift dt + g dW (eq-09-fokker-planck):
    dp/dt + div(p drift) - (g^2 / 2) Laplacian p = 0 at ``points``, all three terms by central differences
    of ``density`` alone (steps 1e-4 for the first two, ``h_laplacian`` for the Laplacian).

    Error: the largest |residual| relative to the largest |dp/dt|. Threshold 1e-4: the differences' errors
    are of order h^2 (below 1e-5 on the two cities for g <= 2); a drift without its score term leaves
    (g^2 / 2) Laplacian p, a tenth of dp/dt at g = 0.5, and a score of the wrong sign twice that.
    """
    from .continuity import continuity_residual

    points = np.asarray(points, dtype=float)
    continuity = continuity_residual(density, drift, points, t)
    centre = density(points, t)
    laplacian = sum((density(points + e, t) - 2 * centre + density(points - e, t)) / h_laplacian**2
                    for e in h_laplacian * np.eye(points.shape[-1]))
    residual = continuity.residual - noise_level**2 / 2 * laplacian
    error = np.max(np.abs(residual)) / np.max(np.abs(continuity.dp_dt))
    return _result(f"Fokker-Planck residual at g = {noise_level:g}, t = {t:g}", error, threshold, "relative")


def _poisson_quantile(mean: float, tail: float) -> int:
    """The smallest k with P(N > k) <= tail for N ~ Poisson(mean)."""
    k, term = 0, np.exp(-mean)
    below = term
    while 1 - below > tail:
        k += 1
        term *= mean / k
        below += term
    return k


def marginals_match(groups: dict, exact_sample: Callable, rng: np.random.Generator, null_draws: int = 200,
                    false_alarm: float = 0.01, tail: float = 0.01) -> CheckResult:
    """Groups of a sampler's points have the law p_t: ``groups[t]`` (shape (G, n, d)) are compared by the
    energy distance (eq-06-energy-distance) with n fresh exact samples ``exact_sample(t, n, rng)`` each.

    A comparison raises an alarm when its distance exceeds the (1 - ``false_alarm``) quantile of the
    distances between two exact samples of n points (``null_draws`` pairs: a parametric bootstrap). Error:
    the number of alarms. Threshold: the smallest count that a correct sampler exceeds with probability
    at most ``tail`` (alarms are then nearly Poisson with mean G T false_alarm over T times): 2 for 6 groups
    at 3 times. A sampler collapsing on the data mean (the naive field), or an SDE without its score term at
    g = 2, raises an alarm in nearly every comparison at n = 250.
    """
    alarms, limits = {}, {}
    for t, at_t in groups.items():
        at_t = np.asarray(at_t, dtype=float)
        n = at_t.shape[1]
        null = [sampling.energy_distance(exact_sample(t, n, rng), exact_sample(t, n, rng)) for _ in range(null_draws)]
        limits[t] = float(np.quantile(null, 1 - false_alarm))
        alarms[t] = int(sum(sampling.energy_distance(group, exact_sample(t, n, rng)) > limits[t] for group in at_t))
    comparisons = sum(len(at_t) for at_t in groups.values())
    allowed = _poisson_quantile(comparisons * false_alarm, tail)
    return _result(f"energy test against exact samples ({comparisons} comparisons)", sum(alarms.values()),
                   allowed, "alarms", alarms=alarms, limits=limits)


def ddim_exact_for_point_mass(sampler: Callable, path: GaussianPath, point, starts, ends=(0.3, 0.7, 1.0),
                              threshold: float = 1e-12) -> CheckResult:
    """One step of ``sampler(path, mixture, x0, t0, t1, steps)`` (DDIM) from t = 0 lands on the exact flow
    alpha_t m + beta_t x0 of data that is the single point ``point`` = m, at every end time t in ``ends``
    (thm-09-ddim-euler).

    Error: the largest distance relative to the largest |exact position|. Threshold 1e-12 (rounding); a
    step that re-noises with beta_t or alpha_t of the start instead of the end misses by order one, and an
    Euler step in t by order one for every schedule but CondOT.
    """
    m = np.asarray(point, dtype=float)
    starts = np.asarray(starts, dtype=float)
    single_point = from_points(m[None])
    worst, scale = 0.0, 0.0
    for end in ends:
        exact = path.flow(starts, m, end)
        worst = max(worst, np.max(np.abs(sampler(path, single_point, starts, 0.0, end, 1)[-1] - exact)))
        scale = max(scale, np.max(np.abs(exact)))
    return _result("one DDIM step against the flow of a point mass", worst / scale, threshold, "relative")


# -- which chapter checks what ---------------------------------------------------------------------

CHECKS_BY_CHAPTER = {
    1: ("sample_moments", "flow_matches_expressions", "normalisation", "path_ends", "monte_carlo_density"),
    2: ("route_follows_flow", "velocity_matches_flow"),
    3: ("sample_moments", "velocity_matches_flow", "same_routes_on_new_clock"),
    4: ("monte_carlo_field",),
    5: ("continuity_holds",),
    6: ("pushforward", "solver_orders", "clock_change", "same_routes_on_new_clock", "stiffness"),
    7: ("one_way_straightness", "velocity_matches_flow", "change_of_schedule_field", "change_of_schedule_routes"),
    8: ("loss_gap",),
    9: ("ddpm_noise_rate", "score_matches_log_density", "denoiser_matches_components", "field_from_predictions",
        "fokker_planck_holds", "marginals_match", "ddim_exact_for_point_mass", "solver_orders"),
}
