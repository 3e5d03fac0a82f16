"""Fixed-step ODE solvers: convergence orders against exact solutions, shapes, times and bad input."""

import numpy as np
import pytest

from fm_helpers import ode

X0 = np.array([[1.0, 2.0], [-0.5, 0.3]])
ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])

# (field, exact solution at t = 1 from X0 at t = 0)
PROBLEMS = {
    "decay": (lambda x, t: -x, np.exp(-1.0) * X0),
    "rotation": (lambda x, t: x @ ROTATION.T,
                 X0 @ np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]]).T),
    # time-dependent, so a stage evaluated at the wrong time spoils the order
    "growth 2t": (lambda x, t: 2 * t * x, np.exp(1.0) * X0),
}
ORDERS = {"euler": 1, "heun": 2, "rk4": 4}


@pytest.mark.parametrize("problem", PROBLEMS, ids=PROBLEMS.keys())
@pytest.mark.parametrize("method", ORDERS)
def test_convergence_order(method, problem):
    """The slope of log(error) against log(step) is the method's order: 1, 2 and 4."""
    field, exact = PROBLEMS[problem]
    steps = np.array([10, 20, 40, 80])
    errors = [np.max(np.abs(ode.integrate(field, X0, 0.0, 1.0, int(n), method)[-1] - exact)) for n in steps]
    slope = np.polyfit(np.log(1.0 / steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(ORDERS[method], abs=0.15)


def test_trajectory_shape_start_and_times():
    """(steps + 1, *x0.shape); row 0 is x0; Euler evaluates the field at linspace(t0, t1, steps + 1)[:-1]."""
    seen = []

    def field(x, t):
        seen.append(t)
        return np.ones_like(x)

    x0 = np.zeros((4, 5, 3))
    trajectory = ode.integrate(field, x0, 0.2, 0.7, steps=5, method="euler")
    assert trajectory.shape == (6, 4, 5, 3)
    np.testing.assert_array_equal(trajectory[0], x0)  # exact: integrate stores x0 as row 0, it computes nothing there
    np.testing.assert_allclose(seen, np.linspace(0.2, 0.7, 6)[:-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(trajectory[:, 0, 0, 0], np.linspace(0.0, 0.5, 6), atol=1e-15)  # dx/dt = 1
    assert ode.integrate(field, np.zeros(2), steps=3).shape == (4, 2)


@pytest.mark.parametrize("method", ORDERS)
def test_no_stage_asks_for_a_time_past_the_end(method):
    seen = []

    def field(x, t):
        seen.append(t)
        return -x

    ode.integrate(field, X0, 0.0, 1.0, steps=7, method=method)
    assert 0.0 <= min(seen) and max(seen) <= 1.0
    if method != "euler":
        assert max(seen) == 1.0  # the last stage is evaluated at t1 itself, not at a rounded t + h


def test_integrates_backwards_in_time():
    """From t0 = 1 to t1 = 0 on dx/dt = -x: x(0) = e x(1)."""
    trajectory = ode.integrate(lambda x, t: -x, X0, 1.0, 0.0, steps=40, method="rk4")
    np.testing.assert_allclose(trajectory[-1], np.e * X0, rtol=1e-6)


def test_a_field_that_blows_up_is_reported_not_returned_as_inf():
    with pytest.raises(ValueError, match="stopped being finite"):
        with np.errstate(all="ignore"):
            ode.integrate(lambda x, t: x / (1.0 - t), X0, 0.0, 1.0, steps=4, method="heun")


@pytest.mark.parametrize("kwargs, message", [
    (dict(method="rk5"), r"method must be one of \['euler', 'heun', 'rk4'\], got 'rk5'"),
    (dict(method=None), r"method must be one of"),
    (dict(steps=0), r"steps must be a positive integer \(at most 1,000,000\), got 0"),
    (dict(steps=-3), r"steps must be a positive integer"),
    (dict(steps=2.5), r"steps must be a positive integer \(at most 1,000,000\), got 2.5"),
    (dict(steps=10.0), r"steps must be a positive integer \(at most 1,000,000\), got 10.0"),
    (dict(steps="10"), r"steps must be a positive integer"),
    (dict(steps=True), r"steps must be a positive integer"),
    (dict(t0=-0.1), r"t0 must lie in \[0, 1\], got -0.1"),
    (dict(t1=1.3), r"t1 must lie in \[0, 1\], got 1.3"),
    (dict(t1=np.nan), r"t1 must be a finite number"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ode.integrate(lambda x, t: -x, X0, **kwargs)


def test_bad_start_points_are_refused():
    with pytest.raises(ValueError, match="x0 contains NaN"):
        ode.integrate(lambda x, t: -x, np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="x0 must have shape"):
        ode.integrate(lambda x, t: -x, 1.0)
