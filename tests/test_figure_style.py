"""The book's visual grammar: one colour per schedule in every figure that compares schedules,
and text large enough to read on the page.

A figure names a schedule in a line's legend label; that line must carry the schedule's colour
from ``figures.base.SCHEDULE_STYLES``, whichever chapter draws it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D

from fm_helpers.figures import conditional_field, condot, marginal_field, playground
from fm_helpers.figures.base import SCHEDULE_STYLES, enlarge_small_text, retina_png, smallest_text_px, static_figure

_NAMES = re.compile("|".join(re.escape(name) for name in sorted(SCHEDULE_STYLES, key=len, reverse=True)))


def schedule_lines(fig):
    """(schedule name, colour) of every line whose label names exactly one of the four schedules."""
    found = []
    for ax in fig.axes:
        for line in ax.findobj(Line2D):
            names = set(_NAMES.findall(line.get_label()))
            if len(names) == 1 and not line.get_label().startswith("_"):
                found.append((names.pop(), to_hex(line.get_color()), line.get_label()))
    return found


def _landing():
    times = np.linspace(0.0, 0.99, 20)
    return conditional_field.landing_figure({name: 1.0 - times for name in SCHEDULE_STYLES}, times)


FIGURES = {
    "Fig 2 landing": _landing,
    "Fig 3 off-path speed": lambda: condot.offpath_speed_figure([0.0, 0.0], [1.0, 2.0], [0.3, -0.2]),
    "Fig 4 Irvine": lambda: marginal_field.irvine_figure(t=0.5),
    "Fig 7 clock and scale": lambda: playground.clock_scale_figure(),
}


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_each_schedule_has_its_one_colour(make):
    fig = make()
    lines = schedule_lines(fig)
    assert {name for name, _, _ in lines} == set(SCHEDULE_STYLES), "every named schedule is drawn and labelled"
    wrong = [f"{label!r}: {colour}, not {SCHEDULE_STYLES[name]['color']}" for name, colour, label in lines
             if colour != SCHEDULE_STYLES[name]["color"]]
    assert not wrong, "\n".join(wrong)


def test_schedule_colours_are_distinct():
    colours = [style["color"] for style in SCHEDULE_STYLES.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("dpi, width_in", [(72, 8.625), (80, 8.4), (80, 10.2), (100, 7.5)])
def test_enlarged_text_reaches_the_promised_size_on_the_page(dpi, width_in):
    # Page size of a text = points * dpi / 72 (px at 1x) * shown width / 1x width, the figure being shown at
    # its 1x width or the column's (672 CSS px), whichever is smaller: computed here from those facts alone.
    fig = static_figure((width_in, 3.0), dpi)
    ax = fig.subplots()
    ax.set_title("title", fontsize=6)
    ax.legend(handles=[Line2D([], [], label="a legend entry")], fontsize=5)
    ax.set_xlabel("x label", fontsize=7)
    enlarge_small_text(fig)
    shown = min(width_in * dpi, 672)
    page_px = smallest_text_px(fig) * shown / (width_in * dpi)
    assert page_px >= 10.0


def test_retina_png_is_twice_the_size_it_is_shown_at():
    from io import BytesIO

    from PIL import Image

    fig = static_figure((5.0, 2.5), 80)
    fig.subplots().plot([0, 1], [0, 1])
    data, metadata = retina_png(fig)
    image = Image.open(BytesIO(data))
    assert image.size == (800, 400) and metadata == {"width": 400, "height": 200}
    assert float(image.info["fm:smallest-text-px"]) >= 10.0
