"""Interval arithmetic for the reader's formulas: bounds on a whole range of t, not on sample points.

``enclose(expr, lo, hi)`` evaluates a sympy expression in ``schedules.T`` on many intervals of t at once
(numpy arrays ``lo``, ``hi``) and returns, for each interval, a range ``[low, high]`` that contains every
value the expression takes there, plus a mask of intervals where it is not a real number somewhere. A
pole, a zero or a square root of a negative number cannot hide between two sample points, because no
points are sampled: every operation maps a whole range to a range that contains its image.

Rounding: + - * / and square roots round the bounds outward by one unit in the last place, and only
when the operation was inexact (the rounding error is computed exactly, by Knuth's TwoSum and Dekker's
TwoProduct), so that 1 - t*t is exactly 0 at t = 1 and sqrt(1 - t^2) stays real there. The elementary
functions (exp, sin, ...) are widened by a relative 2**-48 (about 16 units in the last place), more than
the error of numpy's implementations, so the ranges stay enclosures in floating point. A result too large for a float becomes an unbounded range (infinite), never a hang:
no step ever works at more than double precision.

Only the operations that ``schedules.parse_formula`` can produce, and their derivatives, are supported;
anything else raises ``Unsupported``.
"""

from __future__ import annotations

import numpy as np
import sympy

__all__ = ["Unsupported", "Enclosure", "enclose", "constant", "all_finite_at"]

_WIDEN = 2.0**-48
_TINY = 1e-300  # absolute widening: covers underflow
_TWO_PI = 2 * np.pi


class _Inexact(float):
    """A float that only approximates a sympy number (1/10, pi): its enclosure is the floats either side."""


class Unsupported(Exception):
    """The expression contains an operation this module cannot bound."""


class Enclosure:
    """Per interval: ``low <= value <= high`` (either may be infinite); ``not_real`` where undefined."""

    __slots__ = ("low", "high", "not_real", "work")

    def __init__(self, low, high, not_real):
        low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
        undefined = np.isnan(low) | np.isnan(high)  # inf - inf or 0 * inf: the value is unbounded, not complex
        self.low = np.where(undefined, -np.inf, low)
        self.high = np.where(undefined, np.inf, high)
        self.not_real = np.asarray(not_real, dtype=bool)
        self.work = 0

    @property
    def finite(self) -> np.ndarray:
        return np.isfinite(self.low) & np.isfinite(self.high) & ~self.not_real


def _widened(low, high, not_real) -> Enclosure:
    with np.errstate(all="ignore"):
        low = low - np.abs(low) * _WIDEN - _TINY
        high = high + np.abs(high) * _WIDEN + _TINY
    return Enclosure(low, high, not_real)


def _exact(value, shape) -> Enclosure:
    """A sympy number: exact when it is a float (small integers, 1/2), else the floats either side."""
    if not isinstance(value, _Inexact):
        return Enclosure(np.full(shape, value), np.full(shape, value), np.zeros(shape, bool))
    approx = float(value)
    return Enclosure(np.full(shape, np.nextafter(approx, -np.inf)), np.full(shape, np.nextafter(approx, np.inf)),
                     np.zeros(shape, bool))


# -- outward rounding of + and *, only where inexact -------------------------------------------------

def _rounded(value, error, direction: int):
    """value + error is exact; the float next to value in ``direction`` (-1 down, +1 up) if error points there."""
    if direction < 0:
        return np.where(error < 0, np.nextafter(value, -np.inf), value)
    return np.where(error > 0, np.nextafter(value, np.inf), value)


def _add(a, b, direction: int):
    """a + b rounded down (direction -1) or up (+1); TwoSum gives the exact rounding error."""
    s = a + b
    bb = s - a
    error = (a - (s - bb)) + (b - bb)
    error = np.where(np.isfinite(s), error, 0.0)
    return _rounded(s, error, direction)


_SPLITTER = 2.0**27 + 1


def _split(a):
    c = _SPLITTER * a
    high = c - (c - a)
    return high, a - high


