"""Checks shared by the tests of every chapter's kernel-free player (``StaticPlayer``).

A frame is checked against an independent rendering: the figure set to the same controls and saved
with ``savefig`` at twice its dpi (a full draw, no blitting, no WebP), compared pixel by pixel.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
from PIL import Image

from fm_helpers.interactive import FRAME_SCALE, SITE_ROOT, StaticPlayer

#: Mean absolute difference (0-255 scale) below which a WebP frame "shows" a rendering: lossy
#: compression costs about 1-2; a different t or setting moves many pixels by far more.
SAME = 4.0


def savefig_pixels(figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.fig.savefig(buffer, format="png", dpi=figure.fig.dpi * FRAME_SCALE)
    return np.asarray(Image.open(buffer).convert("RGB"), dtype=float)


def frame_pixels(player: StaticPlayer, index: int) -> np.ndarray:
    image = Image.open(player.store / player.frames[index])
    assert image.format == "WEBP"
    return np.asarray(image.convert("RGB"), dtype=float)


def check_player(figure, tmp_path, times, only=None, probe=None):
    """Render a small player and check its frames, its HTML and that the figure is left as it was.

    ``probe``: (t index, {control: option index}) of the frame compared with an independent rendering.
    """
    before = dict(figure.params)
    player = StaticPlayer(figure, times=times, store=tmp_path, only=only)
    assert {k: getattr(v, "name", v) for k, v in figure.params.items()} == \
        {k: getattr(v, "name", v) for k, v in before.items()}, "the player must leave the figure as it was"
    settings = int(np.prod([len(options) for _, _, options in player.axes]))
    assert len(player.times) >= len(set(times))
    assert len(player.frames) == settings * len(player.times)
    width, height = (figure.fig.get_size_inches() * figure.fig.dpi).round().astype(int)
    assert all((tmp_path / name).is_file() for name in player.frames)
    first = frame_pixels(player, 0)
    assert first.shape == (height * FRAME_SCALE, width * FRAME_SCALE, 3)

    t_index, choices = probe or (len(player.times) - 1, {})
    index = player.frame_index(t_index, **choices)
    setting = {name: figure.control_value(name, options[choices.get(name, player.start[name])])
               for name, _, options in player.axes}
    figure.update(**setting, t=float(player.times[t_index]))
    reference = savefig_pixels(figure)
    figure.update(**before)
    shown = frame_pixels(player, index)
    assert np.abs(shown - reference).mean() < SAME, "the frame does not show its setting"
    other = frame_pixels(player, player.frame_index(0 if t_index else 1, **choices))
    assert np.abs(other - reference).mean() > np.abs(shown - reference).mean() + 0.5, \
        "another t gives the same picture: the check has no teeth"

    page = player._repr_html_()
    assert 'class="fm-player"' in page and "data:image" not in page
    data = json.loads(re.search(r'<script type="application/json" class="fm-player-data">(.*?)</script>',
                                page).group(1).replace("<\\/", "</"))
    assert data["frames"] == player.frames and data["base"].startswith(SITE_ROOT)
    assert data["t"][data["start"]["t"]] == round(float(before["t"]), 4)
    return player
