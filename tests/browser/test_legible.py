"""Every figure of the built book is sharp and legible, and no page runs out sideways.

For every page of the site, in Chromium:

* every image in the article has at least twice as many pixels across as it is shown wide
  (sharp on a screen with two device pixels per CSS pixel), at a desktop and a phone width;
* the smallest text of every figure is at least 10 CSS px at the desktop width (1280 px):
  its size in pixels of the figure's 1x image (for a static figure, read from the PNG's
  ``fm:smallest-text-px`` chunk, written when the notebook ran; for a player, measured on
  the chapter's figure object, every note it may show included), times the width the browser
  shows the image at over that 1x width;
* no code block (or text output) is wider than its box (nothing clipped on the right), at
  both widths;
* at 400 px nothing makes the page wider than the window.
"""

from __future__ import annotations

import functools
import io
import urllib.request
from pathlib import Path

import pytest

from .conftest import NAV_TIMEOUT, _settle, site_pages

MIN_TEXT_CSS_PX = 10.0
DESKTOP, PHONE = 1280, 400


@pytest.fixture(scope="module")
def measure(browser, site_url):
    """measure(rel, width): images, clipped code and page width of one page at one window width (cached)."""
    contexts = {}

    def context_at(width):
        if width not in contexts:
            context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1,
                                          service_workers="block")
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site_url)
                          else route.abort("blockedbyclient"))
            contexts[width] = context
        return contexts[width]

    @functools.lru_cache(maxsize=None)
    def load(rel: str, width: int) -> dict:
        page = context_at(width).new_page()
        page.set_default_timeout(NAV_TIMEOUT)
        try:
            page.goto(site_url + rel, wait_until="load")
            _settle(page)
            return page.evaluate(_MEASURE)
        finally:
            page.close()

    yield load
    for context in contexts.values():
        context.close()


_MEASURE = """async () => {
    const article = document.querySelector('article') || document.body;
    const images = [...article.querySelectorAll('img')];
    for (const img of images) { img.loading = 'eager'; }
    await Promise.all(images.map(img => img.decode().catch(() => null)));
    return {
        images: images.map(img => ({
            src: img.currentSrc || img.src,
            natural: img.naturalWidth,
            shown: img.getBoundingClientRect().width,
            player: !!img.closest('.fm-player'),
        })),
        clipped: [...article.querySelectorAll('pre')]
            .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
            .map(pre => `${pre.scrollWidth} > ${pre.clientWidth} px: ${pre.textContent.slice(0, 70)}`),
        pageWidth: document.documentElement.scrollWidth,
        window: window.innerWidth,
        wide: [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                          && getComputedStyle(el).position !== 'fixed')
            .slice(0, 5).map(el => `${el.tagName.toLowerCase()}.${el.className}`),
    };
}"""


PAGES = site_pages()
pytestmark = pytest.mark.skipif(not PAGES, reason="no built site: run `make book` first")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("rel", PAGES)
def test_images_have_twice_the_pixels_they_are_shown_at(measure, rel, width):
    found = measure(rel, width)
    blurred = [f"{'player frame ' if img['player'] else ''}{img['src'][-60:]}: {img['natural']} px shown "
               f"{img['shown']:.0f} px wide"
               for img in found["images"] if img["shown"] > 0 and img["natural"] < 2 * img["shown"] - 1]
    assert not blurred, f"{rel} at {width} px: images with fewer than 2 pixels per CSS pixel:\n" + "\n".join(blurred)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("rel", PAGES)
def test_no_code_line_is_clipped(measure, rel, width):
    found = measure(rel, width)
    assert not found["clipped"], f"{rel} at {width} px: code wider than its box:\n" + "\n".join(found["clipped"])


@pytest.mark.parametrize("rel", PAGES)
def test_nothing_overflows_the_page_sideways_at_400px(measure, rel):
    width = PHONE
    found = measure(rel, width)
    assert found["pageWidth"] <= found["window"], (
        f"{rel} at {width} px: the page is {found['pageWidth']} px wide in a {found['window']} px window; "
        f"too wide: {found['wide']}")


def _png_smallest_text_px(data: bytes) -> float | None:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.format != "PNG":
        return None
    value = image.info.get("fm:smallest-text-px")
    return None if value is None else float(value)


@functools.lru_cache(maxsize=None)
def _player_text_px(chapter: str) -> tuple[float, float]:
    """(smallest text in px of the 1x frame, 1x frame width) of a chapter's player figure."""
    from fm_helpers.figures import chapter_figure
    from fm_helpers.figures.base import smallest_text_px

    figure = chapter_figure(chapter)()
    return smallest_text_px(figure.fig, shown_only=False), float(figure.fig.get_figwidth() * figure.dpi)


@pytest.mark.parametrize("rel", PAGES)
def test_figure_text_is_at_least_10_css_px(measure, rel):
    found = measure(rel, DESKTOP)  # the size is promised at the page's normal (desktop) width
    small = []
    for img in found["images"]:
        if img["shown"] <= 0:
            continue
        if img["player"]:
            chapter = Path(rel).stem
            text_px, width_1x = _player_text_px(chapter)
        else:
            with urllib.request.urlopen(img["src"]) as response:  # the local test server
                text_px = _png_smallest_text_px(response.read())
            if text_px is None:
                small.append(f"{img['src'][-60:]}: no fm:smallest-text-px chunk (not drawn by fm_helpers' "
                             "retina_png: import fm_helpers.figures before displaying a figure)")
                continue
            width_1x = img["natural"] / 2
        css_px = text_px * img["shown"] / width_1x
        if css_px < MIN_TEXT_CSS_PX:
            small.append(f"{img['src'][-60:]}: smallest text {css_px:.1f} CSS px "
                         f"({text_px:.1f} px at 1x, shown {img['shown']:.0f} of {width_1x:.0f} px)")
    assert not small, f"{rel}: figure text below {MIN_TEXT_CSS_PX} CSS px:\n" + "\n".join(small)
