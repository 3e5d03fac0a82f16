"""Noise schedules: the pair (alpha_t, beta_t) that defines a Gaussian probability path.

A schedule maps time t in [0, 1] to the scale alpha_t of the data point and the
scale beta_t of the noise, with noise at t = 0 (alpha_0 = 0, beta_0 = 1) and data
at t = 1 (alpha_1 = 1, beta_1 = 0); see equation (eq-gaussian-path) of the book.
Each schedule also gives the exact time derivatives d_alpha and d_beta, and the
sympy expressions they come from, so that every derivative can be checked.

``schedule.at(t)`` evaluates everything a formula of the book needs at t in one go and
returns it as a frozen ``ScheduleValues``: t is checked once, and floats and arrays go
through the same numpy code (a float t is a 0-d array inside, so both agree on every CPU).
``alpha(t)``, ``beta(t)``, ``d_alpha(t)``, ``d_beta(t)`` and ``beta_d_beta(t)`` are thin
wrappers over it. Every function of ``fm_helpers`` that takes a time also accepts the
``ScheduleValues`` of its schedule in its place, so a caller that needs several quantities
at one t evaluates the schedule once and passes the values on.
"""

from __future__ import annotations

import ast
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy

from . import intervals

__all__ = [
    "Schedule",
    "ScheduleValues",
    "CondOT",
    "Cosine",
    "Polynomial",
    "LinearVP",
    "ExpressionSchedule",
    "from_expressions",
    "check_schedule",
    "schedule_from_text",
    "speed_bound",
    "named_schedules",
    "resolve_schedule",
    "PRESETS",
    "SURPRISE",
    "check_t",
    "T",
]

#: The sympy symbol for time used by every schedule's expressions.
T = sympy.Symbol("t", real=True)


def check_t(t, name: str = "t", *, single: bool = False):
    """Return ``t`` as a float (or a float array) after checking that it lies in [0, 1].

    With ``single=True`` an array is refused: the caller needs one time. Raises ``ValueError``
    naming ``name`` and the offending value, so that a bad time never turns into a silent NaN
    (or a TypeError, or an OverflowError) further down.
    """
    if isinstance(t, ScheduleValues):
        t = t.t
    raw = np.asarray(t) if not isinstance(t, (str, bytes)) else np.asarray(None)
    if raw.dtype.kind not in "iuf" or isinstance(t, bool):
        raise ValueError(f"{name} must be a number in [0, 1], got {_shown(t)}")
    if single and raw.ndim != 0:
        raise ValueError(f"{name} must be a single number in [0, 1] here, got an array of shape {raw.shape}")
    arr = raw.astype(float, copy=False)
    if arr.ndim == 0 and 0.0 <= float(arr) <= 1.0:  # the common case needs no array reductions (NaN fails it)
        return float(arr)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite number in [0, 1], got {_shown(t)}")
    outside = (arr < 0.0) | (arr > 1.0)
    if np.any(outside):
        bad = arr[outside].flat[0] if arr.ndim else float(arr)
        raise ValueError(f"{name} must lie in [0, 1], got {bad:g}")
    return float(arr) if arr.ndim == 0 else arr


