"""Make the chapters' markdown read the same in JupyterLab (with jupyterlab-myst) as in the book.

    python scripts/myst_for_jupyterlab.py            # rewrite every notebooks/0*.ipynb in place
    python scripts/myst_for_jupyterlab.py --check    # exit 1 if a notebook would change

jupyterlab-myst renders MyST roles and directives in JupyterLab and Notebook 7, but it sees one
notebook at a time, without the book's bibliography and without the figure labels that myst-nb
reads from code-cell metadata. The references it cannot resolve would show as a bare label. This
script rewrites exactly those, in markdown cells only, into plain Markdown links that both the book
(myst-parser resolves a link to another notebook as a link to that page, and `#label` to the target
of that label) and JupyterLab understand:

    {eq}`label` of another chapter      ->  [eq. (C.N) in chapter C](NN_name.ipynb#equation-label)
    {prf:ref}`label` of another chapter ->  [Theorem C.N in chapter C](NN_name.ipynb#label)
    {ref}`label` of another chapter     ->  [Exercise C.N in chapter C](NN_name.ipynb#label)
                                            (a section: [section "Title" in chapter C](...))
    {numref}`fig-label` (any chapter)   ->  [Fig. C.N](#fig-label), or [Fig. C.N in chapter C](NN_name.ipynb#fig-label)
    {cite}`key1,key2`                   ->  [[Lipman et al., 2023](../references.md "Paper title"); [...](...)]
    {cite:t}`key`                       ->  [Lipman et al. (2023)](../references.md "Paper title")

The fragment of a link to another chapter is the HTML id the book gives the target; the book
resolves it with _ext/notebook_links.py. A citation links to the bibliography page, with the
paper's title as the link's tooltip (and as the key back to references.bib).

References within one chapter to its own equations, theorems, exercises and sections stay MyST
roles: jupyterlab-myst numbers and links those itself.

C is the chapter's number in the book (its position among the numbered chapters of _toc.yml), N
the position of the equation (figure, exercise, theorem) among the chapter's labelled equations
(figures with a caption, exercises, proof directives of the same kind), which is how Sphinx,
sphinx-exercise and sphinx-proof number them; the links read as the book's own references do.
Every number is computed here from the notebooks and _toc.yml, never typed (tests/browser checks
them against the built book).

It also folds exercise solutions. A solution spans several cells, from the markdown cell that opens
it (```{solution-start}) to the one that closes it (```{solution-end}); the book folds it whole.
jupyterlab-myst renders each markdown cell on its own and never folds a code cell, so it folds only
the opening cell. The cells after it, up to and including the closing cell, get JupyterLab's own
cell metadata for a collapsed cell (JupyterLab and Notebook 7 show a collapsed cell as a one-line
bar; a click on it expands the cell):

    code cell       "jupyter": {"source_hidden": true, "outputs_hidden": true}, "collapsed": true
    markdown cell   "jupyter": {"source_hidden": true}, and a blank first line

The bar shows the first line of the cell's source: a code cell's first line of code, and for a
markdown cell the blank line, so that neither the solution's first sentence nor raw MyST shows.
A closing cell that holds nothing but ```{solution-end} renders as nothing and is left unfolded.
Every other cell is unfolded (the three keys removed), so that what is folded in JupyterLab is
exactly what the book folds. The book ignores these keys (myst-nb reads only tags) and a leading
blank line of markdown.

Idempotent: a link this script wrote earlier is first turned back into its role (recognised by its
exact shape) and then rewritten again, so running it after other edits renumbers every link and a
second run changes nothing. Code and outputs are never touched; of the metadata, only the three
keys above.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
REFERENCES_PAGE = "../references.md"


@dataclass(frozen=True)
class Target:
    """Something a role can point at: where it lives and how a reader outside the book names it."""
    notebook: str   # file name, e.g. 04_marginal_vector_field.ipynb
    chapter: int
    kind: str       # equation, figure, proof, exercise, section
    number: str     # "4.3" (chapter.position); "" for sections
    title: str      # for sections
    prf_kind: str = ""   # Theorem, Proposition, ... for proof directives


# --------------------------------------------------------------------------------------------------
# Chapter numbers and labels

def chapter_numbers(notebooks: list[Path]) -> dict[str, int]:
    """Book chapter number of each notebook: its position among the numbered chapters of _toc.yml
    (use_multitoc_numbering numbers straight across parts); a notebook not (yet) in the table of
    contents gets the number in its file name."""
    toc = (REPO / "_toc.yml").read_text()
    numbers: dict[str, int] = {}
    in_numbered_part = False
    count = 0
    for line in toc.splitlines():
        if re.match(r"\s*-\s*caption:", line):
            in_numbered_part = False
        if re.match(r"\s*numbered:\s*true", line):
            in_numbered_part = True
        entry = re.match(r"\s*-\s*file:\s*notebooks/(\S+)", line)
        if entry and in_numbered_part:
            count += 1
            numbers[entry.group(1) + ".ipynb"] = count
    for path in notebooks:
        numbers.setdefault(path.name, int(path.name[:2]))
    return numbers


EQUATION_LABEL = re.compile(r"^[ \t]*\$\$[ \t]*\(([\w-]+)\)[ \t]*$", re.M)
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{([\w:-]+)\}[ \t]*(.*?)[ \t]*\n((?::[\w-]+:.*\n)*)", re.M)
SECTION_TARGET = re.compile(r"^\(([\w-]+)\)=[ \t]*\n+#+[ \t]+(.+)$", re.M)


def collect_targets(paths: list[Path]) -> dict[str, Target]:
    """Every label of every chapter, with the number or title the book shows for it."""
    chapters = chapter_numbers(paths)
    targets: dict[str, Target] = {}
    for path in paths:
        chapter = chapters[path.name]
        notebook = nbformat.read(path, as_version=4)
        equations = figures = exercises = 0
        proofs: dict[str, int] = {}
        for cell in notebook.cells:
            if cell.cell_type == "code":
                figure = cell.metadata.get("mystnb", {}).get("figure", {})
                if figure.get("caption"):
                    figures += 1
                    if figure.get("name"):
                        targets[figure["name"]] = Target(path.name, chapter, "figure", f"{chapter}.{figures}", "")
                continue
            if cell.cell_type != "markdown":
                continue
            source = cell.source
            for match in EQUATION_LABEL.finditer(source):
                equations += 1
                targets[match.group(1)] = Target(path.name, chapter, "equation", f"{chapter}.{equations}", "")
            for fence, name, title, options in DIRECTIVE.findall(source):
                label = re.search(r"^:label:[ \t]*(\S+)", options, re.M)
                if name.startswith("prf:") and name != "prf:proof":
                    proofs[name] = proofs.get(name, 0) + 1
                    if label:
                        targets[label.group(1)] = Target(path.name, chapter, "proof", f"{chapter}.{proofs[name]}",
                                                         title, name[4:].capitalize())
                elif name == "exercise":
                    exercises += 1
                    if label:
                        targets[label.group(1)] = Target(path.name, chapter, "exercise", f"{chapter}.{exercises}",
                                                         title)
            for label, heading in SECTION_TARGET.findall(source):
                targets[label] = Target(path.name, chapter, "section", "", heading.strip())
    return targets


# --------------------------------------------------------------------------------------------------
# Bibliography

def bibliography() -> dict[str, tuple[str, str, str]]:
    """Citation key -> (authors as "Lipman et al.", year, title), from references.bib.

    Entries without an author or a year are left out: a chapter that cites one is refused when rewritten."""
    text = (REPO / "references.bib").read_text()
    entries = {}
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", text, re.S):
        key, body = match.groups()
        author = re.search(r"author\s*=\s*\{(.*?)\},?\s*\n", body, re.S)
        year = re.search(r"year\s*=\s*\{?(\d{4})", body)
        title = re.search(r"\btitle\s*=\s*\{(.*?)\},?\s*\n", body, re.S)
        if not (author and year and title):
            continue  # e.g. the blog post (no author, no date): cited by the book's own pages, not by a chapter
        names = [name.strip() for name in re.split(r"\s+and\s+", author.group(1))]
        surnames = [name.split(",")[0].strip() if "," in name else name.split()[-1] for name in names]
        surnames = [re.sub(r"[{}]", "", s) for s in surnames]
        if len(surnames) == 1:
            who = surnames[0]
        elif len(surnames) == 2:
            who = f"{surnames[0]} and {surnames[1]}"
        else:
            who = f"{surnames[0]} et al."
        entries[key] = (who, year.group(1), " ".join(re.sub(r"[{}]", "", title.group(1)).replace('"', "'").split()))
    return entries


# --------------------------------------------------------------------------------------------------
# Rewriting

ROLE = re.compile(r"\{(eq|prf:ref|ref|numref|cite|cite:p|cite:t)\}`([^`]*)`")
EXPLICIT_TITLE = re.compile(r"^(.*?)\s*<([\w-]+)>$", re.S)
NOTEBOOK_LINK = r"(?:\d\d_\w+\.ipynb)?"

# The exact shapes this script writes, and the role each came from (for re-application).
_WRITTEN = [
    (re.compile(r"\[eq\. \([\d.]+\) in chapter \d+\]\(" + NOTEBOOK_LINK + r"#equation-([\w-]+)\)"), "eq"),
    (re.compile(r"\[(?:Fig\. [\d.]+(?: in chapter \d+)?)\]\(" + NOTEBOOK_LINK + r"#([\w-]+)\)"), "numref"),
    (re.compile(r"\[(?!Exercise )[A-Z][a-z]+ [\d.]+ in chapter \d+\]\(" + NOTEBOOK_LINK + r"#([\w-]+)\)"), "prf:ref"),
    (re.compile(r"\[(?:Exercise [\d.]+|section \"[^\"\]]*\") in chapter \d+\]\(" + NOTEBOOK_LINK + r"#([\w-]+)\)"),
     "ref"),
]
_WRITTEN_CITE_P = re.compile(r"\[((?:\[[^\]]+, \d{4}\]\(\.\./references\.md \"[^\"]*\"\)(?:; )?)+)\]")
_WRITTEN_CITE_T = re.compile(r"((?:\[[^\]]+ \(\d{4}\)\]\(\.\./references\.md \"[^\"]*\"\)(?:, )?)+)")
_CITE_TITLE = re.compile(r"\(\.\./references\.md \"([^\"]*)\"\)")


def unrewrite(source: str, bib: dict[str, tuple[str, str, str]]) -> str:
    """Turn every link this script wrote back into the role it came from."""
    for pattern, role in _WRITTEN:
        source = pattern.sub(lambda m, role=role: f"{{{role}}}`{m.group(1)}`", source)
    key_of = {title: key for key, (_, _, title) in bib.items()}

    def keys(links: str) -> str:
        titles = _CITE_TITLE.findall(links)
        unknown = [t for t in titles if t not in key_of]
        if unknown:
            raise ValueError(f"a citation link names a paper that is not in references.bib: {unknown}")
        return ",".join(key_of[t] for t in titles)

    source = _WRITTEN_CITE_P.sub(lambda m: "{cite}`" + keys(m.group(1)) + "`", source)
    source = _WRITTEN_CITE_T.sub(lambda m: "{cite:t}`" + keys(m.group(1)) + "`", source)
    return source


def rewrite(source: str, here: str, targets: dict[str, Target], bib: dict[str, tuple[str, str, str]]) -> str:
    """The markdown `source` of a cell of notebook `here`, with every reference jupyterlab-myst
    cannot resolve turned into a link (see the module docstring)."""

    def replace(match: re.Match) -> str:
        role, content = match.groups()
        if role.startswith("cite"):
            return cite(role, content, here, bib)
        explicit = EXPLICIT_TITLE.match(content)
        label = explicit.group(2) if explicit else content.strip()
        target = targets.get(label)
        if target is None:
            raise ValueError(f"{here}: {match.group(0)} points at a label that no chapter defines")
        same = target.notebook == here
        if same and target.kind != "figure":
            return match.group(0)            # jupyterlab-myst resolves it within the notebook
        page = "" if same else target.notebook
        where = "" if same else f" in chapter {target.chapter}"
        if target.kind == "equation":
            return f"[eq. ({target.number}) in chapter {target.chapter}]({page}#equation-{label})"
        if target.kind == "figure":
            return f"[Fig. {target.number}{where}]({page}#{label})"
        if target.kind == "proof":
            return f"[{target.prf_kind} {target.number}{where}]({page}#{label})"
        if target.kind == "exercise":
            return f"[Exercise {target.number}{where}]({page}#{label})"
        return f'[section "{target.title}"{where}]({page}#{label})'

    return ROLE.sub(replace, unrewrite(source, bib))


def cite(role: str, content: str, here: str, bib: dict[str, tuple[str, str, str]]) -> str:
    keys = [key.strip() for key in content.split(",") if key.strip()]
    unknown = [key for key in keys if key not in bib]
    if unknown:
        raise ValueError(f"{here}: {{{role}}}`{content}` cites {', '.join(unknown)}, not in references.bib")
    if role == "cite:t":
        return ", ".join(f'[{bib[k][0]} ({bib[k][1]})]({REFERENCES_PAGE} "{bib[k][2]}")' for k in keys)
    return "[" + "; ".join(f'[{bib[k][0]}, {bib[k][1]}]({REFERENCES_PAGE} "{bib[k][2]}")' for k in keys) + "]"


# --------------------------------------------------------------------------------------------------
# Folding solutions

SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}", re.M)
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[ \t]*\n?\1[ \t]*$", re.M)


def solution_cells(cells) -> list[bool]:
    """For each cell, whether it is part of a solution after the cell that opens it (up to and
    including the cell that closes it)."""
    inside, part = False, []
    for cell in cells:
        opens = cell.cell_type == "markdown" and SOLUTION_START.search(cell.source)
        closes = cell.cell_type == "markdown" and SOLUTION_END.search(cell.source)
        if opens and inside:
            raise ValueError("a solution opens (```{solution-start}) before the previous one is closed "
                             "(```{solution-end})")
        part.append(inside and not opens)
        if opens and not closes:
            inside = True
        elif closes:
            inside = False
    if inside:
        raise ValueError("a solution is opened (```{solution-start}) and never closed (```{solution-end})")
    return part


def fold(cell, folded: bool) -> bool:
    """Give `cell` the metadata (and, for markdown, the blank first line) of a folded or an unfolded
    cell; return whether anything changed."""
    before = (dict(cell.metadata), cell.source)
    jupyter = {k: v for k, v in cell.metadata.get("jupyter", {}).items() if k not in ("source_hidden", "outputs_hidden")}
    cell.metadata.pop("collapsed", None)
    if folded:
        jupyter["source_hidden"] = True
        if cell.cell_type == "code":
            jupyter["outputs_hidden"] = True
            cell.metadata["collapsed"] = True
        elif not cell.source.startswith("\n"):
            cell.source = "\n" + cell.source
    if jupyter:
        cell.metadata["jupyter"] = jupyter
    else:
        cell.metadata.pop("jupyter", None)
    return (dict(cell.metadata), cell.source) != before


def fold_solutions(notebook, name: str) -> bool:
    """Fold every cell of a solution after its opening cell, unfold every other cell (see the module
    docstring); return whether anything changed."""
    try:
        part = solution_cells(notebook.cells)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    changed = False
    for cell, in_solution in zip(notebook.cells, part):
        empty_close = cell.cell_type == "markdown" and not SOLUTION_END.sub("", cell.source).strip()
        changed |= fold(cell, in_solution and not empty_close)
    return changed


def convert(paths: list[Path], write: bool) -> list[Path]:
    """Rewrite the notebooks at `paths`; return those that changed (or would change)."""
    targets = collect_targets(paths)
    bib = bibliography()
    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        touched = False
        for cell in notebook.cells:
            if cell.cell_type != "markdown":
                continue
            new = rewrite(cell.source, path.name, targets, bib)
            if new != cell.source:
                cell.source = new
                touched = True
        touched |= fold_solutions(notebook, path.name)
        if touched:
            changed.append(path)
            if write:
                nbformat.write(notebook, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    changed = convert(sorted(NOTEBOOKS.glob("0*.ipynb")), write=not args.check)
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path.relative_to(REPO)}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
