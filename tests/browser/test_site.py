"""Browser tests of the built book: every page, in headless Chromium, offline.

For every HTML page of `_build/html` (parametrised per page):

* nothing is requested from outside the site, no request fails, no console errors;
* every formula is typeset by MathJax with its TeX fonts, and no raw TeX is visible;
* every internal link resolves (file served with 200; `#fragment` ids exist);
* every kernel-free figure player reacts to its t slider and to every one of its selectors;
* no dead ipywidgets placeholder is left in the page;
* every image says what it shows: an alt text of words, not empty and not its own file name;
* the page's first load (everything it loads until it settles, before any scrolling or
  interaction) weighs at most 2 MiB (2,097,152 bytes).

The players' own behaviour (play, keys, frames, budgets, a 400 px screen) is tested in
test_players.py.

Run after `make book`: `.venv/bin/pytest tests/browser`.
"""

from __future__ import annotations

import hashlib
import html.parser
import urllib.error
import urllib.parse
import urllib.request
import warnings
from functools import lru_cache
from pathlib import Path

import pytest

from .conftest import HTML_DIR, site_pages

PAGES = site_pages()
if not PAGES:
    pytest.skip(
        f"no built site at {HTML_DIR}: run `make book` first", allow_module_level=True
    )

MAX_PAGE_BYTES = 2 * 1024 * 1024  # 2 MiB: the first load of every page
MATHJAX_FONT_DIR = "_static/mathjax/output/chtml/fonts/woff-v2/"


@pytest.fixture(scope="module", params=PAGES)
def loaded(request, page_loader):
    """The page, loaded once in its own context; all checks of this page share the load.

    pytest groups the tests by this module-scoped parameter, so each page is loaded
    once and its context closed before the next page is loaded.
    """
    page = page_loader(request.param)
    yield page
    page.context.close()


# --------------------------------------------------------------------------------------
# Static parsing helpers


