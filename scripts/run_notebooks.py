"""Restart, run all, save: execute notebooks top to bottom in a fresh kernel and store their outputs.

    python scripts/run_notebooks.py notebooks/01_probability_paths.ipynb [...]

This is how every notebook in git is saved, so that nbval can compare stored outputs.
The kernel runs in the notebook's folder, as a learner's would, with FM_STATIC unset
(live ipywidgets, not the book's static players) and the inline matplotlib backend.
"""

import os
import sys

# As in the Makefile: one BLAS thread, so stored outputs match nbval's fresh run digit for digit.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    env_backup = {k: os.environ.pop(k) for k in ("FM_STATIC", "MPLBACKEND") if k in os.environ}
    start = time.perf_counter()
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.update(env_backup)
    elapsed = time.perf_counter() - start
    nbformat.write(notebook, path)
    return elapsed


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for name in sys.argv[1:]:
        seconds = run(Path(name))
        print(f"{name}: executed in {seconds:.1f} s and saved")
