"""`jupyter-book build .` alone builds the book with its kernel-free players.

A tiny copy of the book (the real _config.yml, _ext, _static, _templates and bibliography; one
page with a small player) is built with the plain command, from an environment without
FM_STATIC or FM_FRAME_STORE, in a fresh folder: the page must hold a player whose frames are
files of the site, and no image inside the HTML. The Makefile must run that same command.
It took 4 min while other builds shared the 2 cores of the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

TINY_CELL = """\
from fm_helpers.figures.base import declare_schedule, declare_t
from fm_helpers.figures.probability_paths import ProbabilityPathFigure
from fm_helpers.interactive import explore


class TinyFigure(ProbabilityPathFigure):
    t_control = declare_t([0.0, 1.0])
    schedule_control = declare_schedule(["CondOT", "Cosine"])
    extra_controls = {}


explore(TinyFigure(t=0.5, schedule="Cosine"))
"""


def tiny_book(folder: Path) -> None:
    # the real configuration, extensions and what the run-it-yourself zip packs (_ext/download_bundle.py)
    for name in ("_config.yml", "references.bib", "pyproject.toml", "requirements.txt", "constraints.txt"):
        shutil.copy(REPO / name, folder / name)
    for name in ("_ext", "_static", "_templates", "jupyter-settings"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copytree(REPO / "fm_helpers", folder / "fm_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "notebooks").mkdir()
    (folder / "intro.md").write_text("# A tiny book\n\nOne page with a player.\n", encoding="utf-8")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: tiny\n", encoding="utf-8")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Tiny\n\nA player."), nbformat.v4.new_code_cell(TINY_CELL)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "tiny.ipynb")


@pytest.mark.skipif(not JUPYTER_BOOK.exists(), reason="jupyter-book is not installed next to this Python")
def test_plain_jupyter_book_build_makes_players(tmp_path):
    tiny_book(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FM_")}
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run([str(JUPYTER_BOOK), "build", ".", "-W", "-n", "--keep-going"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = (tmp_path / "_build/html/tiny.html").read_text(encoding="utf-8")
    assert 'class="fm-player"' in page, "no kernel-free player: the build's kernels were not in static mode"
    assert "data:image" not in page and "fm-site-root://" not in page
    frames = set(re.findall(r"\b([0-9a-f]{24}\.webp)", page))
    assert len(frames) == 2 * 3, frames  # two schedules x the times 0, 0.5 (the figure's own) and 1
    assert all((tmp_path / "_build/html/_fm_frames" / name).is_file() for name in frames)
    assert 'src="_fm_frames/' in page and 'loading="lazy"' in page


def test_makefile_builds_with_the_plain_command():
    """`make book` runs `jupyter-book build .` with flags only: no variable that a plain build would lack."""
    recipe = (REPO / "Makefile").read_text(encoding="utf-8")
    build_lines = [line for line in recipe.splitlines() if "$(JUPYTER_BOOK) build" in line]
    assert build_lines, "the Makefile's book target no longer calls $(JUPYTER_BOOK) build"
    for line in build_lines:
        assert re.match(r"^\s*\$\(JUPYTER_BOOK\) build \. \$\(JB_FLAGS\) \$\$all", line), line
    assert "FM_STATIC" not in recipe.split("\nbook:")[1].split("\nserve:")[0]
