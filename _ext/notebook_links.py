"""Let a Markdown link name any element of another page: `[eq. (2.3) in chapter 2](02_x.ipynb#equation-eq-cond-field)`.

The chapters are notebooks that also run in JupyterLab, where a reference to another chapter's
equation, theorem or exercise cannot be a MyST role (jupyterlab-myst sees one notebook at a time).
scripts/myst_for_jupyterlab.py writes such references as plain links to the other notebook with the
target's HTML id as fragment: JupyterLab opens the chapter, the book jumps to the target.

myst-parser resolves `page.ipynb#fragment` only when the fragment is a heading anchor, and warns
otherwise (which fails the `-W` build). On `doctree-read` this extension adds every id that a page's
document tree already carries (equations `equation-<label>`, figures, theorems, exercises, sections)
to that page's anchors, so such links resolve to the element itself; a fragment that names no
element of the page still warns.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx


def register_ids(app: Sphinx, doctree: nodes.document) -> None:
    slugs = app.env.metadata[app.env.docname].setdefault("myst_slugs", {})
    for node in doctree.findall(nodes.Element):
        for node_id in node.get("ids", []):
            # (heading level, target id, implicit link text): the text is never used, links carry their own.
            slugs.setdefault(node_id, (0, node_id, node_id))


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", register_ids)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
