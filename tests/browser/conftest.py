"""Fixtures for the browser tests of the built book (`_build/html`).

One headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) per session,
one HTTP server on 127.0.0.1 serving `_build/html`, and one browser context per page:
the page is loaded once and every check of that page inspects the same load.

Every request the page makes is routed: a request to anything but the local server is
aborted and recorded, so a test can fail on it (the book must work offline).

Environment:
    FM_BOOK_HTML   directory of the built site (default: <repo>/_build/html)
    FM_CHROMIUM    Chromium executable (default: /usr/bin/chromium)
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import threading
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HTML_DIR = Path(os.environ.get("FM_BOOK_HTML", REPO / "_build" / "html")).resolve()
from chromium_launch import CHROMIUM, chromium_executable, launch  # noqa: E402 - tests/ is on sys.path
# Directories of the build that hold assets, not pages (theme macro templates live
# in _static/*.html; notebooks' sources in _sources).
NON_PAGE_DIRS = {"_static", "_sources", "_images", "reports", "_downloads"}

# Time budgets (milliseconds).
NAV_TIMEOUT = 60_000
MATHJAX_TIMEOUT = 60_000
IDLE_TIMEOUT = 15_000


def site_pages() -> list[str]:
    """Every HTML page of the built site, as a path relative to HTML_DIR (posix)."""
    if not HTML_DIR.is_dir():
        return []
    pages = []
    for path in sorted(HTML_DIR.rglob("*.html")):
        rel = path.relative_to(HTML_DIR)
        if rel.parts[0] in NON_PAGE_DIRS:
            continue
        pages.append(rel.as_posix())
    return pages


# --------------------------------------------------------------------------------------
# The local web server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def end_headers(self):
        # Every load is a fresh load: the weight test counts every byte.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def site_url():
    """Base URL (ending in '/') of `_build/html` served on 127.0.0.1 on a free port."""
    if not (HTML_DIR / "index.html").is_file():
        pytest.skip(f"no built site at {HTML_DIR}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(chromium_executable()).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "or point FM_CHROMIUM at a Chromium executable",
            pytrace=False,
        )
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            yield browser
        finally:
            browser.close()


@dataclasses.dataclass
class LoadedPage:
    """One page of the book, loaded once in its own browser context, and what it did."""

    rel: str  # path relative to the site root, e.g. "notebooks/03_condot.html"
    url: str  # URL it was loaded from
    site_url: str
    page: object  # playwright.sync_api.Page
    context: object = None  # playwright.sync_api.BrowserContext
    external: list = dataclasses.field(default_factory=list)  # aborted requests
    failed: list = dataclasses.field(default_factory=list)  # (url, reason)
    console_errors: list = dataclasses.field(default_factory=list)
    responses: list = dataclasses.field(default_factory=list)  # playwright Responses
    first_load: list = dataclasses.field(default_factory=list)  # the responses until the page settled

    @property
    def path(self) -> Path:
        return HTML_DIR / self.rel

    def local_file(self, url: str) -> Path | None:
        """The file of the build that `url` (on the local server) names, or None."""
        if not url.startswith(self.site_url):
            return None
        rel = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[1:]
        target = HTML_DIR / rel
        if rel == "" or rel.endswith("/"):
            target = target / "index.html"
        return target


def _is_local(url: str, site_url: str) -> bool:
    return url.startswith(site_url) or url.startswith(("data:", "blob:", "about:"))


@pytest.fixture(scope="session")
def page_loader(browser, site_url):
    """Load a page (path relative to the site root) in a fresh browser context.

    The caller owns the returned page and closes ``loaded.context`` when done.
    """

    def load(rel: str, width: int = 1280, height: int = 900) -> LoadedPage:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            service_workers="block",
        )
        page = context.new_page()
        page.set_default_timeout(NAV_TIMEOUT)
        loaded = LoadedPage(rel=rel, url=site_url + rel, site_url=site_url, page=page, context=context)

        def route(route):
            url = route.request.url
            if _is_local(url, site_url):
                route.continue_()
            else:
                loaded.external.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", route)

        def on_failed(request):
            if request.url in loaded.external:
                return  # recorded as external; we aborted it ourselves
            loaded.failed.append((request.url, request.failure or "failed"))

        def on_response(response):
            loaded.responses.append(response)
            if response.status >= 400:
                loaded.failed.append((response.url, f"HTTP {response.status}"))

        def on_console(msg):
            if msg.type == "error":
                loc = msg.location or {}
                loaded.console_errors.append(
                    f"console.error: {msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})"
                )

        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: loaded.console_errors.append(f"pageerror: {exc}"))

        page.goto(loaded.url, wait_until="load")
        _settle(page)
        loaded.first_load = list(loaded.responses)
        return loaded

    return load


def _idle(page, timeout: int = IDLE_TIMEOUT) -> None:
    """Wait for network idle (no request for 500 ms), but only as a heuristic.

    The waits that matter are explicit (load event, MathJax's startup promise,
    document.fonts.ready); on a busy machine networkidle alone can take long.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_load_state("networkidle", timeout=timeout)
    except PlaywrightTimeout:
        pass


def _settle(page) -> None:
    """Wait until the page (after any meta refresh) is loaded, typeset and idle."""
    for _attempt in range(5):
        try:
            page.wait_for_load_state("load")
            _idle(page)
            page.wait_for_function(
                """() => !window.MathJax || !MathJax.startup || !!MathJax.startup.promise""",
                timeout=MATHJAX_TIMEOUT,
            )
            page.evaluate(
                """async () => {
                    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                        await MathJax.startup.promise;
                    }
                    await document.fonts.ready;
                }"""
            )
            _idle(page)
            return
        except Exception as exc:  # a meta refresh destroys the context mid-wait
            if "context was destroyed" not in str(exc) and "navigation" not in str(exc):
                raise
    raise RuntimeError(f"page {page.url} never settled")
