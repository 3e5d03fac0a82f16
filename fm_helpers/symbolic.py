"""The book's derivations as sympy expressions, each step checked against the one before.

Because the path is isotropic and the field acts coordinate by coordinate, one scalar
coordinate of x, z and eps is enough: every identity below holds for each coordinate.

A ``Derivation`` is a list of ``Step``s. Each step is an equation ``lhs = rhs`` and,
optionally, a substitution that turns the previous step's variables into this step's
(for example X_0 = (X_t - alpha_t z) / beta_t). ``Derivation.verify()`` asks sympy to
prove that every step follows from the one before: lhs - rhs of the previous step,
after the substitution, minus lhs - rhs of this step must simplify to zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .schedules import Schedule, T

__all__ = [
    "Step",
    "Derivation",
    "conditional_field_derivation",
    "condot_derivation",
    "conditional_field_expression",
    "conditional_field_from_noise_expression",
    "field_latex",
    "tidy",
    "nice_latex",
    "StepView",
    "show_step",
    "FieldTable",
    "field_table",
    "derivation_latex",
    "to_latex", "t", "x", "z", "eps", "X0", "Xt", "alpha", "beta", "u",
]

t = T
x, z = sympy.symbols("x z", real=True)
eps = sympy.Symbol("varepsilon", real=True)
X0, Xt = sympy.symbols("X_0 X_t", real=True)
alpha = sympy.Function("alpha", real=True)(t)
beta = sympy.Function("beta", real=True)(t)
u = sympy.Function("u_t")
field_x = sympy.Symbol("u(x|z)")
_LATEX_NAMES = {field_x: r"u_t(x \mid z)", eps: r"\varepsilon"}


def to_latex(expr: sympy.Expr) -> str:
    """LaTeX of an expression of this module, with the book's names for its symbols."""
    return sympy.latex(expr, symbol_names=_LATEX_NAMES)


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = rhs``, reached by ``reason``."""

    reason: str
    lhs: sympy.Expr
    rhs: sympy.Expr
    substitution: dict = field(default_factory=dict)

    def latex(self) -> str:
        return f"{to_latex(self.lhs)} = {to_latex(self.rhs)}"


@dataclass(frozen=True)
class Derivation:
    """A chain of steps; display it in a notebook, check it with ``verify``."""

    title: str
    steps: tuple[Step, ...]

    def verify(self) -> list[bool]:
        """For each step after the first: does it follow from the previous one? (sympy decides)."""
        results = []
        for previous, step in zip(self.steps, self.steps[1:]):
            before = (previous.lhs - previous.rhs).doit().subs(step.substitution)
            after = (step.lhs - step.rhs).doit()
            results.append(sympy.simplify(before - after) == 0)
        return results

    def latex(self) -> str:
        lines = [rf"{to_latex(s.lhs)} &= {to_latex(s.rhs)} && \text{{{s.reason}}}" for s in self.steps]
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex()}$"

    def __repr__(self) -> str:
        rows = [f"{i}. {s.reason}: {sympy.sstr(s.lhs)} = {sympy.sstr(s.rhs)}" for i, s in enumerate(self.steps, 1)]
        return "\n".join([self.title, *rows])


def conditional_field_derivation() -> Derivation:
    """From d/dt psi_t(x|z) = u_t(psi_t(x|z)|z) to the conditional field for any alpha, beta (eq-cond-field)."""
    d_alpha, d_beta = sympy.Derivative(alpha, t), sympy.Derivative(beta, t)
    psi = alpha * z + beta * x
    steps = (
        Step("the flow solves the ODE", sympy.Derivative(psi, t), u(psi)),
        Step("differentiate the flow in t", d_alpha * z + d_beta * x, u(psi)),
        Step("start from X_0", d_alpha * z + d_beta * X0, u(alpha * z + beta * X0), {x: X0}),
        Step("X_0 = (X_t - alpha_t z) / beta_t", d_alpha * z + d_beta * (Xt - alpha * z) / beta, u(Xt),
             {X0: (Xt - alpha * z) / beta}),
        Step("collect the z terms", (d_alpha - d_beta / beta * alpha) * z + d_beta / beta * Xt, u(Xt)),
    )
    return Derivation("The conditional vector field of a Gaussian path", steps)


def condot_derivation() -> Derivation:
    """The CondOT chain (alpha = t, beta = 1 - t): from the general formula to (z - x)/(1 - t) to z - eps."""
    one_minus_t = sympy.Add(1, -t, evaluate=False)
    general = (sympy.Derivative(alpha, t) - sympy.Derivative(beta, t) / beta * alpha) * z \
        + sympy.Derivative(beta, t) / beta * x
    with sympy.evaluate(False):
        plugged = (1 - (-1) / one_minus_t * t) * z + (-1) / one_minus_t * x
        common = (one_minus_t / one_minus_t - (-t) / one_minus_t) * z + (-1) / one_minus_t * x
        split = z / one_minus_t - x / one_minus_t
        x_form = (z - x) / one_minus_t
        at_xt = (z - (t * z + one_minus_t * eps)) / one_minus_t
        factored = (one_minus_t * z - one_minus_t * eps) / one_minus_t
        noise_form = z - eps
    condot = {alpha: t, beta: 1 - t}
    steps = (
        Step("general Gaussian path", field_x, general),
        Step("alpha_t = t, beta_t = 1 - t: d_alpha = 1, d_beta = -1", field_x, plugged, condot),
        Step("common denominator 1 - t", field_x, common),
        Step("simplify each coefficient", field_x, split),
        Step("one fraction", field_x, x_form),
        Step("at x = X_t = t z + (1 - t) epsilon", field_x, at_xt, {x: t * z + (1 - t) * eps}),
        Step("factor 1 - t", field_x, factored),
        Step("cancel 1 - t", field_x, noise_form),
    )
    return Derivation("The CondOT conditional vector field", steps)


#: ``tidy`` cancels common factors only when expanding the expression gives at most this many terms.
MAX_EXPANDED_TERMS = 40


def _expanded_terms(expr: sympy.Expr, cap: int = 10**6) -> int:
    """An upper bound on the number of terms of ``expr`` fully expanded (functions count as one term)."""
    if expr.is_Add:
        return min(cap, sum(_expanded_terms(a, cap) for a in expr.args))
    if expr.is_Mul:
        count = 1
        for factor in expr.args:
            count = min(cap, count * _expanded_terms(factor, cap))
        return count
    if expr.is_Pow and expr.exp.is_Integer:
        return min(cap, _expanded_terms(expr.base, cap) ** min(abs(int(expr.exp)), 64))
    return 1


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """A readable form of ``expr`` in bounded time, for formulas typed by a reader.

    ``sympy.simplify`` can run for minutes on a 45-character formula, and ``sympy.cancel`` expands
    products (20 factors of two terms make a million terms). So: ``cancel`` (one fraction, common factors
    removed, functions treated as symbols) when the expansion has at most ``MAX_EXPANDED_TERMS`` terms and
    every power is a small integer one, else ``together`` and ``factor_terms``, which only regroup.
    """
    if sympy.count_ops(expr) <= 4 * MAX_EXPANDED_TERMS and _expanded_terms(expr) <= MAX_EXPANDED_TERMS \
            and _small_integer_powers(expr):
        return sympy.cancel(expr)
    return sympy.factor_terms(sympy.together(expr))


def _small_integer_powers(expr: sympy.Expr) -> bool:
    """Every power has an integer exponent of at most 8 in size: ``cancel`` would turn t**(1/128) into a
    polynomial of degree 128 in a new variable (and spend seconds on its gcd)."""
    return all(p.exp.is_Integer and abs(p.exp) <= 8 for p in expr.atoms(sympy.Pow))


def _reader_formula(schedule: Schedule) -> bool:
    from .schedules import ExpressionSchedule

    return isinstance(schedule, ExpressionSchedule)


def conditional_field_expression(schedule: Schedule) -> sympy.Expr:
    """u_t(x|z) of a schedule as a sympy expression in t, x, z (eq-cond-field): simplified for the book's
    named schedules, brought into a readable form in bounded time (``tidy``) for formulas a reader typed."""
    a, b = schedule.expressions()
    da, db = sympy.diff(a, t), sympy.diff(b, t)
    field = (da - db / b * a) * z + db / b * x
    return tidy(field) if _reader_formula(schedule) else sympy.simplify(field)


def conditional_field_from_noise_expression(schedule: Schedule) -> sympy.Expr:
    """u_t(x|z) at x = alpha_t z + beta_t eps, as d_alpha z + d_beta eps (eq-cond-field-noise); simplified or
    tidied as in ``conditional_field_expression``."""
    a, b = schedule.expressions()
    field = sympy.diff(a, t) * z + sympy.diff(b, t) * eps
    return tidy(field) if _reader_formula(schedule) else sympy.simplify(field)


#: A field longer than this (sympy operations) is not typeset: too long to read, and slow to print.
MAX_SHOWN_OPS = 250


def field_latex(schedule: Schedule) -> str:
    """The schedule and its conditional field, x-form (eq-cond-field) and noise form (eq-cond-field-noise),
    as display LaTeX (three ``$$ ... $$`` blocks) derived by sympy; bounded time for a reader's formulas
    (a field longer than ``MAX_SHOWN_OPS`` operations is named, not typeset)."""
    alpha_expr, beta_expr = schedule.expressions()
    blocks = [rf"$$\alpha_t = {sympy.latex(alpha_expr)}, \qquad \beta_t = {sympy.latex(beta_expr)}$$"]
    for lhs, field in ((r"u_t(x \mid z)", conditional_field_expression(schedule)),
                       (r"u_t(\alpha_t z + \beta_t \epsilon \mid z)", conditional_field_from_noise_expression(schedule))):
        size = sympy.count_ops(field)
        shown = to_latex(field) if size <= MAX_SHOWN_OPS else rf"\text{{(a formula of {size} operations, too long to show)}}"
        blocks.append(rf"$${lhs} = {shown}$$")
    return "".join(blocks)


# ------------------------------------------------------------------------------------------
# The sympy derivation, displayed in the book's notation
# ------------------------------------------------------------------------------------------

class _U(sympy.Function):
    """u_t(. | z), printed as the book writes it."""

    def _latex(self, printer):
        return rf"u_t\!\left({printer._print(self.args[0])} \,\middle|\, z\right)"


class _Ddt(sympy.Function):
    """d/dt of a compound expression, printed with an upright d."""

    def _latex(self, printer):
        return rf"\frac{{\mathrm{{d}}}}{{\mathrm{{d}}t}}\left({printer._print(self.args[0])}\right)"


_NICE = {
    sympy.Derivative(alpha, t): sympy.Symbol(r"\dot{\alpha}_t"),
    sympy.Derivative(beta, t): sympy.Symbol(r"\dot{\beta}_t"),
}
_NICE_AFTER = {alpha: sympy.Symbol(r"\alpha_t"), beta: sympy.Symbol(r"\beta_t")}


def nice_latex(expr: sympy.Expr) -> str:
    """LaTeX of an expression of ``fm_helpers.symbolic`` with alpha_t, a dot for d/dt and u_t(. | z)."""
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative) and e.expr not in (alpha, beta),
                        lambda e: _Ddt(e.expr))
    expr = expr.xreplace(_NICE).xreplace(_NICE_AFTER)
    expr = expr.replace(u, _U)
    return to_latex(expr)


@dataclass(frozen=True)
class StepView:
    """One step of a derivation with its explanation and sympy's verdict on it."""

    number: int
    explanation: str
    lhs_latex: str
    rhs_latex: str
    text: str
    follows: bool | None

    def _repr_markdown_(self) -> str:
        if self.follows is None:
            verdict = f"step {self.number}, the starting point"
        elif self.follows:
            verdict = f"sympy: step {self.number} follows from step {self.number - 1} ✓"
        else:
            verdict = f"sympy: step {self.number} does NOT follow from step {self.number - 1} ✗"
        return f"$$\n{self.lhs_latex} = {self.rhs_latex}\n$$\n\n*{verdict}* (`{self.explanation}`)\n"

    def __repr__(self) -> str:
        verdict = "start" if self.follows is None else f"follows from step {self.number - 1}: {self.follows}"
        return f"step {self.number} ({verdict}): {self.text}"


