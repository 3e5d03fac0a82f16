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


def conditional_field_expression(schedule: Schedule) -> sympy.Expr:
    """u_t(x|z) of a schedule as a simplified sympy expression in t, x, z (eq-cond-field)."""
    a, b = schedule.expressions()
    da, db = sympy.diff(a, t), sympy.diff(b, t)
    return sympy.simplify((da - db / b * a) * z + db / b * x)


def conditional_field_from_noise_expression(schedule: Schedule) -> sympy.Expr:
    """u_t(x|z) at x = alpha_t z + beta_t eps, as d_alpha z + d_beta eps (eq-cond-field-noise)."""
    a, b = schedule.expressions()
    return sympy.simplify(sympy.diff(a, t) * z + sympy.diff(b, t) * eps)