def _shown(value, limit: int = 40) -> str:
    """repr(value), cut short: a message quotes what it refuses without pasting a 400-digit number."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _all_finite(value) -> bool:
    """True if the float or array ``value`` holds no NaN or inf (a float without an array reduction)."""
    return math.isfinite(value) if type(value) is float else bool(np.all(np.isfinite(value)))


def _first_time(t, bad) -> float:
    """The first time at which the boolean mask ``bad`` (shape of t) is set."""
    return float(np.asarray(t)[np.asarray(bad)].flat[0]) if np.ndim(t) else float(t)


@dataclass(frozen=True, eq=False)
class ScheduleValues:
    """Everything a schedule gives at time(s) t, from one evaluation: ``Schedule.at(t)``.

    ``t``, ``alpha`` and ``beta`` are plain attributes, finite wherever ``at`` returns. The
    derivatives ``d_alpha``, ``d_beta``, ``beta_d_beta`` and the x-form field coefficients
    ``a`` (a_t = d_alpha - d_beta alpha / beta) and ``b`` (b_t = d_beta / beta) are properties
    that return finite numbers or raise ``ValueError`` saying where they are undefined: at
    beta_t = 0 (t = 1) ``a`` and ``b`` divide by zero, and LinearVP's d_beta is infinite there.
    Nothing here is ever NaN or infinite. Every value has the shape of ``t`` (a float for a float t).
    """

    schedule: "Schedule"
    t: float | np.ndarray
    alpha: float | np.ndarray
    beta: float | np.ndarray
    _d_alpha: float | np.ndarray = field(repr=False)
    _d_beta: float | np.ndarray = field(repr=False)
    _beta_d_beta: float | np.ndarray = field(repr=False)

    @property
    def d_alpha(self):
        """d alpha_t / dt (eq-cond-field)."""
        return self._finite(self._d_alpha, "d_alpha")

    @property
    def d_beta(self):
        """d beta_t / dt (eq-cond-field); infinite, hence a ValueError, for LinearVP at t = 1."""
        return self._finite(self._d_beta, "d_beta")

    @property
    def beta_d_beta(self):
        """beta_t d beta_t / dt = (1/2) d(beta_t^2)/dt: finite at t = 1 even where d_beta is not (LinearVP)."""
        return self._finite(self._beta_d_beta, "beta * d_beta")

    @property
    def b(self):
        """b_t = d_beta / beta, the coefficient of x in u_t(x|z) = a_t z + b_t x (eq-cond-field)."""
        self._check_beta_positive()
        with np.errstate(all="ignore"):
            return self._finite(self.d_beta / self.beta, "b_t = d_beta / beta")

    @property
    def a(self):
        """a_t = d_alpha - d_beta alpha / beta, the coefficient of z in u_t(x|z) = a_t z + b_t x (eq-cond-field)."""
        b = self.b
        with np.errstate(all="ignore"):
            return self._finite(self.d_alpha - b * self.alpha, "a_t = d_alpha - d_beta alpha / beta")

    def split(self) -> tuple["ScheduleValues", ...]:
        """One ScheduleValues per time of an array evaluation (in the order of ``t.flat``), each with float
        values, taken from this one evaluation: nothing is checked or evaluated again."""
        if np.ndim(self.t) == 0:
            return (self,)
        columns = (self.t, self.alpha, self.beta, self._d_alpha, self._d_beta, self._beta_d_beta)
        return tuple(ScheduleValues(self.schedule, *(float(value) for value in row))
                     for row in zip(*(np.ravel(column) for column in columns)))

    @property
    def derivatives_defined(self):
        """True where d_alpha and d_beta are both finite (LinearVP: everywhere but t = 1); shape of t."""
        defined = np.isfinite(self._d_alpha) & np.isfinite(self._d_beta)
        return bool(defined) if np.ndim(defined) == 0 else defined

    def _check_beta_positive(self) -> None:
        zero = np.asarray(self.beta) == 0.0
        if np.any(zero):
            raise ValueError(
                f"the x-form conditional field divides by beta_t, which is 0 at t = {_first_time(self.t, zero):g} "
                f"for schedule {self.schedule.name}; use conditional_field_from_noise(eps, z, t), which is regular there")

    def _finite(self, value, what: str):
        if not _all_finite(value):
            raise ValueError(f"{what} of schedule {self.schedule.name} is not finite at t = "
                             f"{_first_time(self.t, ~np.isfinite(value)):g}")
        return value


class Schedule:
    """Base class: subclasses provide ``_alpha``, ``_beta``, ``_d_alpha``, ``_d_beta`` (and optionally
    ``_beta_d_beta``): numpy functions of an already checked float array t (0-d for a single time),
    and ``expressions()`` (sympy in ``T``). ``at(t)`` is the only place they are called."""

    name: str

    def at(self, t, *, single: bool = False) -> ScheduleValues:
        """alpha, beta, their derivatives and the field coefficients at ``t`` (a float or an array in [0, 1]).

        t is checked once and every function is evaluated once, through the same numpy code for a
        float and for an array (``single=True`` refuses an array). Raises ValueError if t is not in
        [0, 1] or if alpha or beta is not finite (or not real) there. Given the ``ScheduleValues`` of
        this schedule, returns them unchanged: nothing is checked or evaluated again.
        """
        if isinstance(t, ScheduleValues):
            if t.schedule is not self and t.schedule != self:
                raise ValueError(f"these values belong to schedule {t.schedule.name}, not to {self.name}")
            if single and np.ndim(t.t) != 0:
                raise ValueError(f"t must be a single number in [0, 1] here, got an array of shape {np.shape(t.t)}")
            return t
        return self._evaluate(check_t(t, single=single))

    def _evaluate(self, t) -> ScheduleValues:
        """The one code path: every function on the 0-d or n-d float array t, with warnings silenced
        (a division by zero becomes inf and is reported by name, never as NaN or a Python exception)."""
        t_array = np.array(t, dtype=float)
        parts = {}
        with np.errstate(all="ignore"):
            for what, fn in (("alpha", self._alpha), ("beta", self._beta), ("d_alpha", self._d_alpha),
                             ("d_beta", self._d_beta)):
                parts[what] = self._as_real(fn, t_array, what, t)
            if type(self)._beta_d_beta is Schedule._beta_d_beta:  # no closed form of its own: the product
                parts["beta * d_beta"] = parts["beta"] * parts["d_beta"]
            else:
                parts["beta * d_beta"] = self._as_real(self._beta_d_beta, t_array, "beta * d_beta", t)
        for what in ("alpha", "beta"):
            if not _all_finite(parts[what]):
                raise ValueError(f"{what} of schedule {self.name} is not finite at t = "
                                 f"{_first_time(t, ~np.isfinite(parts[what])):g}")
        return ScheduleValues(self, t, parts["alpha"], parts["beta"], parts["d_alpha"], parts["d_beta"],
                              parts["beta * d_beta"])

    def _as_real(self, fn: Callable, t_array: np.ndarray, what: str, t):
        """fn(t) as floats of t's shape (a float for a single t); ValueError if it fails or is not real."""
        try:
            value = np.asarray(fn(t_array))
        except (ArithmeticError, TypeError, ValueError):
            raise ValueError(f"{what} of schedule {self.name} cannot be computed at t = {t}: "
                             "it divides by zero or overflows there") from None
        if value.dtype.kind not in "biuf":
            if value.dtype.kind != "c":
                raise ValueError(f"{what} of schedule {self.name} is not a number at t = {t}")
            imaginary = value.imag != 0
            if np.any(imaginary):
                raise ValueError(f"{what} of schedule {self.name} is not real at t = {_first_time(t, imaginary):g}")
            value = value.real
        if t_array.ndim == 0:
            return float(value)
        # a constant (d_alpha = 1) comes back as a scalar, and _alpha may return t itself: always a fresh array
        return np.array(np.broadcast_to(value, t_array.shape), dtype=float)

    def alpha(self, t):
        """alpha_t, the weight of the data point z (eq-gaussian-path)."""
        return self.at(t).alpha

    def beta(self, t):
        """beta_t, the standard deviation of the noise (eq-gaussian-path)."""
        return self.at(t).beta

    def d_alpha(self, t):
        """d alpha_t / dt (eq-cond-field)."""
        return self.at(t).d_alpha

    def d_beta(self, t):
        """d beta_t / dt (eq-cond-field)."""
        return self.at(t).d_beta

    def beta_d_beta(self, t):
        """beta_t * d beta_t / dt = (1/2) d(beta_t^2)/dt, used by the marginal field.

        Finite at t = 1 even where d_beta is not (LinearVP: beta d_beta = -t), so the
        marginal field of a mixture with stds > 0 can be evaluated at t = 1.
        """
        return self.at(t).beta_d_beta

    def _beta_d_beta(self, t):
        return self._beta(t) * self._d_beta(t)

    def expressions(self) -> tuple[sympy.Expr, sympy.Expr]:
        """(alpha, beta) as sympy expressions in the symbol ``fm_helpers.schedules.T``."""
        raise NotImplementedError

    def cache_key(self) -> tuple[str, str]:
        """The schedule's identity for caches: its (alpha, beta) expressions, exactly (``sympy.srepr``).

        Two schedules with the same key compute the same numbers; the display name is not part of it
        (a schedule typed as "t", "1 - t" and CondOT share results; Polynomial(1.0000001) and
        Polynomial(1) do not).
        """
        return tuple(sympy.srepr(e) for e in self.expressions())

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class CondOT(Schedule):
    """The conditional optimal transport schedule: alpha_t = t, beta_t = 1 - t."""

    name: str = field(default="CondOT", init=False)

    def _alpha(self, t):
        return t

    def _beta(self, t):
        return 1.0 - t

    def _d_alpha(self, t):
        return np.ones_like(t)

    def _d_beta(self, t):
        return -np.ones_like(t)

    def expressions(self):
        return T, 1 - T


