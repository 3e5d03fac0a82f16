"""A real client: chapter 4 in JupyterLab, driven by headless Chromium through Playwright.

The test starts JupyterLab on 127.0.0.1 (a random token; settings, config, runtime and workspace
folders in a temporary directory, so the user's own are never read or written) with its root in a
temporary copy of the chapter, so the repository is never modified. It opens the notebook, runs all
cells, checks that every cell ran and none shows an error, then moves the t slider and the schedule
selector of the interactive figure and checks that the figure's pixels change each time.

Every request the page makes to anything but the local server is aborted.

Environment:
    FM_CHROMIUM   Chromium executable (default: /usr/bin/chromium)
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "04_marginal_vector_field.ipynb"
from chromium_launch import CHROMIUM, chromium_executable, launch  # noqa: E402 - tests/ is on sys.path

# Time budgets (seconds). The whole test normally takes well under a minute and a half.
SERVER_START = 60
PAGE_READY = 90
RUN_ALL = 240
REDRAW = 30

if not Path(chromium_executable()).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` or point "
                "FM_CHROMIUM at a Chromium executable", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the JupyterLab client test needs playwright")
pytest.importorskip("jupyterlab", reason="the JupyterLab client test needs jupyterlab")
PIL_Image = pytest.importorskip("PIL.Image")
np = pytest.importorskip("numpy")


def _jupyter() -> str:
    """The jupyter command of the environment running the tests (.venv/bin/jupyter)."""
    for candidate in (Path(sys.executable).parent / "jupyter", REPO / ".venv" / "bin" / "jupyter"):
        if candidate.exists():
            return str(candidate)
    pytest.skip("no `jupyter` command next to the Python running the tests")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    """User settings for this server only: every cell stays in the DOM, no news, no update checks."""
    overrides = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                            "checkForUpdates": False},
    }
    for rel, value in overrides.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class _Server:
    """JupyterLab on 127.0.0.1 in a scratch directory; ``stop()`` ends it and deletes the directory."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fm-jupyterlab-"))
        self.root = self.tmp / "root"
        (self.root / "notebooks").mkdir(parents=True)
        shutil.copy2(REPO / "notebooks" / NOTEBOOK, self.root / "notebooks" / NOTEBOOK)
        dirs = {name: self.tmp / name for name in ("settings", "config", "runtime", "workspaces", "data", "ipython")}
        for path in dirs.values():
            path.mkdir()
        _write_settings(dirs["settings"])
        self.token = secrets.token_hex(24)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("FM_STATIC", "MPLBACKEND", "JUPYTER_TOKEN")}
        env.update(JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]), JUPYTER_CONFIG_DIR=str(dirs["config"]),
                   JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
                   JUPYTER_DATA_DIR=str(dirs["data"]), IPYTHONDIR=str(dirs["ipython"]))
        command = [
            _jupyter(), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",          # window.jupyterapp: run commands, read the model
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=", "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")   # containers and CI often run as root; Jupyter refuses without it
        self.log = open(self.tmp / "server.log", "wb")
        # A session of its own, so that stop() can end the server and the kernels it started, and nothing else.
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START} s:\n{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.tmp / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)   # the server's own process group
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    srv = _Server()
    try:
        srv.wait_until_up()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def lab(server):
    """(page, blocked): the notebook open in JupyterLab in headless Chromium, and the aborted requests."""
    blocked: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)

            def route(route):
                url = route.request.url
                if url.startswith(server.url + "/") or url.startswith(("data:", "blob:")):
                    route.continue_()
                else:
                    blocked.append(url)
                    route.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(PAGE_READY * 1000)
            page.goto(f"{server.url}/lab/tree/notebooks/{NOTEBOOK}?token={server.token}", wait_until="load")
            yield page, blocked
            context.close()
        finally:
            browser.close()


# JavaScript run in the page; `window.jupyterapp` is the JupyterLab application (expose_app_in_browser).
_NOTEBOOK_READY = """() => {
    const app = window.jupyterapp;
    const panel = app && app.shell && app.shell.currentWidget;
    if (!panel || !panel.sessionContext || !panel.content || !panel.context || !panel.context.isReady) return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && panel.context.path.endsWith('%s');
}""" % NOTEBOOK

