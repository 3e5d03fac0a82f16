"""The one Chromium launch configuration of the browser tests, the JupyterLab client test and the build
benchmark (``benchmarks/bench_build.py`` puts this directory on its path to import it).

FM_CHROMIUM names another Chromium executable (default: Debian's /usr/bin/chromium).
"""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("FM_CHROMIUM", "/usr/bin/chromium")
#: Headless, no sandbox (containers), and no traffic of Chromium's own, so that a test sees only the page's requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_executable() -> str:
    """The Chromium to launch: FM_CHROMIUM (or /usr/bin/chromium), resolved on PATH if it is a bare name."""
    return shutil.which(CHROMIUM) or CHROMIUM


def launch(playwright):
    """A headless Chromium from a started Playwright (``sync_playwright()``), with the shared arguments."""
    return playwright.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
