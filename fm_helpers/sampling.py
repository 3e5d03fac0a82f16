"""Measuring samplers: how far solver samples are from the data, and what they cost.

Chapter 6 integrates the exact marginal field from Gaussian starts with Euler, Heun and
RK4 (``fm_helpers.ode``) and asks how many steps each schedule needs. These helpers turn
the end points and trajectories of those runs into numbers:

* ``flow_field``: the exact marginal field of a mixture as a function u(x, t) for ``ode.integrate``;
* ``endpoint_errors``: the distance at t = 1 between n-step runs and a reference (eq-06-global-error);
* ``energy_distance``: a distance between two point clouds (eq-06-energy-distance);
* ``component_labels`` / ``component_masses`` / ``mass_error``: which share of the samples lands in each component
  of a mixture, and how far that is from the target (eq-06-mass-error);
* ``straightness``: chord length over arc length of each trajectory (eq-06-straightness);
* ``fitted_order``: the slope p of error ~ C n^(-p) against the step count n;
* ``function_evaluations``: steps times the field evaluations per step of a method;
* ``sample_quality`` / ``quality_curve`` / ``steps_needed``: the two quality numbers of a run, of a
  list of runs, and the smallest step count (from a list) whose run meets both thresholds.

All functions are vectorised numpy; pairwise distances are summed in blocks of rows, so no
(N, M) array larger than a few MB is ever built.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np

from . import data
from .data import GaussianMixture
from .marginal import _field_plus_score, marginal_field, noise_prediction, posterior_mean
from .ode import METHODS, integrate
from .paths import GaussianPath, as_points, check_same_dimension
from .schedules import Schedule, check_t, named_schedules, resolve_schedule, speed_bound

__all__ = [
    "STAGES",
    "flow_field",
    "endpoint_errors",
    "energy_distance",
    "component_labels",
    "component_masses",
    "mass_error",
    "straightness",
    "fitted_order",
    "function_evaluations",
    "SampleQuality",
    "sample_quality",
    "quality_curve",
    "steps_needed",
    "ROUTE_DATASETS",
    "marginal_routes",
    "position_at",
    "conditional_straightness",
    "scale_and_clock",
    "rk4_steps_needed",
    "T_GRID",
    "defined_times",
    "conditional_trajectories",
    "conditional_speeds",
    "speed_ratio",
    "marginal_trajectories",
]

#: Field evaluations per step of each method of ``fm_helpers.ode`` (eq-euler, eq-heun, eq-rk4).
STAGES = {"euler": 1, "heun": 2, "rk4": 4}

# Pairwise distances are computed for blocks of this many pairs at a time (~0.5 MB of floats).
_BLOCK_ELEMENTS = 1 << 16


def flow_field(path: GaussianPath, mixture: GaussianMixture) -> Callable:
    """The function u(x, t) = marginal_field(path, mixture, x, t) that the solvers integrate (eq-06-sampling)."""
    if not isinstance(path, GaussianPath):
        raise ValueError(f"path must be a paths.GaussianPath, got {type(path).__name__}")
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a data.GaussianMixture, got {type(mixture).__name__}")

    def field(x, t):
        return marginal_field(path, mixture, x, t)

    return field


def _point_cloud(x, name: str) -> np.ndarray:
    x = as_points(x, name)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, d) with at least one point, got shape {x.shape}")
    return x


def _mean_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Mean of |x_i - y_j| over all pairs (i, j), in blocks of rows of x.

    The differences are formed coordinate by coordinate (no |x|^2 + |y|^2 - 2 x.y expansion), so two
    nearly equal points get an accurate small distance rather than the square root of a rounding error.
    """
    yt = np.ascontiguousarray(y.T)
    step = max(1, _BLOCK_ELEMENTS // y.shape[0])
    total = 0.0
    for start in range(0, x.shape[0], step):
        xb = x[start:start + step]
        sq = np.subtract.outer(xb[:, 0], yt[0])
        sq *= sq
        for k in range(1, x.shape[1]):  # a loop over the d coordinates, not over points
            diff = np.subtract.outer(xb[:, k], yt[k])
            diff *= diff
            sq += diff
        total += float(np.sqrt(sq, out=sq).sum())
    return total / (x.shape[0] * y.shape[0])


def energy_distance(x, y) -> float:
    """The energy distance between the point clouds x (N, d) and y (M, d) (eq-06-energy-distance).

    D(x, y) = sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|), with X, X' drawn from the rows of x and
    Y, Y' from the rows of y (all pairs, including a row with itself: the V-statistic). It is
    zero only when the two clouds are the same set of points with the same multiplicities; D^2 is a
    difference of mean distances, so scaling all points by c scales D by sqrt(c). In one dimension it
    equals ``scipy.stats.energy_distance``.
    """
    x, y = _point_cloud(x, "x"), _point_cloud(y, "y")
    check_same_dimension(x=x, y=y)
    return _energy_distance(x, y, _mean_distance(y, y))


def _energy_distance(x: np.ndarray, y: np.ndarray, mean_yy: float) -> float:
    """energy_distance with E|Y - Y'| given (it is the same for every x compared with one y)."""
    squared = 2.0 * _mean_distance(x, y) - _mean_distance(x, x) - mean_yy
    return float(np.sqrt(max(squared, 0.0)))


def _check_mixture(mixture) -> GaussianMixture:
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a data.GaussianMixture, got {type(mixture).__name__}")
    if np.any(mixture.stds == 0):
        raise ValueError("assigning points to components needs stds > 0: a point mass has no density to compare")
    return mixture


def component_labels(mixture: GaussianMixture, x) -> np.ndarray:
    """For each point of x (N, d), the component k that maximises w_k N(x; mu_k, sigma_k^2 I), shape (N,).

    That is the component the point most probably came from (eq-06-mass-error). Needs every std > 0.
    """
    mixture = _check_mixture(mixture)
    x = _point_cloud(x, "x")
    check_same_dimension(x=x, mixture=mixture.means)
    var = mixture.stds**2
    # log w_k - (d/2) log var_k - |x - mu_k|^2 / (2 var_k), with |x - mu|^2 expanded (no (N, K, d) array)
    sq = np.sum(x**2, axis=1)[:, None] - 2.0 * x @ mixture.means.T + np.sum(mixture.means**2, axis=1)
    logits = np.log(mixture.weights) - 0.5 * mixture.dim * np.log(var) - 0.5 * sq / var
    return np.argmax(logits, axis=1)


def component_masses(mixture: GaussianMixture, x) -> np.ndarray:
    """m_k: the share of the points x (N, d) that ``component_labels`` gives to each component, shape (K,)."""
    labels = component_labels(mixture, x)
    return np.bincount(labels, minlength=mixture.n_components) / labels.shape[0]


def mass_error(mixture: GaussianMixture, x, reference=None) -> float:
    """max_k |m_k - m*_k|: the largest error in the share of points per component (eq-06-mass-error).

    m_k are the ``component_masses`` of x. The target m*_k is the mixture weight w_k, or, when
    ``reference`` points (M, d) are given, their component masses (e.g. the exact flow's end points
    from the same starts, which removes the luck of the draw from the comparison).
    """
    masses = component_masses(mixture, x)
    target = mixture.weights if reference is None else component_masses(mixture, reference)
    return float(np.max(np.abs(masses - target)))


def straightness(trajectory) -> np.ndarray:
    """Chord over arc: |x_T - x_0| / sum_i |x_{i+1} - x_i| for each trajectory (eq-06-straightness).

    ``trajectory`` has shape (steps + 1, ..., d), as returned by ``ode.integrate``; the result has
    shape (...). It is 1 for a straight path travelled in one direction and smaller the more the
    path bends. A trajectory that does not move at all has no direction: it gives ValueError.
    """
    trajectory = as_points(trajectory, "trajectory")
    if trajectory.ndim < 2 or trajectory.shape[0] < 2:
        raise ValueError(f"trajectory must have shape (steps + 1, ..., d) with at least two time points, "
                         f"got shape {trajectory.shape}")
    arc = np.sum(np.linalg.norm(np.diff(trajectory, axis=0), axis=-1), axis=0)
    if np.any(arc == 0):
        raise ValueError("a trajectory does not move (arc length 0): its straightness is undefined")
    chord = np.linalg.norm(trajectory[-1] - trajectory[0], axis=-1)
    return chord / arc


def fitted_order(steps, errors) -> float:
    """The order p in error ~ C n^(-p): minus the least-squares slope of log(error) against log(n)."""
    try:
        steps, errors = np.asarray(steps, dtype=float), np.asarray(errors, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("steps and errors must be 1-D arrays of numbers (each at most about 1e308)") from None
    if steps.ndim != 1 or steps.shape != errors.shape or steps.size < 2:
        raise ValueError(f"steps and errors must be 1-D of the same length >= 2, got shapes {steps.shape} "
                         f"and {errors.shape}")
    if not (np.all(np.isfinite(steps)) and np.all(steps > 0) and np.all(np.isfinite(errors)) and np.all(errors > 0)):
        raise ValueError("steps and errors must be finite and > 0 (their logarithms are fitted)")
    if np.unique(steps).size < 2:
        raise ValueError("steps must contain at least two different step counts")
    return float(-np.polyfit(np.log(steps), np.log(errors), 1)[0])


def endpoint_errors(field: Callable, x0, reference, method: str, steps_list: Iterable[int],
                    statistic: Callable = np.median) -> np.ndarray:
    """For each n in ``steps_list``: ``statistic`` over the starts of |x_n - x_ref|, the distance at t = 1
    between the end point of an n-step run of ``method`` and the reference end point (eq-06-global-error).

    x0 and reference have shape (N, d); the result has shape (len(steps_list),). The median (default)
    ignores the few starts so close to a watershed between components that any error sends them
    to the other one.
    """
    x0, reference = _point_cloud(x0, "x0"), _point_cloud(reference, "reference")
    if x0.shape != reference.shape:
        raise ValueError(f"x0 and reference must have the same shape, got {x0.shape} and {reference.shape}")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    steps_list = _step_counts(steps_list, "steps_list")
    errors = [statistic(np.linalg.norm(integrate(field, x0, 0.0, 1.0, n, method)[-1] - reference, axis=-1))
              for n in steps_list]
    return np.asarray(errors, dtype=float)


def _step_counts(counts, name: str) -> list[int]:
    """A list of step counts, each a positive integer, or ValueError naming ``name``."""
    if isinstance(counts, (str, bytes)) or not hasattr(counts, "__iter__"):
        raise ValueError(f"{name} must be a list of step counts such as [10, 20, 40], got {counts!r}")
    return [_check_steps(n) for n in counts]


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (numbers.Integral, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


def function_evaluations(method: str, steps: int) -> int:
    """How often a run of ``steps`` steps of ``method`` evaluates the field: steps x stages."""
    if not isinstance(method, str) or method not in STAGES:
        raise ValueError(f"method must be one of {sorted(STAGES)}, got {method!r}")
    return STAGES[method] * _check_steps(steps)


@dataclass(frozen=True)
class SampleQuality:
    """The two quality numbers of a set of samples against the exact flow's end points."""

    mass_error: float
    energy_distance: float

    def meets(self, max_mass_error: float, max_energy_distance: float) -> bool:
        return self.mass_error <= max_mass_error and self.energy_distance <= max_energy_distance


def sample_quality(mixture: GaussianMixture, x, reference) -> SampleQuality:
    """``mass_error`` of x against the reference's component masses, and ``energy_distance`` to it."""
    return SampleQuality(mass_error(mixture, x, reference), energy_distance(x, reference))


def _qualities(field: Callable, x0, reference, mixture: GaussianMixture, method: str, candidates: Iterable[int]):
    """Yield (n, SampleQuality) for each candidate n, computing the reference's own terms once."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    x0, reference = _point_cloud(x0, "x0"), _point_cloud(reference, "reference")
    check_same_dimension(x0=x0, reference=reference)
    candidates = _step_counts(candidates, "candidates")
    if not candidates:
        raise ValueError("candidates must hold at least one step count")
    target = component_masses(mixture, reference)
    mean_rr = _mean_distance(reference, reference)
    for n in candidates:
        end = integrate(field, x0, 0.0, 1.0, n, method)[-1]
        yield n, SampleQuality(float(np.max(np.abs(component_masses(mixture, end) - target))),
                               _energy_distance(end, reference, mean_rr))


def quality_curve(field: Callable, x0, reference, mixture: GaussianMixture, method: str,
                  candidates: Iterable[int]) -> list[SampleQuality]:
    """``sample_quality`` of the end points of an n-step run of ``method`` from x0, for each n in ``candidates``.

    ``reference`` holds the exact flow's end points from the same starts x0 (N, d).
    """
    return [quality for _, quality in _qualities(field, x0, reference, mixture, method, candidates)]


def steps_needed(field: Callable, x0, reference, mixture: GaussianMixture, method: str,
                 candidates: Iterable[int], max_mass_error: float = 0.02,
                 max_energy_distance: float = 0.02) -> int | None:
    """The first step count in ``candidates`` whose run of ``method`` from x0 to t = 1 meets both thresholds.

    Each candidate n integrates dx/dt = field(x, t) with n uniform steps and compares the end points
    with ``reference`` (the exact flow's end points from the same starts): mass error <= ``max_mass_error``
    and energy distance <= ``max_energy_distance`` (pass ``np.inf`` to use only the mass error; the energy
    distance, the expensive one, is then never computed). Candidates are tried in the order given and the
    search stops at the first that passes; None if none does.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    for name, value in (("max_mass_error", max_mass_error), ("max_energy_distance", max_energy_distance)):
        if not (isinstance(value, numbers.Real) and value >= 0):
            raise ValueError(f"{name} must be a number >= 0 (np.inf for no limit), got {value!r}")
    x0, reference = _point_cloud(x0, "x0"), _point_cloud(reference, "reference")
    check_same_dimension(x0=x0, reference=reference)
    candidates = _step_counts(candidates, "candidates")
    if not candidates:
        raise ValueError("candidates must hold at least one step count")
    target = component_masses(mixture, reference)
    mean_rr = None
    for n in candidates:
        end = integrate(field, x0, 0.0, 1.0, n, method)[-1]
        if np.max(np.abs(component_masses(mixture, end) - target)) > max_mass_error:
            continue
        if np.isfinite(max_energy_distance):
            mean_rr = _mean_distance(reference, reference) if mean_rr is None else mean_rr
            if _energy_distance(end, reference, mean_rr) > max_energy_distance:
                continue
        return n
    return None


# ------------------------------------------------------------------------------------------
# Routes of any schedule (chapter 7): marginal trajectories, conditional straightness, clock and scale
# ------------------------------------------------------------------------------------------

#: The data sets chapter 7 drives its cars to, by name.
ROUTE_DATASETS = {"two cities": data.two_cities, "eight gaussians": data.eight_gaussians}



@lru_cache(maxsize=32)
def _routes_cached(schedule: Schedule, data_name: str, n_starts: int, steps: int, seed: int) -> np.ndarray:
    mixture = ROUTE_DATASETS[data_name]()
    starts = np.random.default_rng(seed).standard_normal((n_starts, 2))
    _, trajectory = marginal_trajectories(schedule, mixture, starts, steps)
    trajectory.flags.writeable = False
    return trajectory


def marginal_routes(schedule, data_name: str = "two cities", n_starts: int = 200, steps: int = 100,
                    seed: int = 0) -> np.ndarray:
    """Trajectories of the marginal field (eq-ode) from ``n_starts`` draws of N(0, I) (seed ``seed``) to the
    data set ``data_name`` of ``ROUTE_DATASETS``: RK4 with ``steps`` uniform steps, shape (steps + 1, n_starts, 2).
    Cached; read-only.

    Raises ValueError when the field is not finite somewhere on the way (e.g. d_alpha infinite at t = 0).
    """
    if data_name not in ROUTE_DATASETS:
        raise ValueError(f"data must be one of {', '.join(ROUTE_DATASETS)}, got {data_name!r}")
    return _routes_cached(resolve_schedule(schedule), data_name, _check_steps(n_starts), _check_steps(steps), int(seed))


def position_at(trajectory, t: float) -> np.ndarray:
    """Positions at time t on the polyline through a trajectory's nodes at t_i = i / n (shape (n + 1, ..., d)),
    as ``ode.integrate`` returns it on [0, 1]."""
    trajectory = np.asarray(trajectory, dtype=float)
    if trajectory.ndim < 2 or trajectory.shape[0] < 2:
        raise ValueError(f"trajectory must have shape (n + 1, ..., d) with n >= 1, got {trajectory.shape}")
    if not (isinstance(t, numbers.Real) and 0.0 <= t <= 1.0):
        raise ValueError(f"t must be a number in [0, 1], got {t!r}")
    n = trajectory.shape[0] - 1
    i = min(int(np.floor(t * n)), n - 1)
    frac = t * n - i
    return trajectory[i] + frac * (trajectory[i + 1] - trajectory[i])


def conditional_straightness(schedule, x0, z, n_times: int = 401) -> np.ndarray:
    """Chord over arc (eq-07-chord-arc) of the conditional routes t -> alpha_t z + beta_t x0 (eq-flow),
    measured on a polyline through ``n_times`` times; x0 (N, d) and z (d,) or (N, d). Shape (N,)."""
    schedule = resolve_schedule(schedule)
    ts = np.linspace(0.0, 1.0, _check_steps(n_times))[:, None, None]
    routes = GaussianPath(schedule).flow(np.asarray(x0, dtype=float)[None], np.asarray(z, dtype=float), ts)
    return straightness(routes)


def scale_and_clock(schedule, t):
    """(rho_t, tau_t) with the scale rho_t = alpha_t + beta_t and the clock tau_t = alpha_t / rho_t (eq-07-blend).

    alpha_t z + beta_t x0 = rho_t (tau_t z + (1 - tau_t) x0): the car is at the CondOT position of time tau_t,
    scaled by rho_t about the origin. Raises ValueError where rho_t = 0.
    """
    schedule = resolve_schedule(schedule)
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    rho = alpha + beta
    if np.any(rho == 0):
        raise ValueError(f"alpha_t + beta_t = 0 somewhere in t = {t}: no CondOT clock there")
    return rho, alpha / rho


def rk4_steps_needed(schedule, steps: int) -> float:
    """RK4 steps that routes of ``schedule`` need, from a bound on its derivatives (not from the routes).

    Rule: in one step alpha_t and beta_t may change by at most 1/4, so
    steps >= 4 max(|d_alpha|, |d_beta|) over [0, 1 - 1/steps] (``schedules.speed_bound``, interval
    arithmetic). The last step is left out because beta's derivative may be infinite at t = 1 (LinearVP),
    where the field uses beta d_beta instead. t + 0.1 sin(2000 pi t) needs about 2,500 steps.
    Infinite when a derivative is unbounded before t = 1 - 1/steps.
    """
    bound = speed_bound(resolve_schedule(schedule), 1.0 - 1.0 / _check_steps(steps))
    return int(np.ceil(4.0 * bound)) if np.isfinite(bound) else float("inf")


# ------------------------------------------------------------------------------------------
# Conditional and marginal trajectories, their speeds (chapter 3)
# ------------------------------------------------------------------------------------------

#: Times at which conditional trajectories and speeds are tabulated.
T_GRID = np.linspace(0.0, 1.0, 201)


def defined_times(schedule: Schedule, ts) -> np.ndarray:
    """Boolean mask of the times in ``ts`` where d_alpha and d_beta are finite (LinearVP: all but t = 1)."""
    return np.asarray(resolve_schedule(schedule).at(np.asarray(ts, dtype=float)).derivatives_defined, dtype=bool)


def conditional_trajectories(schedule: Schedule, eps, z, ts=T_GRID) -> np.ndarray:
    """psi_t(eps|z) = alpha_t z + beta_t eps (eq-flow) at each time of ``ts``: shape (T, N, d) for eps, z (N, d)."""
    return GaussianPath(resolve_schedule(schedule)).flow(eps, z, np.asarray(ts, dtype=float)[:, None])


def conditional_speeds(schedule: Schedule, eps, z, ts=T_GRID) -> np.ndarray:
    """|u_t(x|z)| along psi_t(eps|z), from the noise form |d_alpha z + d_beta eps| (eq-cond-field-noise).

    Shape (T, N). NaN where the speed is not finite (LinearVP at t = 1, where d_beta is infinite).
    """
    schedule = resolve_schedule(schedule)
    ts = np.asarray(ts, dtype=float)
    eps, z = as_points(eps, "eps"), as_points(z, "z")
    ok = defined_times(schedule, ts)
    speeds = np.full((ts.size, eps.shape[0]), np.nan)
    field = GaussianPath(schedule).conditional_field_from_noise(eps, z, ts[ok][:, None])
    speeds[ok] = np.linalg.norm(field, axis=-1)
    return speeds


def speed_ratio(speeds) -> np.ndarray:
    """max speed / min speed of each trajectory, speeds (T, N) -> (N,).

    Infinite when a trajectory stops (min speed 0) or its speed is not finite somewhere (NaN).
    """
    speeds = np.asarray(speeds, dtype=float)
    top, low = np.max(speeds, axis=0), np.min(speeds, axis=0)   # NaN propagates
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = top / low
    return np.where(np.isnan(top) | (low == 0), np.inf, ratio)


def marginal_trajectories(schedule: Schedule, mixture: GaussianMixture, x0, steps: int = 100, method: str = "rk4"):
    """Integrate dx/dt = u_t(x) (eq-marginal-field) from x0 (N, d) on [0, 1] with ``steps`` uniform steps of
    ``method`` (one of ``ode.METHODS``); returns (times (steps + 1,), trajectory (steps + 1, N, d)). The one
    integration of the exact marginal field that the chapters and their figures share.

    Raises ValueError where the field is not finite on the way (a mixture with stds 0 at t = 1).
    """
    steps = _check_steps(steps)
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    trajectory = integrate(flow_field(GaussianPath(resolve_schedule(schedule)), mixture), x0, 0.0, 1.0, steps, method)
    return np.linspace(0.0, 1.0, steps + 1), trajectory
# Chapter 9: stochastic samplers with the same marginals, and DDIM.
# ------------------------------------------------------------------------------------------

# Imported here, with the chapter they serve, so that this block stays self-contained.

__all__ += ["sde_drift", "euler_maruyama", "ddim_step", "ddim"]


def _noise_level(noise_level) -> Callable:
    """g as a function of t, from a number >= 0 or a function of t."""
    if callable(noise_level):
        return noise_level
    if isinstance(noise_level, bool) or not isinstance(noise_level, numbers.Real) \
            or not np.isfinite(noise_level) or noise_level < 0:
        raise ValueError(f"the noise level g must be a finite number >= 0 or a function of t, got {noise_level!r}")
    g = float(noise_level)
    return lambda t: g


def sde_drift(path: GaussianPath, mixture: GaussianMixture, noise_level=0.0) -> Callable:
    """The drift u_t(x) + (g_t^2 / 2) s_t(x) of the SDE with marginals p_t (eq-09-sde), as drift(x, t).

    ``noise_level`` is g: a number >= 0 or a function of t. With g = 0 this is ``flow_field``.
    """
    field = flow_field(path, mixture)
    g = _noise_level(noise_level)

    def drift(x, t):
        half_g2 = 0.5 * _diffusion_value(g, t) ** 2
        if half_g2 == 0.0:
            return field(x, t)
        return _field_plus_score(path, mixture, x, t, half_g2)

    return drift


def _diffusion_value(diffusion: Callable, t: float) -> float:
    value = diffusion(t)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"diffusion(t) must return a finite number >= 0, got {value!r} at t = {t:g}")
    return float(value)


def euler_maruyama(drift: Callable, diffusion: Callable, x0, t0: float = 0.0, t1: float = 1.0,
                   steps: int = 100, rng: np.random.Generator = None) -> np.ndarray:
    """Integrate dX = drift(X, t) dt + diffusion(t) dW from X(t0) = x0 to t1 (eq-09-euler-maruyama).

    Each step adds h drift(x_i, t_i) + diffusion(t_i) sqrt(h) xi_i with xi_i ~ N(0, I) from ``rng``; drift and
    diffusion are evaluated only at the start of a step, never at t1. Returns the whole path,
    (steps + 1, *x0.shape), at the times ``np.linspace(t0, t1, steps + 1)``, like ``ode.integrate``.
    """
    x0 = as_points(x0, "x0")
    t0, t1 = float(check_t(t0, "t0")), float(check_t(t1, "t1"))
    if not t0 < t1:
        raise ValueError(f"Euler-Maruyama runs forward in time: t0 must be smaller than t1, got t0 = {t0:g}, t1 = {t1:g}")
    steps = _check_steps(steps)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    if not callable(drift) or not callable(diffusion):
        raise ValueError("drift must be a function drift(x, t) and diffusion a function diffusion(t)")
    times = np.linspace(t0, t1, steps + 1)
    trajectory = np.empty((steps + 1, *x0.shape))
    trajectory[0] = x0
    for i in range(steps):
        t, h = float(times[i]), float(times[i + 1] - times[i])
        x = trajectory[i]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, in words
            trajectory[i + 1] = x + h * drift(x, t) + _diffusion_value(diffusion, t) * np.sqrt(h) * rng.standard_normal(x.shape)
        if not np.all(np.isfinite(trajectory[i + 1])):
            raise ValueError(f"the solution stopped being finite at t = {times[i + 1]:g}; take more steps")
    return trajectory


def ddim_step(path: GaussianPath, mixture: GaussianMixture, x, t: float, t_next: float) -> np.ndarray:
    """One deterministic DDIM step from t to t_next: alpha_{t'} E[z | x] + beta_{t'} E[eps | x] (eq-09-ddim).

    It is an exact Euler step of the probability-flow ODE in the variables (x / beta, alpha / beta).
    """
    x = as_points(x)
    schedule = path.schedule
    return schedule.alpha(t_next) * posterior_mean(path, mixture, x, t) \
        + schedule.beta(t_next) * noise_prediction(path, mixture, x, t)


def ddim(path: GaussianPath, mixture: GaussianMixture, x0, t0: float = 0.0, t1: float = 1.0,
         steps: int = 100) -> np.ndarray:
    """DDIM with uniform steps in t from t0 to t1 (eq-09-ddim); the whole path, (steps + 1, *x0.shape)."""
    if not isinstance(path, GaussianPath):
        raise ValueError(f"path must be a paths.GaussianPath, got {type(path).__name__}")
    x0 = as_points(x0, "x0")
    t0, t1 = float(check_t(t0, "t0")), float(check_t(t1, "t1"))
    if not t0 < t1:
        raise ValueError(f"DDIM runs from noise towards data: t0 must be smaller than t1, got t0 = {t0:g}, t1 = {t1:g}")
    steps = _check_steps(steps)
    times = np.linspace(t0, t1, steps + 1)
    trajectory = np.empty((steps + 1, *x0.shape))
    trajectory[0] = x0
    for i in range(steps):
        trajectory[i + 1] = ddim_step(path, mixture, trajectory[i], float(times[i]), float(times[i + 1]))
    return trajectory
