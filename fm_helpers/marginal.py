"""The marginal path p_t(x) and the marginal vector field u_t(x), exactly, for a Gaussian mixture.

For p_data = sum_k w_k N(mu_k, sigma_k^2 I) and the Gaussian path of a schedule, every
quantity has a closed form. With x = alpha_t z + beta_t eps:

* component k of p_t is N(alpha_t mu_k, nu_k I) with nu_k = alpha_t^2 sigma_k^2 + beta_t^2 (eq-marginal-path);
* its posterior weight is p(k | x, t) proportional to w_k N(x; alpha_t mu_k, nu_k I) (eq-posterior);
* given k, the expected conditional field is d_alpha mu_k + c_k (x - alpha_t mu_k) with
  c_k = (d_alpha alpha_t sigma_k^2 + d_beta beta_t) / nu_k, which stays finite at t = 1 when sigma_k > 0;
* the marginal field is the posterior-weighted average of these (eq-marginal-field).

Posterior weights and densities are computed in log space, in blocks of rows. The squared
distances |x - alpha_t mu_k|^2 are formed directly, one coordinate at a time (an (N_block, K)
array per coordinate, never (N, K, d)), not by the expansion |x|^2 - 2 alpha x.mu + alpha^2 |mu|^2,
which cancels catastrophically when the variance is tiny (near t = 1 with point masses: a log
density off by hundreds) or the means are large.

Each function evaluates the schedule once: ``t`` may be a number or ``path.schedule.at(t)``.
"""

from __future__ import annotations

import numpy as np

from .data import GaussianMixture
from .paths import GaussianPath, as_points, check_same_dimension
from .schedules import ScheduleValues

__all__ = [
    "marginal_density",
    "log_marginal_density",
    "posterior_weights",
    "marginal_field",
    "naive_field",
    "monte_carlo_field",
]

# Rows per block are chosen so that one block of logits holds about this many numbers (~0.5 MB).
_BLOCK_ELEMENTS = 1 << 16


def _values_at(path: GaussianPath, t) -> ScheduleValues:
    """The schedule's values at one time t (a number, or the values themselves)."""
    values = path.at(t)
    if np.ndim(values.t) != 0:
        raise ValueError(f"t must be a single number in [0, 1] here, got an array of shape {np.shape(values.t)}")
    return values


def _check_inputs(path, mixture, x):
    if not isinstance(path, GaussianPath):
        raise ValueError(f"path must be a paths.GaussianPath, got {type(path).__name__}")
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a data.GaussianMixture, got {type(mixture).__name__}")
    x = as_points(x)
    check_same_dimension(x=x, mixture=mixture.means)
    return x


class _Components:
    """Per-component constants of p_t at one time t, shared by the density, weights and field."""

    def __init__(self, values: ScheduleValues, mixture: GaussianMixture):
        self.values, self.mixture = values, mixture
        self.alpha = values.alpha
        self.var = self.alpha**2 * mixture.stds**2 + values.beta**2
        if np.any(self.var == 0):
            raise ValueError(
                f"at t = {values.t:g} (beta_t = 0) the marginal path p_t is a set of point masses at the data points "
                "(components with std 0), so it has no density and no field there; use t < 1 or stds > 0")
        self.centres = self.alpha * mixture.means                                          # (K, d)
        with np.errstate(divide="ignore"):  # a weight of 0 is a log weight of -inf: that component never wins
            self.log_norm = np.log(mixture.weights) - 0.5 * mixture.dim * np.log(2 * np.pi * self.var)   # (K,)
        self.minus_inv_two_var = -0.5 / self.var                                            # (K,)
        self.equal_log_norm = bool(np.all(self.log_norm == self.log_norm[0]))
        if not (np.all(np.isfinite(self.centres)) and np.all(np.isfinite(self.minus_inv_two_var))):
            raise ValueError(f"the mixture's means or stds are too large to compute p_t at t = {values.t:g} "
                             "(alpha_t mu_k or 1 / nu_k overflows)")

    def field_table(self) -> np.ndarray:
        """(K, 1 + d): column 0 holds c_k, the rest (d_alpha - c_k alpha) mu_k."""
        # beta_d_beta rather than d_beta * beta: it stays finite at t = 1 where d_beta may not (LinearVP).
        d_alpha = self.values.d_alpha
        c = (d_alpha * self.alpha * self.mixture.stds**2 + self.values.beta_d_beta) / self.var
        table = np.concatenate([c[:, None], (d_alpha - c * self.alpha)[:, None] * self.mixture.means], axis=1)
        if not np.all(np.isfinite(table)):
            raise ValueError(f"the marginal field overflows at t = {self.values.t:g}: the mixture's means or stds "
                             "are too large for this schedule")
        return table

    def unnormalised_block(self, xb: np.ndarray):
        """exp(logits - rowmax) for a block of rows, and the rowmax (log-sum-exp in pieces).

        logit_k = log w_k - (d/2) log(2 pi nu_k) - |x - alpha mu_k|^2 / (2 nu_k), with the distance formed
        coordinate by coordinate. The distance term is reduced by its row maximum before the constant is
        added, so that far from the data (distance terms of 1e4 and more) the constants keep their digits.
        """
        with np.errstate(over="ignore"):  # a distance too large to square is inf: that component never wins
            logits = np.subtract.outer(xb[:, 0], self.centres[:, 0])
            logits *= logits
            for k in range(1, xb.shape[1]):  # a loop over the d coordinates, not over points
                diff = np.subtract.outer(xb[:, k], self.centres[:, k])
                diff *= diff
                logits += diff
            logits *= self.minus_inv_two_var
        top = logits.max(axis=1)
        if not np.all(np.isfinite(top)):
            raise ValueError(f"a point x is so far from every component at t = {self.values.t:g} that its squared "
                             "distance overflows; p_t, the posterior and the field cannot be computed there")
        logits -= top[:, None]
        if self.equal_log_norm:  # equal weights and variances (point masses of a data set): nothing to add
            np.exp(logits, out=logits)
            return logits, top + self.log_norm[0]
        logits += self.log_norm
        top_norm = logits.max(axis=1)
        logits -= top_norm[:, None]
        np.exp(logits, out=logits)
        return logits, top + top_norm


