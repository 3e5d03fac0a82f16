"""What every chapter's live figure promises (one test per promise, run over ``CHAPTER_FIGURES``):

* changing t, the schedule or any of its own controls changes the picture;
* a bad parameter (a t outside [0, 1] or NaN, an unknown schedule, an unknown name, a value outside a
  control's options or range) raises ValueError, in the constructor and in ``update``, and leaves the
  figure's parameters as they were;
* the static player renders one distinct frame per (schedule, t) and restores the figure;
* a slider step (``update(t=...)``) checks t once and evaluates the schedule once (issue 8).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sys  # noqa: E402

from fm_cases import small_chapter_eight_fit  # noqa: E402,F401 - autouse: chapter 8 fits 3,000 draws here
from fm_helpers import schedules  # noqa: E402
from fm_helpers.figures import CHAPTER_FIGURES, chapter_figure  # noqa: E402
from fm_helpers.interactive import StaticPlayer  # noqa: E402
from player_checks import check_player  # noqa: E402
from fm_helpers.schedules import named_schedules  # noqa: E402

CHAPTERS = list(CHAPTER_FIGURES)


_FIGURES: dict = {}


def figure_of(chapter: str):
    """One figure per chapter for the whole module (building one is the slow part), reset to t = 0.3, CondOT."""
    if chapter not in _FIGURES:
        _FIGURES[chapter] = chapter_figure(chapter)(t=0.3, schedule="CondOT")
    figure = _FIGURES[chapter]
    figure.update(t=0.3, schedule="CondOT", **figure.defaults)
    return figure


def other_value(spec: dict, value):
    """A valid value of a control different from ``value``."""
    kind = spec.get("kind", "float")
    if kind == "choice":
        return next(option for option in spec["options"] if option != value)
    if kind == "int":
        return spec["min"] if value != spec["min"] else spec["min"] + spec.get("step", 1)
    return spec["max"] if value != spec["max"] else spec["min"]


def bad_values(spec: dict) -> list:
    """Values a control must refuse: not among its options, outside its range, of the wrong kind."""
    kind = spec.get("kind", "float")
    if kind == "choice":
        return ["no such option"]
    span = spec["max"] - spec["min"]
    bad = [spec["min"] - span - 1, spec["max"] + span + 1, float("nan"), "a string"]
    return bad + ([2.5, True] if kind == "int" else [])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_update_changes_pixels(chapter):
    figure = figure_of(chapter)
    before = figure.render().copy()
    assert before[..., :3].std() > 10  # not a blank canvas
    for change in ({"t": 0.7}, {"schedule": "Cosine"}):
        figure.update(**change)
        after = figure.render().copy()
        assert np.any(after != before), f"{chapter}: {change} left the picture unchanged"
        before = after
    # each of the chapter's own controls from the figure's defaults (chapter 9's noise level matters
    # only to the sampler it opens with), then back
    for name, spec in figure.extra_controls.items():
        own = figure.params[name]
        figure.update(**{name: other_value(spec, own)})
        after = figure.render().copy()
        assert np.any(after != before), f"{chapter}: {name} = {figure.params[name]} left the picture unchanged"
        figure.update(**{name: own})
        before = figure.render().copy()


def _bad_parameters():
    cases = []
    for chapter in CHAPTERS:
        figure_class = chapter_figure(chapter)
        generic = [{"t": 1.5}, {"t": -0.1}, {"t": float("nan")}, {"schedule": "Linear"}, {"colour": 1}]
        own = [{name: value} for name, spec in figure_class.extra_controls.items() for value in bad_values(spec)]
        cases += [pytest.param(chapter, params, id=f"{chapter}-{params}") for params in generic + own]
    return cases


@pytest.mark.parametrize("chapter, params", _bad_parameters())
def test_bad_parameters_raise(chapter, params):
    with pytest.raises(ValueError):
        chapter_figure(chapter)(**params)
    figure = figure_of(chapter)
    before = dict(figure.params)
    with pytest.raises(ValueError):
        figure.update(**params)
    assert figure.params == before


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_static_player_frames(chapter, tmp_path):
    """Every chapter's player: one frame per t and setting, frames that show their setting, the figure restored."""
    figure = figure_of(chapter)
    figure.update(t=0.5)
    own = {name: [figure.params[name]] for name, spec in figure.controls().items()
           if name != "t" and spec.get("static")}  # one setting (the figure's own) keeps this test quick
    player = check_player(figure, tmp_path, times=[0.0, 1.0], only=own)
    assert len(player.frames) == 3  # 0, 1 and the figure's own t = 0.5


def _count_schedule_calls(monkeypatch) -> dict:
    """Wrap the schedule's one evaluation path (``Schedule._evaluate``, behind ``at`` and every accessor) and
    ``check_t`` (in every fm_helpers module that imported it by name) so that each call is counted."""
    counts = {"evaluations": 0, "t checks": 0}
    evaluate, check_t = schedules.Schedule._evaluate, schedules.check_t

    def counted_evaluate(self, t):
        counts["evaluations"] += 1
        return evaluate(self, t)

    def counted_check_t(*args, **kwargs):
        counts["t checks"] += 1
        return check_t(*args, **kwargs)

    monkeypatch.setattr(schedules.Schedule, "_evaluate", counted_evaluate)
    for name, module in list(sys.modules.items()):
        if name.startswith("fm_helpers") and getattr(module, "check_t", None) is check_t:
            monkeypatch.setattr(module, "check_t", counted_check_t)
    return counts


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_slider_step_evaluates_the_schedule_once(chapter, monkeypatch):
    """One t check and one schedule evaluation per step, at the ends too (chapter 5's differences in time
    become one-sided there); the figure's drawing code takes its numbers from ``figure.values``."""
    figure = figure_of(chapter)
    counts = _count_schedule_calls(monkeypatch)
    for t in (0.0, 0.55, 0.97, 1.0, 0.2):
        for key in counts:
            counts[key] = 0
        figure.update(t=t)
        assert counts == {"evaluations": 1, "t checks": 1}, f"{chapter}, a step to t = {t}: {counts}"
