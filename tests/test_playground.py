"""Chapter 7's playground widget, driven from Python as a reader would drive it."""

from __future__ import annotations

import html
import os

import pytest

from fm_helpers import sampling, schedules
from fm_helpers.figures.playground import PlaygroundFigure
from fm_helpers.interactive import Playground, PlaygroundPlayer, StaticPlayer, playground
from fm_helpers.schedules import PRESETS, SURPRISE, schedule_from_text
from fm_helpers.figures.base import declare_t


@pytest.fixture(scope="module")
def figure():
    return PlaygroundFigure(t=0.5, schedule="CondOT")


@pytest.fixture()
def ui(monkeypatch, figure):
    """A fresh widget around the module's figure (building a figure is the slow part), reset to CondOT."""
    monkeypatch.delenv("FM_STATIC", raising=False)
    figure.update(t=0.5, schedule="CondOT", data="two cities")
    return playground(figure)


def type_and_apply(ui, alpha=None, beta=None):
    if alpha is not None:
        ui.alpha.value = alpha
    if beta is not None:
        ui.beta.value = beta
    ui.button.click()


def test_kernel_mode_gives_the_widget(ui):
    assert isinstance(ui, Playground)
    assert repr(ui) == "<interactive figure: schedule playground>"
    assert (ui.alpha.value, ui.beta.value) == PRESETS["CondOT"] and ui.preset.value == "CondOT"
    assert r"\frac{x - z}{t - 1}" in ui.formula.value and ui.message.value == ""


@pytest.mark.parametrize("alpha, beta, words", [
    ("t", "exp(-t)", ["beta(1) must equal 0"]),
    ("sin(pi*t)", "1 - t", ["alpha(1) must equal 1"]),
    ("t", "1 - t + x", ["unknown name", "&#x27;x&#x27;"]),
    ("t", "1 - t + t*(1 - t)/(t - 0.5)", ["beta is infinite at t \u2248 0.5"]),
    ("t", "1 -", ["not a valid formula"]),
    ("t", "(1 - t)*(1 - 2*t)", ["beta must stay above 0"]),
    ("t^(1/2)", "1 - t", ["d_alpha", "infinite at t = 0"]),
])
def test_bad_formula_is_explained_and_the_figure_stays(ui, alpha, beta, words):
    image, formula, schedule = ui.image.value, ui.formula.value, ui.figure.schedule
    type_and_apply(ui, alpha, beta)
    for word in words:
        assert word in ui.message.value
    assert "color:#c44e52" in ui.message.value and "last valid schedule" in ui.message.value
    assert ui.image.value == image and ui.formula.value == formula and ui.figure.schedule is schedule
    # the reader's text stays in the field, to be fixed
    assert ui.beta.value == beta


def test_good_formula_changes_the_image_and_clears_the_message(ui):
    type_and_apply(ui, beta="exp(-t)")
    image = ui.image.value
    assert ui.message.value != ""
    type_and_apply(ui, beta="(1 - t)*(1 + 2*t)")
    assert ui.message.value == ""
    assert ui.image.value != image
    assert ui.figure.schedule.name == "alpha = t, beta = (1 - t)*(1 + 2*t)"
    assert ui.preset.value == "(your own)"
    assert "4 t" in ui.formula.value  # d_beta = 1 - 4t appears in the noise form


def test_presets_fill_the_fields_and_apply(ui):
    image = ui.image.value
    ui.preset.value = SURPRISE
    assert (ui.alpha.value, ui.beta.value) == PRESETS[SURPRISE]
    assert ui.figure.schedule.name == SURPRISE and ui.message.value == "" and ui.image.value != image
    ui.preset.value = "CondOT"
    assert ui.figure.schedule.expressions() == PRESETS_EXPRESSIONS_CONDOT


PRESETS_EXPRESSIONS_CONDOT = schedule_from_text(*PRESETS["CondOT"]).expressions()