@dataclass(frozen=True)
class Cosine(Schedule):
    """The cosine schedule: alpha_t = sin(pi t / 2), beta_t = cos(pi t / 2)."""

    name: str = field(default="Cosine", init=False)

    # cos(pi t / 2) is written as sin(pi (1 - t) / 2) so that beta_1 and d_alpha(1) are exactly 0:
    # in floating point np.cos(np.pi / 2) is 6e-17, which would make the x-form field finite but huge at t = 1.
    def _alpha(self, t):
        return np.sin(0.5 * np.pi * t)

    def _beta(self, t):
        return np.sin(0.5 * np.pi * (1.0 - t))

    def _d_alpha(self, t):
        return 0.5 * np.pi * np.sin(0.5 * np.pi * (1.0 - t))

    def _d_beta(self, t):
        return -0.5 * np.pi * np.sin(0.5 * np.pi * t)

    def expressions(self):
        return sympy.sin(sympy.pi * T / 2), sympy.cos(sympy.pi * T / 2)


@dataclass(frozen=True)
class Polynomial(Schedule):
    """The polynomial schedule: alpha_t = t^n, beta_t = 1 - t^n, for a real n >= 1."""

    n: float = 2.0
    name: str = field(default="", init=False)

    def __post_init__(self):
        n = self.n
        if isinstance(n, (np.integer, np.floating)):  # numpy numbers are valid exponents: as Python numbers
            n = n.item()
            object.__setattr__(self, "n", n)
        valid = isinstance(n, (int, float)) and not isinstance(n, bool)
        try:
            valid = valid and math.isfinite(n) and n >= 1
        except OverflowError:  # an int too large for a float
            valid = False
        if not valid:
            raise ValueError(f"Polynomial needs a finite exponent n >= 1 (so that d_alpha is finite at t = 0), "
                             f"got {_shown(n)}")
        object.__setattr__(self, "name", f"Polynomial(n={self.n:g})")

    def _alpha(self, t):
        return t**self.n

    def _beta(self, t):
        return 1.0 - t**self.n

    def _d_alpha(self, t):
        return self.n * t ** (self.n - 1)

    def _d_beta(self, t):
        return -self.n * t ** (self.n - 1)

    def expressions(self):
        n = sympy.nsimplify(self.n)
        return T**n, 1 - T**n


@dataclass(frozen=True)
class LinearVP(Schedule):
    """The linear variance-preserving schedule: alpha_t = t, beta_t = sqrt(1 - t^2).

    alpha_t^2 + beta_t^2 = 1 for every t. Its d_beta = -t / sqrt(1 - t^2) is
    infinite at t = 1, and ``d_beta(1.0)`` says so with a ``ValueError``.
    """

    name: str = field(default="LinearVP", init=False)

    def _alpha(self, t):
        return t

    def _beta(self, t):
        return np.sqrt(1.0 - t**2)

    def _d_alpha(self, t):
        return np.ones_like(t)

    def _d_beta(self, t):
        return -t / np.sqrt(1.0 - t**2)

    def _beta_d_beta(self, t):
        return -t

    def expressions(self):
        return T, sympy.sqrt(1 - T**2)


