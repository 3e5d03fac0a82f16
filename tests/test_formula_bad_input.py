"""Formulas a reader may type (issue 8, section 3): every bad one refused with a ValueError that names the
problem and the place, every one answered within a wall-clock limit, no sampling that can step over a point.

The interval arithmetic behind the checks is tested against plain numpy evaluation at many points: every
value must lie inside the enclosure of its interval.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from fm_cases import answer_within
from fm_helpers import intervals, schedules
from fm_helpers.schedules import T, check_schedule, from_expressions, schedule_from_text

#: In-process limit per case: generous, because the machine may be busy; the 2 s requirement itself is
#: checked in a fresh process by ``test_slow_formulas_answer_within_two_seconds``.
LIMIT = 20.0


# (alpha, beta, a regular expression the message must match). "≈" places are located to 6e-8 and shown
# with 4 significant digits, so the last digit may round either way.
BAD = {
    # the formulas that froze the kernel
    "triple exp alpha": ("exp(exp(exp(100*t)))", "1 - t", r"alpha\(0\) must equal 0, but .* gives 15\.15"),
    "cos of double exp": ("t", "cos(exp(exp(20*t)))", r"beta\(0\) must equal 1, but .* gives -0\.91"),
    "huge constant exponent": ("t**exp(exp(exp(100)))", "1 - t", r"the number exp\(exp\(100\)\) is too large"),
    "overflow inside": ("t", "1 - t + t*(1-t)*exp(exp(exp(100*t)))", r"beta is too large to compute near t ≈ 0\.0188"),
    "eightfold exp": ("t", "1 - t + t*(1-t)*exp(exp(exp(exp(exp(exp(exp(exp(t))))))))",
                      r"beta is too large to compute near t = 0"),
    # singularities between grid points (the four)
    "zero inside": ("t", "(1-t)*(t-0.12345)**2/0.12345**2",
                    r"beta must stay above 0 until t = 1, .* is 0 at t ≈ 0\.123[45], before t = 1"),
    "pole": ("t", "1 - t + 0.001*t*(1-t)/(t-0.12345)", r"beta is infinite at t ≈ 0\.123[45]"),
    "tan pole": ("t", "1 - t + t*(1-t)*tan(pi*(t+0.00037))*1e-6", r"beta is infinite at t ≈ 0\.499[56]"),
    "infinite derivative inside": ("t + 0.1*(sqrt(abs(t - 0.12345)) - sqrt(0.12345)*(1-t) - sqrt(0.87655)*t)",
                                   "1 - t", r"d_alpha \(the time derivative of alpha\) is infinite at t ≈ 0\.123[45]"),
    "the issue's sqrt(abs) alpha": ("t + 0.1*sqrt(abs(t-0.12345))", "1 - t", r"alpha\(0\) must equal 0, but .* 0\.0351"),
    "eightfold tan": ("t", "1 - t + t*(1-t)*tan(tan(tan(tan(tan(tan(tan(tan(t))))))))", r"beta is infinite at t ≈ 0\.45"),
    "pole at the end": ("t", "1 - t + t*(1-t)/(t-1)**2", r"beta is infinite at t = 1"),
    # exact ends
    "beta off by 1e-10": ("t", "1-t + 1e-10", r"beta\(0\) must equal 1, but .* gives 1, off by 1e-10"),
    "beta_1 is 1e-10": ("t", "1 - t + 1e-10*t", r"beta\(1\) must equal 0, but .* gives 1e-10"),
    "alpha_1 slightly off": ("t*(1 + 1e-12)", "1 - t", r"alpha\(1\) must equal 1, but .* off by 1e-12"),
    # not real
    "imaginary part": ("t", "1 - t + (1e-13)*sqrt(-1)", r"beta is not a real number at t = 0"),
    "sqrt of a negative inside": ("t", "1 - t + t*(1 - t)*sqrt(0.5 - t)", r"beta is not a real number at t ≈ 0\.5"),
    "asin outside [-1, 1]": ("t", "1 - t + t*(1 - t)*asin(2*t)", r"beta is not a real number at t ≈ 0\.5"),
    "log at 0": ("log(t)", "1 - t", r"alpha is infinite at t = 0"),
    # beta must stay above 0 before t = 1
    "beta crosses 0": ("t", "(1 - t)*(1 - 2*t)", r"is 0 at t ≈ 0\.5, before t = 1"),
    "beta dips below 0": ("t", "(1 - t)*(1 - 12*t*(1 - t))", r"is 0 at t ≈ 0\.0917[0-9]?, before t = 1"),
    # infinite speeds
    "sqrt(t) alpha": ("sqrt(t)", "1 - t", r"d_alpha .* is infinite at t = 0 .*infinite speed"),
    "alpha's speed infinite at 1": ("1 - sqrt(1 - t)", "1 - t", r"d_alpha .* is infinite at t = 1"),
    "cube-root beta": ("t", "(1 - t)^(1/3)", r"beta \* d_beta .* is infinite at t = 1"),
    # sizes
    "500 characters": ("t" + " + 0*t" * 83 + " ", "1 - t", r"alpha is too long \(500 characters; at most 200\)"),
    "large number": ("t*1e300", "1 - t", r"the number 1e\+300 is too large"),
    "exact power too long": ("t*0.999999**64", "1 - t", r"would need 832 digits"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_formula_is_refused_with_the_problem_and_the_place(case):
    alpha, beta, message = case
    with pytest.raises(ValueError, match=message):
        answer_within(LIMIT, schedule_from_text, alpha, beta)


def test_at_least_twenty_cases():
    assert len(BAD) >= 20


GOOD = {
    "CondOT": ("t", "1 - t"),
    "cosine": ("sin(pi*t/2)", "cos(pi*t/2)"),
    "LinearVP (d_beta infinite at 1, beta d_beta finite)": ("t", "sqrt(1 - t^2)"),
    "(1 - t)^2 (d_beta is 0 at 1)": ("t", "(1 - t)^2"),
    "(1 - t)^3": ("t", "(1 - t)^3"),
    "sin^2 clock": ("sin(pi*t/2)^2", "cos(pi*t/2)^2"),
    "the issue's 45-character beta": ("t", "1 - t + t*(1-t)*tanh(t)*sin(t)*cos(t)*exp(t)"),
    "solver-hostile but valid": ("t + 0.1*sin(2000*pi*t)", "1 - t"),
    "exp (irrational ends that cancel)": ("(exp(t) - 1)/(e - 1)", "(e - exp(t))/(e - 1)"),
}


@pytest.mark.parametrize("pair", GOOD.values(), ids=GOOD.keys())
def test_good_formulas_pass_every_check(pair):
    schedule = answer_within(LIMIT, schedule_from_text, *pair)
    t = np.linspace(0.0, 1.0, 1001)[:-1]
    assert np.all(schedule.beta(t) > 0) and schedule.beta(1.0) == 0.0 and schedule.alpha(1.0) == 1.0


@pytest.mark.parametrize("n", [np.int64(2), np.float64(2.5), np.int32(3)])
def test_numpy_numbers_are_valid_polynomial_exponents(n):
    schedule = schedules.Polynomial(n)
    assert schedule.name == f"Polynomial(n={float(n):g})"
    assert abs(schedule.alpha(0.5) - 0.5 ** float(n)) <= 4 * np.spacing(0.5 ** float(n))
    assert check_schedule(schedule) is schedule


@pytest.mark.parametrize("n", [True, 0.5, float("nan"), "2"])
def test_bad_polynomial_exponents_are_refused(n):
    with pytest.raises(ValueError, match="Polynomial needs a finite exponent n >= 1"):
        schedules.Polynomial(n)


def test_a_pole_between_any_grid_points_is_found():
    """A pole at an irrational-looking place, between the points of every uniform grid up to 10**6 points."""
    place = 0.1234567891
    assert all(abs(np.round(place * n) - place * n) > 1e-4 for n in (1000, 1001, 10**6))
    with pytest.raises(ValueError, match=r"beta is infinite at t ≈ 0\.1235"):
        answer_within(LIMIT, from_expressions, "t", f"1 - t + 1e-9*t*(1 - t)/(t - {place})")


# -- the interval arithmetic, against numpy at many points -----------------------------------------------

ENCLOSED = ["t", "1 - t", "t*(1 - t)", "(t - 0.3)**2", "1/(t + 0.1)", "(t - 0.5)**(-2)", "sqrt(1 - t**2)",
            "sin(20*t)", "cos(7*t + 1)", "tan(t)", "exp(3*t) - t**5", "log(t + 0.5)", "sinh(t) * cosh(2*t)",
            "tanh(5*t - 2)", "asin(t)", "acos(t/2)", "atan(10*t - 3)", "abs(t - 0.4)", "t**2.5", "(t + 1)**t",
            "sqrt(abs(t - 0.2))", "exp(-1/(t + 0.01))", "sin(pi*t)**2 + cos(pi*t)**2"]


@pytest.mark.parametrize("text", ENCLOSED)
def test_enclosures_contain_every_value(text):
    """For 200 intervals of [0, 1] and 50 points in each, the numpy value lies in the interval's enclosure."""
    expr = schedules.parse_formula(text)
    fn = sympy.lambdify(T, expr, modules="numpy")
    edges = np.linspace(0.0, 1.0, 201)
    enclosure = intervals.enclose(expr, edges[:-1], edges[1:])
    points = edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * np.linspace(0.0, 1.0, 50)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(fn(points), points.shape)
    defined = np.isfinite(values)
    low, high = enclosure.low[:, None], enclosure.high[:, None]
    assert np.all((low <= values) & (values <= high) | ~defined)
    # where numpy gives NaN or inf the enclosure must say so too
    assert np.all(~enclosure.finite[~defined.all(axis=1)])