def _two_product(a, b):
    """p = fl(a * b) and, where ``known``, the exact error e with p + e = a * b (Dekker's TwoProduct)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    error = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
    known = np.isfinite(error) & (np.abs(p) > 1e-280) & (np.abs(p) < 1e290) | (p == 0) & ((a == 0) | (b == 0))
    return p, np.where(known & (p != 0), error, 0.0), known


def _mul_bound(a, b, direction: int):
    """a * b rounded down or up; exact where TwoProduct shows the product was exact."""
    p, error, known = _two_product(a, b)
    return _rounded(p, np.where(known, error, float(direction)), direction)


def enclose(expr: sympy.Expr, low, high, t: sympy.Symbol | None = None) -> Enclosure:
    """Ranges of ``expr`` over the intervals [low[i], high[i]] of t (see the module doc)."""
    from .schedules import T

    low, high = np.atleast_1d(np.asarray(low, dtype=float)), np.atleast_1d(np.asarray(high, dtype=float))
    evaluator = _Evaluator(t if t is not None else T, low, high)
    with np.errstate(all="ignore"):
        result = evaluator.eval(expr)
    # the work done, in operations on blocks of up to 256 intervals: a measure of time that does not
    # depend on how busy the machine is, so that the checks decide the same way everywhere
    result.work = len(evaluator.cache) * -(-low.size // 256)
    return result


def all_finite_at(expr: sympy.Expr, t_value: float) -> bool:
    """Whether every part of ``expr`` is a real number smaller than a float's largest at t = t_value.

    Only then is it safe to let sympy substitute t_value: sympy's automatic evaluation asks questions
    (is this factor finite? negative?) that it answers with ``evalf``, which needs unbounded time for a
    number such as exp(exp(exp(100))).
    """
    from .schedules import T

    evaluator = _Evaluator(T, np.array([float(t_value)]), np.array([float(t_value)]))
    with np.errstate(all="ignore"):
        evaluator.eval(expr)
    return all(bool(part.finite[0]) for part in evaluator.cache.values())


def constant(expr: sympy.Expr) -> tuple[float, float]:
    """An enclosure (low, high) of a number built by the parser, computed in double precision (never a hang)."""
    from .schedules import T

    result = enclose(expr, 0.0, 0.0, T)
    if result.not_real[0]:
        return float("nan"), float("nan")
    return float(result.low[0]), float(result.high[0])


class _Evaluator:
    def __init__(self, t, low, high):
        self.t, self.shape = t, low.shape
        self.t_range = Enclosure(low, high, np.zeros(low.shape, bool))
        self.cache: dict = {}

    def eval(self, expr) -> Enclosure:
        if expr in self.cache:
            return self.cache[expr]
        result = self._eval(expr)
        self.cache[expr] = result
        return result

    def _eval(self, expr) -> Enclosure:
        if expr == self.t:
            return self.t_range
        if expr.is_Rational:
            value = _to_float(expr)
            exact = abs(expr.p) <= 2**50 and expr.q in (1, 2, 4, 8)
            return _exact(value if exact or not np.isfinite(value) else _Inexact(value), self.shape)
        if expr is sympy.pi or expr is sympy.E:
            return _exact(_Inexact(float(expr)), self.shape)
        if expr is sympy.I:
            return Enclosure(np.full(self.shape, np.nan), np.full(self.shape, np.nan), np.ones(self.shape, bool))
        if expr.is_Add:
            result = self.eval(expr.args[0])
            for term in expr.args[1:]:
                other = self.eval(term)
                result = Enclosure(_add(result.low, other.low, -1), _add(result.high, other.high, 1),
                                   result.not_real | other.not_real)
            return result
        if expr.is_Mul:
            result = self.eval(expr.args[0])
            for factor in expr.args[1:]:
                result = _mul(result, self.eval(factor))
            return result
        if expr.is_Pow:
            return self._pow(expr.base, expr.exp)
        name = type(expr).__name__
        if name in _MONOTONE and len(expr.args) == 1:
            return _MONOTONE[name](self.eval(expr.args[0]))
        raise Unsupported(name)

    def _pow(self, base, exponent) -> Enclosure:
        b = self.eval(base)
        if exponent.is_Integer:
            return _int_pow(b, int(exponent))
        if exponent == sympy.S.Half:
            return _sqrt(b)
        return _real_pow(b, self.eval(exponent))


def _to_float(number: sympy.Rational) -> float:
    try:
        return int(number.p) / int(number.q)
    except OverflowError:  # more than 1e308: unbounded for our purposes
        return float("inf") if number > 0 else float("-inf")


def _any(parts) -> np.ndarray:
    out = parts[0].not_real.copy()
    for p in parts[1:]:
        out |= p.not_real
    return out


def _mul(a: Enclosure, b: Enclosure) -> Enclosure:
    left = np.stack([a.low, a.low, a.high, a.high])
    right = np.stack([b.low, b.high, b.low, b.high])
    p, error, known = _two_product(left, right)
    downs = np.where(known & (error >= 0), p, np.nextafter(p, -np.inf))
    ups = np.where(known & (error <= 0), p, np.nextafter(p, np.inf))
    unbounded = np.isnan(p).any(axis=0)  # 0 * inf: a zero times a pole can be anything
    low = np.where(unbounded, -np.inf, np.min(np.where(np.isnan(downs), np.inf, downs), axis=0))
    high = np.where(unbounded, np.inf, np.max(np.where(np.isnan(ups), -np.inf, ups), axis=0))
    return Enclosure(low, high, a.not_real | b.not_real)


def _reciprocal_bound(x, direction: int):
    """1 / x rounded down or up: the residual 1 - r x, computed exactly, says on which side r lies."""
    r = 1.0 / x
    residual = -_mul_residual(r, x)  # 1 - r*x, or NaN where it cannot be computed exactly
    side = np.where(np.isnan(residual), float(direction), np.where(x > 0, residual, -residual))
    return _rounded(r, side, direction)


def _mul_residual(a, b):
    """a * b - 1, exactly where TwoProduct applies (else NaN, treated as inexact)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    error = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
    ok = np.isfinite(error) & (np.abs(p) > 1e-280) & (np.abs(p) < 1e290)
    return np.where(ok, (p - 1.0) + error, np.nan)


