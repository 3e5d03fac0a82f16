"""Fixed-step ODE solvers for dx/dt = u_t(x): Euler, Heun and classical Runge-Kutta (RK4).

``field(x, t)`` returns the velocity at points x of shape (..., d) and time t. The solvers
take uniform steps from t0 to t1 and return the whole trajectory, shape (steps + 1, *x0.shape);
the times are ``np.linspace(t0, t1, steps + 1)``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .paths import as_points
from .schedules import check_t

__all__ = ["integrate", "METHODS"]


# Each step goes from time t to t_next; the stages are evaluated at t_next itself (not t + h)
# so that rounding never asks the field for a time just past 1.
def _euler(field, x, t, t_next):
    return x + (t_next - t) * field(x, t)


def _heun(field, x, t, t_next):
    h = t_next - t
    k1 = field(x, t)
    k2 = field(x + h * k1, t_next)
    return x + 0.5 * h * (k1 + k2)


def _rk4(field, x, t, t_next):
    h = t_next - t
    t_mid = t + 0.5 * h
    k1 = field(x, t)
    k2 = field(x + 0.5 * h * k1, t_mid)
    k3 = field(x + 0.5 * h * k2, t_mid)
    k4 = field(x + h * k3, t_next)
    return x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


METHODS = {"euler": _euler, "heun": _heun, "rk4": _rk4}


def integrate(field: Callable, x0, t0: float = 0.0, t1: float = 1.0, steps: int = 100,
              method: str = "euler") -> np.ndarray:
    """Integrate dx/dt = field(x, t) from x(t0) = x0 to t1 (eq-ode); returns (steps + 1, *x0.shape)."""
    x0 = as_points(x0, "x0")
    t0, t1 = float(check_t(t0, "t0")), float(check_t(t1, "t1"))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    step = METHODS[method]
    times = np.linspace(t0, t1, steps + 1)
    trajectory = np.empty((steps + 1, *x0.shape))
    trajectory[0] = x0
    for i in range(steps):
        trajectory[i + 1] = step(field, trajectory[i], float(times[i]), float(times[i + 1]))
        if not np.all(np.isfinite(trajectory[i + 1])):
            raise ValueError(f"the solution stopped being finite at t = {times[i + 1]:g}; the field may be singular there")
    return trajectory
