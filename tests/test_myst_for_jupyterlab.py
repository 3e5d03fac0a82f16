"""scripts/myst_for_jupyterlab.py: what it leaves for jupyterlab-myst, what it rewrites, and that it is idempotent.

The numbers it writes are checked against the built book by tests/browser/test_reader_links.py.
"""

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("myst_for_jupyterlab", REPO / "scripts" / "myst_for_jupyterlab.py")
script = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = script        # dataclasses look their module up there
spec.loader.exec_module(script)

CHAPTERS = sorted((REPO / "notebooks").glob("0*.ipynb"))
TARGETS = script.collect_targets(CHAPTERS)
BIB = script.bibliography()


def _markdown(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


def _defined_labels(path):
    """Labels a notebook defines, read with patterns of this test's own (not the script's)."""
    text = "\n".join(_markdown(path))
    return (set(re.findall(r"\$\$\s*\(([\w-]+)\)", text)) | set(re.findall(r":label:\s*([\w-]+)", text))
            | set(re.findall(r"^\(([\w-]+)\)=", text, re.M)))


def test_committed_notebooks_are_converted():
    assert script.main(["--check"]) == 0, "run `python scripts/myst_for_jupyterlab.py` and commit the notebooks"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name[:2])
def test_only_roles_jupyterlab_myst_resolves_are_left(path):
    own = _defined_labels(path)
    for source in _markdown(path):
        assert "{cite" not in source and "{numref}" not in source
        for role, content in re.findall(r"\{(eq|prf:ref|ref)\}`([^`]*)`", source):
            label = re.sub(r"^.*<([\w-]+)>$", r"\1", content.strip())
            assert label in own, f"{path.name}: {{{role}}}`{content}` points outside the notebook"


def test_rewrite_and_its_inverse():
    """A sentence with every kind of reference, as chapter 5 would write it."""
    eq = TARGETS["eq-cond-field"]
    assert eq.notebook == "02_conditional_vector_field.ipynb" and eq.chapter == 2
    original = ("the field {eq}`eq-cond-field`, {prf:ref}`thm-03-straight-paths`, {ref}`ex-04-t-zero`, "
                "{numref}`fig-05-sources-sinks`, {eq}`eq-continuity` {cite}`lipman2023flow,liu2023rectified` "
                "and {cite:t}`tong2024cfm`.")
    written = script.rewrite(original, "05_continuity_equation.ipynb", TARGETS, BIB)
    assert "{" not in written.replace("{eq}`eq-continuity`", "")          # only the chapter's own equation is left
    assert f"[eq. ({eq.number}) in chapter 2](02_conditional_vector_field.ipynb#equation-eq-cond-field)" in written
    assert "](03_condot.ipynb#thm-03-straight-paths)" in written
    assert "](04_marginal_vector_field.ipynb#ex-04-t-zero)" in written
    assert "](#fig-05-sources-sinks)" in written
    assert '[[Lipman et al., 2023](../references.md "Flow Matching for Generative Modeling"); [Liu et al., 2023]' \
        in written
    assert '[Tong et al. (2024)](../references.md "' in written
    assert script.unrewrite(written, BIB) == original
    assert script.rewrite(written, "05_continuity_equation.ipynb", TARGETS, BIB) == written


def test_numbers_follow_the_order_of_the_chapter():
    """Equation numbers count the labelled display equations of a chapter in order."""
    path = REPO / "notebooks" / "02_conditional_vector_field.ipynb"
    labels = re.findall(r"^[ \t]*\$\$[ \t]*\(([\w-]+)\)", "\n".join(_markdown(path)), re.M)
    assert [TARGETS[label].number for label in labels] == [f"2.{i}" for i in range(1, len(labels) + 1)]


def test_unknown_label_and_unknown_citation_are_reported():
    with pytest.raises(ValueError, match="no chapter defines"):
        script.rewrite("{eq}`eq-nowhere`", "01_probability_paths.ipynb", TARGETS, BIB)
    with pytest.raises(ValueError, match="not in references.bib"):
        script.rewrite("{cite}`nobody2020`", "01_probability_paths.ipynb", TARGETS, BIB)


# --------------------------------------------------------------------------------------------------
# Folded solutions

def _solutions(cells):
    """Index lists of the cells after each cell that opens a solution, up to and including the one
    that closes it; read with this test's own patterns, not the script's."""
    spans, current = [], None
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
            current = []
            continue
        if current is not None:
            current.append(i)
            if cell.cell_type == "markdown" and "{solution-end}" in cell.source:
                spans.append(current)
                current = None
    return spans


def _folded(cell):
    jupyter = cell.metadata.get("jupyter", {})
    return bool(jupyter.get("source_hidden") or jupyter.get("outputs_hidden") or cell.metadata.get("collapsed"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name[:2])
def test_solution_cells_are_folded_and_nothing_else(path):
    """JupyterLab folds a cell with jupyter.source_hidden (and, for code, outputs_hidden/collapsed):
    every cell of a solution after its opening cell is folded, except a closing cell that holds
    nothing but the closing fence (it renders as nothing); no other cell is folded."""
    cells = nbformat.read(path, as_version=4).cells
    spans = _solutions(cells)
    assert spans, f"{path.name}: no exercise solution found"
    in_solution = set()
    for span in spans:
        in_solution.update(span)
        for i in span:
            cell = cells[i]
            if cell.cell_type == "markdown" and re.fullmatch(r"\s*```\{solution-end\}\s*```\s*", cell.source):
                assert not _folded(cell), f"{path.name} cell {i}: an empty closing cell is folded"
                continue
            jupyter = cell.metadata.get("jupyter", {})
            assert jupyter.get("source_hidden") is True, f"{path.name} cell {i}: a solution cell is not folded"
            if cell.cell_type == "code":
                assert jupyter.get("outputs_hidden") is True and cell.metadata.get("collapsed") is True, \
                    f"{path.name} cell {i}: a solution's outputs are not folded"
            else:
                # JupyterLab shows the first line of a folded cell's source on its bar.
                assert cell.source.startswith("\n"), \
                    f"{path.name} cell {i}: the bar of a folded markdown cell would show its first line"
    unexpected = [i for i, cell in enumerate(cells) if i not in in_solution and _folded(cell)]
    assert not unexpected, f"{path.name}: cells folded outside any solution: {unexpected}"


def test_fold_solutions_restores_a_removed_fold_and_is_idempotent():
    path = REPO / "notebooks" / "02_conditional_vector_field.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert not script.fold_solutions(notebook, path.name)          # the committed notebook is folded
    code = next(i for span in _solutions(notebook.cells) for i in span if notebook.cells[i].cell_type == "code")
    prose = next(i for span in _solutions(notebook.cells) for i in span
                 if notebook.cells[i].cell_type == "markdown")
    folded_code, folded_prose = dict(notebook.cells[code].metadata), notebook.cells[prose].source
    del notebook.cells[code].metadata["jupyter"]
    notebook.cells[prose].source = notebook.cells[prose].source.lstrip("\n")
    notebook.cells[0].metadata["jupyter"] = {"source_hidden": True}     # a fold outside any solution
    assert script.fold_solutions(notebook, path.name)
    assert dict(notebook.cells[code].metadata) == folded_code and notebook.cells[prose].source == folded_prose
    assert "jupyter" not in notebook.cells[0].metadata
    assert not script.fold_solutions(notebook, path.name)


def test_unclosed_solution_is_reported():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{solution-start} ex-x\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("1 + 1")])
    with pytest.raises(ValueError, match="never closed"):
        script.fold_solutions(notebook, "99_x.ipynb")
