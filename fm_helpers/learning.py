"""Learning the marginal field from conditional targets: a closed-form model, its losses, and the constant between them.

Chapter 8 fits a model v_theta(x, t) = theta^T phi(x, t) by ridge least squares on the conditional targets
u_t(x|z) only, at x ~ p_t(.|z), z ~ p_data (the conditional flow matching loss, eq-08-cfm-loss), and
shows that it learns the marginal field u_t(x) (eq-marginal-field), which it never sees. The pieces:

* ``RandomFourierFeatures`` / ``random_fourier_features``: phi(x, t) = a few polynomial features plus
  sqrt(2/J) cos(omega_j . (x / ell_x, t / ell_t) + chi_j), with seeded random omega_j and phases chi_j (eq-08-model);
* ``ridge_fit``: the least squares weights theta = (Phi^T Phi / n + r mean(phi^2) I)^(-1) Phi^T Y / n, accumulated in blocks
  of rows (eq-08-normal-equations);
* ``conditional_training_set`` / ``fit_conditional_field``: the training data (t, z, eps) -> (x, u_t(x|z))
  and the fit; ``FieldModel`` is the fitted v_theta;
* ``conditional_loss`` / ``marginal_loss``: per-sample squared errors of the two losses (eq-08-cfm-loss,
  eq-08-fm-loss);
* ``posterior_variance`` / ``expected_posterior_variance``: Var(u_t(x|z) | X_t = x) in closed form for a
  Gaussian mixture, and its average over x ~ p_t (eq-08-posterior-variance, eq-08-loss-gap);
* ``relative_l2_error``: sqrt(E|v - u|^2 / E|u|^2) under x ~ p_t (eq-08-rel-error);
* ``denoise`` / ``sample_model``: the posterior mean read off a field (eq-08-denoise) and samples drawn by
  integrating the learned field.

Everything is vectorised numpy over the leading axes of the points; no deep-learning framework.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import data
from .data import MAX_DRAWS, GaussianMixture
from .marginal import marginal_field, posterior_weights
from .ode import integrate
from .paths import GaussianPath, as_points, check_same_dimension
from .schedules import Schedule, ScheduleValues, check_t, resolve_schedule

__all__ = [
    "RandomFourierFeatures",
    "random_fourier_features",
    "ridge_fit",
    "FieldModel",
    "conditional_training_set",
    "fit_conditional_field",
    "conditional_loss",
    "marginal_loss",
    "posterior_variance",
    "expected_posterior_variance",
    "relative_l2_error",
    "denoise",
    "sample_model",
    "BOOK_FIT",
    "ERROR_TIMES",
    "BookFit",
    "book_model",
    "GridField",
]

# Rows of the design matrix built at a time (a block of 8192 x 512 features is 32 MB).
_BLOCK_ROWS = 8192


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def _check_count(n, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _finite_real(value) -> bool:
    """True for a finite real number (False for an int too large for a float, rather than an OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _check_path(path) -> GaussianPath:
    if not isinstance(path, GaussianPath):
        raise ValueError(f"path must be a paths.GaussianPath, got {type(path).__name__}")
    return path


def _check_mixture(mixture) -> GaussianMixture:
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a data.GaussianMixture, got {type(mixture).__name__}")
    return mixture


def _times_like(x: np.ndarray, t) -> np.ndarray:
    """t (a number or an array over the leading axes of x) broadcast to x.shape[:-1], after checking it."""
    t = np.asarray(check_t(t), dtype=float)
    try:
        return np.broadcast_to(t, x.shape[:-1])
    except ValueError:
        raise ValueError(f"t of shape {t.shape} does not broadcast against points of shape {x.shape}") from None


# --------------------------------------------------------------------------------------
# Features and the least squares fit
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RandomFourierFeatures:
    """phi(x, t) = [1, x, t, t x, sqrt(2/J) cos(omega_j . (x / ell_x, t / ell_t) + chi_j) for j <= J] (eq-08-model).

    ``omega`` (J, d + 1) and ``phase`` (J,) (the phases chi_j) are fixed random draws; ``length_x`` and
    ``length_t`` set the length scales in space and time over which the features vary. The polynomial block
    (1, x, t, t x: 2 d + 2 features) lets the model represent the part of a field that is affine in x exactly.
    """

    omega: np.ndarray
    phase: np.ndarray
    length_x: float
    length_t: float
    polynomial: bool = True

    @property
    def dim(self) -> int:
        return self.omega.shape[1] - 1

    @property
    def n_random(self) -> int:
        return self.omega.shape[0]

    @property
    def n_features(self) -> int:
        return self.n_random + (2 * self.dim + 2 if self.polynomial else 0)

    def __call__(self, x, t) -> np.ndarray:
        """The design matrix, shape (..., n_features), for points x (..., d) at times t (number or (...))."""
        x = as_points(x)
        if x.shape[-1] != self.dim:
            raise ValueError(f"mismatched dimensions: x has dimension {x.shape[-1]} but the features expect {self.dim}")
        t = _times_like(x, t)
        m = self.n_random
        # omega . (x / ell_x, t / ell_t) + b, computed as one matrix product and a rank-one update
        arg = (x / self.length_x) @ self.omega[:, :-1].T
        arg += (t / self.length_t)[..., None] * self.omega[:, -1]
        arg += self.phase
        np.cos(arg, out=arg)
        arg *= np.sqrt(2.0 / m)
        if not self.polynomial:
            return arg
        tc = t[..., None]
        poly = np.concatenate([np.ones_like(tc), x, tc, tc * x], axis=-1)
        return np.concatenate([poly, arg], axis=-1)


def random_fourier_features(n_random: int, dim: int, rng: np.random.Generator, length_x: float = 1.0,
                            length_t: float = 0.3, polynomial: bool = True) -> RandomFourierFeatures:
    """Draw omega_j ~ N(0, I_{d+1}) and chi_j ~ U[0, 2 pi) for J = ``n_random`` cosine features (eq-08-model).

    With these draws, sum_j phi_j(y) phi_j(y') approximates the Gaussian kernel exp(-|y - y'|^2 / 2) of the
    scaled input y = (x / ell_x, t / ell_t) (Rahimi and Recht's random features): the model is a smooth
    function of (x, t) varying over distances of about ``length_x`` in space and ``length_t`` in time.
    """
    n_random = _check_count(n_random, "n_random")
    dim = _check_count(dim, "dim")
    _check_rng(rng)
    for name, value in (("length_x", length_x), ("length_t", length_t)):
        if not (_finite_real(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    omega = rng.standard_normal((n_random, dim + 1))
    phase = rng.uniform(0.0, 2 * np.pi, n_random)
    for arr in (omega, phase):
        arr.flags.writeable = False
    return RandomFourierFeatures(omega, phase, float(length_x), float(length_t), bool(polynomial))


def _gram(phi: np.ndarray) -> np.ndarray:
    """Phi^T Phi by numpy's own single-threaded loops rather than BLAS.

    A multithreaded BLAS on a machine whose cores are busy with other work can take tens of times longer
    for this tall, thin product than one thread does; einsum's C loop takes the same time either way.
    """
    return np.einsum("ni,nj->ij", phi, phi, optimize=False)


def ridge_fit(design, targets, ridge: float = 1e-6) -> np.ndarray:
    """theta minimising sum_i |theta^T phi_i - y_i|^2 + r n mean(phi^2) |theta|^2: the normal equations (eq-08-normal-equations).

    theta = (Phi^T Phi / n + r mean(phi^2) I)^(-1) Phi^T Y / n. ``design`` is Phi (n, F) or a callable
    ``block -> Phi`` over ``slice`` objects (so that the (n, F) matrix need not exist at once); ``targets``
    is Y (n, d). The ridge r (``ridge``) >= 0 is relative to the mean squared feature mean(phi^2), the mean of
    the diagonal of Phi^T Phi / n, which keeps the solve well posed when features are nearly dependent.
    Returns theta, shape (F, d).
    """
    y = as_points(targets, "targets")
    if y.ndim != 2:
        raise ValueError(f"targets must have shape (n, d), got shape {y.shape}")
    if not (_finite_real(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be a number >= 0, got {ridge!r}")
    n = y.shape[0]
    block = design if callable(design) else None
    if block is None:
        phi = _design_block(design, n)
        gram, moment = _gram(phi), phi.T @ y
    else:
        gram = moment = None
        for start in range(0, n, _BLOCK_ROWS):
            rows = slice(start, min(start + _BLOCK_ROWS, n))
            phi = _design_block(block(rows), rows.stop - rows.start)
            gram = _gram(phi) if gram is None else gram + _gram(phi)
            moment = phi.T @ y[rows] if moment is None else moment + phi.T @ y[rows]
    gram /= n
    moment /= n
    scale = np.trace(gram) / gram.shape[0]
    gram[np.diag_indices_from(gram)] += ridge * scale
    try:
        weights = np.linalg.solve(gram, moment)
    except np.linalg.LinAlgError:
        weights = None
    if weights is None or not np.all(np.isfinite(weights)):
        raise ValueError("the normal equations are singular: the design's features are linearly dependent "
                         "(or all zero) on these rows; use ridge > 0, more rows or other features")
    return weights


def _design_block(phi, n_rows: int) -> np.ndarray:
    try:
        phi = np.asarray(phi, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"design must be an array of numbers of shape (n, F), got {type(phi).__name__}") from None
    if phi.ndim != 2 or phi.shape[0] != n_rows or phi.shape[1] == 0:
        raise ValueError(f"design must have shape (n, F) with n = {n_rows} rows like targets and F >= 1, "
                         f"got shape {phi.shape}")
    if not np.all(np.isfinite(phi)):
        raise ValueError("design contains NaN or infinite entries")
    return phi


@dataclass(frozen=True, eq=False)
class FieldModel:
    """v_theta(x, t) = theta^T phi(x, t) (eq-08-model), ``weights`` theta of shape (F, d)."""

    features: RandomFourierFeatures
    weights: np.ndarray

    def __call__(self, x, t) -> np.ndarray:
        """The model's velocity at points x (..., d) and times t (a number or an array over the leading axes)."""
        x = as_points(x)
        flat = x.reshape(-1, x.shape[-1])
        tt = _times_like(x, t).reshape(-1)
        out = np.empty_like(flat)
        for start in range(0, flat.shape[0], _BLOCK_ROWS):
            rows = slice(start, start + _BLOCK_ROWS)
            out[rows] = self.features(flat[rows], tt[rows]) @ self.weights
        return out.reshape(x.shape)

    def scaled(self, factor: float) -> "FieldModel":
        """The same features with weights multiplied by ``factor`` (another point theta of parameter space)."""
        return FieldModel(self.features, factor * self.weights)

    def perturbed(self, scale: float, rng: np.random.Generator) -> "FieldModel":
        """The same features with N(0, scale^2) noise added to every weight."""
        return FieldModel(self.features, self.weights + scale * _check_rng(rng).standard_normal(self.weights.shape))


# --------------------------------------------------------------------------------------
# Training on conditional targets
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingSet:
    """Draws (t, z, eps), the points x = alpha_t z + beta_t eps and the conditional targets u_t(x|z)."""

    t: np.ndarray
    z: np.ndarray
    eps: np.ndarray
    x: np.ndarray
    target: np.ndarray


def conditional_training_set(path: GaussianPath, mixture: GaussianMixture, n: int, rng: np.random.Generator,
                             t_range=(0.0, 0.95)) -> TrainingSet:
    """n draws t ~ U[t_range], z ~ p_data, eps ~ N(0, I); x = psi_t(eps|z) (eq-flow) and the target
    u_t(x|z) = d_alpha z + d_beta eps (eq-cond-field-noise), the conditional field at x. No marginal field is used.

    t is drawn stratified (one uniform draw in each of n equal slices of ``t_range``, then shuffled), which
    spreads the times evenly without changing their distribution.
    """
    _check_path(path), _check_mixture(mixture), _check_rng(rng)
    n = _check_count(n, "n")
    if n > MAX_DRAWS:
        raise ValueError(f"n = {n:,} training draws is too many (at most {MAX_DRAWS:,})")
    try:
        lo, hi = (check_t(v, "t_range", single=True) for v in t_range)
    except (TypeError, ValueError) as err:  # not a pair: "cannot unpack", "not iterable"
        if isinstance(err, ValueError) and str(err).startswith("t_range"):
            raise
        raise ValueError(f"t_range must be a pair (low, high) of times in [0, 1], got {t_range!r}") from None
    if not lo < hi:
        raise ValueError(f"t_range must be (low, high) with low < high, got {t_range!r}")
    t = lo + (hi - lo) * (np.arange(n) + rng.uniform(size=n)) / n
    rng.shuffle(t)
    z = mixture.sample(n, rng)
    eps = rng.standard_normal(z.shape)
    values = path.at(t)
    x = path.flow(eps, z, values)
    target = path.conditional_field_from_noise(eps, z, values)
    return TrainingSet(t, z, eps, x, target)


def fit_conditional_field(path: GaussianPath, mixture: GaussianMixture, features: RandomFourierFeatures, n: int,
                          rng: np.random.Generator, t_range=(0.0, 0.95), ridge: float = 1e-6) -> FieldModel:
    """Minimise the empirical conditional loss (eq-08-cfm-loss) over theta in closed form (eq-08-normal-equations).

    Trains on ``conditional_training_set(path, mixture, n, rng, t_range)``: targets u_t(x|z) only.
    """
    if not isinstance(features, RandomFourierFeatures):
        raise ValueError(f"features must be a RandomFourierFeatures, got {type(features).__name__}")
    data = conditional_training_set(path, mixture, n, rng, t_range)
    weights = ridge_fit(lambda rows: features(data.x[rows], data.t[rows]), data.target, ridge)
    return FieldModel(features, weights)


# --------------------------------------------------------------------------------------
# The two losses and the constant between them
# --------------------------------------------------------------------------------------

def conditional_loss(model, path: GaussianPath, eps, z, t) -> np.ndarray:
    """|v_theta(x, t) - u_t(x|z)|^2 at x = alpha_t z + beta_t eps, per sample, shape (...) (eq-08-cfm-loss).

    ``model`` is any callable v(x, t); t is a number or an array over the leading axes.
    """
    values = _check_path(path).at(t)
    x = path.flow(eps, z, values)
    residual = model(x, values.t) - path.conditional_field_from_noise(eps, z, values)
    return np.sum(residual**2, axis=-1)


def marginal_loss(model, path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """|v_theta(x, t) - u_t(x)|^2 per sample, shape (...), against the exact marginal field (eq-08-fm-loss).

    t is a number or an array over the leading axes; the marginal field is evaluated once per distinct time.
    """
    _check_path(path), _check_mixture(mixture)
    x = as_points(x)
    tt = _times_like(x, t)
    u = np.empty_like(x)
    for s in np.unique(tt):
        where = tt == s
        u[where] = marginal_field(path, mixture, x[where], float(s))
    return np.sum((model(x, tt) - u) ** 2, axis=-1)


def _posterior_moments(values: ScheduleValues, mixture: GaussianMixture, w: np.ndarray, x: np.ndarray):
    """Per-component posterior means m_k(x) (..., K, d) and variances tau_k (K,), given the weights w."""
    alpha, beta = values.alpha, values.beta
    s2 = mixture.stds**2
    v = alpha**2 * s2 + beta**2
    m = mixture.means + (alpha * s2 / v)[:, None] * (x[..., None, :] - alpha * mixture.means)
    tau = s2 * beta**2 / v
    return m, tau


def posterior_variance(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """Var(u_t(x|z) | X_t = x) = E[|u_t(x|z)|^2 | x] - |u_t(x)|^2 for a Gaussian mixture, shape (...) (eq-08-posterior-variance).

    Given x and component k, z ~ N(m_k, q_k I) with m_k = mu_k + alpha_t sigma_k^2 (x - alpha_t mu_k) / nu_k,
    q_k = sigma_k^2 beta_t^2 / nu_k and nu_k = alpha_t^2 sigma_k^2 + beta_t^2 (Bayes' rule for Gaussians). The field
    u = a_t z + b_t x is affine in z (eq-cond-field), so E[|u|^2 | x] = sum_k p(k | x, t) (|a_t m_k + b_t x|^2
    + a_t^2 q_k d), and u_t(x) = sum_k p(k | x, t) (a_t m_k + b_t x). Needs beta_t > 0 (t < 1); t a single number.
    """
    _check_path(path), _check_mixture(mixture)
    x = as_points(x)
    check_same_dimension(x=x, mixture=mixture.means)
    values = _single_time(path, t)
    if values.beta == 0.0:
        raise ValueError(f"the posterior variance uses the x-form field, undefined at t = {values.t:g} where "
                         "beta_t = 0; use t < 1")
    a, b = values.a, values.b
    w = posterior_weights(path, mixture, x, values)
    m, tau = _posterior_moments(values, mixture, w, x)
    u_k = a * m + b * x[..., None, :]                                           # (..., K, d)
    second = np.sum(w * (np.sum(u_k**2, axis=-1) + a**2 * tau * mixture.dim), axis=-1)
    mean = np.einsum("...k,...kd->...d", w, u_k)
    return np.maximum(second - np.sum(mean**2, axis=-1), 0.0)


def _single_time(path: GaussianPath, t) -> ScheduleValues:
    """The path's schedule values at one time (a number in [0, 1], or those values already)."""
    values = path.at(t)
    if np.ndim(values.t) != 0:
        raise ValueError(f"t must be a single number in [0, 1] here, got an array of shape {np.shape(values.t)}")
    return values


def expected_posterior_variance(path: GaussianPath, mixture: GaussianMixture, t, n: int, rng: np.random.Generator):
    """E_{x ~ p_t}[Var(u_t(x|z) | x)] at one time t, by averaging the exact variance over n draws of p_t (eq-08-loss-gap).

    The variance at each x is exact; only the outer average over x is a Monte Carlo quadrature, so the
    result is exact up to its standard error, which is returned too: (mean, standard error).
    """
    _check_rng(rng)
    n = _check_count(n, "n", 2)
    values = _single_time(_check_path(path), t)
    z = _check_mixture(mixture).sample(n, rng)
    x = path.sample(z, values, rng)
    var = posterior_variance(path, mixture, x, values)
    return float(var.mean()), float(var.std(ddof=1) / np.sqrt(n))


def relative_l2_error(model, path: GaussianPath, mixture: GaussianMixture, t, n: int, rng: np.random.Generator) -> float:
    """sqrt(E_{x ~ p_t}|v(x, t) - u_t(x)|^2 / E_{x ~ p_t}|u_t(x)|^2), estimated with n draws x ~ p_t (eq-08-rel-error)."""
    _check_rng(rng)
    n = _check_count(n, "n")
    values = _single_time(_check_path(path), t)
    x = path.sample(_check_mixture(mixture).sample(n, rng), values, rng)
    u = marginal_field(path, mixture, x, values)
    scale = np.sum(u**2)
    if scale == 0:
        raise ValueError(f"the marginal field is 0 at every sampled point at t = {values.t:g}: "
                         "a relative error means nothing there")
    return float(np.sqrt(np.sum((model(x, values.t) - u) ** 2) / scale))


# --------------------------------------------------------------------------------------
# Sampling with a learned field
# --------------------------------------------------------------------------------------

def denoise(field, path: GaussianPath, x, t: float) -> np.ndarray:
    """The posterior mean E[z | x_t = x] read off a field: (u_t(x) - b_t x) / a_t (eq-08-denoise).

    Since u_t(x|z) = a_t z + b_t x is affine in z, its posterior mean is u_t(x) = a_t E[z|x] + b_t x;
    solving for E[z|x] needs a_t != 0 and beta_t > 0. ``field`` is any callable v(x, t), e.g. a ``FieldModel``.
    """
    values = _single_time(_check_path(path), t)
    x = as_points(x)
    a, b = values.a, values.b
    if a == 0.0:
        raise ValueError(f"a_t = 0 at t = {values.t:g} for schedule {path.schedule.name}: "
                         "the field says nothing about z there")
    return (field(x, values.t) - b * x) / a


def sample_model(field, path: GaussianPath, x0, t_stop: float = 0.95, steps: int = 40, method: str = "heun") -> np.ndarray:
    """Integrate dx/dt = field(x, t) from x0 at t = 0 to ``t_stop`` (eq-ode), then jump to the field's
    posterior mean (eq-08-denoise). Returns the end points, shape like x0.

    The jump finishes the journey with the model's own estimate of E[z | x_{t_stop}]: no exact field is used.
    """
    _check_path(path)
    t_stop = check_t(t_stop, "t_stop", single=True)
    x_stop = integrate(field, x0, 0.0, t_stop, steps=steps, method=method)[-1]
    return denoise(field, path, x_stop, t_stop)


# ------------------------------------------------------------------------------------------
# Chapter 8's model: the book's fit settings, the fitted model per schedule, and fast evaluation on a grid
# ------------------------------------------------------------------------------------------


#: The settings of the chapter's fit: random features, training draws, length scales, time range, seeds.
BOOK_FIT = {"n_random": 100, "n_train": 30000, "length_x": 0.7, "length_t": 0.25, "t_range": (0.0, 0.95),
            "feature_seed": 1, "data_seed": 2}
#: Times at which the error curve (eq-08-rel-error) is estimated: the training range without its ends.
ERROR_TIMES = np.linspace(0.05, 0.95, 19)
_ERROR_SAMPLES = 1500


@dataclass(frozen=True, eq=False)
class BookFit:
    """A fitted model with the numbers the figure shows: relative errors at ``ERROR_TIMES``."""

    schedule: Schedule
    model: FieldModel
    errors: np.ndarray


_FITS: dict = {}


def book_model(schedule: Schedule | str = "CondOT", n_random: int = BOOK_FIT["n_random"]) -> BookFit:
    """The chapter's model for a schedule: ``n_random`` random features fitted on conditional targets only
    (``learning.fit_conditional_field`` with ``BOOK_FIT``), and its error curve; computed once and cached."""
    schedule = resolve_schedule(schedule)
    if isinstance(n_random, bool) or not isinstance(n_random, numbers.Integral) or n_random < 1:
        raise ValueError(f"n_random must be a positive integer, got {n_random!r}")
    key = (schedule.cache_key(), int(n_random))  # the formulas, not the display name: names can collide
    if key not in _FITS:
        path, mixture = GaussianPath(schedule), data.two_cities()
        features = random_fourier_features(int(n_random), 2, np.random.default_rng(BOOK_FIT["feature_seed"]),
                                           BOOK_FIT["length_x"], BOOK_FIT["length_t"])
        model = fit_conditional_field(path, mixture, features, BOOK_FIT["n_train"],
                                      np.random.default_rng(BOOK_FIT["data_seed"]), BOOK_FIT["t_range"])
        rng = np.random.default_rng(3)
        errors = np.array([relative_l2_error(model, path, mixture, t, _ERROR_SAMPLES, rng) for t in ERROR_TIMES])
        _FITS[key] = BookFit(schedule, model, errors)
    return _FITS[key]


class GridField:
    """A ``FieldModel`` evaluated at fixed points, fast for any t.

    With A_j(x) = omega_j . x / ell_x + chi_j fixed, cos(A_j + c_j t) = cos A_j cos(c_j t) - sin A_j sin(c_j t),
    so cos A and sin A are computed once and each time costs two matrix products and no cosine.
    """

    def __init__(self, model: FieldModel, points):
        feats = model.features
        self.points = np.asarray(points, dtype=float).reshape(-1, feats.dim)
        self.model = model
        arg = (self.points / feats.length_x) @ feats.omega[:, :-1].T + feats.phase
        self.cos_a, self.sin_a = np.cos(arg), np.sin(arg)
        self.c = feats.omega[:, -1] / feats.length_t
        self.scale = np.sqrt(2.0 / feats.n_random)
        self.n_poly = feats.n_features - feats.n_random
        ones = np.ones((len(self.points), 1))
        self.poly_static = np.concatenate([ones, self.points], axis=1)   # 1, x  (the t, t x block is t times it)

    def __call__(self, t: float) -> np.ndarray:
        w = self.model.weights
        w_rand = self.scale * w[self.n_poly:]
        out = self.cos_a @ (np.cos(self.c * t)[:, None] * w_rand) - self.sin_a @ (np.sin(self.c * t)[:, None] * w_rand)
        if self.n_poly:
            d = self.points.shape[1]
            # poly features: [1, x (d), t, t x (d)]: the last d + 1 are t times the first d + 1
            out += self.poly_static @ (w[: d + 1] + t * w[d + 1: 2 * d + 2])
        return out