def _reciprocal(a: Enclosure) -> Enclosure:
    spans_zero = (a.low <= 0) & (a.high >= 0)
    low = _reciprocal_bound(a.high, -1)
    high = _reciprocal_bound(a.low, 1)
    low = np.where(np.isnan(low), np.nextafter(1.0 / a.high, -np.inf), low)
    high = np.where(np.isnan(high), np.nextafter(1.0 / a.low, np.inf), high)
    low = np.where(spans_zero, -np.inf, low)
    high = np.where(spans_zero, np.inf, high)
    # a range touching 0 from one side is a pole of one sign
    low = np.where((a.low == 0) & (a.high > 0), np.nextafter(1.0 / a.high, -np.inf), low)
    high = np.where((a.high == 0) & (a.low < 0), np.nextafter(1.0 / a.low, np.inf), high)
    return Enclosure(low, high, a.not_real)


def _int_pow(a: Enclosure, n: int) -> Enclosure:
    if n == 0:
        return _exact(1.0, a.low.shape)
    if n < 0:
        return _reciprocal(_int_pow(a, -n))
    if n % 2 == 0:  # an even power of |x|: no spurious negative part when x spans 0
        magnitude = _abs(a)
        a = Enclosure(magnitude.low, magnitude.high, a.not_real)
    result, power, k = None, a, n
    while k:  # binary powering with outward rounding at every product
        if k & 1:
            result = power if result is None else _mul(result, power)
        k >>= 1
        if k:
            power = _mul_same(power)
    return result


def _mul_same(a: Enclosure) -> Enclosure:
    """x * x for one x in the range (not two independent ones): never negative."""
    square = _mul(a, a)
    spans_zero = (a.low <= 0) & (a.high >= 0)
    return Enclosure(np.where(spans_zero, 0.0, np.maximum(square.low, 0.0)), square.high, a.not_real)


def _sqrt_bound(x, direction: int):
    r = np.sqrt(x)
    # r*r rounded against the direction equal to x proves r on the right side of sqrt(x); else step outward
    exact = _mul_bound(r, r, -direction) == x
    return np.where(exact | (x == 0), r, np.nextafter(r, direction * np.inf))


def _sqrt(a: Enclosure) -> Enclosure:
    low = _sqrt_bound(np.maximum(a.low, 0.0), -1)
    high = _sqrt_bound(np.maximum(a.high, 0.0), 1)
    return Enclosure(low, high, a.not_real | (a.low < 0))


def _real_pow(base: Enclosure, exponent: Enclosure) -> Enclosure:
    """base ** exponent for a non-integer exponent: real only for base >= 0 (sympy's principal value)."""
    not_real = base.not_real | exponent.not_real | (base.low < 0)
    bl, bh = np.maximum(base.low, 0.0), np.maximum(base.high, 0.0)
    corners = np.stack([bl**exponent.low, bl**exponent.high, bh**exponent.low, bh**exponent.high])
    low, high = np.nanmin(corners, axis=0), np.nanmax(corners, axis=0)
    # 0 ** e is 1 at e = 0 and 0 or inf around it: if the exponent's range spans 0, be generous
    spans = (exponent.low <= 0) & (exponent.high >= 0)
    low = np.where(spans, np.minimum(low, 0.0), low)
    high = np.where(spans & (bl == 0), np.inf, high)
    return _widened(low, high, not_real)


