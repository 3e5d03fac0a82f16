"""Schedules typed as formulas: good ones work, bad ones are refused with a message naming the problem."""

import numpy as np
import pytest

from fm_helpers import paths, schedules

# Each good formula pair with alpha, beta and their derivatives written out by hand.
GOOD = {
    "CondOT": ("t", "1 - t",
               lambda t: t, lambda t: 1 - t, lambda t: np.ones_like(t), lambda t: -np.ones_like(t)),
    "cosine": ("sin(pi*t/2)", "cos(pi*t/2)",
               lambda t: np.sin(np.pi * t / 2), lambda t: np.cos(np.pi * t / 2),
               lambda t: np.pi / 2 * np.cos(np.pi * t / 2), lambda t: -np.pi / 2 * np.sin(np.pi * t / 2)),
    # ^ is a power, and 1 - t^2 means 1 - (t**2), not (1 - t)**2
    "caret power": ("t^2", "1 - t^2", lambda t: t**2, lambda t: 1 - t**2, lambda t: 2 * t, lambda t: -2 * t),
    "mixed": ("t*(2 - t)", "(1 - t)^2", lambda t: t * (2 - t), lambda t: (1 - t) ** 2,
              lambda t: 2 - 2 * t, lambda t: -2 * (1 - t)),
    "exp": ("(exp(t) - 1)/(e - 1)", "(e - exp(t))/(e - 1)", lambda t: np.expm1(t) / np.expm1(1),
            lambda t: (np.e - np.exp(t)) / np.expm1(1), lambda t: np.exp(t) / np.expm1(1),
            lambda t: -np.exp(t) / np.expm1(1)),
}
T_GRID = np.linspace(0.01, 0.99, 25)


@pytest.mark.parametrize("case", GOOD.values(), ids=GOOD.keys())
def test_good_formulas_give_the_hand_written_functions(case):
    """alpha, beta, d_alpha, d_beta of the parsed schedule equal the formulas written out by hand."""
    alpha, beta, *hand = case
    schedule = schedules.from_expressions(alpha, beta)
    for method, expected in zip(("alpha", "beta", "d_alpha", "d_beta"), hand):
        np.testing.assert_allclose(getattr(schedule, method)(T_GRID), expected(T_GRID), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", GOOD.values(), ids=GOOD.keys())
def test_good_formulas_have_derivatives_equal_to_central_differences(case):
    schedule = schedules.from_expressions(case[0], case[1])
    h = 1e-6
    for value, derivative in ((schedule.alpha, schedule.d_alpha), (schedule.beta, schedule.d_beta)):
        fd = (value(T_GRID + h) - value(T_GRID - h)) / (2 * h)
        np.testing.assert_allclose(derivative(T_GRID), fd, rtol=1e-7, atol=1e-8)


def test_typed_cosine_is_exactly_zero_at_one_so_the_x_form_field_refuses_it():
    """cos(pi/2) is 6e-17 in floating point; the schedule must still give beta_1 = 0 exactly."""
    schedule = schedules.from_expressions("sin(pi*t/2)", "cos(pi*t/2)")
    assert schedule.beta(1.0) == 0.0 and schedule.alpha(1.0) == 1.0
    with pytest.raises(ValueError, match="beta_t"):
        paths.GaussianPath(schedule).conditional_field(np.ones(2), np.zeros(2), 1.0)


def test_name_defaults_to_the_formulas_and_can_be_given():
    assert "t**2" in schedules.from_expressions("t^2", "1 - t^2").name
    assert schedules.from_expressions("t", "1 - t", name="mine").name == "mine"


@pytest.mark.parametrize("alpha, beta, message", [
    # boundary conditions
    ("1 + t", "1 - t", r"alpha\(0\) must equal 0, but alpha = t \+ 1 gives 1"),
    ("t/2", "1 - t", r"alpha\(1\) must equal 1"),
    ("t", "2 - t", r"beta\(0\) must equal 1"),
    ("t", "1 - t/2", r"beta\(1\) must equal 0"),
    ("t", "1 - t/2", r"gives 0.5"),
    # names and functions outside the whitelist
    ("x", "1 - t", r"alpha: unknown name 'x'"),
    ("t", "foo(t)", r"beta: unknown function 'foo'"),
    ("t", "1 - y*t", r"beta: unknown name 'y'"),
    # not real or not finite somewhere on [0, 1]
    ("t", "1 - t + t*(1 - t)*sqrt(0.5 - t)", r"beta is not a real number at t ≈ 0.5"),
    ("log(t)", "1 - t", r"alpha is infinite at t = 0"),
    ("t", "1 - t + t*(1 - t)/(t - 0.5)", r"beta is infinite at t ≈ 0.5"),
    ("1/0", "1 - t", r"alpha: '1 / 0' is not finite"),
    ("t + log(0)", "1 - t", r"alpha: 'log\(0\)' is not finite"),
    # Python that is not a formula
    ("t.__class__", "1 - t", r"alpha: 't.__class__' is not allowed"),
    ("lambda t: t", "1 - t", r"is not allowed"),
    ("[t]", "1 - t", r"'\[t\]' is not allowed"),
    ("t if t else 1", "1 - t", r"is not allowed"),
    ("t, t", "1 - t", r"is not allowed"),
    ("t == 1", "1 - t", r"is not allowed"),
    ("'t'", "1 - t", r"is not allowed"),
    ("sin(t, t)", "1 - t", r"sin\(\) takes exactly one argument"),
    ("t +", "1 - t", r"alpha is not a valid formula"),
    ("", "1 - t", r"alpha is empty"),
    # sizes that would hang or exhaust memory
    ("t" + " + 0*t" * 40, "1 - t", r"alpha is too long \(241 characters; at most 200\)"),
    ("9**9**9", "1 - t", r"too large"),
    ("(2**60)**60", "1 - t", r"too large"),
    ("t**1000", "1 - t", r"the exponent 1000 is too large"),
    ("t*10000000", "1 - t", r"the number 10000000 is too large"),
    ("+".join(["t"] * 60), "1 - t", r"too complicated"),
])
def test_bad_formulas_are_refused_with_a_reason(alpha, beta, message):
    with pytest.raises(ValueError, match=message):
        schedules.from_expressions(alpha, beta)


@pytest.mark.parametrize("formula", [
    "__import__('os').system('touch {marker}')",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "[c for c in ().__class__.__base__.__subclasses__()][0]('touch {marker}')",
])
def test_python_code_is_never_run(formula, tmp_path):
    """A formula that would create a file if evaluated is refused, and the file does not appear."""
    marker = tmp_path / "pwned"
    formula = formula.format(marker=marker)
    assert len(formula) <= schedules.MAX_FORMULA_LENGTH  # refused for its content, not its length
    with pytest.raises(ValueError, match="alpha"):
        schedules.from_expressions(formula, "1 - t")
    assert not marker.exists()


@pytest.mark.parametrize("bad", [1, None, b"t", ["t"]])
def test_formulas_must_be_strings(bad):
    with pytest.raises(ValueError, match="alpha must be a string formula in t"):
        schedules.from_expressions(bad, "1 - t")