def test_enclosures_are_tight_enough_to_decide():
    """Without this the checks could refuse everything: a narrow interval gets a narrow enclosure."""
    expr = schedules.parse_formula("sin(pi*t/2)")
    enclosure = intervals.enclose(expr, [0.5], [0.5 + 1e-9])
    assert enclosure.high[0] - enclosure.low[0] < 1e-8
    exact_zero = intervals.enclose(schedules.parse_formula("1 - t*t"), [1.0], [1.0])
    assert exact_zero.low[0] == 0.0 == exact_zero.high[0]  # exact products are not widened


# -- the 2 s bound, in a fresh process ---------------------------------------------------------------------

SLOW = [("exp(exp(exp(100*t)))", "1 - t"), ("t", "cos(exp(exp(20*t)))"),
        ("t", "1 - t + t*(1-t)*tanh(t)*sin(t)*cos(t)*exp(t)"),
        ("t", "1 - t + t*(1-t)*exp(exp(exp(exp(exp(exp(exp(exp(t))))))))"),
        ("t*exp(t*sin(t*cos(t*tanh(t*exp(t*sin(t))))))/exp(sin(cos(tanh(exp(sin(1))))))", "1 - t"),
        ("t", "(1-t)*(1 + t*sin(1/(t+0.001))^2*cos(1/(t + 0.002))^3)"),
        ("t", "1 - t + t*(1-t)*sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(t)))))))"),
        ("t + 0.1*sin(2000*pi*t)", "1 - t"),
        ("t", "(1-t)*(t-0.12345)**2/0.12345**2"), ("t", "1 - t + t*(1-t)*tan(pi*(t+0.00037))*1e-6")]

