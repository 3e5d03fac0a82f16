"""The notation page and the chapters keep one meaning per symbol.

Two guards: every ``fm_helpers`` name that notation.md cites exists, and no chapter writes a symbol the book
retired when it gave each letter one meaning (the retired form, and where it still means something, are listed
below with the meaning that replaced it).
"""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MODULES = ("checks", "continuity", "data", "interactive", "learning", "marginal", "ode", "paths", "sampling",
           "schedules", "symbolic")
MATH = re.compile(r"\$\$.+?\$\$|\$.+?\$", re.S)

#: pattern in markdown maths -> (chapters where it keeps its one meaning, what it became elsewhere)
RETIRED = {
    r"(?<![a-zA-Z\\])s_k": ((), "a component's spread is sigma_k; s_t is the score"),
    r"\\lambda": ((6,), "lambda is chapter 6's test-equation slope only (ridge r, Omega_t)"),
    r"\\bar u_t": ((), "the naive field is u^naive_t; bar u is the reversed field of exercise 2.3"),
    r"\\sigma_t\^2\(x\)": ((), "the posterior variance of the conditional field is V_t(x)"),
    r"(?<![a-zA-Z\\])W\^\\top": ((), "the fitted weights are theta; W_t is Brownian motion"),
    r"\\bar a": ((), "DDPM's schedule is Pi_i"),
    r"(?<![a-zA-Z\\])q_t": ((), "the Fokker-Planck density is hat p_t; q_k is a posterior variance"),
    r"(?<![a-zA-Z\\])Y_\\tau": ((), "CondOT's trajectory is X^OT_tau"),
    r"(?<![a-zA-Z\\{])m_t": ((), "the mean of p_t(.|z) is written alpha_t z; m_k(x) is a posterior mean"),
    r"h = 1/n": ((), "the number of solver steps is N; n is Polynomial's exponent"),
}


def _markdown_maths(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return MATH.findall(text)


def test_the_chapters_are_found():
    assert len(CHAPTERS) == 9


@pytest.mark.parametrize("pattern", sorted(RETIRED))
def test_no_chapter_writes_a_retired_symbol(pattern):
    allowed, replacement = RETIRED[pattern]
    offenders = [(chapter.name, segment) for chapter in CHAPTERS if int(chapter.name[:2]) not in allowed
                 for segment in _markdown_maths(chapter) if re.search(pattern, segment)]
    assert not offenders, f"{replacement}; found in {offenders[:3]}"


def test_every_fm_helpers_name_in_the_notation_page_exists():
    text = (ROOT / "notation.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(?:fm_helpers\.)?((?:%s)\.[A-Za-z_][A-Za-z_0-9.]*)" % "|".join(MODULES), text))
    assert len(cited) > 40, "the pattern no longer finds the page's references"
    missing = []
    for name in sorted(cited):
        module, *attributes = name.split(".")
        target = importlib.import_module(f"fm_helpers.{module}")
        for attribute in attributes:
            target = getattr(target, attribute, None)
        if target is None:
            missing.append(name)
    assert not missing, f"notation.md cites names fm_helpers does not have: {missing}"
