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
#: Limits that keep a call from running for hours or exhausting memory (a typo such as steps=10**9).
MAX_STEPS = 1_000_000
MAX_TRAJECTORY_BYTES = 2e9


def _shape_checked(field: Callable, shape: tuple) -> Callable:
    """field, refusing a velocity of another shape than x (numpy would broadcast it silently)."""

    def checked(x, t):
        velocity = np.asarray(field(x, t), dtype=float)
        if velocity.shape != shape:
            raise ValueError(f"field(x, t) must return an array of the shape of x, {shape}, got shape "
                             f"{velocity.shape} at t = {t:g}")
        return velocity

    return checked


def integrate(field: Callable, x0, t0: float = 0.0, t1: float = 1.0, steps: int = 100,
              method: str = "euler") -> np.ndarray:
    """Integrate dx/dt = field(x, t) from x(t0) = x0 to t1 (eq-ode); returns (steps + 1, *x0.shape)."""
    x0 = as_points(x0, "x0")
    t0, t1 = check_t(t0, "t0", single=True), check_t(t1, "t1", single=True)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a positive integer (at most {MAX_STEPS:,}), got {steps!r}")
    if (steps + 1) * x0.size * 8 > MAX_TRAJECTORY_BYTES:
        raise ValueError(f"a trajectory of {steps + 1} times x {x0.size} numbers would need "
                         f"{(steps + 1) * x0.size * 8 / 1e9:.1f} GB (at most {MAX_TRAJECTORY_BYTES / 1e9:g}); "
                         "use fewer steps or fewer points")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if not callable(field):
        raise ValueError(f"field must be a function field(x, t), got {type(field).__name__}")
    step = METHODS[method]
    field = _shape_checked(field, x0.shape)
    times = np.linspace(t0, t1, steps + 1)
    trajectory = np.empty((steps + 1, *x0.shape))
    trajectory[0] = x0
    for i in range(steps):
        trajectory[i + 1] = step(field, trajectory[i], float(times[i]), float(times[i + 1]))
        if not np.all(np.isfinite(trajectory[i + 1])):
            raise ValueError(f"the solution stopped being finite at t = {times[i + 1]:g}; the field may be singular there")
    return trajectory
