"""Write ``fm-book-notebooks.zip`` at the root of the built site (a local Sphinx extension).

The zip holds everything a reader needs to run the chapters on their own machine:

* ``notebooks/*.ipynb``: the chapters, with their stored outputs;
* ``fm_helpers/``: the helper package the notebooks import (Python files only);
* ``pyproject.toml`` (installs ``fm_helpers``), ``requirements.txt`` and ``constraints.txt``
  (the exact versions the book was built with);
* ``README.md``: the two commands (create the environment, open JupyterLab).

It is written after every successful HTML build (``build-finished``), so the plain
``jupyter-book build .`` makes it as well as ``make book``. The landing page links it as
``fm-book-notebooks.zip`` and every player's note does too, both relative to the site root.
Entries are sorted and dated 1980-01-01, so the same sources give the same zip byte for byte.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

ZIP_NAME = "fm-book-notebooks.zip"
#: Every entry is stored under this folder, so unpacking never scatters files.
TOP = "fm-book"
FILES = ("pyproject.toml", "requirements.txt", "constraints.txt", "jupyter-settings/overrides.json")
_EPOCH = (1980, 1, 1, 0, 0, 0)

README = """\
# Flow Matching, Derived and Computed: the notebooks

Every chapter of the book as a Jupyter notebook, with `fm_helpers`, the package they
import, and the exact version of every package the book was built with
(`constraints.txt`). You need Python 3.11 (3.11 or later; the pins were tested on 3.11).

In this folder, create a virtual environment and install everything into it
(Windows: `.venv\\Scripts\\activate` instead of `. .venv/bin/activate`):

```bash
python3.11 -m venv .venv && . .venv/bin/activate
pip install -c constraints.txt -r requirements.txt -e .
mkdir -p .venv/share/jupyter/lab/settings && cp jupyter-settings/overrides.json .venv/share/jupyter/lab/settings/
```

(the second line switches off JupyterLab's news pop-up and update check, which would reach
for the network), then open the chapters:

```bash
jupyter lab notebooks/
```

In a live kernel every figure has all its controls (the web version offers a few
settings rendered ahead of time). The notebooks also run in Jupyter Notebook 7
(`jupyter notebook notebooks/`) and in VS Code (choose `.venv` as the kernel).
"""

logger = logging.getLogger(__name__)


def bundle_entries(srcdir: Path) -> list[tuple[str, Path | str]]:
    """(name in the zip, source file or text) for every entry, sorted by name."""
    missing = [name for name in (*FILES, "notebooks", "fm_helpers") if not (srcdir / name).exists()]
    if missing:
        raise FileNotFoundError(f"{ZIP_NAME} needs {', '.join(missing)} in {srcdir}")
    entries: list[tuple[str, Path | str]] = [(f"{TOP}/README.md", README)]
    entries += [(f"{TOP}/{name}", srcdir / name) for name in FILES]
    entries += [(f"{TOP}/notebooks/{path.name}", path) for path in (srcdir / "notebooks").glob("*.ipynb")]
    for path in (srcdir / "fm_helpers").rglob("*.py"):
        entries.append((f"{TOP}/{path.relative_to(srcdir).as_posix()}", path))
    return sorted(entries, key=lambda entry: entry[0])


def write_bundle(srcdir: Path, target: Path) -> None:
    """Write the zip to ``target`` (through a temporary file: a failed write leaves no half zip)."""
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, source in bundle_entries(srcdir):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = source.encode("utf-8") if isinstance(source, str) else source.read_bytes()
            bundle.writestr(info, data)
    partial.replace(target)


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / ZIP_NAME
    write_bundle(Path(app.srcdir), target)
    logger.info(f"download bundle: {target} ({target.stat().st_size / 2**20:.1f} MiB)")


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
