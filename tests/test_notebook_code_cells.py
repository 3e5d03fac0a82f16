"""What the chapters' code cells promise a reader (read from the notebooks' source, nothing executed):

* a visible code cell uses only names the reader has seen defined: in that cell, or in a visible code cell
  before it (a hidden cell, tagged hide-input, may set up its own figure but never a name a visible cell needs);
* no visible code cell holds nothing but imports (each import sits in the first cell that uses it);
* from ``fm_helpers.figures`` a notebook imports only figures, by name: ``LiveFigure`` subclasses and
  ``*_figure`` functions, never a module (``from fm_helpers.figures import condot as fig03``) and never maths,
  which lives in the core modules (issue 8).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from fm_helpers.figures.base import LiveFigure

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell"}
#: Names a cell may use without defining them: Python's builtins and what IPython puts in every namespace.
PROVIDED = set(dir(builtins)) | {"display", "get_ipython"}

_transform = TransformerManager().transform_cell


def code_cells(notebook: Path):
    """(index, source as plain Python, hidden?) of each code cell, magics turned into Python calls."""
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type == "code":
            hidden = bool(set(cell.metadata.get("tags", [])) & HIDDEN_TAGS)
            yield index, _transform(cell.source), hidden


def defined_and_used(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds anywhere in it (assignments, imports, functions, arguments, exceptions) and names it reads."""
    defined, used = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    return defined, used


def names_from_hidden_cells(notebook: Path) -> list[tuple[int, list[str]]]:
    """(cell index, names) for each visible cell that reads a name defined only in hidden cells before it."""
    seen, hidden_only, problems = set(PROVIDED), set(), []
    for index, source, hidden in code_cells(notebook):
        defined, used = defined_and_used(source)
        if hidden:
            hidden_only |= defined - seen
            continue
        missing = sorted((used - defined - seen) & hidden_only)
        if missing:
            problems.append((index, missing))
        seen |= defined
    return problems


def import_only_cells(notebook: Path) -> list[int]:
    """Indices of visible code cells whose every statement is an import (a magic such as %matplotlib counts too)."""
    found = []
    for index, source, hidden in code_cells(notebook):
        body = ast.parse(source).body
        if not hidden and body and all(isinstance(s, (ast.Import, ast.ImportFrom)) or _is_magic(s) for s in body):
            found.append(index)
    return found


def _is_magic(statement: ast.stmt) -> bool:
    return "get_ipython" in ast.unparse(statement)


def figure_imports(notebook: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from fm_helpers.figures... import name`` in the notebook's code."""
    found = []
    for _, source, _ in code_cells(notebook):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fm_helpers.figures"):
                found += [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(alias.name, "") for alias in node.names if alias.name.startswith("fm_helpers.figures")]
    return found


def is_figure(module: str, name: str) -> bool:
    value = getattr(importlib.import_module(module), name, None)
    if inspect.isclass(value):
        return issubclass(value, LiveFigure)
    return inspect.isfunction(value) and name.endswith("_figure")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_visible_cells_use_only_names_the_reader_has_seen(notebook):
    assert names_from_hidden_cells(notebook) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_visible_cell_of_imports_only(notebook):
    assert import_only_cells(notebook) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_only_figures_from_the_figures_package(notebook):
    wrong = [f"{module}:{name or '(module)'}" for module, name in figure_imports(notebook)
             if not (name and is_figure(module, name))]
    assert wrong == []
