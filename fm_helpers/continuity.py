"""The continuity equation d/dt p_t + div(p_t u_t) = 0, checked by finite differences.

``density(x, t)`` returns p_t at points x of shape (..., d) and ``field(x, t)`` returns
u_t(x) of shape (..., d). The checks use central differences in space and time; their
error is O(h^2), so a residual that is not small relative to d/dt p_t means the pair
violates the equation, not that the differences are rough.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .paths import as_points
from .schedules import ScheduleValues, check_t

__all__ = ["divergence", "time_derivative", "time_stencil", "continuity_residual", "ContinuityCheck", "box_outflow",
           "EXAMPLE_FIELDS"]


def _check_step(h, name):
    valid = isinstance(h, numbers.Real) and not isinstance(h, bool)
    try:
        valid = valid and math.isfinite(h) and 0 < h <= 0.5
    except OverflowError:  # an int too large for a float
        valid = False
    if not valid:
        raise ValueError(f"{name} must be a positive step size (at most 0.5), got {h!r}")


def _single_time(t) -> float:
    """t as a float in [0, 1]. The ``ScheduleValues`` of one time carry a t that was checked when they were
    made (``Schedule.at``): it is taken as it is, so that a caller holding them checks t once."""
    if isinstance(t, ScheduleValues) and np.ndim(t.t) == 0:
        return t.t
    return check_t(t, single=True)


def _checked_call(fn: Callable, what: str, x: np.ndarray, t, shape: tuple) -> np.ndarray:
    """fn(x, t) as a float array of the expected shape, or ValueError naming ``what`` (never a broadcast)."""
    value = np.asarray(fn(x, t), dtype=float)
    if value.shape != shape:
        raise ValueError(f"{what}(x, t) must return shape {shape} for points x of shape {x.shape}, "
                         f"got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what}(x, t) is not finite at t = {getattr(t, 't', t):g}")
    return value


def divergence(field: Callable, x, t, h: float = 1e-4) -> np.ndarray:
    """div f(x) = sum_i d f_i / d x_i by central differences (eq-divergence), shape (...).

    ``field(x, t)`` is called with ``t`` as given: a time, or the ``ScheduleValues`` of one time (which the
    field can pass on to ``fm_helpers.marginal`` without evaluating its schedule again)."""
    x = as_points(x)
    checked = _single_time(t)
    t = t if isinstance(t, ScheduleValues) else checked
    _check_step(h, "h")
    total = np.zeros(x.shape[:-1])
    for i in range(x.shape[-1]):  # a loop over the d coordinates, not over points
        step = np.zeros(x.shape[-1])
        step[i] = h
        ahead, behind = (_checked_call(field, "field", x + s, t, x.shape)[..., i] for s in (step, -step))
        total += (ahead - behind) / (2 * h)
    return total


def time_stencil(t: float, h: float) -> tuple[float, ...]:
    """The times at which ``time_derivative`` evaluates the density: (t + h, t - h) where both lie in
    [0, 1]; else (t, t + s h, t + 2 s h), s = +1 near t = 0 and -1 near t = 1 (one-sided differences).

    A caller can evaluate its schedule at all of them at once and hand the values to its density."""
    if t - h >= 0 and t + h <= 1:
        return (t + h, t - h)
    sign = 1.0 if t - h < 0 else -1.0  # forward difference near 0, backward near 1
    return tuple(t + sign * k * h for k in range(3))


def time_derivative(density: Callable, x, t, h: float = 1e-4) -> np.ndarray:
    """d/dt p_t(x) by central differences (one-sided, second order, at t = 0 and t = 1).

    ``density(x, s)`` is called at the float times ``time_stencil(t, h)``."""
    x = as_points(x)
    t = _single_time(t)
    _check_step(h, "h")

    def p(time):
        return _checked_call(density, "density", x, time, x.shape[:-1])

    times = time_stencil(t, h)
    if len(times) == 2:
        return (p(times[0]) - p(times[1])) / (2 * h)
    sign = 1.0 if times[1] > t else -1.0
    p0, p1, p2 = (p(time) for time in times)
    return sign * (-3 * p0 + 4 * p1 - p2) / (2 * h)


@dataclass(frozen=True)
class ContinuityCheck:
    """The two sides of the continuity equation on a set of points, and their sum."""

    dp_dt: np.ndarray
    div_flux: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        """d/dt p_t + div(p_t u_t): zero wherever the equation holds."""
        return self.dp_dt + self.div_flux

    @property
    def relative_error(self) -> float:
        """max |residual| / max |d/dt p_t|: near 0 when the equation holds."""
        scale = np.max(np.abs(self.dp_dt))
        if scale == 0:
            raise ValueError("d/dt p_t is zero everywhere on these points; a relative error means nothing here")
        return float(np.max(np.abs(self.residual)) / scale)


def continuity_residual(density: Callable, field: Callable, x, t, h_x: float = 1e-4,
                        h_t: float = 1e-4) -> ContinuityCheck:
    """Both sides of d/dt p_t(x) + div(p_t u_t)(x) = 0 (eq-continuity) at points x (..., d) and time t."""

    x = as_points(x)
    t = check_t(t, single=True)

    def flux(points, time):
        return (_checked_call(density, "density", points, time, points.shape[:-1])[..., None]
                * _checked_call(field, "field", points, time, points.shape))

    return ContinuityCheck(dp_dt=time_derivative(density, x, t, h_t), div_flux=divergence(flux, x, t, h_x))


# -- divergence as net outflow (chapter 5) ------------------------------------------------

def box_outflow(field, center, h: float, n: int = 32) -> float:
    """Net outflow of a 2-D field through the edges of the square of side ``h`` centred at ``center``,
    divided by the area h^2. As h -> 0 it tends to div f(center) (eq-divergence).

    ``field(x)`` maps points (..., 2) to vectors (..., 2). Each edge is integrated with the
    n-point Gauss-Legendre rule; the outward normals are +-e_1 and +-e_2.
    """
    center = np.asarray(center, dtype=float)
    if center.shape != (2,):
        raise ValueError(f"center must be one 2-D point of shape (2,), got shape {center.shape}")
    try:
        valid = isinstance(h, numbers.Real) and not isinstance(h, bool) and math.isfinite(h) and h > 0
    except OverflowError:  # an int too large for a float
        valid = False
    if not valid:
        raise ValueError(f"h must be a positive side length, got {h!r:.40}")
    nodes, weights = np.polynomial.legendre.leggauss(n)
    s = 0.5 * h * nodes                      # positions along an edge, relative to its midpoint
    w = 0.5 * h * weights                    # quadrature weights for an edge of length h
    half = 0.5 * h
    right = center + np.stack([np.full(n, half), s], axis=1)
    left = center + np.stack([np.full(n, -half), s], axis=1)
    top = center + np.stack([s, np.full(n, half)], axis=1)
    bottom = center + np.stack([s, np.full(n, -half)], axis=1)
    outflow = (w @ field(right)[:, 0] - w @ field(left)[:, 0]
               + w @ field(top)[:, 1] - w @ field(bottom)[:, 1])
    return float(outflow / h**2)


#: The three fields of the source/sink/rotation picture: name -> (formula, field).
EXAMPLE_FIELDS = {
    "source": (r"$f(x) = x$", lambda x: x),
    "sink": (r"$f(x) = -x$", lambda x: -x),
    "rotation": (r"$f(x) = (-x_2,\ x_1)$", lambda x: np.stack([-x[..., 1], x[..., 0]], axis=-1)),
}