_TIMING_SCRIPT = """
import json, sys, time
from fm_helpers.figures.playground import PlaygroundFigure
from fm_helpers.interactive import Playground
ui = Playground(PlaygroundFigure(t=0.5, schedule="CondOT"))
ui.alpha.value, ui.beta.value = "t^2", "1 - t^2"   # warm up: imports, caches
ui.apply()
times = []
for alpha, beta in json.loads(sys.argv[1]):
    ui._quiet = True
    ui.alpha.value, ui.beta.value = alpha, beta
    ui._quiet = False
    cpu, wall = time.process_time(), time.perf_counter()
    ui.apply()                       # check, derive, typeset, redraw: everything after the reader presses apply
    times.append((time.process_time() - cpu, time.perf_counter() - wall))
    assert "Error" not in ui.message.value and "Traceback" not in ui.message.value, ui.message.value
print(json.dumps(times))
"""


def test_slow_formulas_answer_within_two_seconds():
    """The issue's requirement, through the playground widget, in a fresh process (nothing cached).

    Measured in CPU time of that process, which is what the wall-clock time is on an idle 2-core machine: the
    machine the tests run on may be shared and many times oversubscribed (load 17 on 2 cores while this was
    written, when wall-clock times were 4 to 8 times the CPU times). The code itself never waits.
    """
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("FM_STATIC", None)
    done = subprocess.run([sys.executable, "-c", _TIMING_SCRIPT, json.dumps(SLOW)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr[-2000:]
    times = json.loads(done.stdout.strip().splitlines()[-1])
    slowest = max(range(len(SLOW)), key=lambda i: times[i][0])
    cpu, wall = times[slowest]
    assert cpu < 2.0, f"{SLOW[slowest]} took {cpu:.2f} s of CPU time ({wall:.2f} s wall-clock)"
