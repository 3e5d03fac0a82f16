"""Browser tests of the kernel-free figure players, on every chapter page of the built site.

* every chapter page has a player (the book is built with its players by `jupyter-book build .`);
* no HTML file of the site carries a frame (no base64 image at all);
* play advances t on its own and pause stops it; arrow keys step t, Home/End jump to its ends;
* the player opens at the chapter's own t, and its frame is drawn at twice its displayed width;
* the frames of every control setting weigh at most 3 MiB; they arrive progressively after the
  player comes into view, with the player usable meanwhile; once loaded, a frame switch is
  painted within 50 ms;
* on a 400 px wide screen the player fits the screen: its frame scales, its controls wrap.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from .conftest import HTML_DIR, site_pages

CHAPTERS = [page for page in site_pages() if page.startswith("notebooks/")]
if not CHAPTERS:
    pytest.skip(f"no chapter pages in {HTML_DIR}: run `make book` first", allow_module_level=True)

MAX_SETTING_BYTES = 3 * 1024 * 1024
MAX_SWITCH_MS = 50
BASE64_IMAGE = re.compile(r"data:image/(png|webp|jpe?g|gif|avif);base64", re.I)
PLAYER_DATA = re.compile(r'<script type="application/json" class="fm-player-data">(.*?)</script>', re.S)


def players_of(rel: str) -> list[dict]:
    text = (HTML_DIR / rel).read_text(encoding="utf-8")
    return [json.loads(m.replace("<\\/", "</")) for m in PLAYER_DATA.findall(text)]


@pytest.mark.parametrize("rel", CHAPTERS)
def test_every_chapter_has_a_player(rel):
    assert players_of(rel), f"{rel}: no kernel-free player (figure.fm-player) on the page"


def test_no_frame_inside_any_html_file():
    heavy = [p.relative_to(HTML_DIR).as_posix() for p in HTML_DIR.rglob("*.html")
             if BASE64_IMAGE.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not heavy, f"base64 images inside HTML files: {heavy}"


@pytest.mark.parametrize("rel", CHAPTERS)
def test_frames_of_every_setting_within_budget(rel):
    for data in players_of(rel):
        n_t = len(data["t"])
        assert n_t >= 41, f"{rel}: {n_t} values of t (at least 41)"
        folder = HTML_DIR / Path(rel).parent / data["base"]
        sizes = [(folder / name).stat().st_size for name in data["frames"]]
        for start in range(0, len(sizes), n_t):
            setting = sum(sizes[start:start + n_t])
            assert setting <= MAX_SETTING_BYTES, (
                f"{rel}: the frames of setting #{start // n_t} weigh {setting / 2**20:.2f} MiB (limit 3 MiB)")


@pytest.fixture(scope="module", params=CHAPTERS)
def chapter(request, page_loader):
    loaded = page_loader(request.param)
    yield loaded
    loaded.context.close()


def _player(loaded):
    player = loaded.page.locator("figure.fm-player").first
    player.scroll_into_view_if_needed()
    return player


_T_INDEX = "fig => Number(fig.querySelector('input.fm-player-t').value)"
_SRC = "fig => fig.querySelector('img.fm-player-frame').getAttribute('src')"


def test_opens_at_the_chapters_own_t_with_a_2x_frame(chapter):
    data = players_of(chapter.rel)[0]
    player = _player(chapter)
    shown = player.evaluate(_T_INDEX)
    assert shown == data["start"]["t"]
    readout = player.locator("output.fm-player-t-value").inner_text()
    assert float(readout) == pytest.approx(data["t"][data["start"]["t"]], abs=5e-3)
    sizes = player.evaluate("""async fig => {
        const img = fig.querySelector('img.fm-player-frame');
        if (!img.complete) await new Promise(r => img.addEventListener('load', r, {once: true}));
        return [img.naturalWidth, img.getBoundingClientRect().width];
    }""")
    assert sizes[0] >= 2 * sizes[1] - 1, f"{chapter.rel}: frame {sizes[0]} px wide shown at {sizes[1]} CSS px"


def test_frames_arrive_progressively_and_switch_fast(chapter):
    page = chapter.page
    player = _player(chapter)
    data = players_of(chapter.rel)[0]
    # usable while the frames are on their way: a slider move shows its frame's file at once
    start_src = player.evaluate(_SRC)
    player.locator("input.fm-player-t").focus()
    page.keyboard.press("ArrowLeft")
    assert player.evaluate(_SRC) != start_src
    page.keyboard.press("ArrowRight")
    # every frame of the current setting arrives (prefetched after the player came into view)
    page.wait_for_function(
        """names => { const got = performance.getEntriesByType('resource')
                         .map(e => e.name.split('/').pop());
                     return names.every(n => got.includes(n)); }""",
        arg=sorted(names_of_setting(player, data)), timeout=30_000)
    page.wait_for_timeout(300)  # the last ones decode
    times = player.evaluate("""async fig => {
        const slider = fig.querySelector('input.fm-player-t');
        const img = fig.querySelector('img.fm-player-frame');
        const result = [];
        for (let k = 0; k < 12; k++) {
            const t0 = performance.now();
            slider.value = String((Number(slider.value) + 7) % (Number(slider.max) + 1));
            slider.dispatchEvent(new Event('input', {bubbles: true}));
            // the new frame decoded and the next rendering opportunity reached: it is painted now
            await img.decode().catch(() => {});
            await new Promise(r => requestAnimationFrame(r));
            result.push(performance.now() - t0);
            await new Promise(r => setTimeout(r, 50));
        }
        return result;
    }""")
    assert statistics.median(times) <= MAX_SWITCH_MS, f"{chapter.rel}: frame switches took {times} ms"


def _setting(player) -> int:
    return player.evaluate("""fig => {
        const data = JSON.parse(fig.querySelector('script.fm-player-data').textContent);
        let index = 0;
        data.controls.forEach((c, k) => {
            const s = fig.querySelector('select.fm-player-control[data-control="' + c.name + '"]');
            index = index * c.options.length + Number(s.value);
        });
        return index;
    }""")


def names_of_setting(player, data) -> list[str]:
    n_t = len(data["t"])
    s = _setting(player)
    return data["frames"][s * n_t:(s + 1) * n_t]


def test_play_advances_and_pause_stops(chapter):
    page = chapter.page
    player = _player(chapter)
    button = player.locator("button.fm-player-play")
    player.evaluate("fig => { const s = fig.querySelector('input.fm-player-t'); s.value = '0';"
                    " s.dispatchEvent(new Event('input', {bubbles: true})); }")
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"fig => ({_T_INDEX})(fig) >= 3", arg=player.element_handle(), timeout=20_000)
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    stopped = player.evaluate(_T_INDEX)
    page.wait_for_timeout(600)
    assert player.evaluate(_T_INDEX) == stopped, "t kept moving after pause"


def test_arrow_keys_step_and_home_end_jump(chapter):
    page = chapter.page
    player = _player(chapter)
    slider = player.locator("input.fm-player-t")
    last = int(slider.get_attribute("max"))
    slider.focus()
    page.keyboard.press("Home")
    assert player.evaluate(_T_INDEX) == 0
    src0 = player.evaluate(_SRC)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert player.evaluate(_T_INDEX) == 2 and player.evaluate(_SRC) != src0
    page.keyboard.press("ArrowLeft")
    assert player.evaluate(_T_INDEX) == 1
    page.keyboard.press("End")
    assert player.evaluate(_T_INDEX) == last
    # the same keys work with the focus on the play button (on the figure, outside the slider)
    player.locator("button.fm-player-play").focus()
    page.keyboard.press("Home")
    assert player.evaluate(_T_INDEX) == 0


@pytest.mark.parametrize("rel", CHAPTERS)
def test_player_fits_a_400px_screen(rel, page_loader):
    loaded = page_loader(rel, width=400, height=800)
    try:
        page = loaded.page
        player = _player(loaded)
        # the player itself (the rest of the page's layout at 400 px is tested with the page's CSS)
        overflow = player.evaluate("""fig => Math.max(fig.getBoundingClientRect().right - window.innerWidth,
                                                  fig.scrollWidth - fig.clientWidth)""")
        assert overflow <= 0, f"{rel}: the player sticks out by {overflow} px at 400 px"
        box = player.bounding_box()
        inner = player.evaluate("""fig => Array.from(fig.querySelectorAll('img, .fm-player-controls > *'))
            .map(e => e.getBoundingClientRect()).map(r => [r.left, r.right])""")
        outside = [r for r in inner if r[0] < box["x"] - 1 or r[1] > box["x"] + box["width"] + 1]
        assert not outside, f"{rel}: player parts stick out of the player at 400 px: {outside}"
        rows = player.evaluate("""fig => new Set(Array.from(fig.querySelectorAll('.fm-player-controls > *'))
            .map(e => Math.round(e.getBoundingClientRect().top))).size""")
        assert rows >= 2, f"{rel}: the player's controls did not wrap at 400 px"
    finally:
        loaded.context.close()