def _increasing(fn, domain=(-np.inf, np.inf)):
    def apply(a: Enclosure) -> Enclosure:
        outside = (a.low < domain[0]) | (a.high > domain[1])
        low = fn(np.clip(a.low, *domain))
        high = fn(np.clip(a.high, *domain))
        return _widened(low, high, a.not_real | outside)
    return apply


def _decreasing(fn, domain):
    def apply(a: Enclosure) -> Enclosure:
        outside = (a.low < domain[0]) | (a.high > domain[1])
        return _widened(fn(np.clip(a.high, *domain)), fn(np.clip(a.low, *domain)), a.not_real | outside)
    return apply


def _log(a: Enclosure) -> Enclosure:
    return _widened(np.log(np.maximum(a.low, 0.0)), np.log(np.maximum(a.high, 0.0)), a.not_real | (a.low < 0))


def _contains(a: Enclosure, offset: float, period: float) -> np.ndarray:
    """Whether [low, high] may contain offset + k * period for an integer k (generous near the edges)."""
    slack = 1e-12 * (1.0 + np.abs(a.low))
    k = np.ceil((a.low - slack - offset) / period)
    return offset + k * period <= a.high + slack


def _sin(a: Enclosure) -> Enclosure:
    wide = ~np.isfinite(a.low) | ~np.isfinite(a.high) | (a.high - a.low >= _TWO_PI)
    lo, hi = np.where(wide, 0.0, a.low), np.where(wide, 0.0, a.high)
    s_lo, s_hi = np.sin(lo), np.sin(hi)
    low, high = np.minimum(s_lo, s_hi), np.maximum(s_lo, s_hi)
    inner = Enclosure(lo, hi, a.not_real)
    high = np.where(_contains(inner, np.pi / 2, _TWO_PI), 1.0, high)
    low = np.where(_contains(inner, -np.pi / 2, _TWO_PI), -1.0, low)
    return _widened(np.where(wide, -1.0, np.maximum(low, -1.0)), np.where(wide, 1.0, np.minimum(high, 1.0)),
                    a.not_real)


def _cos(a: Enclosure) -> Enclosure:
    return _sin(_widened(a.low + np.pi / 2, a.high + np.pi / 2, a.not_real))


def _tan(a: Enclosure) -> Enclosure:
    pole = ~np.isfinite(a.low) | ~np.isfinite(a.high) | (a.high - a.low >= np.pi) | _contains(a, np.pi / 2, np.pi)
    return _widened(np.where(pole, -np.inf, np.tan(a.low)), np.where(pole, np.inf, np.tan(a.high)), a.not_real)


def _abs(a: Enclosure) -> Enclosure:
    spans_zero = (a.low <= 0) & (a.high >= 0)
    low = np.where(spans_zero, 0.0, np.minimum(np.abs(a.low), np.abs(a.high)))
    return Enclosure(low, np.maximum(np.abs(a.low), np.abs(a.high)), a.not_real)  # exact: no rounding


def _cosh(a: Enclosure) -> Enclosure:
    spans_zero = (a.low <= 0) & (a.high >= 0)
    c_lo, c_hi = np.cosh(a.low), np.cosh(a.high)
    return _widened(np.where(spans_zero, 1.0, np.minimum(c_lo, c_hi)), np.maximum(c_lo, c_hi), a.not_real)


def _sign(a: Enclosure) -> Enclosure:
    return Enclosure(np.sign(a.low), np.sign(a.high), a.not_real)


_MONOTONE = {
    "exp": _increasing(np.exp),
    "log": _log,
    "sin": _sin,
    "cos": _cos,
    "tan": _tan,
    "sinh": _increasing(np.sinh),
    "cosh": _cosh,
    "tanh": _increasing(np.tanh),
    "asin": _increasing(np.arcsin, (-1.0, 1.0)),
    "acos": _decreasing(np.arccos, (-1.0, 1.0)),
    "atan": _increasing(np.arctan),
    "Abs": _abs,
    "sign": _sign,
}
