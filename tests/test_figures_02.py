"""Chapter 2's figure module: ConditionalFieldFigure, the static figures and the derivation display."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from fm_helpers import data, symbolic
from fm_helpers.data import START
from fm_helpers.figures import chapter_figure
from fm_helpers.figures.conditional_field import (
    ARROW_DT,
    ConditionalFieldFigure,
    arrow_vectors,
    gps_overview_figure,
    landing_figure,
    other_starts,
)
from fm_helpers.interactive import StaticPlayer
from player_checks import check_player  # noqa: E402
from fm_helpers.paths import GaussianPath
from fm_helpers.schedules import named_schedules
from fm_helpers.symbolic import field_table, nice_latex, show_step

SCHEDULES = list(named_schedules())


@pytest.fixture(scope="module")
def figure():
    return ConditionalFieldFigure(t=0.5, schedule="CondOT")


def test_registered_as_chapter_figure():
    assert chapter_figure("02_conditional_vector_field") is ConditionalFieldFigure


@pytest.mark.parametrize("schedule, t_built", list(zip(SCHEDULES, (1.0, 0.0, 0.5, 1.0))))
def test_builds_for_every_schedule_and_time(schedule, t_built):
    # one construction per schedule (each at a different t, the singular t = 1 twice), then every t by update
    fig = ConditionalFieldFigure(t=t_built, schedule=schedule, destination="Los Angeles")
    for t in (t_built, 0.0, 0.5, 1.0):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.ndim == 3 and pixels.shape[-1] == 4
        assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_artists_show_the_flow_and_the_field(figure, schedule):
    t = 0.37
    figure.update(t=t, schedule=schedule, destination="Las Vegas")
    path = GaussianPath(named_schedules()[schedule])
    z = np.array(data.CITIES["Las Vegas"])
    starts = np.vstack([START, other_starts()])
    # cars sit on the flow psi_t(x0|z) = alpha_t z + beta_t x0, computed here by hand
    s = named_schedules()[schedule]
    expected = s.alpha(t) * z + s.beta(t) * starts
    np.testing.assert_allclose(np.column_stack(figure.cars.get_data()), expected[1:], atol=1e-12)
    np.testing.assert_allclose(np.ravel(figure.car_main.get_data()), expected[0], atol=1e-12)
    # the grid arrows are u_t(x|z) * dt (shortened where longer than a cell), u evaluated independently
    grid = figure.q_field.XY
    u = (s.d_alpha(t) - s.d_beta(t) / s.beta(t) * s.alpha(t)) * z + s.d_beta(t) / s.beta(t) * grid
    arrows, capped = arrow_vectors(u, figure.cap)
    np.testing.assert_allclose(figure.q_field.U, arrows[:, 0], atol=1e-12)
    np.testing.assert_allclose(figure.q_field.V, arrows[:, 1], atol=1e-12)
    # the car's arrows are its velocity d_alpha z + d_beta x0, times dt
    vel = s.d_alpha(t) * z + s.d_beta(t) * starts
    np.testing.assert_allclose(np.column_stack([figure.q_cars.U, figure.q_cars.V]), vel * ARROW_DT, atol=1e-12)
    # and that velocity is the field at the car's position
    np.testing.assert_allclose(path.conditional_field(expected, z, t), vel, atol=1e-10)
    # the route ends at z and starts at x0
    np.testing.assert_allclose(figure.routes[0], starts, atol=1e-12)
    np.testing.assert_allclose(figure.routes[-1], np.broadcast_to(z, starts.shape), atol=1e-12)
    # the tangent in the time panel has the car's velocity as slope
    ts, ys = figure.tangents.get_data()  # east tangent, NaN, north tangent
    assert np.isclose((ys[1] - ys[0]) / (ts[1] - ts[0]), vel[0, 0])
    assert np.isclose((ys[4] - ys[3]) / (ts[4] - ts[3]), vel[0, 1])
    # the other cars' routes are the flow of their starts
    for segment, start in zip(figure.route_others.get_segments(), starts[1:]):
        np.testing.assert_allclose(segment[0], start, atol=1e-12)
        np.testing.assert_allclose(segment[-1], z, atol=1e-12)


def test_at_t_equal_one_draws_what_is_defined(figure):
    figure.update(t=1.0, schedule="CondOT", destination="Los Angeles")
    assert not figure.q_field.get_visible()
    assert "undefined" in figure.status.get_text()
    assert figure.q_cars.get_visible()  # z - x0 is finite at t = 1
    np.testing.assert_allclose(np.ravel(figure.car_main.get_data()), data.CITIES["Los Angeles"])
    figure.update(schedule="LinearVP")  # d_beta is infinite at t = 1
    assert not figure.q_cars.get_visible()
    assert "infinite" in figure.status.get_text()
    figure.update(t=0.99)
    assert figure.q_field.get_visible() and figure.q_cars.get_visible()
    figure.update(t=0.5, schedule="CondOT", destination="Las Vegas")


def test_arrow_vectors_caps_length_and_keeps_direction():
    u = np.array([[1.0, 0.0], [0.0, 30.0], [3.0, 4.0]])
    arrows, capped = arrow_vectors(u, cap=0.5, dt=0.1)
    np.testing.assert_allclose(arrows, [[0.1, 0.0], [0.0, 0.5], [0.3, 0.4]])
    assert capped.tolist() == [False, True, False]


@pytest.mark.parametrize("bad", [{"destination": "Tokyo"}, {"t": 1.5}, {"t": -0.1}, {"schedule": "Linear"},
                                 {"speed": 3}])
def test_bad_parameters_raise(figure, bad):
    with pytest.raises(ValueError):
        ConditionalFieldFigure(**bad)
    with pytest.raises(ValueError):
        figure.update(**bad)
    assert figure.params["destination"] in ("Los Angeles", "Las Vegas")


def test_static_player_frames(figure, tmp_path):
    player = check_player(figure, tmp_path, times=[0.5, 1.0], only={"schedule": ["CondOT", "Cosine"]},
                          probe=(1, {"schedule": 1, "destination": 0}))
    assert [name for name, _, options in player.axes] == ["schedule", "destination"]


def test_player_times_cover_zero_to_one_densely_near_one():
    times = ConditionalFieldFigure.controls()["t"]["static"]
    assert times[0] == 0.0 and times[-1] == 1.0 and len(times) >= 41
    assert {0.5, 0.95, 0.99} <= set(times)


def test_static_figures():
    assert isinstance(gps_overview_figure(), Figure)
    with pytest.raises(ValueError):
        gps_overview_figure(destination="Tokyo")
    times = np.linspace(0.0, 0.999, 50)
    fig = landing_figure({"CondOT": 1 - times}, times, exact={"CondOT": 1 - times})
    assert isinstance(fig, Figure)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


def test_nice_latex_uses_the_book_notation():
    last = symbolic.conditional_field_derivation().steps[-1]
    text = nice_latex(last.lhs) + nice_latex(last.rhs)
    assert r"\dot{\alpha}_t" in text and r"\dot{\beta}_t" in text and r"\middle|\, z" in text
    assert "Derivative" not in text and r"\left(t \right)" not in text


def test_show_step_reports_the_verdicts():
    # a small derivation (sympy's simplify is slow on the real one): 2 z = u, then z + z = u (true), then 3 z = u (false)
    u = symbolic.field_x
    derivation = symbolic.Derivation("toy", (symbolic.Step("start", 2 * symbolic.z, u),
                                              symbolic.Step("split", symbolic.z + symbolic.z, u),
                                              symbolic.Step("wrong", 3 * symbolic.z, u)))
    views = [show_step(derivation, i) for i in (1, 2, 3)]
    assert [v.follows for v in views] == [None, True, False]
    assert "✓" in views[1]._repr_markdown_() and "NOT" in views[2]._repr_markdown_()
    assert "follows from step 1: True" in repr(views[1])
    with pytest.raises(ValueError):
        show_step(derivation, 0)


def test_field_table():
    table = field_table(["CondOT"])
    assert len(table.rows) == 1 and "| CondOT |" in table._repr_markdown_()
    assert "CondOT: u = (x - z)/(t - 1)" in repr(table)
