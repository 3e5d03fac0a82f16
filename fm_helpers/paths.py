"""Gaussian conditional probability paths p_t(x|z) = N(alpha_t z, beta_t^2 I).

Points are numpy arrays of shape ``(..., d)``; every function broadcasts over the
leading axes. ``t`` is a float in [0, 1] (or an array that broadcasts against the
leading axes, one time per point).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedules import Schedule, check_t

__all__ = ["GaussianPath", "as_points", "check_same_dimension"]


def as_points(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float array of shape (..., d) with finite entries, or raise ValueError."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers of shape (..., d), got {type(x).__name__}") from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must have shape (..., d) with a last axis for the d coordinates, got a scalar")
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} has an empty last axis; points need at least one coordinate")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite coordinates")
    return arr


def check_same_dimension(**arrays: np.ndarray) -> int:
    """Check that every array has the same last-axis size d, and return d."""
    dims = {name: a.shape[-1] for name, a in arrays.items()}
    if len(set(dims.values())) > 1:
        described = ", ".join(f"{name} has dimension {d}" for name, d in dims.items())
        raise ValueError(f"mismatched dimensions: {described} (the last axis holds the coordinates)")
    return next(iter(dims.values()))


def _time_column(t) -> np.ndarray:
    """t as an array with a trailing axis, so it broadcasts against points (..., d)."""
    return np.asarray(check_t(t), dtype=float)[..., None]


@dataclass(frozen=True)
class GaussianPath:
    """The Gaussian conditional path of a schedule (eq-gaussian-path), its flow and its field."""

    schedule: Schedule

    def __post_init__(self):
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"GaussianPath needs a Schedule (e.g. schedules.CondOT()), got {self.schedule!r}")

    # -- the path -------------------------------------------------------------------------
    def sample(self, z, t, rng: np.random.Generator) -> np.ndarray:
        """Draw x ~ p_t(.|z) = N(alpha_t z, beta_t^2 I), one draw per point z of shape (..., d)."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        z = as_points(z, "z")
        eps = rng.standard_normal(z.shape)
        return self.flow(eps, z, t)

    def flow(self, x0, z, t) -> np.ndarray:
        """psi_t(x0|z) = alpha_t z + beta_t x0 (eq-flow): where a start x0 is at time t."""
        x0, z = as_points(x0, "x0"), as_points(z, "z")
        check_same_dimension(x0=x0, z=z)
        tc = _time_column(t)
        return self.schedule.alpha(tc) * z + self.schedule.beta(tc) * x0

    def log_density(self, x, z, t) -> np.ndarray:
        """log p_t(x|z), shape (...). Raises ValueError where beta_t = 0 (a point mass)."""
        x, z = as_points(x), as_points(z, "z")
        d = check_same_dimension(x=x, z=z)
        t_arr = np.asarray(check_t(t), dtype=float)
        beta = np.asarray(self.schedule.beta(t_arr))
        if np.any(beta == 0.0):
            raise ValueError("p_t(x|z) is a point mass at z where beta_t = 0 (t = 1): it has no density")
        alpha = np.asarray(self.schedule.alpha(t_arr))
        sq = np.sum((x - alpha[..., None] * z) ** 2, axis=-1)
        return -0.5 * sq / beta**2 - d * np.log(beta) - 0.5 * d * np.log(2 * np.pi)

    def density(self, x, z, t) -> np.ndarray:
        """p_t(x|z) = N(x; alpha_t z, beta_t^2 I), shape (...)."""
        return np.exp(self.log_density(x, z, t))

    # -- the conditional vector field -----------------------------------------------------
    def field_coefficients(self, t):
        """(a_t, b_t) with u_t(x|z) = a_t z + b_t x, a_t = d_alpha - d_beta alpha / beta, b_t = d_beta / beta."""
        t_arr = np.asarray(check_t(t), dtype=float)
        beta = self.schedule.beta(t_arr)
        if np.any(beta == 0.0):
            where = t_arr[beta == 0.0].flat[0] if t_arr.ndim else float(t_arr)
            raise ValueError(
                f"the x-form conditional field divides by beta_t, which is 0 at t = {where:g} for schedule "
                f"{self.schedule.name}; use conditional_field_from_noise(eps, z, t), which is regular there")
        alpha, d_alpha, d_beta = (self.schedule.alpha(t_arr), self.schedule.d_alpha(t_arr), self.schedule.d_beta(t_arr))
        b = d_beta / beta
        return d_alpha - b * alpha, b

    def conditional_field(self, x, z, t) -> np.ndarray:
        """u_t(x|z) = (d_alpha - d_beta alpha / beta) z + (d_beta / beta) x (eq-cond-field).

        Undefined where beta_t = 0: raises ValueError there.
        """
        x, z = as_points(x), as_points(z, "z")
        check_same_dimension(x=x, z=z)
        a, b = self.field_coefficients(t)
        return np.asarray(a)[..., None] * z + np.asarray(b)[..., None] * x

    def conditional_field_from_noise(self, eps, z, t) -> np.ndarray:
        """u_t(x|z) at x = psi_t(eps|z), written as d_alpha z + d_beta eps (eq-cond-field-noise).

        Regular at t = 1; for CondOT it is z - eps at every t.
        """
        eps, z = as_points(eps, "eps"), as_points(z, "z")
        check_same_dimension(eps=eps, z=z)
        tc = _time_column(t)
        return self.schedule.d_alpha(tc) * z + self.schedule.d_beta(tc) * eps
