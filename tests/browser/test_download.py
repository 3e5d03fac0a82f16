"""The site's "run it yourself" download: fm-book-notebooks.zip at the site root.

* the landing page links it, and the link resolves on the served site;
* it holds every notebook of the repository, the whole fm_helpers package, pyproject.toml,
  requirements.txt, constraints.txt and a README with the two commands;
* unpacked into an empty folder, it installs into a fresh virtual environment with exactly
  the README's command, and a chapter runs there in a fresh kernel (nbclient), importing
  fm_helpers from the unpacked folder.

The install uses pip's own configuration (its cache, any --find-links or local index the
machine has); set FM_WHEELHOUSE to a folder of wheels to install from it alone
(``pip wheel -c constraints.txt -r requirements.txt -w wheels/`` makes one). If no package
source answers, the install test is skipped and says why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import HTML_DIR, REPO

ZIP_NAME = "fm-book-notebooks.zip"
TOP = "fm-book"
#: The chapter run in the fresh environment: the quickest one in a live kernel.
CHAPTER = "02_conditional_vector_field.ipynb"
#: What pip prints when no package source can be reached (no network, no cache, no wheelhouse).
_UNREACHABLE = re.compile(r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
                          r"resolution|Network is unreachable|No matching distribution found")

pytestmark = pytest.mark.skipif(not (HTML_DIR / "index.html").is_file(),
                                reason=f"no built site at {HTML_DIR}: run `make book` first")


@pytest.fixture(scope="module")
def bundle() -> zipfile.ZipFile:
    path = HTML_DIR / ZIP_NAME
    assert path.is_file(), f"the build wrote no {ZIP_NAME} at the site root ({HTML_DIR})"
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_landing_page_links_the_download(site_url):
    landing = (HTML_DIR / "intro.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*fm-book-notebooks\.zip)"', landing)
    assert links, f"intro.html has no link to {ZIP_NAME}"
    for link in links:
        with urllib.request.urlopen(site_url + link) as response:
            assert response.status == 200
            assert response.read() == (HTML_DIR / ZIP_NAME).read_bytes(), f"{link} does not serve the bundle"


def test_download_holds_notebooks_helpers_and_requirements(bundle):
    names = set(bundle.namelist())
    assert all(name.startswith(f"{TOP}/") for name in names), "every entry sits in one folder"
    notebooks = {Path(p).name for p in (REPO / "notebooks").glob("*.ipynb")}
    assert notebooks and {Path(n).name for n in names if n.startswith(f"{TOP}/notebooks/")} == notebooks
    helpers = {p.relative_to(REPO).as_posix() for p in (REPO / "fm_helpers").rglob("*.py")}
    assert {f"{TOP}/{h}" for h in helpers} <= names, "every module of fm_helpers is in the download"
    for name in ("pyproject.toml", "requirements.txt", "constraints.txt"):
        assert bundle.read(f"{TOP}/{name}") == (REPO / name).read_bytes(), f"{name} differs from the repository's"
    readme = bundle.read(f"{TOP}/README.md").decode("utf-8")
    assert "pip install -c constraints.txt -r requirements.txt -e ." in readme
    assert "jupyter lab notebooks/" in readme


def _python311() -> str:
    for name in ("python3.11", "python3"):
        exe = shutil.which(name)
        if exe and subprocess.run([exe, "-c", "import sys; assert sys.version_info[:2] == (3, 11)"]).returncode == 0:
            return exe
    return sys.executable


def _reader_env() -> dict:
    """The environment of a reader's shell: none of the build's switches."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"FM_STATIC", "MPLBACKEND", "VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_PATH"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_download_installs_and_runs_a_chapter(bundle, tmp_path):
    bundle.extractall(tmp_path)
    folder = tmp_path / TOP
    env = _reader_env()
    subprocess.run([_python311(), "-m", "venv", ".venv"], cwd=folder, env=env, check=True)
    python = folder / ".venv" / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-c", "constraints.txt", "-r", "requirements.txt", "-e", "."]
    wheelhouse = os.environ.get("FM_WHEELHOUSE")
    if wheelhouse:
        install += ["--no-index", "--find-links", wheelhouse]
    done = subprocess.run(install, cwd=folder, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 and _UNREACHABLE.search(done.stdout + done.stderr):
        pytest.skip("no package source reachable (no network, no pip cache, FM_WHEELHOUSE unset): "
                    + (done.stderr.strip().splitlines() or ["?"])[-1])
    assert done.returncode == 0, f"the README's install command failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    where = subprocess.run([str(python), "-c", "import fm_helpers; print(fm_helpers.__file__)"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(folder.resolve()), f"fm_helpers came from {where}, not the download"

    # A fresh kernel of the new environment runs the chapter; nbclient fails on the first error.
    run = subprocess.run([str(folder / ".venv" / "bin" / "jupyter"), "execute", "--timeout=600",
                          "--output=executed", f"notebooks/{CHAPTER}"],  # written next to the input
                         cwd=folder, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, f"{CHAPTER} failed in the fresh environment:\n{run.stderr[-4000:]}"
    assert (folder / "notebooks" / "executed.ipynb").is_file()