def named_schedules() -> dict[str, Schedule]:
    """The four schedules every chapter offers in its selector, by display name."""
    schedules = [CondOT(), Cosine(), Polynomial(2), LinearVP()]
    return {s.name: s for s in schedules}


def resolve_schedule(schedule) -> Schedule:
    """A Schedule from itself or from one of the four display names (e.g. ``"Cosine"``)."""
    if isinstance(schedule, Schedule):
        return schedule
    names = named_schedules()
    if schedule not in names:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(names)} or pass a Schedule")
    return names[schedule]


#: Formulas the playground offers to start from: the four named schedules, and one surprise.
PRESETS = {
    "CondOT": ("t", "1 - t"),
    "Cosine": ("sin(pi*t/2)", "cos(pi*t/2)"),
    "Polynomial(n=2)": ("t^2", "1 - t^2"),
    "LinearVP": ("t", "sqrt(1 - t^2)"),
    "Back and forth": ("t + 0.3*sin(2*pi*t)", "1 - t - 0.3*sin(2*pi*t)"),
}
#: The surprising preset: alpha_t + beta_t = 1 (straight conditional routes), but alpha_t is not monotone.
SURPRISE = "Back and forth"


# --------------------------------------------------------------------------------------
# Schedules typed by a reader: parsed by walking Python's syntax tree against a whitelist,
# built into sympy by hand. Nothing the reader types is ever evaluated as Python, and no
# step works at more than double precision or runs an unbounded simplification: every
# check below answers or refuses within a fixed time (see ``CHECK_SECONDS``).
# --------------------------------------------------------------------------------------

MAX_FORMULA_LENGTH = 200
_MAX_NODES = 80
_MAX_CONSTANT = 1e6
_MAX_EXPONENT = 64
_MAX_EXACT_DIGITS = 400  # an exact constant power such as (999999/1000000)**64 may have at most this many digits
#: Work allowed to the interval checks of ``from_expressions`` and, again, of ``check_schedule``: operations of
#: the interval arithmetic on blocks of up to 256 intervals (1 to 2 ms each on one core of a busy 2-core machine).
CHECK_WORK = 300
#: A safety net for the same checks, in seconds of this process's CPU time (not wall-clock time, so that a busy
#: machine does not change the decision): reached only if the work estimate above is far off.
CHECK_SECONDS = 1.0
#: A problem is located to an interval of t this wide before it is reported.
_LOCATE_WIDTH = 2.0**-24
#: An interval that fails a check is cut into this many pieces (few rounds of numpy work, not many small ones).
_SPLIT = 16
#: The largest derivative expression (sympy operations) the checks bound; larger ones are refused.
_MAX_OPS = 3000

_FUNCTIONS: dict[str, Callable] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "abs": sympy.Abs,
}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E, "t": T}
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_MAX_DIGITS = 6  # a constant power such as 10**7 or (2**60)**60 is refused before sympy computes it


def parse_formula(text: str, what: str = "formula") -> sympy.Expr:
    """Turn a formula in ``t`` into a sympy expression without evaluating any Python.

    Allowed: numbers, ``t``, ``pi``, ``e``, + - * / and ** (or ^) for powers, parentheses and the functions
    sin cos tan exp log sqrt sinh cosh tanh asin acos atan abs. Decimal numbers become exact fractions
    (0.1 is 1/10), so that the boundary conditions can be checked exactly.
    """
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a string formula in t, got {type(text).__name__}")
    if len(text) > MAX_FORMULA_LENGTH:
        raise ValueError(f"{what} is too long ({len(text)} characters; at most {MAX_FORMULA_LENGTH})")
    if not text.strip():
        raise ValueError(f"{what} is empty; type a formula in t such as 't' or '1 - t'")
    # Readers write t^2 for a power; in Python ^ binds more loosely than -, so rewrite it as text.
    try:
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"{what} is not a valid formula: {err.msg} in {text!r}") from None
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        raise ValueError(f"{what} is too complicated (more than {_MAX_NODES} syntax nodes)")
    return _build(tree.body, what)


