"""Keep the built book offline and free of dead widgets (a local Sphinx extension).

1. MathJax 3 is served from the book itself, with its TeX fonts, loading only what we use.
2. Widget state stored in a notebook's metadata is not copied into the page.

MathJax
-------
The MathJax files come from the PyPI package ``sphinx-mathjax-offline`` (MathJax
3.2.2: components, CHTML output and the woff-v2 TeX fonts). That package's own Sphinx
extension would load the combined ``tex-chtml.js`` (1.16 MB, a third of it the
right-click menu) and does not let the configuration choose another file, so this
extension uses its files directly:

* after a successful HTML build, copy them to ``<outdir>/_static/mathjax`` (outside the
  source ``_static`` folder, whose every ``.js`` file Jupyter Book would add to every
  page);
* point ``mathjax_path`` at ``mathjax/startup.js`` and let MathJax's loader fetch only
  the components named in ``mathjax3_config["loader"]`` (see ``_config.yml``).

Fonts: CHTML looks for them at ``[mathjax]/output/chtml/fonts/woff-v2``, i.e. next to
``startup.js``; they are part of the copied tree.

Widget state
------------
A notebook executed in a live kernel (for nbval's stored outputs) may keep its
ipywidgets state in ``metadata.widgets``; myst-nb would write it into the page as a
``application/vnd.jupyter.widget-state+json`` script, dead weight without a kernel
(the book build renders kernel-free players instead: FM_STATIC=1). On ``source-read``
this extension drops that key from the notebook JSON Sphinx parses; the file on disk,
and the copy offered for download, are untouched. The execution cache only hashes code
cells, so this changes nothing there.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.fileutil import copy_asset

PACKAGE = "sphinx-mathjax-offline"  # the import name really has dashes
ENTRY = "mathjax/startup.js"
DEFAULT_LOAD = ["input/tex", "output/chtml", "a11y/assistive-mml"]


def mathjax_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            f"the Python package {PACKAGE!r} is not installed; "
            "`pip install -c constraints.txt -r requirements.txt` provides it"
        )
    path = Path(spec.origin).parent / "static" / "mathjax"
    if not (path / "startup.js").is_file():
        raise RuntimeError(f"{PACKAGE} has no MathJax startup.js under {path}")
    return path


def configure(app: Sphinx, config) -> None:
    config.mathjax_path = ENTRY
    mj = dict(config.mathjax3_config or {})
    mj.setdefault("loader", {}).setdefault("load", list(DEFAULT_LOAD))
    config.mathjax3_config = mj


def copy_mathjax(app: Sphinx, exc: Exception | None) -> None:
    if exc is None and app.builder.format == "html":
        copy_asset(str(mathjax_dir()), str(Path(app.outdir) / "_static" / "mathjax"))


def drop_widget_state(app: Sphinx, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        notebook = json.loads(source[0])
    except (ValueError, IndexError):
        return  # not JSON (e.g. a text notebook): leave it to myst-nb
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    if isinstance(metadata, dict) and "widgets" in metadata:
        del metadata["widgets"]
        source[0] = json.dumps(notebook, ensure_ascii=False)


def setup(app: Sphinx) -> dict:
    mathjax_dir()  # fail early, with a clear message, if the files are missing
    app.connect("config-inited", configure, priority=900)
    app.connect("build-finished", copy_mathjax)
    app.connect("source-read", drop_widget_state)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
