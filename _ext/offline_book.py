"""Keep the built book offline and free of dead widgets (a local Sphinx extension).

1. MathJax 3 is served from the book itself, with its TeX fonts, loading only what we use.
2. Widget state stored in a notebook's metadata is not copied into the page.
3. The kernels the build starts make kernel-free figure players, and their frames reach the site.

Kernel-free players
-------------------
When Sphinx loads this extension it sets, in its own process environment (which the
notebook kernels started by the build inherit), ``FM_STATIC=1`` and ``FM_FRAME_STORE=
_build/.fm_frames``. So ``jupyter-book build .`` alone, with no Makefile and no variable,
builds the pages with ``fm_helpers.interactive.StaticPlayer``s. A player writes its frames
into that content-addressed store (file name = hash of the WebP bytes) and its HTML names
them under ``fm-site-root://_fm_frames/``. On every page written, this extension replaces
``fm-site-root://`` with the page's relative path to the site root and marks every image
``loading="lazy"``; at the end of the build it copies every frame a page of the site names
from the store to ``_build/html/_fm_frames`` and removes frames no page names any more.
The store lives beside the execution cache, so a notebook the cache does not re-execute
still finds its frames; if one is missing (the store was deleted but not the cache), the
build stops and says to clear the cache.

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
(the book build renders kernel-free players instead, see below). On ``source-read``
this extension drops that key from the notebook JSON Sphinx parses; the file on disk,
and the copy offered for download, are untouched. The execution cache only hashes code
cells, so this changes nothing there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.fileutil import copy_asset

PACKAGE = "sphinx-mathjax-offline"  # the import name really has dashes
ENTRY = "mathjax/startup.js"
DEFAULT_LOAD = ["input/tex", "output/chtml", "a11y/assistive-mml"]

# Must match fm_helpers.interactive.SITE_ROOT and FRAME_DIR (not imported: the build process
# does not need numpy and matplotlib).
SITE_ROOT = "fm-site-root://"
FRAME_DIR = "_fm_frames"
# A frame's file name: 24 hex digits of its hash (in an image's src, and in a player's JSON list).
FRAME_NAME = re.compile(r"\b([0-9a-f]{24}\.webp)")
IMG_WITHOUT_LOADING = re.compile(r"<img(?![^>]*\bloading=)")


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


def frame_store(app: Sphinx) -> Path:
    """Where the kernels of this build write player frames: ``_build/.fm_frames`` for ``_build/html``."""
    return Path(app.outdir).parent / ".fm_frames"


def static_players_for_kernels(app: Sphinx) -> None:
    """Kernels started by this build inherit these: kernel-free players, frames into the store."""
    os.environ["FM_STATIC"] = "1"
    os.environ["FM_FRAME_STORE"] = str(frame_store(app))


def link_frames(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Point a page's players at the site's frame folder; let the browser load images as they near the screen."""
    body = context.get("body")
    if not body:
        return
    if SITE_ROOT in body:
        body = body.replace(SITE_ROOT, "../" * pagename.count("/"))
    context["body"] = IMG_WITHOUT_LOADING.sub('<img loading="lazy"', body)


def copy_frames(app: Sphinx, exc: Exception | None) -> None:
    """Copy every frame a page names into the site; remove those no page names any more."""
    if exc is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    named = set()
    for page in out.rglob("*.html"):
        named.update(FRAME_NAME.findall(page.read_text(encoding="utf-8", errors="replace")))
    target = out / FRAME_DIR
    target.mkdir(exist_ok=True)
    store = frame_store(app)
    missing = sorted(name for name in named if not (target / name).exists() and not (store / name).exists())
    if missing:
        raise ExtensionError(
            f"{len(missing)} player frame(s) named by the pages are not in {store} (e.g. {missing[0]}): "
            "the execution cache holds outputs whose frames were deleted. Clear the cache "
            "(rm -rf _build/.jupyter_cache, or `make clean`) and build again.")
    for name in named:
        if not (target / name).exists():
            shutil.copyfile(store / name, target / name)
    for stale in target.glob("*.webp"):
        if stale.name not in named:
            stale.unlink()


def setup(app: Sphinx) -> dict:
    mathjax_dir()  # fail early, with a clear message, if the files are missing
    static_players_for_kernels(app)
    app.connect("html-page-context", link_frames)
    app.connect("build-finished", copy_frames)
    app.connect("config-inited", configure, priority=900)
    app.connect("build-finished", copy_mathjax)
    app.connect("source-read", drop_widget_state)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