_VERDICTS: dict[int, tuple] = {}


def _verdicts(derivation: Derivation) -> list[bool]:
    """``derivation.verify()``, computed once per derivation object (sympy's simplify is slow)."""
    cached = _VERDICTS.get(id(derivation))
    if cached is None or cached[0] is not derivation:
        cached = _VERDICTS[id(derivation)] = (derivation, derivation.verify())
    return cached[1]


def show_step(derivation: Derivation, number: int, explanation: str = "",
              swap_sides: bool = False) -> StepView:
    """Step ``number`` (1-based) of ``derivation``, ready to display, with ``derivation.verify()``'s verdict.

    With ``swap_sides`` the field u_t is written on the left, as the book's equations have it.
    """
    if not 1 <= number <= len(derivation.steps):
        raise ValueError(f"number must lie in 1..{len(derivation.steps)}, got {number}")
    step = derivation.steps[number - 1]
    follows = None if number == 1 else _verdicts(derivation)[number - 2]
    lhs, rhs = (step.rhs, step.lhs) if swap_sides else (step.lhs, step.rhs)
    text = f"{sympy.sstr(lhs)} = {sympy.sstr(rhs)}"
    return StepView(number, explanation or step.reason, nice_latex(lhs), nice_latex(rhs), text, follows)