_CELL_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const cells = [];
    const model = panel.content.model;
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (cell.type !== 'code') continue;
        const outputs = [];
        for (let j = 0; j < cell.outputs.length; j++) {
            const out = cell.outputs.get(j).toJSON();
            outputs.push({type: out.output_type, name: out.name || '', ename: out.ename || '',
                          text: [].concat(out.text || []).join('')});
        }
        cells.push({index: i, count: cell.executionCount, outputs: outputs});
    }
    return {kernel: kernel ? kernel.status : 'none', cells: cells};
}"""


def _png_pixels(png: bytes):
    return np.asarray(PIL_Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _figure_changed(page, image, before_src: str, before_pixels, what: str):
    """Wait for the widget's <img> to receive a new frame, then return its pixels (asserting they changed)."""
    handle = image.element_handle()
    page.wait_for_function("([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                           arg=[handle, before_src], timeout=REDRAW * 1000)
    pixels = _png_pixels(image.screenshot())
    assert pixels.shape == before_pixels.shape, f"the figure changed size after {what}"
    changed = np.mean(np.any(pixels != before_pixels, axis=-1))
    assert changed > 0.001, f"the figure's pixels did not change after {what} ({changed:.2%} of pixels differ)"
    return pixels


def test_chapter_4_runs_and_its_figure_responds(server, lab):
    page, blocked = lab
    start = time.monotonic()

    def phase(name):   # shown with `pytest -s`: where the time goes
        print(f"[jupyterlab client] {name}: {time.monotonic() - start:.1f} s")

    # 1. The notebook is open and its kernel is idle.
    page.wait_for_function(_NOTEBOOK_READY, timeout=PAGE_READY * 1000)
    phase("notebook open, kernel idle")

    # 2. Run all cells (the same command as the menu Run > Run All Cells) and wait until every code cell
    #    has an execution count and the kernel is idle again.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """(f) => { const s = (%s)(); return s.kernel === 'idle' && s.cells.length > 0
                     && s.cells.every(c => c.count !== null && c.count !== undefined); }""" % _CELL_STATE,
        arg=None, timeout=RUN_ALL * 1000, polling=500)
    phase("all cells executed")
    state = page.evaluate(_CELL_STATE)
    counts = [c["count"] for c in state["cells"]]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), f"cells ran out of order: {counts}"
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert prompts and not any("*" in p for p in prompts), f"cells still queued or running: {prompts}"

    # 3. No cell shows an error: no error output, no traceback, nothing on stderr.
    problems = [(c["index"], o) for c in state["cells"] for o in c["outputs"]
                if o["type"] == "error" or o["name"] == "stderr"]
    assert not problems, f"cells with errors or stderr output: {problems}"
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0
    assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0

    # 4. The interactive figure: its t slider, its schedule selector and its image.
    slider = page.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=re.compile(r"^t$")))
    assert slider.count() == 1, "expected exactly one slider labelled t"
    explorer = slider.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
    image = explorer.locator("img.widget-image")
    schedule = explorer.locator(".widget-dropdown").filter(
        has=page.locator(".widget-label", has_text=re.compile(r"^schedule$"))).locator("select")
    readout = slider.locator(".widget-readout")
    image.wait_for(state="visible")
    image.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert readout.inner_text().strip() == "0.50"
    src = image.get_attribute("src")
    pixels = _png_pixels(image.screenshot())

    # 5. Move t with the keyboard on the slider's handle: ten steps of 0.01.
    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    page.wait_for_function("(el) => el.textContent.trim() === '0.60'", arg=readout.element_handle(),
                           timeout=REDRAW * 1000)
    pixels = _figure_changed(page, image, src, pixels, "moving the t slider from 0.50 to 0.60")
    src = image.get_attribute("src")

    # 6. Switch the schedule.
    schedule.select_option(label="Cosine")
    pixels = _figure_changed(page, image, src, pixels, "selecting the Cosine schedule")
    phase("slider and selector redrew the figure")

    # 7. The explorer reported no error, and the page asked nothing of the outside world.
    message = explorer.locator(".widget-html")
    assert all(not text.strip() for text in message.all_inner_texts()), message.all_inner_texts()
    assert not blocked, f"the page tried to load external resources: {blocked[:5]}"