class _PageScan(html.parser.HTMLParser):
    """ids, a meta refresh target and the number of math elements of a built page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refresh: str | None = None
        self.math_elements = 0
        self._pre_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and a["id"] is not None:
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            content = a.get("content") or ""
            if "url=" in content.lower():
                self.refresh = content[content.lower().index("url=") + 4 :].strip()
        if tag in ("pre", "code"):
            self._pre_depth += 1
        classes = (a.get("class") or "").split()
        if "math" in classes and self._pre_depth == 0:
            self.math_elements += 1

    def handle_endtag(self, tag):
        if tag in ("pre", "code") and self._pre_depth:
            self._pre_depth -= 1


@lru_cache(maxsize=None)
def scan(path: Path) -> _PageScan:
    parser = _PageScan()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


@lru_cache(maxsize=None)
def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --------------------------------------------------------------------------------------
# Network and console


def test_no_request_leaves_the_site(loaded):
    assert not loaded.external, (
        f"{loaded.rel} requested {len(loaded.external)} URL(s) outside the site "
        f"(the book must work offline): {sorted(set(loaded.external))}"
    )


def test_no_request_fails(loaded):
    assert not loaded.failed, f"{loaded.rel}: failed requests: {loaded.failed}"


def test_no_console_errors(loaded):
    assert not loaded.console_errors, (
        f"{loaded.rel}: console errors:\n" + "\n".join(loaded.console_errors)
    )


# --------------------------------------------------------------------------------------
# Mathematics

_RAW_TEX_JS = r"""
() => {
    const markers = ["$$", "\\(", "\\)", "\\[", "\\]", "\\begin{", "\\end{"];
    const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "NOSCRIPT",
                          "MJX-CONTAINER", "MJX-ASSISTIVE-MML", "KBD", "SAMP"]);
    const hits = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue;
        if (!markers.some(m => text.includes(m))) continue;
        let el = node.parentElement, skipped = false;
        for (let e = el; e; e = e.parentElement) {
            if (skip.has(e.tagName) || e.classList.contains("highlight")) { skipped = true; break; }
        }
        if (skipped) continue;
        // visible only: rendered boxes and not hidden by CSS
        if (!el || el.getClientRects().length === 0) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.display === "none") continue;
        hits.push(text.trim().slice(0, 120));
    }
    return hits;
}
"""

_MATH_STATE_JS = r"""
() => {
    const inCode = e => !!e.closest("pre, code, .highlight");
    const maths = [...document.querySelectorAll(".math")].filter(e => !inCode(e));
    const untypeset = maths.filter(e => !e.querySelector("mjx-container"))
                           .map(e => e.textContent.trim().slice(0, 80));
    const fonts = [...document.fonts].map(f => ({family: f.family.replace(/["']/g, ""),
                                                 status: f.status}));
    // the font families the typeset characters are actually drawn with
    const used = new Set();
    for (const c of document.querySelectorAll("mjx-container mjx-c")) {
        used.add(getComputedStyle(c).fontFamily);
        if (used.size > 20) break;
    }
    return {
        mathjax: !!(window.MathJax && MathJax.version),
        version: window.MathJax && MathJax.version,
        containers: document.querySelectorAll("mjx-container").length,
        maths: maths.length,
        untypeset: untypeset,
        fonts: fonts,
        used: [...used],
    };
}
"""


def test_math_is_typeset_with_tex_fonts(loaded):
    static = scan(loaded.path)
    state = loaded.page.evaluate(_MATH_STATE_JS)

    raw = loaded.page.evaluate(_RAW_TEX_JS)
    assert not raw, f"{loaded.rel}: raw TeX visible on the page: {raw[:10]}"

    if static.math_elements == 0 and state["maths"] == 0 and state["containers"] == 0:
        return  # no mathematics on this page

    assert state["mathjax"], f"{loaded.rel} has math but MathJax did not load"
    assert not state["untypeset"], (
        f"{loaded.rel}: {len(state['untypeset'])} formula(s) not typeset: "
        f"{state['untypeset'][:5]}"
    )
    assert state["containers"] >= 1, f"{loaded.rel}: no mjx-container on a page with math"

    # The TeX fonts are MathJax's own woff files, served by the site with status 200 ...
    font_responses = [r for r in loaded.responses if MATHJAX_FONT_DIR in r.url]
    assert font_responses, f"{loaded.rel}: no MathJax TeX font (woff) was requested"
    bad = [(r.url, r.status) for r in font_responses if r.status != 200]
    assert not bad, f"{loaded.rel}: MathJax fonts failed: {bad}"
    # ... the browser decoded them into loaded MJXTEX font faces ...
    loaded_tex = {f["family"] for f in state["fonts"]
                  if f["family"].startswith(("MJXTEX", "MJXZERO")) and f["status"] == "loaded"}
    assert any(f.startswith("MJXTEX") for f in loaded_tex), (
        f"{loaded.rel}: no MJXTEX font face loaded (fallback glyphs?): {state['fonts']}"
    )
    failed_tex = [f for f in state["fonts"]
                  if f["family"].startswith("MJX") and f["status"] == "error"]
    assert not failed_tex, f"{loaded.rel}: MathJax font faces failed to load: {failed_tex}"
    # ... and the typeset characters are drawn with them.
    assert state["used"] and all("MJX" in fam for fam in state["used"]), (
        f"{loaded.rel}: typeset characters use non-MathJax fonts: {state['used']}"
    )


# --------------------------------------------------------------------------------------
# Links

_LINKS_JS = """
() => [...document.querySelectorAll("a[href]")].map(a => a.href)
"""


def test_internal_links_resolve(loaded):
    page = loaded.page
    hrefs = set(page.evaluate(_LINKS_JS))
    static = scan(loaded.path)
    if static.refresh:  # index.html redirects with <meta http-equiv="refresh">
        hrefs.add(urllib.parse.urljoin(loaded.url, static.refresh))
    live_ids = set(page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
    current = page.url.split("#")[0]

    problems = []
    external = []
    for href in sorted(hrefs):
        scheme = urllib.parse.urlsplit(href).scheme
        if scheme in ("mailto", "javascript", "tel", "data", "blob"):
            continue
        if not href.startswith(loaded.site_url):
            external.append(href)
            continue
        url, _, fragment = href.partition("#")
        target = loaded.local_file(url)
        if target is None or not target.exists():
            problems.append(f"{href}: no such file in the build ({target})")
            continue
        status = http_status(url)
        if status != 200:
            problems.append(f"{href}: HTTP {status}")
            continue
        if fragment and target.suffix == ".html":
            fragment = urllib.parse.unquote(fragment)
            ids = set(scan(target).ids)
            if url == current:
                ids |= live_ids
            if fragment not in ids:
                problems.append(f"{href}: no element with id '{fragment}' on {target.name}")
    assert not problems, f"{loaded.rel}: broken internal links:\n" + "\n".join(problems)
    if external:
        warnings.warn(f"{loaded.rel} links outside the site: {external}", stacklevel=1)


# --------------------------------------------------------------------------------------
# Kernel-free figure players (markup produced by fm_helpers.interactive in FM_STATIC mode)

_PLAYER_STATE_JS = """
(fig) => {
    const img = fig.querySelector("img.fm-player-frame");
    return img ? img.getAttribute("src") : null;
}
"""

_SET_RANGE_JS = """
(fig) => {
    const r = fig.querySelector("input[type=range].fm-player-t");
    const min = parseFloat(r.min || "0"), max = parseFloat(r.max || "100");
    const cur = parseFloat(r.value);
    // go to whichever end is further away, so the frame must change
    const target = (Math.abs(max - cur) >= Math.abs(cur - min)) ? max : min;
    r.value = String(target);
    r.dispatchEvent(new Event("input", {bubbles: true}));
    r.dispatchEvent(new Event("change", {bubbles: true}));
    return {min: min, max: max, from: cur, to: parseFloat(r.value)};
}
"""

_SET_SELECT_JS = """
([fig, k]) => {
    const s = fig.querySelectorAll("select.fm-player-control")[k];
    const n = s.options.length;
    if (n < 2) return {options: n, control: s.dataset.control};
    const from = s.selectedIndex;
    s.selectedIndex = (from + 1) % n;
    s.dispatchEvent(new Event("input", {bubbles: true}));
    s.dispatchEvent(new Event("change", {bubbles: true}));
    return {options: n, control: s.dataset.control, from: s.options[from].text, to: s.options[s.selectedIndex].text};
}
"""

_IMG_DECODED_JS = """
async (fig) => {
    const img = fig.querySelector("img.fm-player-frame");
    if (!img.complete) await new Promise(r => img.addEventListener("load", r, {once: true}));
    try { await img.decode(); } catch (e) {}
    return img.naturalWidth;
}
"""


def _frame_pixels(player) -> str:
    img = player.locator("img.fm-player-frame")
    img.scroll_into_view_if_needed()  # first: a lazy image out of view never loads
    player.evaluate(_IMG_DECODED_JS)
    return hashlib.sha256(img.screenshot(animations="disabled")).hexdigest()


def _wait_src_change(page, player, old_src):
    page.wait_for_function(
        """([fig, old]) => {
            const img = fig.querySelector("img.fm-player-frame");
            return img && img.getAttribute("src") !== old;
        }""",
        arg=[player.element_handle(), old_src],
        timeout=10_000,
    )


def test_figure_players_respond(loaded):
    page = loaded.page
    players = page.locator("figure.fm-player")
    count = players.count()
    if count == 0:
        return  # no interactive figure on this page
    problems = []
    for i in range(count):
        player = players.nth(i)
        name = f"{loaded.rel} player #{i + 1}"
        n_img = player.locator("img.fm-player-frame").count()
        n_range = player.locator("input[type=range].fm-player-t").count()
        n_select = player.locator("select.fm-player-schedule").count()
        if (n_img, n_range, n_select) != (1, 1, 1):
            problems.append(
                f"{name}: expected one img.fm-player-frame, one input[type=range].fm-player-t "
                f"and one select.fm-player-schedule, got {n_img}, {n_range}, {n_select}"
            )
            continue
        if not player.is_visible():
            problems.append(f"{name}: not visible on the page")
            continue

        # the t slider
        src0 = player.evaluate(_PLAYER_STATE_JS)
        pix0 = _frame_pixels(player)
        moved = player.evaluate(_SET_RANGE_JS)
        if moved["min"] == moved["max"]:
            problems.append(f"{name}: the t slider has a single value ({moved})")
            continue
        try:
            _wait_src_change(page, player, src0)
        except Exception:
            problems.append(f"{name}: moving t {moved} did not change the frame's src")
            continue
        pix1 = _frame_pixels(player)
        if pix1 == pix0:
            problems.append(f"{name}: moving t {moved} changed src but not the pixels")

        # every other control: the schedule selector and the chapter's own, last first: a later
        # control may matter only at an earlier one's opening value (chapter 9's noise level
        # changes the picture only with the sampler the player opens with)
        n_controls = player.locator("select.fm-player-control").count()
        for k in reversed(range(n_controls)):
            before = player.evaluate(_PLAYER_STATE_JS)
            pix_before = _frame_pixels(player)
            chosen = page.evaluate(_SET_SELECT_JS, [player.element_handle(), k])
            if chosen["options"] < 2:
                problems.append(f"{name}: the {chosen['control']} control offers a single value")
                continue
            try:
                _wait_src_change(page, player, before)
            except Exception:
                problems.append(f"{name}: switching {chosen} did not change the frame's src")
                continue
            if _frame_pixels(player) == pix_before:
                problems.append(f"{name}: switching {chosen} changed src but not the pixels")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------
# No dead ipywidgets controls

_WIDGET_MARKERS = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "A Jupyter widget could not be displayed",
)


def test_no_ipywidgets_placeholders(loaded):
    source = loaded.path.read_text(encoding="utf-8", errors="replace")
    found = [m for m in _WIDGET_MARKERS if m in source]
    live = loaded.page.evaluate(
        """() => document.querySelectorAll(
            'script[type^="application/vnd.jupyter.widget"], .jupyter-widgets').length"""
    )
    assert not found and not live, (
        f"{loaded.rel} contains ipywidgets output that cannot work without a kernel "
        f"(markers: {found}, live elements: {live}); the book's extension _ext/offline_book.py "
        "should have put the build's kernels in static mode (FM_STATIC=1)"
    )


def test_every_image_has_a_description(loaded):
    """A screen reader reads an image's alt text; Sphinx fills a missing one with the image's path."""
    images = loaded.page.evaluate(
        """() => Array.from(document.querySelectorAll('img'), img => ({
               src: img.getAttribute('src') || '', alt: (img.getAttribute('alt') || '').trim()}))"""
    )
    undescribed = [image["src"] for image in images
                   if len(image["alt"].split()) < 3 or Path(image["src"]).name in image["alt"]]
    assert undescribed == [], (
        f"{loaded.rel}: images without a description (give the cell mystnb image alt metadata): {undescribed}"
    )


# --------------------------------------------------------------------------------------
# Page weight


def response_bytes(loaded, response) -> int:
    try:
        return len(response.body())
    except Exception:
        local = loaded.local_file(response.url)
        return local.stat().st_size if local and local.is_file() else 0


def page_weight(loaded) -> dict[str, int]:
    """Bytes of every response of the first load, until the page settled (the HTML with its data: URIs)."""
    sizes: dict[str, int] = {}
    for response in loaded.first_load:
        if response.url.startswith("data:"):
            continue  # already counted inside the document that contains it
        sizes[response.url] = max(sizes.get(response.url, 0), response_bytes(loaded, response))
    return sizes


def test_page_weight(loaded):
    sizes = page_weight(loaded)
    total = sum(sizes.values())
    heaviest = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    assert total <= MAX_PAGE_BYTES, (
        f"{loaded.rel} weighs {total / 2**20:.2f} MiB with its assets "
        f"on first load (limit {MAX_PAGE_BYTES / 2**20:.0f} MiB); heaviest: "
        + ", ".join(f"{u.rsplit('/', 1)[-1]} {n / 2**10:.0f} KiB" for u, n in heaviest)
    )