def test_formulas_are_never_executed(ui, tmp_path):
    target = tmp_path / "created_by_a_formula"
    for attack in (f"__import__('os').system('touch {target}')", f"open('{target}', 'w')",
                   "t.__class__", "[t for t in ()]", "lambda: 1", "(1).__class__.__bases__"):
        image = ui.image.value
        type_and_apply(ui, alpha=attack)
        assert "last valid schedule" in ui.message.value
        assert ui.image.value == image
    assert not os.path.exists(target)


def test_t_and_data_controls(ui):
    image = ui.image.value
    ui.t_slider.value = 0.8
    assert ui.figure.t == 0.8 and ui.image.value != image
    image = ui.image.value
    ui.data.value = "eight gaussians"
    assert ui.figure.params["data"] == "eight gaussians" and ui.image.value != image


def test_static_mode_gives_a_player_with_the_note(monkeypatch, figure, tmp_path):
    monkeypatch.setenv("FM_STATIC", "1")
    monkeypatch.setenv("FM_FRAME_STORE", str(tmp_path))
    monkeypatch.setattr(type(figure), "t_control", declare_t([0.5]))  # one frame per setting: fast
    figure.update(t=0.5, schedule="CondOT")
    player = playground(figure)
    assert isinstance(player, PlaygroundPlayer) and isinstance(player, StaticPlayer)
    assert len(player.frames) == len(PRESETS)  # the presets, at t = 0.5 (data is a live-only control)
    page = player._repr_html_()
    assert "needs a running Python kernel" in page and "fm-player" in page


def test_playground_refuses_other_figures():
    with pytest.raises(ValueError):
        playground("CondOT")


@pytest.mark.parametrize("alpha, beta, words", [
    ("t", "(1-t)*(t-0.12345)**2/0.12345**2", ["is 0 at t \u2248 0.123", "before t = 1"]),
    ("t", "1 - t + 0.001*t*(1-t)/(t-0.12345)", ["beta is infinite at t \u2248 0.123"]),
    ("t", "1 - t + t*(1-t)*tan(pi*(t+0.00037))*1e-6", ["beta is infinite at t \u2248 0.499"]),
    ("t", "1-t + 1e-10", ["beta(0) must equal 1", "off by 1e-10"]),
    ("t", "1 - t + (1e-13)*sqrt(-1)", ["not a real number"]),
    ("exp(exp(exp(100*t)))", "1 - t", ["alpha(0) must equal 0"]),
])
def test_singular_formulas_are_refused_in_the_readers_words(ui, alpha, beta, words):
    image = ui.image.value
    type_and_apply(ui, alpha, beta)
    for word in words:
        assert word in html.unescape(ui.message.value)
    assert ui.image.value == image


def test_routes_a_solver_cannot_follow_are_not_drawn(ui):
    """t + 0.1 sin(2000 pi t) is smooth and valid, but |alpha'| reaches 629: 100 RK4 steps cannot follow it."""
    type_and_apply(ui, "t + 0.1*sin(2000*pi*t)", "1 - t")
    assert ui.message.value == ""  # the schedule is accepted ...
    note = ui.figure.marg_score.get_text().replace("\n", " ")
    assert "need about" in note and "RK4 steps, more than the 100" in note  # ... but its routes are not drawn
    assert all(len(line.get_xdata()) == 0 for line in ui.figure.marg_lines)
    assert sampling.rk4_steps_needed(schedule_from_text("t + 0.1*sin(2000*pi*t)", "1 - t"), 100) >= 4 * 628
    assert sampling.rk4_steps_needed(schedule_from_text("t", "sqrt(1 - t^2)"), 100) <= 100  # LinearVP is drawn


def test_no_python_text_reaches_the_reader(ui, monkeypatch):
    """An unexpected failure inside the checks is reported in words, not as 'ZeroDivisionError: ...'."""
    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(schedules, "schedule_from_text", broken)
    type_and_apply(ui, "t^3", "1 - t^3")
    assert "could not be checked" in ui.message.value
    assert "ZeroDivision" not in ui.message.value and "float division" not in ui.message.value
