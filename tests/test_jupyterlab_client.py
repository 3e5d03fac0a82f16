"""A real client: every chapter in JupyterLab (and one in Notebook 7), driven by headless Chromium.

One JupyterLab server (random token; user settings, config, runtime and workspace folders in a
temporary directory, so the user's own are never read or written) serves a temporary copy of
notebooks/, so the repository is never modified. The server runs from the project's environment
with nothing switched off on its command line: the application settings override that `make venv`
installs (.venv/share/jupyter/lab/settings/overrides.json, from jupyter-settings/overrides.json) is
what must keep the news pop-up and the news and update checks away, and what turns windowing off so
that every cell is in the page. For each chapter the test:

1. opens the notebook and waits for an idle kernel; every cell of the notebook is in the page;
2. runs all cells (Run > Run All Cells) and checks that every code cell ran, in order, and that no
   cell shows an error, a traceback or anything on stderr;
3. checks every rendered markdown cell: no raw MyST (a role such as {eq}`...`, {prf:ref}, {cite},
   {numref}, {ref}, {exercise}, or a directive's opening fence), and nothing that jupyterlab-myst marks
   as unresolved (a cross-reference or citation it could not find);
   exercise solutions are folded: on first view (before the run) the cell that opens one shows only
   its title, and every later cell of the solution (prose, code and outputs, up to the cell that closes
   it; found from the cells' sources, not their metadata) shows at most its folded bar, and a click on
   the bars of the first solution expands them; after the run the solutions' code is still folded
   (running a cell shows its outputs, and a markdown cell's text, by JupyterLab's design);
4. finds the live figure (an image with ipywidgets controls above it) and operates every control in
   turn, whatever controls the chapter declares: sliders by keyboard, drop-downs by picking another
   option; after each change the figure's pixels must change and the figure must report no error;
5. checks that the page asked nothing of the outside world (every request to anything but the local
   server is aborted and recorded), never asked the server for news or updates, and showed no
   notification.

The same checks run on one chapter in Notebook 7 (/notebooks/...).

Environment:
    FM_CHROMIUM   Chromium executable (default: /usr/bin/chromium)
"""

from __future__ import annotations

import io
import json
import os
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
CHAPTERS = sorted(p.name for p in (REPO / "notebooks").glob("0*.ipynb"))
NOTEBOOK7_CHAPTER = "04_marginal_vector_field.ipynb"
from chromium_launch import CHROMIUM, chromium_executable, launch  # noqa: E402 - tests/ is on sys.path
# The project's JupyterLab settings override, as `make venv` installs it into the environment.
OVERRIDES_SOURCE = REPO / "jupyter-settings" / "overrides.json"
OVERRIDES_INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"

# Time budgets (seconds), generous for a loaded 2-core machine.
SERVER_START = 90
PAGE_READY = 120
RUN_ALL = 400
REDRAW = 60

# What raw MyST looks like when a markdown renderer did not understand it.
RAW_MYST = ["{eq}`", "{prf:", "{exercise}", "{solution", "{cite}`", "{cite:", "{numref}`", "{ref}`",
            "```{", ":::{", "{note}", "{math}"]

