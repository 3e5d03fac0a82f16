"""Gaussian conditional probability paths p_t(x|z) = N(alpha_t z, beta_t^2 I).

Points are numpy arrays of shape ``(..., d)``; every function broadcasts over the
leading axes. ``t`` is a float in [0, 1] (or an array that broadcasts against the
leading axes, one time per point), or the ``ScheduleValues`` of the path's schedule at that
time (``path.schedule.at(t)``), so that a caller evaluates the schedule once for several calls.
Each method evaluates the schedule once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedules import Schedule, ScheduleValues

__all__ = ["GaussianPath", "as_points", "check_same_dimension", "check_broadcast"]


def as_points(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float array of shape (..., d) with finite entries, or raise ValueError."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a Python int too large for a float
        raise ValueError(f"{name} must be an array of numbers (each at most about 1e308) of shape (..., d), "
                         f"got {type(x).__name__}") from None
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


def check_broadcast(t=None, **points: np.ndarray) -> tuple[int, ...]:
    """The common leading shape of point arrays (..., d) and of the times t (one per point), or ValueError.

    numpy would either broadcast silently or say "operands could not be broadcast together"; this
    names the arrays and their shapes instead.
    """
    shapes = {name: a.shape[:-1] for name, a in points.items()}
    if t is not None and np.ndim(t):
        shapes["t"] = np.shape(t)
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        described = ", ".join(f"{name} has leading shape {shape}" for name, shape in shapes.items())
        raise ValueError(f"the shapes do not fit together: {described} (the leading axes, one per point, "
                         "must be equal or 1; the last axis of points holds the coordinates)") from None


def _column(value) -> np.ndarray:
    """A value of the shape of t with a trailing axis, so that it broadcasts against points (..., d)."""
    return np.asarray(value, dtype=float)[..., None]


@dataclass(frozen=True)
class GaussianPath:
    """The Gaussian conditional path of a schedule (eq-gaussian-path), its flow and its field."""

    schedule: Schedule

    def __post_init__(self):
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"GaussianPath needs a Schedule (e.g. schedules.CondOT()), got {self.schedule!r}")

    # -- the path -------------------------------------------------------------------------
    def at(self, t) -> ScheduleValues:
        """The schedule's values at t (``schedule.at``); given those values already, returns them."""
        return self.schedule.at(t)

    def sample(self, z, t, rng: np.random.Generator) -> np.ndarray:
        """Draw x ~ p_t(.|z) = N(alpha_t z, beta_t^2 I), one draw per point z of shape (..., d)."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        z = as_points(z, "z")
        values = self.at(t)
        check_broadcast(values.t, z=z)
        eps = rng.standard_normal(z.shape)
        return self.flow(eps, z, values)

    def flow(self, x0, z, t) -> np.ndarray:
        """psi_t(x0|z) = alpha_t z + beta_t x0 (eq-flow): where a start x0 is at time t."""
        x0, z = as_points(x0, "x0"), as_points(z, "z")
        check_same_dimension(x0=x0, z=z)
        values = self.at(t)
        check_broadcast(values.t, x0=x0, z=z)
        return _column(values.alpha) * z + _column(values.beta) * x0

    def log_density(self, x, z, t) -> np.ndarray:
        """log p_t(x|z), shape (...). Raises ValueError where beta_t = 0 (a point mass)."""
        x, z = as_points(x), as_points(z, "z")
        d = check_same_dimension(x=x, z=z)
        values = self.at(t)
        check_broadcast(values.t, x=x, z=z)
        beta = np.asarray(values.beta)
        if np.any(beta == 0.0):
            raise ValueError("p_t(x|z) is a point mass at z where beta_t = 0 (t = 1): it has no density")
        sq = np.sum((x - _column(values.alpha) * z) ** 2, axis=-1)
        return -0.5 * sq / beta**2 - d * np.log(beta) - 0.5 * d * np.log(2 * np.pi)

    def density(self, x, z, t) -> np.ndarray:
        """p_t(x|z) = N(x; alpha_t z, beta_t^2 I), shape (...)."""
        return np.exp(self.log_density(x, z, t))

    # -- the conditional vector field -----------------------------------------------------
    def field_coefficients(self, t):
        """(a_t, b_t) with u_t(x|z) = a_t z + b_t x, a_t = d_alpha - d_beta alpha / beta, b_t = d_beta / beta.

        Undefined where beta_t = 0: raises ValueError there (see ``ScheduleValues.a``)."""
        values = self.at(t)
        return values.a, values.b

    def conditional_field(self, x, z, t) -> np.ndarray:
        """u_t(x|z) = (d_alpha - d_beta alpha / beta) z + (d_beta / beta) x (eq-cond-field).

        Undefined where beta_t = 0: raises ValueError there.
        """
        x, z = as_points(x), as_points(z, "z")
        check_same_dimension(x=x, z=z)
        values = self.at(t)
        check_broadcast(values.t, x=x, z=z)
        return _column(values.a) * z + _column(values.b) * x

    def conditional_field_from_noise(self, eps, z, t) -> np.ndarray:
        """u_t(x|z) at x = psi_t(eps|z), written as d_alpha z + d_beta eps (eq-cond-field-noise).

        Regular at t = 1; for CondOT it is z - eps at every t.
        """
        eps, z = as_points(eps, "eps"), as_points(z, "z")
        check_same_dimension(eps=eps, z=z)
        values = self.at(t)
        check_broadcast(values.t, eps=eps, z=z)
        return _column(values.d_alpha) * z + _column(values.d_beta) * eps
