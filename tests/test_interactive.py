"""The two front ends built from one control declaration: ipywidgets ``Explorer`` and ``StaticPlayer``."""

from __future__ import annotations

import numpy as np
import pytest

from fm_helpers.figures.base import book_times, declare_schedule, declare_t
from fm_helpers.figures.condot import CondOTFigure
from fm_helpers.interactive import Explorer, StaticPlayer, explore

pytest.importorskip("ipywidgets")


class SmallFigure(CondOTFigure):
    t_control = declare_t([0.0, 1.0])
    schedule_control = declare_schedule(["CondOT", "Cosine"])


def test_book_times_are_dense_near_one_and_exact():
    times = np.array(book_times())
    assert len(times) >= 41 and times[0] == 0.0 and times[-1] == 1.0
    assert {0.5, 0.95, 0.99} <= set(times.tolist())
    gaps = np.diff(times)
    assert gaps[times[1:] > 0.8].max() < gaps[times[1:] <= 0.6].min()  # denser near t = 1
    assert 0.55 in book_times(0.55)


def test_explorer_has_one_widget_per_declared_control():
    figure = SmallFigure(t=0.5, schedule="CondOT")
    ui = explore(figure)
    assert isinstance(ui, Explorer)
    assert list(ui.controls) == list(figure.controls()) == ["t", "schedule", "paths", "n_starts"]
    assert list(ui.controls["schedule"].options) == ["CondOT", "Cosine"]
    image = ui.image.value
    ui.controls["t"].value = 0.8
    assert figure.t == 0.8 and ui.image.value != image
    ui.controls["schedule"].value = "Cosine"
    assert figure.schedule.name == "Cosine"
    ui.controls["paths"].value = "marginal"
    assert figure.params["paths"] == "marginal"


def test_player_restores_the_figure_when_a_frame_fails(tmp_path):
    class Failing(SmallFigure):
        def _draw(self, changed):
            if self.params["schedule"].name == "Cosine" and self.params["t"] == 1.0:
                raise RuntimeError("planted")
            super()._draw(changed)

    figure = Failing(t=0.5, schedule="CondOT")
    dpi = figure.fig.dpi
    with pytest.raises(ValueError, match="RuntimeError: planted"):  # LiveFigure.update reports any failure as ValueError
        StaticPlayer(figure, store=tmp_path)
    assert figure.t == 0.5 and figure.schedule.name == "CondOT" and figure.fig.dpi == dpi


def test_player_rejects_what_it_cannot_show(tmp_path, monkeypatch):
    figure = SmallFigure(t=0.5, schedule="LinearVP")
    with pytest.raises(ValueError, match="schedule options"):
        StaticPlayer(figure, store=tmp_path)
    figure.update(schedule="CondOT")
    with pytest.raises(ValueError, match="no control"):
        StaticPlayer(figure, store=tmp_path, only={"colour": ["red"]})
    monkeypatch.delenv("FM_FRAME_STORE", raising=False)
    with pytest.raises(ValueError, match="FM_FRAME_STORE"):
        StaticPlayer(figure)


def test_same_frames_are_stored_once(tmp_path):
    figure = SmallFigure(t=0.5, schedule="CondOT")
    first = StaticPlayer(figure, store=tmp_path, only={"schedule": ["CondOT"]})
    again = StaticPlayer(figure, store=tmp_path, only={"schedule": ["CondOT"]})
    assert first.frames == again.frames  # rendering is deterministic: the content address is stable
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(first.frames))