if not Path(chromium_executable()).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` or point "
                "FM_CHROMIUM at a Chromium executable", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the JupyterLab client test needs playwright")
pytest.importorskip("jupyterlab", reason="the JupyterLab client test needs jupyterlab")
pytest.importorskip("jupyterlab_myst", reason="the notebooks' MyST needs jupyterlab-myst (requirements.txt)")
PIL_Image = pytest.importorskip("PIL.Image")
np = pytest.importorskip("numpy")


def _jupyter() -> str:
    """The jupyter command of the environment running the tests (.venv/bin/jupyter)."""
    candidate = Path(sys.executable).parent / "jupyter"
    if not candidate.exists():
        pytest.skip("no `jupyter` command next to the Python running the tests")
    return str(candidate)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """JupyterLab on 127.0.0.1 in a scratch directory; ``stop()`` ends it and deletes the directory."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fm-jupyterlab-"))
        self.root = self.tmp / "root"
        (self.root / "notebooks").mkdir(parents=True)
        for name in CHAPTERS:
            shutil.copy2(REPO / "notebooks" / name, self.root / "notebooks" / name)
        shutil.copy2(REPO / "references.md", self.root / "references.md")
        dirs = {name: self.tmp / name for name in ("settings", "config", "runtime", "workspaces", "data", "ipython")}
        for path in dirs.values():
            path.mkdir()
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
            # window.jupyterapp: run commands and read the notebook model, in JupyterLab and Notebook 7
            "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
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
    assert OVERRIDES_INSTALLED.exists(), (
        f"{OVERRIDES_INSTALLED} is missing: `make venv` installs it from {OVERRIDES_SOURCE.relative_to(REPO)}")
    assert json.loads(OVERRIDES_INSTALLED.read_text()) == json.loads(OVERRIDES_SOURCE.read_text()), (
        f"{OVERRIDES_INSTALLED} differs from {OVERRIDES_SOURCE.relative_to(REPO)}: run `make venv`")
    srv = _Server()
    try:
        srv.wait_until_up()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    """(context, record): a Chromium context that reaches only the server; record of what else it tried."""
    record = {"blocked": [], "asked_server": [], "console": []}
    with sync_api.sync_playwright() as pw:
        chromium = launch(pw)
        try:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)

            def route(route):
                url = route.request.url
                if url.startswith(server.url + "/") or url.startswith(("data:", "blob:")):
                    if "/lab/api/news" in url or "/lab/api/update" in url:
                        record["asked_server"].append(url.split("?")[0])
                    route.continue_()
                else:
                    record["blocked"].append(url)
                    route.abort("blockedbyclient")

            context.route("**/*", route)
            yield context, record
            context.close()
        finally:
            chromium.close()


# JavaScript run in the page; `window.jupyterapp` is the application (expose_app_in_browser).
_NOTEBOOK_READY = """(name) => {
    const app = window.jupyterapp;
    const panel = app && app.shell && app.shell.currentWidget;
    if (!panel || !panel.sessionContext || !panel.content || !panel.context || !panel.context.isReady) return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && panel.context.path.endsWith(name);
}"""

_CELL_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const cells = [];
    const model = panel.content.model;
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (cell.type !== 'code') { cells.push({index: i, type: cell.type}); continue; }
        const outputs = [];
        for (let j = 0; j < cell.outputs.length; j++) {
            const out = cell.outputs.get(j).toJSON();
            outputs.push({type: out.output_type, name: out.name || '', ename: out.ename || '',
                          text: [].concat(out.text || []).join('')});
        }
        cells.push({index: i, type: 'code', count: cell.executionCount, outputs: outputs});
    }
    return {kernel: kernel ? kernel.status : 'none', cells: cells};
}"""

# The text a reader sees in each rendered markdown cell, folded parts (solutions) included; without
# the hidden editor (which holds the source) and without the TeX that math renderers keep for
# screen readers.
_MARKDOWN_TEXT = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter(cell => cell.model.type === 'markdown').map(cell => {
    const area = cell.inputArea.node;   // also when the cell is folded (then out of the page)
    const copy = area.cloneNode(true);
    copy.querySelectorAll('.jp-Editor, .cm-editor, .katex-mathml, annotation, mjx-assistive-mml, script')
        .forEach(e => e.remove());
    const unresolved = Array.from(copy.querySelectorAll('[title]'))
        .filter(e => /not found/i.test(e.getAttribute('title'))).map(e => e.textContent.trim());
    const visible = cell.node.querySelector('.jp-Cell-inputWrapper').innerText.trim();
    return {rendered: cell.node.classList.contains('jp-mod-rendered'), text: copy.textContent,
            visible: visible, unresolved: unresolved, source: cell.model.sharedModel.getSource()};
})"""

# What a reader sees of every cell of every exercise solution after the cell that opens it, up to and
# including the cell that closes it. Which cells those are is read from the sources (the gated
# directives), not from the folding metadata under test. A folded cell shows a bar with the first line
# of its source (blank for the book's folded markdown cells).
_SOLUTION_VIEW = """() => {
    const shown = node => !!node && node.isConnected && node.getClientRects().length > 0;
    const result = [];
    let inside = false, span = -1;
    window.jupyterapp.shell.currentWidget.content.widgets.forEach((cell, index) => {
        const source = cell.model.sharedModel.getSource();
        const markdown = cell.model.type === 'markdown';
        if (markdown && source.includes('{solution-start}')) { inside = true; span += 1; return; }
        if (!inside) return;
        const code = cell.model.type === 'code';
        result.push({index: index, span: span, type: cell.model.type, firstLine: source.split('\\n')[0].trim(),
                     input: shown(cell.inputArea && cell.inputArea.node),
                     output: code && cell.model.outputs.length > 0 && shown(cell.outputArea.node),
                     visible: cell.node.innerText.trim()});
        if (markdown && source.includes('{solution-end}')) inside = false;
    });
    return result;
}"""


def _unfolded_solution_cells(page, code_only: bool = False) -> list:
    """Cells of a solution that show their content: an output, or a source or rendered text beyond
    what a folded bar shows (a closing cell that renders as nothing shows nothing). With `code_only`,
    the code cells whose source shows, leaving out the first solution (which the test expands)."""
    cells = page.evaluate(_SOLUTION_VIEW)
    assert cells, "no exercise solutions found in the chapter"
    if code_only:
        return [(c["index"], c["visible"][:80]) for c in cells if c["type"] == "code" and c["input"] and c["span"]]
    bar = {c["index"]: " ".join(c["firstLine"].split()) if c["type"] == "code" else "" for c in cells}
    return [(c["index"], c["type"], c["visible"][:80]) for c in cells
            if c["output"] or (c["input"] and c["visible"]) or " ".join(c["visible"].split()) != bar[c["index"]]]


def _expand_first_solution(page) -> None:
    """Click the folded bars of the first solution's cells: each shows its rendered prose or its code."""
    first = [c for c in page.evaluate(_SOLUTION_VIEW) if c["span"] == 0 and not c["input"]]
    assert first, "the first solution has no folded cell"
    for c in first:
        cell = page.locator(".jp-Notebook .jp-Cell").nth(c["index"])
        bar = cell.locator(".jp-InputPlaceholder .jp-Placeholder-content")
        bar.scroll_into_view_if_needed()
        bar.click()
        page.wait_for_function("(n) => n.querySelector('.jp-InputArea') !== null", arg=cell.element_handle(),
                               timeout=10_000)
        text = cell.locator(".jp-InputArea").inner_text().strip()
        assert text, f"cell {c['index']}: its folded bar expanded to nothing"
        raw = [token for token in RAW_MYST if c["type"] == "markdown" and token in text]
        assert not raw, f"cell {c['index']}: the expanded solution shows raw MyST {raw}: {text[:120]!r}"


# Every live figure: an ipywidgets image whose box also holds the controls.
_EXPLORERS = "div.widget-vbox:has(> img.widget-image)"


def _png_pixels(png: bytes):
    return np.asarray(PIL_Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _settle(page, image, quiet_ms: int = 1500) -> str:
    """Wait until the kernel is idle and the figure has not changed for `quiet_ms`; return its src."""
    page.wait_for_function(
        """([img, quiet]) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const now = performance.now();
            if (img.src !== img.dataset.fmLastSrc) { img.dataset.fmLastSrc = img.src; img.dataset.fmSince = now; }
            return kernel.status === 'idle' && img.complete && img.naturalWidth > 0
                   && now - Number(img.dataset.fmSince) > quiet;
        }""", arg=[image.element_handle(), quiet_ms], timeout=REDRAW * 1000, polling=250)
    return image.get_attribute("src")


def _figure_changed(page, image, before_src: str, before_pixels, what: str):
    """Wait for the image to receive a new frame and settle; return its pixels (asserting they changed)."""
    page.wait_for_function("([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                           arg=[image.element_handle(), before_src], timeout=REDRAW * 1000)
    _settle(page, image)
    pixels = _png_pixels(image.screenshot())
    assert pixels.shape == before_pixels.shape, f"the figure changed size after {what}"
    changed = np.mean(np.any(pixels != before_pixels, axis=-1))
    assert changed > 0.001, f"the figure's pixels did not change after {what} ({changed:.2%} of pixels differ)"
    return pixels


def _operate_slider(page, slider) -> str:
    """Move a slider with the keyboard (right, or left if it is at its maximum); return what was done."""
    label = slider.locator(".widget-label").first.inner_text().strip()
    readout = slider.locator(".widget-readout")
    before = readout.inner_text().strip()
    handle = slider.locator(".noUi-handle")
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        for _ in range(5):
            handle.press(key)
        try:
            page.wait_for_function("([el, old]) => el.textContent.trim() !== old",
                                   arg=[readout.element_handle(), before], timeout=3000)
            return f"moving the slider {label!r} from {before} to {readout.inner_text().strip()}"
        except sync_api.TimeoutError:
            continue
    # Notebook 7 keeps the arrow keys for itself: click the track, away from the handle, instead.
    track = slider.locator(".noUi-target").bounding_box()
    knob = handle.bounding_box()
    x = track["x"] + track["width"] * (0.2 if knob["x"] + knob["width"] / 2 > track["x"] + track["width"] / 2 else 0.8)
    page.mouse.click(x, track["y"] + track["height"] / 2)
    try:
        page.wait_for_function("([el, old]) => el.textContent.trim() !== old",
                               arg=[readout.element_handle(), before], timeout=3000)
        return f"clicking the slider {label!r}: from {before} to {readout.inner_text().strip()}"
    except sync_api.TimeoutError:
        pass
    raise AssertionError(f"the slider {label!r} did not move from {before} with the arrow keys or a click")


def _operate_dropdown(dropdown, back: bool = False) -> str:
    """Pick the option after the current one (the first if the current is the last), or with ``back``
    the one before it (which undoes the forward step)."""
    label = dropdown.locator(".widget-label").first.inner_text().strip()
    select = dropdown.locator("select")
    options = select.locator("option").all_inner_texts()
    assert len(options) > 1, f"the drop-down {label!r} offers only {options}"
    current = select.evaluate("(s) => s.options[s.selectedIndex].text")
    choice = options[(options.index(current) + (-1 if back else 1)) % len(options)]
    select.select_option(label=choice)
    return f"choosing {choice!r} instead of {current!r} in {label!r}"


def _check_chapter(page, record, url: str, name: str, client: str) -> None:
    start = time.monotonic()

    def phase(what):   # shown with `pytest -s`: where the time goes
        print(f"[{client} {name}] {what}: {time.monotonic() - start:.1f} s")

    record["console"].clear()
    page.on("console", lambda message: record["console"].append(message.text))
    page.goto(url, wait_until="load")

    # 1. Open, kernel idle, every cell in the page (no windowing).
    page.wait_for_function(_NOTEBOOK_READY, arg=name, timeout=PAGE_READY * 1000)
    state = page.evaluate(_CELL_STATE)
    in_page = page.locator(".jp-Notebook .jp-Cell").count()
    assert in_page == len(state["cells"]), (
        f"{in_page} of {len(state['cells'])} cells are in the page: windowing is on (the settings override "
        f"{OVERRIDES_SOURCE.relative_to(REPO)} should turn it off)")
    phase("notebook open, kernel idle")
    deadline = time.monotonic() + 15          # markdown renders after the notebook is ready
    while (unfolded := _unfolded_solution_cells(page)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not unfolded, (f"solution cells in plain view on first view (cell, type, visible text): {unfolded} "
                          "(run scripts/myst_for_jupyterlab.py)")
    _expand_first_solution(page)
    phase("solutions folded, the first one unfolded by clicks")

    # 2. Run all cells; every code cell ran, in order, without error, traceback or stderr.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const s = (%s)(); const code = s.cells.filter(c => c.type === 'code');
                   return s.kernel === 'idle' && code.length > 0
                          && code.every(c => c.count !== null && c.count !== undefined); }""" % _CELL_STATE,
        timeout=RUN_ALL * 1000, polling=500)
    phase("all cells executed")
    state = page.evaluate(_CELL_STATE)
    code = [c for c in state["cells"] if c["type"] == "code"]
    counts = [c["count"] for c in code]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), f"cells ran out of order: {counts}"
    problems = [(c["index"], o) for c in code for o in c["outputs"] if o["type"] == "error" or o["name"] == "stderr"]
    assert not problems, f"cells with errors or stderr output: {problems}"
    assert page.locator(".jp-OutputArea-output", has_text="Traceback").count() == 0
    assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0

    # 3. Every markdown cell is rendered, shows no raw MyST and nothing unresolved.
    markdown = page.evaluate(_MARKDOWN_TEXT)
    assert markdown and len(markdown) == sum(c["type"] == "markdown" for c in state["cells"])
    unrendered = [i for i, cell in enumerate(markdown) if not cell["rendered"]]
    assert not unrendered, f"markdown cells not rendered: {unrendered}"
    raw = [(i, token, cell["text"][max(0, cell["text"].find(token) - 60):cell["text"].find(token) + 60])
           for i, cell in enumerate(markdown) for token in RAW_MYST if token in cell["text"]]
    assert not raw, f"raw MyST in rendered markdown cells (cell, token, context): {raw[:5]}"
    unresolved = [(i, cell["unresolved"]) for i, cell in enumerate(markdown) if cell["unresolved"]]
    assert not unresolved, f"references jupyterlab-myst could not resolve (markdown cell, text): {unresolved}"
    # Solutions are folded: the cell that opens one shows only its title ("Start of Solution to
    # Exercise 2"); its prose is in the closed drop-down. jupyterlab-myst renders each cell on its own,
    # so the later cells of a solution are folded by JupyterLab's cell metadata, which
    # scripts/myst_for_jupyterlab.py writes; checked on first view above and, for their code, here.
    opens = [i for i, cell in enumerate(markdown) if "{solution-start}" in cell["source"]]
    assert opens, "no exercise solutions found in the chapter"
    unfolded = [(i, markdown[i]["visible"][:80]) for i in opens if len(markdown[i]["visible"]) > 60]
    assert not unfolded, f"solutions in plain view (markdown cell, visible text): {unfolded}"
    unfolded = _unfolded_solution_cells(page, code_only=True)
    assert not unfolded, f"solution code in plain view after the run (cell, visible text): {unfolded}"
    not_found = [m for m in record["console"] if "not found" in m.lower()]
    assert not not_found, f"the renderer reported unresolved references: {not_found[:5]}"

    # 4. The live figure: every control changes the picture.
    explorers = page.locator(_EXPLORERS)
    assert explorers.count() >= 1, "no live figure (an ipywidgets image with its controls) in the notebook"
    for k in range(explorers.count()):
        explorer = explorers.nth(k)
        image = explorer.locator("> img.widget-image")
        image.scroll_into_view_if_needed()
        src = _settle(page, image)
        pixels = _png_pixels(image.screenshot())
        sliders = explorer.locator(".widget-slider")
        dropdowns = explorer.locator(".widget-dropdown")
        assert sliders.count() + dropdowns.count() >= 2, "a live figure needs at least its t slider and schedule"
        # Text fields (chapter 7's formula entry) are left out: what to type is not generic. The
        # preset drop-down, operated below, writes them and applies them; tests/test_playground.py
        # covers typed formulas.
        other = explorer.locator(".widget-checkbox, .widget-toggle-buttons, .widget-radio, "
                                 "input[type=number]")
        assert other.count() == 0, "a control of a kind this test cannot operate yet: teach it to"
        # A drop-down is set back after its check, so that each is tried from the figure's own setting
        # (chapter 9's noise level changes the picture only with the sampler it opens with).
        actions = [lambda s=sliders.nth(i): _operate_slider(page, s) for i in range(sliders.count())]
        for i in range(dropdowns.count()):
            actions += [lambda d=dropdowns.nth(i): _operate_dropdown(d),
                        lambda d=dropdowns.nth(i): _operate_dropdown(d, back=True)]
        for act in actions:
            what = act()
            pixels = _figure_changed(page, image, src, pixels, what)
            src = image.get_attribute("src")
            message = explorer.locator("> .widget-html")
            assert all(not text.strip() for text in message.all_inner_texts()), \
                f"after {what} the figure reports: {message.all_inner_texts()}"
    phase("every control redrew the figure")

    # 5. Nothing from outside, no news or update check, no notification.
    assert not record["blocked"], f"the page tried to load external resources: {record['blocked'][:5]}"
    assert not record["asked_server"], f"the page asked for news or updates: {record['asked_server']}"
    toasts = page.locator(".Toastify__toast, .jp-Notification-Toast").all_inner_texts()
    assert not toasts, f"notifications shown: {toasts}"


def _shut_down_kernel(page) -> None:
    """End the chapter's kernel (passed or not), so that chapters do not pile up kernels."""
    try:
        page.evaluate("""async () => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                                      if (w && w.sessionContext) await w.sessionContext.shutdown(); }""")
    except sync_api.Error:
        pass


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_in_jupyterlab(server, browser, name):
    context, record = browser
    page = context.new_page()
    page.set_default_timeout(PAGE_READY * 1000)
    try:
        # A fresh workspace per chapter: JupyterLab would otherwise restore the previous chapter's tab.
        workspace = f"fm-{name.split('_')[0]}"
        _check_chapter(page, record,
                       f"{server.url}/lab/workspaces/{workspace}/tree/notebooks/{name}?reset&token={server.token}",
                       name, "JupyterLab")
    finally:
        _shut_down_kernel(page)
        page.close()


def test_chapter_in_notebook7(server, browser):
    context, record = browser
    page = context.new_page()
    page.set_default_timeout(PAGE_READY * 1000)
    try:
        _check_chapter(page, record, f"{server.url}/notebooks/notebooks/{NOTEBOOK7_CHAPTER}?token={server.token}",
                       NOTEBOOK7_CHAPTER, "Notebook 7")
    finally:
        _shut_down_kernel(page)
        page.close()
