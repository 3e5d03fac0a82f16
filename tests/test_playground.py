"""Chapter 7's playground widget, driven from Python as a reader would drive it."""

from __future__ import annotations

import os

import pytest

from fm_helpers.figures import playground as pg
from fm_helpers.figures.playground import PRESETS, SURPRISE, Playground, PlaygroundFigure, PlaygroundPlayer, playground
from fm_helpers.figures.base import declare_t
from fm_helpers.interactive import StaticPlayer


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
    ("t", "1/(t - 0.5)", ["not", "finite", "t = 0.5"]),
    ("t", "1 -", ["not a valid formula"]),
    ("t", "(1 - t)*(1 - 2*t)", ["beta must stay above 0"]),
    ("t^(1/2)", "1 - t", ["d_alpha", "t = 0"]),
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


PRESETS_EXPRESSIONS_CONDOT = pg.schedule_from_text(*PRESETS["CondOT"]).expressions()


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
