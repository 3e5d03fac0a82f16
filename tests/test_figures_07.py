"""Chapter 7's figures: PlaygroundFigure and the static figures of fm_helpers.figures.playground."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from fm_helpers import data, marginal, ode, paths, schedules
from fm_helpers.figures import chapter_figure
from fm_helpers.figures.playground import (
    ARROW_DT,
    PRESETS,
    SURPRISE,
    PlaygroundFigure,
    back_and_forth_figure,
    clock_scale_figure,
    routes_figure,
    straightness_chart_figure,
)
from fm_helpers.sampling import conditional_straightness, marginal_routes, scale_and_clock
from fm_helpers.schedules import check_schedule, schedule_from_text
from player_checks import check_player  # noqa: E402

SCHEDULE_NAMES = list(schedules.named_schedules())


@pytest.fixture(scope="module")
def fig():
    return PlaygroundFigure(t=0.5, schedule="CondOT")


def xy(line) -> np.ndarray:
    return np.asarray(line.get_xydata(), dtype=float)


def test_registered_as_chapter_seven_figure():
    assert chapter_figure("07_schedule_playground") is PlaygroundFigure


@pytest.mark.parametrize("name, t0", list(zip(SCHEDULE_NAMES, [0.0, 0.5, 1.0, 1.0])))
def test_builds_and_renders_for_every_schedule_and_time(name, t0):
    figure = PlaygroundFigure(t=t0, schedule=name)
    for t in (t0, 0.0, 0.5, 1.0):
        figure.update(t=t)
        pixels = figure.render()
        width, height = (figure.fig.get_size_inches() * figure.dpi).round().astype(int)
        assert pixels.shape == (height, width, 4)
        assert pixels[..., :3].std() > 10  # not a blank canvas


@pytest.mark.parametrize("name", ["Cosine", "LinearVP"])
def test_artists_show_the_right_numbers(fig, name):
    t = 0.37
    fig.update(t=t, schedule=name, data="two cities")
    schedule = schedules.named_schedules()[name]
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    z = np.array(data.CITIES["Las Vegas"])
    np.testing.assert_allclose(fig.z, z)
    # cars on conditional routes: alpha_t z + beta_t eps, their arrows 0.1 d/dt of it (no cap at this t)
    np.testing.assert_allclose(xy(fig.cond_cars), alpha * z + beta * fig.cond_eps)
    expected = ARROW_DT * (schedule.d_alpha(t) * z + schedule.d_beta(t) * fig.cond_eps)
    np.testing.assert_allclose(np.column_stack([fig.cond_quiver.U, fig.cond_quiver.V]), expected, atol=1e-12)
    # samples of the marginal path
    mixture = data.two_cities()
    np.testing.assert_allclose(fig.samples.get_offsets(), alpha * fig.z_samples["two cities"] + beta * fig.eps)
    # the marginal field on the grid, independently by Monte Carlo-free closed form of the library
    field = marginal.marginal_field(paths.GaussianPath(schedule), mixture, fig.grids["two cities"], t)
    arrows = ARROW_DT * field
    length = np.hypot(*arrows.T)
    short = length <= fig.caps["two cities"]
    got = np.column_stack([fig.marg_quiver.U, fig.marg_quiver.V])
    np.testing.assert_allclose(got[short], arrows[short], atol=1e-12)
    np.testing.assert_allclose(np.hypot(*got[~short].T), fig.caps["two cities"])
    # the schedule panels
    np.testing.assert_allclose(fig.alpha_line.get_ydata(), schedule.alpha(np.linspace(0, 1, 201)))
    np.testing.assert_allclose(xy(fig.t_dots), [[t, alpha], [t, beta]])
    np.testing.assert_allclose(xy(fig.plane_dot), [[alpha, beta]])
    assert fig.heading.get_text() == f"schedule: {name}"


def test_marginal_routes_follow_the_field(fig):
    fig.update(t=0.5, schedule="CondOT", data="two cities")
    routes = marginal_routes("CondOT", "two cities")
    starts = np.random.default_rng(0).standard_normal((200, 2))
    np.testing.assert_allclose(routes[0], starts)
    # an independent Euler integration with many steps ends close to the RK4 routes
    path = paths.GaussianPath(schedules.CondOT())
    euler = ode.integrate(lambda x, t: marginal.marginal_field(path, data.two_cities(), x, t), starts[:12],
                          steps=2000, method="euler")
    assert np.max(np.abs(euler[-1] - routes[-1, :12])) < 5e-3
    np.testing.assert_allclose(xy(fig.marg_cars), routes[50, :12])  # t = 0.5 is node 50 of 100
    np.testing.assert_allclose(xy(fig.marg_lines[3]), routes[:, 3])
    score = float(fig.marg_score.get_text().split(":")[-1])
    arc = np.sum(np.linalg.norm(np.diff(routes, axis=0), axis=-1), axis=0)
    assert score == pytest.approx(np.mean(np.linalg.norm(routes[-1] - routes[0], axis=-1) / arc), abs=6e-4)


def test_straight_schedules_have_straight_conditional_routes(fig):
    for name in ("CondOT", "Polynomial(n=2)"):
        fig.update(schedule=name)
        assert fig.cond_score.get_text().endswith("1.000")
    fig.update(schedule=schedule_from_text(*PRESETS[SURPRISE]))
    assert float(fig.cond_score.get_text().split(":")[-1]) < 0.9  # straight lines, travelled back and forth
    fig.update(schedule="CondOT")


def test_undefined_fields_are_reported_not_raised(fig):
    fig.update(schedule="LinearVP", t=1.0)
    assert not fig.cond_quiver.get_visible() and "d_beta" in fig.cond_note.get_text()
    assert fig.marg_quiver.get_visible()  # the marginal field of spread-out data is finite at t = 1
    sqrt_alpha = schedules.from_expressions("sqrt(t)", "1 - t")
    fig.update(schedule=sqrt_alpha, t=0.0)
    assert not fig.marg_quiver.get_visible() and "not finite at t = 0" in fig.marg_note.get_text().replace("\n", " ")
    assert fig.marg_score.get_text().startswith("no routes")
    fig.render()
    fig.update(schedule="CondOT", t=0.5)
    assert fig.cond_quiver.get_visible() and fig.marg_quiver.get_visible() and fig.cond_note.get_text() == ""


@pytest.mark.parametrize("alpha, beta, words", [
    ("t", "exp(-t)", ["beta(1) must equal 0"]),
    ("t^2 + t", "1 - t", ["alpha(1) must equal 1"]),
    ("t", "1 - t + y", ["unknown name 'y'"]),
    ("t", "log(t)", ["beta is infinite at t = 0"]),
    ("t", "(1 - t)*(1 - 2*t)", ["beta must stay above 0", "is 0 at t \u2248 0.5, before t = 1"]),
    ("sqrt(t)", "1 - t", ["d_alpha", "is infinite at t = 0", "infinite speed"]),
    ("open('x')", "1 - t", ["unknown function 'open'"]),
])
def test_schedule_from_text_names_the_problem(alpha, beta, words):
    with pytest.raises(ValueError) as err:
        schedule_from_text(alpha, beta)
    for word in words:
        assert word in str(err.value)


def test_check_schedule_accepts_the_presets_and_named_schedules():
    for schedule in schedules.named_schedules().values():
        assert check_schedule(schedule) is schedule
    for alpha, beta in PRESETS.values():
        schedule_from_text(alpha, beta)


def test_scale_and_clock_rebuild_the_path():
    schedule = schedules.Cosine()
    t = np.linspace(0, 1, 11)
    c, s = scale_and_clock(schedule, t)
    np.testing.assert_allclose(c * s, schedule.alpha(t), atol=1e-15)
    np.testing.assert_allclose(c * (1 - s), schedule.beta(t), atol=1e-15)
    c, s = scale_and_clock("Polynomial(n=2)", t)
    np.testing.assert_allclose(c, 1.0)
    np.testing.assert_allclose(s, t**2)


def test_conditional_straightness_closed_form():
    rng = np.random.default_rng(1)
    x0, z = rng.standard_normal((5, 2)), np.array([1.0, 2.0])
    np.testing.assert_allclose(conditional_straightness("CondOT", x0, z), 1.0)
    # alpha + beta = 1 with alpha going out and back: chord / arc = 1 / (total variation of alpha)
    surprise = schedule_from_text(*PRESETS[SURPRISE])
    ts = np.linspace(0, 1, 4001)
    variation = np.sum(np.abs(np.diff(surprise.alpha(ts))))
    np.testing.assert_allclose(conditional_straightness(surprise, x0, z, n_times=4001), 1 / variation, rtol=1e-9)


def test_static_player_frames(fig, tmp_path):
    fig.update(t=0.5, schedule="LinearVP")
    player = check_player(fig, tmp_path, times=[0.0, 1.0], only={"data": ["two cities"]},
                          probe=(2, {"schedule": 4}))
    assert player.axes[0][2] == list(PRESETS)  # the four named schedules and the surprise
    assert player.start["schedule"] == list(PRESETS).index("LinearVP")


def test_static_figures():
    surprise = schedule_from_text(*PRESETS[SURPRISE])
    assert isinstance(routes_figure(["CondOT", surprise], n_paths=3), Figure)
    assert isinstance(clock_scale_figure(["CondOT", surprise]), Figure)
    assert isinstance(back_and_forth_figure(n_paths=3), Figure)
    chart = straightness_chart_figure(["CondOT", "Cosine"], {"conditional": [1.0, 0.89], "marginal": [0.94, 0.90]})
    assert isinstance(chart, Figure)
    np.testing.assert_allclose(chart.axes[0].lines[0].get_xdata(), [1.0, 0.89])
    with pytest.raises(ValueError):
        straightness_chart_figure([], {})
    with pytest.raises(ValueError):
        straightness_chart_figure(["CondOT"], {"conditional": [1.0, 0.9]})