@dataclass(frozen=True)
class FieldTable:
    """u_t(x|z) of several schedules as a Markdown table (sympy, ``conditional_field_expression``)."""

    rows: tuple  # (name, alpha, beta, field) sympy expressions

    def _repr_markdown_(self) -> str:
        lines = ["| schedule | $\\alpha_t$ | $\\beta_t$ | $u_t(x \\mid z)$ |", "| :-- | :-- | :-- | :-- |"]
        for name, a, b, u in self.rows:
            lines.append(f"| {name} | ${sympy.latex(a)}$ | ${sympy.latex(b)}$ | ${to_latex(u)}$ |")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return "\n".join(f"{name}: u = {sympy.sstr(u)}" for name, _, _, u in self.rows)


def field_table(schedules=None) -> FieldTable:
    """The conditional field of each schedule (default: the four named ones), simplified by sympy."""
    from .schedules import named_schedules

    names = named_schedules()
    if schedules is None:
        schedules = list(names.values())
    elif any(not isinstance(s, Schedule) and s not in names for s in schedules):
        raise ValueError(f"schedules must be Schedules or names among {', '.join(names)}, got {schedules!r}")
    schedules = [s if isinstance(s, Schedule) else names[s] for s in schedules]
    rows = []
    for s in schedules:
        a, b = s.expressions()
        rows.append((s.name, a, b, conditional_field_expression(s)))
    return FieldTable(tuple(rows))