def _blocks(n_rows: int, n_components: int):
    step = max(1, _BLOCK_ELEMENTS // n_components)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _mix_affine(comps: _Components, table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_k p(k | x, t) (c_k x + b_k) for the (K, 1 + d) table [c_k, b_k], one block of rows at a time.

    The marginal field and chapter 9's score, denoiser and noise prediction are all of this form.
    """
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty_like(flat)
    for rows in _blocks(flat.shape[0], comps.mixture.n_components):
        unnorm, _ = comps.unnormalised_block(flat[rows])
        mixed = unnorm @ table
        mixed /= unnorm.sum(axis=1)[:, None]
        out[rows] = mixed[:, :1] * flat[rows] + mixed[:, 1:]
    return out.reshape(x.shape)


def log_marginal_density(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """log p_t(x) for p_t(x) = sum_k w_k N(x; alpha_t mu_k, nu_k I) (eq-marginal-path), shape (...)."""
    x = _check_inputs(path, mixture, x)
    comps = _Components(_values_at(path, t), mixture)
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty(flat.shape[0])
    for rows in _blocks(flat.shape[0], mixture.n_components):
        unnorm, top = comps.unnormalised_block(flat[rows])
        out[rows] = top + np.log(unnorm.sum(axis=1))
    return out.reshape(x.shape[:-1])


def marginal_density(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """p_t(x), the density of x_t = alpha_t z + beta_t eps with z ~ p_data (eq-marginal-path), shape (...)."""
    return np.exp(log_marginal_density(path, mixture, x, t))


def posterior_weights(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """p(k | x, t), the posterior probability of each component given x_t = x (eq-posterior), shape (..., K)."""
    x = _check_inputs(path, mixture, x)
    comps = _Components(_values_at(path, t), mixture)
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty((flat.shape[0], mixture.n_components))
    for rows in _blocks(flat.shape[0], mixture.n_components):
        unnorm, _ = comps.unnormalised_block(flat[rows])
        out[rows] = unnorm / unnorm.sum(axis=1, keepdims=True)
    return out.reshape(*x.shape[:-1], mixture.n_components)


def marginal_field(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """u_t(x) = E[u_t(x|z) | x_t = x], the posterior-weighted average of conditional fields (eq-marginal-field).

    Exact for the mixture; finite at t = 1 when every std is > 0. Shape (..., d).
    Memory: one block of about 65,000 logits at a time, never an (N, K, d) array.
    """
    x = _check_inputs(path, mixture, x)
    comps = _Components(_values_at(path, t), mixture)
    return _mix_affine(comps, comps.field_table(), x)


def naive_field(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """The unweighted average of conditional fields, int u_t(x|z) p_data(z) dz (eq-naive-field).

    This is NOT the marginal field: it ignores where x is. Shape (..., d).
    """
    x = _check_inputs(path, mixture, x)
    return path.conditional_field(x, mixture.mean(), _values_at(path, t))


def monte_carlo_field(path: GaussianPath, z_samples, x, t) -> np.ndarray:
    """Self-normalised Monte Carlo estimate of u_t(x) from data samples z_1..z_M (eq-marginal-field).

    u_t(x) ~ sum_i p_t(x|z_i) u_t(x|z_i) / sum_i p_t(x|z_i). Builds (N, M, d) arrays: for checks, not speed.
    """
    if not isinstance(path, GaussianPath):
        raise ValueError(f"path must be a paths.GaussianPath, got {type(path).__name__}")
    x, z = as_points(x), as_points(z_samples, "z_samples")
    if z.ndim != 2:
        raise ValueError(f"z_samples must have shape (M, d), got shape {z.shape}")
    check_same_dimension(x=x, z_samples=z)
    values = _values_at(path, t)
    flat = x.reshape(-1, 1, x.shape[-1])
    log_w = path.log_density(flat, z[None, :, :], values)
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    fields = path.conditional_field(flat, z[None, :, :], values)
    return np.einsum("nm,nmd->nd", w, fields).reshape(x.shape)


# ------------------------------------------------------------------------------------------
# Chapter 9: the same posterior in diffusion's coordinates (score, denoiser, noise prediction).
# Given component k, x and (z, eps) are jointly Gaussian, so each quantity below is, per
# component, an affine function c_k x + b_k of x; the posterior weights p(k | x, t) mix them.
# ------------------------------------------------------------------------------------------

__all__ += ["score", "posterior_mean", "noise_prediction"]


def _posterior_affine(path: GaussianPath, mixture: GaussianMixture, x, t, coefficients) -> np.ndarray:
    """sum_k p(k | x, t) (c_k x + b_k), in row blocks with the weights of ``_Components``.

    ``coefficients(comps, beta)`` returns the (K, 1 + d) table [c_k, b_k]. ``_Components``
    raises ValueError where p_t has no density (t = 1 with point masses).
    """
    x = _check_inputs(path, mixture, x)
    values = _values_at(path, t)
    comps = _Components(values, mixture)
    return _mix_affine(comps, coefficients(comps, values.beta), x)


def _table(c: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([c[:, None], b], axis=1)


def score(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """s_t(x) = grad_x log p_t(x) = -E[eps | X_t = x] / beta_t (eq-09-score), shape (..., d).

    Per component: -(x - alpha_t mu_k) / nu_k with nu_k = alpha_t^2 sigma_k^2 + beta_t^2, so no division by
    beta_t: finite at t = 1 when every std is > 0. For point masses at t = 1 p_t has no density,
    and the score none either: ValueError.
    """
    def coefficients(comps, beta):
        return _table(-1.0 / comps.var, (comps.alpha / comps.var)[:, None] * mixture.means)

    return _posterior_affine(path, mixture, x, t, coefficients)


def posterior_mean(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """E[z | X_t = x], the denoiser; Tweedie: (x + beta_t^2 s_t(x)) / alpha_t (eq-09-tweedie), shape (..., d).

    Per component: mu_k + (alpha_t sigma_k^2 / nu_k)(x - alpha_t mu_k), which never divides by alpha_t: at
    t = 0 it is the prior mean E[z] at every x (X_0 is pure noise), where Tweedie's form is 0/0.
    At t = 1 with stds > 0 it is x itself; with point masses p_1 has no density: ValueError.
    """
    def coefficients(comps, beta):
        gain = comps.alpha * mixture.stds**2 / comps.var
        return _table(gain, (beta**2 / comps.var)[:, None] * mixture.means)

    return _posterior_affine(path, mixture, x, t, coefficients)


def noise_prediction(path: GaussianPath, mixture: GaussianMixture, x, t) -> np.ndarray:
    """E[eps | X_t = x] = -beta_t s_t(x) = (x - alpha_t E[z | x]) / beta_t (eq-09-tweedie), shape (..., d).

    Per component: beta_t (x - alpha_t mu_k) / nu_k, regular at both ends: x at t = 0 (X_0 = eps), and 0
    at t = 1 when every std is > 0 (X_1 = z is independent of eps). Point masses at t = 1: ValueError.
    """
    def coefficients(comps, beta):
        return _table(beta / comps.var, (-beta * comps.alpha / comps.var)[:, None] * mixture.means)

    return _posterior_affine(path, mixture, x, t, coefficients)


def _field_plus_score(path: GaussianPath, mixture: GaussianMixture, x, t, weight: float) -> np.ndarray:
    """u_t(x) + weight * s_t(x) in one pass over the posterior weights (the drift of eq-09-sde).

    Both are posterior averages of affine functions of x, so their tables add; the SDE samplers
    call this once per step instead of computing the posterior twice.
    """
    def coefficients(comps, beta):
        score_table = _table(-1.0 / comps.var, (comps.alpha / comps.var)[:, None] * mixture.means)
        return comps.field_table() + weight * score_table

    return _posterior_affine(path, mixture, x, t, coefficients)