def _build(node: ast.AST, what: str) -> sympy.Expr:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not abs(node.value) <= _MAX_CONSTANT:
            raise ValueError(f"{what}: the number {node.value!r} is too large (at most {_MAX_CONSTANT:g})")
        # the decimal as typed, exactly: 1e-10 stays 1/10**10 (so "1 - t + 1e-10" is not 0 at t = 1)
        return sympy.Integer(node.value) if type(node.value) is int else sympy.Rational(repr(node.value))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError(f"{what}: unknown name {node.id!r}; allowed are t, pi, e and {', '.join(_FUNCTIONS)}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _build(node.operand, what)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _build(node.left, what), _build(node.right, what)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right, what)
        return _defined(_BINARY[type(node.op)](left, right), node, what)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ValueError(f"{what}: unknown function {name!r}; allowed are {', '.join(_FUNCTIONS)}")
        if node.keywords or len(node.args) != 1:
            raise ValueError(f"{what}: {node.func.id}() takes exactly one argument")
        return _defined(_FUNCTIONS[node.func.id](_build(node.args[0], what)), node, what)
    snippet = ast.unparse(node) if hasattr(ast, "unparse") else type(node).__name__
    raise ValueError(f"{what}: {snippet!r} is not allowed; use numbers, t, + - * / ^ and functions like sin, exp, sqrt")


_UNDEFINED = (sympy.zoo, sympy.oo, sympy.S.NegativeInfinity, sympy.nan)


def _defined(expr: sympy.Expr, node: ast.AST, what: str) -> sympy.Expr:
    """Refuse a part that sympy has already found infinite or undefined, such as 1/0 or log(0), and a constant
    too large for a float, such as exp(exp(exp(100))): sympy would later spend unbounded time on it."""
    if expr.has(*_UNDEFINED):
        raise ValueError(f"{what}: {ast.unparse(node)!r} is not finite (a division by zero or a log of 0)")
    if expr.is_number:
        low, high = intervals.constant(expr)
        if not (math.isfinite(low) and math.isfinite(high)) and not math.isnan(low):
            raise ValueError(f"{what}: the number {ast.unparse(node)} is too large to compute")
    return expr


def _check_power(base: sympy.Expr, exponent: sympy.Expr, what: str) -> None:
    """Refuse powers sympy would compute exactly into huge numbers. Constants are bounded in double
    precision (``intervals.constant``), never by sympy's ``evalf``, which can take unbounded time."""
    if exponent.is_number:
        low, high = intervals.constant(exponent)
        if not (abs(low) <= _MAX_EXPONENT and abs(high) <= _MAX_EXPONENT):
            shown = "not a real number" if math.isnan(low) else "too large"
            raise ValueError(f"{what}: the exponent {sympy.sstr(exponent)} is {shown} (at most {_MAX_EXPONENT})")
    if base.is_number and exponent.is_number and base != 0:
        low, high = intervals.constant(sympy.Abs(base))
        if math.isnan(low) or not math.isfinite(high):
            return  # a complex or huge base: refused later as not real or not finite on [0, 1]
        size = max(abs(math.log10(max(low, 1e-300))), abs(math.log10(max(high, 1e-300))))
        e_low, e_high = intervals.constant(exponent)
        if size * max(abs(e_low), abs(e_high)) > _MAX_DIGITS:
            raise ValueError(f"{what}: the number {base}**{exponent} is too large (more than {_MAX_DIGITS} digits)")
        if base.is_Rational and exponent.is_Integer:
            digits = abs(int(exponent)) * (len(str(abs(base.p))) + len(str(base.q)))
            if digits > _MAX_EXACT_DIGITS:
                raise ValueError(f"{what}: the exact value of {base}**{exponent} would need {digits} digits "
                                 f"(at most {_MAX_EXACT_DIGITS}); use fewer decimals")


@dataclass(frozen=True)
class ExpressionSchedule(Schedule):
    """A schedule built from sympy expressions by ``from_expressions``."""

    alpha_expr: sympy.Expr
    beta_expr: sympy.Expr
    name: str = ""
    _fns: tuple = field(default=(), repr=False, compare=False)
    _ends: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        d_beta = sympy.diff(self.beta_expr, T)
        exprs = (self.alpha_expr, self.beta_expr, sympy.diff(self.alpha_expr, T), d_beta,
                 self.beta_expr * d_beta)  # sympy cancels e.g. sqrt(1 - t^2) * (-t / sqrt(1 - t^2)) = -t
        fns = tuple(sympy.lambdify(T, e, modules="numpy") for e in exprs)
        object.__setattr__(self, "_fns", fns)
        # alpha and beta at t = 0 and t = 1 when sympy finds them exact numbers (cos(pi/2) is 0, where
        # numpy gives 6e-17): a beta_1 that is not exactly 0 would hide the singularity of the x-form field.
        object.__setattr__(self, "_ends", tuple(tuple(_exact_value(e, end) for end in (0, 1))
                                               for e in (self.alpha_expr, self.beta_expr)))
        if not self.name:
            object.__setattr__(self, "name", f"alpha = {sympy.sstr(self.alpha_expr)}, beta = {sympy.sstr(self.beta_expr)}")

    def _with_exact_ends(self, i: int, t):
        value = self._fns[i](t)
        for end, exact in zip((0.0, 1.0), self._ends[i]):
            if exact is not None:
                value = np.where(t == end, exact, value)
        return value

    def _alpha(self, t):
        return self._with_exact_ends(0, t)

    def _beta(self, t):
        return self._with_exact_ends(1, t)

    def _d_alpha(self, t):
        return self._fns[2](t)

    def _d_beta(self, t):
        return self._fns[3](t)

    def _beta_d_beta(self, t):
        return self._fns[4](t)

    def expressions(self):
        return self.alpha_expr, self.beta_expr


def _exact_value(expr: sympy.Expr, t_value: int):
    """expr at t = t_value as a float when sympy's substitution gives an exact rational number, else None.
    (No ``evalf``: a value such as exp(exp(exp(100))) would take unbounded time.)"""
    value = _substituted(expr, t_value)
    return float(intervals.constant(value)[0]) if value is not None and value.is_Rational else None


def _substituted(expr: sympy.Expr, t_value: int):
    """expr at t = t_value as sympy evaluates it, or None when some part of it is infinite, not real or too
    large for a float there (see ``intervals.all_finite_at``: then sympy's evaluation could take unbounded time)."""
    return expr.subs(T, t_value) if intervals.all_finite_at(expr, t_value) else None


def from_expressions(alpha: str, beta: str, name: str = "") -> ExpressionSchedule:
    """Build a schedule from two formulas in ``t``, checked against the path's boundary conditions.

    The formulas are parsed against a whitelist (see ``parse_formula``), differentiated by sympy and
    turned into numpy functions. Raises ``ValueError`` saying what is wrong and where when a formula is
    not allowed; when alpha_0 = 0, alpha_1 = 1, beta_0 = 1, beta_1 = 0 do not hold exactly (sympy
    decides, no tolerance); or when alpha or beta is not a real, finite number somewhere on [0, 1].
    The last check bounds each formula on whole intervals of t (``fm_helpers.intervals``), so a pole
    or a zero between two sample points cannot pass. It answers within ``CHECK_SECONDS``, or refuses.
    """
    alpha_expr = parse_formula(alpha, "alpha")
    beta_expr = parse_formula(beta, "beta")
    for label, expr in (("alpha", alpha_expr), ("beta", beta_expr)):
        extra = expr.free_symbols - {T}
        if extra:
            raise ValueError(f"{label} may depend only on t, found {sorted(map(str, extra))}")
    _check_boundaries(alpha_expr, beta_expr)
    budget = _Budget()
    for label, expr in (("alpha", alpha_expr), ("beta", beta_expr)):
        _require_finite(expr, label, f"{label} = {sympy.sstr(expr)}", 0.0, 1.0, budget)
    return ExpressionSchedule(alpha_expr, beta_expr, name=name)


def _check_boundaries(alpha_expr: sympy.Expr, beta_expr: sympy.Expr) -> None:
    """alpha_0 = 0, alpha_1 = 1, beta_0 = 1, beta_1 = 0 exactly, as sympy's substitution gives them."""
    wanted = (("alpha", alpha_expr, 0, 0), ("alpha", alpha_expr, 1, 1),
              ("beta", beta_expr, 0, 1), ("beta", beta_expr, 1, 0))
    for label, expr, t_value, target in wanted:
        value = _substituted(expr, t_value)
        if value is not None and value == target:
            continue
        formula = sympy.sstr(expr)
        if value is None:  # some part is not finite or not real there: the interval check says where first
            _require_finite(expr, label, f"{label} = {formula}", 0.0, 1.0, _Budget())
            raise ValueError(f"{label} is not a real, finite number at t = {t_value} ({label} = {formula})")
        if value.has(*_UNDEFINED):
            raise ValueError(f"{label} is infinite at t = {t_value} ({label} = {formula})")
        low, high = intervals.constant(value)
        if math.isnan(low):
            raise ValueError(f"{label}({t_value}) must equal {target}, but {label} = {formula} is not a real number "
                             f"at t = {t_value}")
        if not math.isfinite(low) or not math.isfinite(high):
            raise ValueError(f"{label}({t_value}) must equal {target}, but {label} = {formula} gives a number too "
                             "large to compute")
        if low <= target <= high:
            raise ValueError(f"{label}({t_value}) must be exactly {target}: {label} = {formula} gives "
                             f"{sympy.sstr(value)}, which is within 1e-15 of {target} but could not be shown equal; "
                             "write the formula so that the end value is plainly exact")
        shown = f"{(low + high) / 2:.6g}"
        if float(shown) == target:  # so close that six digits hide it: show the exact difference (1e-10)
            gap_low, gap_high = intervals.constant(value - target)
            shown += f", off by {(gap_low + gap_high) / 2:.3g}"
        raise ValueError(f"{label}({t_value}) must equal {target}, but {label} = {formula} gives {shown}")


# -- checks on whole intervals of t ------------------------------------------------------------------

class _Budget:
    """How much the checks of one formula pair may do: ``CHECK_WORK`` interval operations (the same decision on
    every machine), and, as a safety net, ``CHECK_SECONDS`` of CPU time."""

    def __init__(self):
        self.work = CHECK_WORK
        self.deadline = time.process_time() + CHECK_SECONDS

    def spend(self, work: int) -> None:
        self.work -= work

    def spent(self) -> bool:
        return self.work <= 0 or time.process_time() > self.deadline


class _Undecided(Exception):
    """The time allowed ran out before an interval check could decide."""

    def __init__(self, where: float):
        super().__init__(where)
        self.where = where


def _leftmost_failure(expr: sympy.Expr, accept: Callable, start: float, end: float, budget: "_Budget",
                      pieces: int = 64):
    """Where on [start, end] ``accept(enclosure)`` fails first, as (low, high) of an interval of width at most
    ``_LOCATE_WIDTH``, or None if it holds everywhere. Intervals are cut left to right, so every
    interval left of the one reported has passed. Raises ``_Undecided`` when the deadline passes first,
    and ``intervals.Unsupported`` for an operation the interval arithmetic cannot bound."""
    edges = np.linspace(start, end, pieces + 1)
    lows, highs = edges[:-1], edges[1:]
    size = sum(1 for _ in sympy.preorder_traversal(expr))  # at least the work of one round per block
    while lows.size:
        if budget.spent() or size > budget.work:
            raise _Undecided(float(lows[0]))
        batch = min(lows.size, 1024)
        b_lo, b_hi = lows[:batch], highs[:batch]
        enclosure = intervals.enclose(expr, b_lo, b_hi)
        budget.spend(enclosure.work)
        ok = np.asarray(accept(enclosure), dtype=bool)
        bad = np.flatnonzero(~ok)
        if bad.size and b_hi[bad[0]] - b_lo[bad[0]] <= _LOCATE_WIDTH:
            return float(b_lo[bad[0]]), float(b_hi[bad[0]])
        split = bad[b_hi[bad] - b_lo[bad] > _LOCATE_WIDTH]
        kept = bad[b_hi[bad] - b_lo[bad] <= _LOCATE_WIDTH]  # tiny and failing, but not the leftmost yet
        fractions = np.linspace(0.0, 1.0, _SPLIT + 1)
        cuts = b_lo[split, None] + (b_hi[split] - b_lo[split])[:, None] * fractions  # (n, _SPLIT + 1)
        cuts[:, -1] = b_hi[split]
        lows = np.concatenate([cuts[:, :-1].ravel(), b_lo[kept], lows[batch:]])
        highs = np.concatenate([cuts[:, 1:].ravel(), b_hi[kept], highs[batch:]])
        order = np.argsort(lows, kind="stable")
        lows, highs = lows[order], highs[order]
    return None


def _place(low: float, high: float) -> str:
    """'t = 0', 't = 1' or 't ≈ 0.1235' for the interval where a problem was found."""
    if low <= 0.0:
        return "t = 0"
    if high >= 1.0:
        return "t = 1"
    return f"t \u2248 {0.5 * (low + high):.4g}"


def _bounded(expr: sympy.Expr, accept: Callable, start: float, end: float, budget: "_Budget", what: str):
    """``_leftmost_failure`` with the two ways it cannot decide turned into ValueErrors naming ``what``."""
    try:
        return _leftmost_failure(expr, accept, start, end, budget)
    except _Undecided as stuck:
        raise ValueError(f"{what} could not be checked on all of [{start:g}, {end:g}] in the time allowed "
                         f"(stuck near t \u2248 {stuck.where:.4g}); try a simpler formula") from None
    except intervals.Unsupported:
        raise ValueError(f"{what} uses an operation the checks cannot bound; try a simpler formula") from None


def _finite(enclosure) -> np.ndarray:
    return enclosure.finite


def _require_finite(expr: sympy.Expr, label: str, formula: str, start: float, end: float, budget: "_Budget",
                    meaning: str = "") -> None:
    """ValueError naming the first place on [start, end] where ``expr`` is not a real, finite number."""
    failure = _bounded(expr, _finite, start, end, budget, label)
    if failure is None:
        return
    low, high = failure
    where = intervals.enclose(expr, [low], [high])
    if where.not_real[0]:
        problem = "is not a real number at"
    else:
        # Near a pole the values stay moderate a little way off (1e8 at a quarter of the interval's width for
        # 1/(t - c)); near an overflow (exp(exp(exp(100 t))) beyond t = 0.0188) they are beyond 1e250 or infinite.
        width = high - low
        probes = [low + width / 4, high - width / 4] if width > 0 else [min(max(low, 2.0**-30), 1.0 - 2.0**-30)]
        values = intervals.enclose(expr, probes, probes)
        moderate = values.finite.all() and max(np.abs(values.low).max(), np.abs(values.high).max()) < 1e250
        problem = "is infinite at" if moderate else "is too large to compute near"
    raise ValueError(f"{label} {problem} {_place(low, high)} ({formula}){meaning}")


def _derivative(expr: sympy.Expr, order: int = 1) -> sympy.Expr:
    result = sympy.diff(expr, T, order)
    if sympy.count_ops(result) > _MAX_OPS:
        raise ValueError("the formula's derivatives are too long to check; try a simpler formula")
    return result


def check_schedule(schedule: Schedule) -> Schedule:
    """Refuse a schedule whose cars could not drive; return it unchanged otherwise.

    ``from_expressions`` checks the boundary conditions (eq-schedule-conditions) and that alpha and beta are
    real and finite. The fields need more on [0, 1), checked here from the schedule's sympy expressions
    (``Schedule.expressions``) on whole intervals of t, not on sample points:

    * beta_t > 0 before t = 1 (else every car meets at alpha_t z, the conditional flow forgets its start
      and the x-form field divides by 0). Near t = 1, where beta_t falls to its exact 0, by the sign of
      the first derivative of beta that is not exactly 0 at t = 1;
    * d_alpha finite on [0, 1], and d_beta finite before t = 1 (else the cars would need an infinite speed,
      e.g. alpha = sqrt(t) at t = 0). At t = 1 an infinite d_beta is allowed (LinearVP) when
      beta * d_beta is finite, which the marginal field uses there.

    Raises ValueError naming the problem and where it happens, or saying that the checks could not decide
    within ``CHECK_SECONDS``.
    """
    if not isinstance(schedule, Schedule):
        raise ValueError(f"check_schedule needs a Schedule, got {type(schedule).__name__}")
    budget = _Budget()
    alpha, beta = schedule.expressions()
    d_alpha, d_beta = _derivative(alpha), _derivative(beta)
    beta_text = f"beta = {sympy.sstr(beta)}"
    speed = ": the cars would need an infinite speed there"
    _require_finite(d_alpha, "d_alpha (the time derivative of alpha)", f"alpha = {sympy.sstr(alpha)}", 0.0, 1.0,
                    budget, speed)
    _require_positive(beta, beta_text, 0.0, 1.0 - _END_MARGINS[0], budget)
    delta = _end_margin(beta, budget)
    if delta < _END_MARGINS[0]:
        _require_positive(beta, beta_text, 1.0 - _END_MARGINS[0], 1.0 - delta, budget)
    _require_finite(d_beta, "d_beta (the time derivative of beta)", beta_text, 0.0, 1.0 - delta, budget, speed)
    _require_finite(beta * d_beta, "beta * d_beta (half the time derivative of beta^2)", beta_text,
                    1.0 - delta, 1.0, budget, ": the marginal field would be infinite there")
    return schedule


def _require_positive(beta: sympy.Expr, beta_text: str, start: float, end: float, budget: "_Budget") -> None:
    failure = _bounded(beta, lambda e: e.finite & (e.low > 0), start, end, budget, "beta")
    if failure is not None:
        low, high = failure
        value = intervals.enclose(beta, [low], [high])
        sign = "negative" if value.high[0] < 0 else "0"
        raise ValueError(f"beta must stay above 0 until t = 1, but {beta_text} is {sign} at {_place(low, high)}, "
                         "before t = 1: there every car stands on alpha_t z, whatever its start")


#: Widths delta of the last stretch [1 - delta, 1] where beta > 0 is shown by a sign of a derivative.
_END_MARGINS = (2.0**-6, 2.0**-10, 2.0**-14, 2.0**-19, 2.0**-24)


def _end_margin(beta: sympy.Expr, budget: "_Budget") -> float:
    """A width delta such that beta_t > 0 on [1 - delta, 1), shown without sampling.

    beta_1 = 0 exactly. If the k-th derivative of beta is exactly 0 at t = 1 for 0 < j < k and has one strict
    sign s on [1 - delta, 1], then beta_t = beta^(k)(xi) (t - 1)^k / k! for some xi in (t, 1) (Taylor), which
    is > 0 for t < 1 exactly when s (-1)^k > 0. Tries k = 1, 2, 3 and shrinking delta; refuses if none works.
    """
    derivatives = []
    for delta in _END_MARGINS:
        for k in (1, 2, 3):
            if len(derivatives) < k:
                derivatives.append(_derivative(beta if not derivatives else derivatives[-1]))
            if k > 1 and _substituted(derivatives[k - 2], 1) != 0:
                break  # beta^(k-1)(1) is not exactly 0: a higher derivative says nothing
            if budget.spent():
                return _cannot_show_end(beta)
            try:  # one enclosure on 8 pieces of [1 - delta, 1]: no search, a smaller delta is the next try
                enclosure = intervals.enclose(derivatives[k - 1], 1.0 - delta * np.linspace(1, 0, 9)[:-1],
                                              1.0 - delta * np.linspace(1, 0, 9)[1:])
            except intervals.Unsupported:
                break
            budget.spend(enclosure.work)
            signed = enclosure.high < 0 if k % 2 else enclosure.low > 0
            if np.all(signed & ~enclosure.not_real):
                return delta
    return _cannot_show_end(beta)


def _cannot_show_end(beta: sympy.Expr):
    raise ValueError(f"beta = {sympy.sstr(beta)} could not be shown to stay above 0 just before t = 1 (it must "
                     "fall to 0 only at t = 1); try a simpler formula")


def schedule_from_text(alpha: str, beta: str, name: str = "") -> ExpressionSchedule:
    """Two formulas in t to a checked schedule: ``from_expressions`` then ``check_schedule``.

    Raises ValueError with the reason, in the reader's words: a formula that is not allowed (unknown name,
    syntax), a boundary condition that fails, a value that is not real and finite, beta_t <= 0 before
    t = 1, or an infinite derivative. Nothing in the formulas is evaluated as Python; the whole check
    answers or refuses within about twice ``CHECK_SECONDS``.
    """
    return check_schedule(from_expressions(alpha, beta, name=name))


def speed_bound(schedule: Schedule, end: float = 1.0, pieces: int = 256) -> float:
    """An upper bound on |d_alpha| and |d_beta| over [0, end] (interval arithmetic on ``pieces`` intervals).

    Infinite when a derivative is unbounded there (LinearVP's d_beta up to t = 1). Used to decide, from the
    schedule alone, whether a solver with a given step can follow it.
    """
    if not 0.0 < end <= 1.0:
        raise ValueError(f"end must lie in (0, 1], got {end!r}")
    edges = np.linspace(0.0, end, pieces + 1)
    bound = 0.0
    for expr in schedule.expressions():
        try:
            enclosure = intervals.enclose(_derivative(expr), edges[:-1], edges[1:])
        except intervals.Unsupported:
            return float("inf")
        if not enclosure.finite.all():
            return float("inf")
        bound = max(bound, float(np.max(np.maximum(np.abs(enclosure.low), np.abs(enclosure.high)))))
    return bound