# -- a derivation as one display ----------------------------------------------------------

_A, _B, _DA, _DB = sympy.symbols("alpha_t beta_t alphadot_t betadot_t", real=True)
_DISPLAY_NAMES = {_A: r"\alpha_t", _B: r"\beta_t", _DA: r"\dot\alpha_t", _DB: r"\dot\beta_t",
                  eps: r"\varepsilon", field_x: r"u_t(x \mid z)"}
#: The reasons of ``condot_derivation`` typeset (the reason strings themselves are plain text).
_REASONS = {
    "general Gaussian path": r"\text{the field of any Gaussian path}",
    "alpha_t = t, beta_t = 1 - t: d_alpha = 1, d_beta = -1":
        r"\alpha_t = t,\ \beta_t = 1 - t,\ \dot\alpha_t = 1,\ \dot\beta_t = -1",
    "common denominator 1 - t": r"\text{common denominator } 1 - t",
    "simplify each coefficient": r"\text{simplify each coefficient}",
    "one fraction": r"\text{one fraction}",
    "at x = X_t = t z + (1 - t) epsilon": r"\text{at } x = X_t = t z + (1 - t)\varepsilon",
    "factor 1 - t": r"\text{factor out } 1 - t",
    "cancel 1 - t": r"\text{cancel } 1 - t",
}


def _display_latex(expr) -> str:
    d_alpha, d_beta = sympy.Derivative(alpha, t), sympy.Derivative(beta, t)
    if expr.has(d_alpha, d_beta, alpha, beta):
        expr = expr.subs({d_alpha: _DA, d_beta: _DB}).subs({alpha: _A, beta: _B})
    return sympy.latex(expr, symbol_names=_DISPLAY_NAMES)


def derivation_latex(derivation: Derivation) -> str:
    """The steps of a derivation as one LaTeX display: for each step a numbered line with its reason, then the
    equation, indented. Narrow enough for the book's text column.

    The expressions are sympy's own (only alpha(t), d/dt alpha(t), ... are shown as alpha_t, dot alpha_t).
    """
    rows = []
    for i, step in enumerate(derivation.steps, 1):
        reason = _REASONS.get(step.reason, r"\text{%s}" % step.reason.replace("_", " "))
        rows.append(rf"& \text{{({i})}}\ {reason} \\ & \qquad {_display_latex(step.lhs)} = {_display_latex(step.rhs)}")
    return r"\begin{aligned}" + r" \\[6pt] ".join(rows) + r"\end{aligned}"
