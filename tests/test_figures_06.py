"""Chapter 6's interactive figure: it builds, it redraws, it shows the right numbers, it refuses bad input.

The plotted points are checked against an independent run of ``ode.integrate`` from the same starts,
the density against ``marginal.marginal_density``, the exact routes against a separate RK4 run and
the printed shares against ``sampling.component_masses``.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from fm_helpers import data, marginal, ode, paths, sampling, schedules  # noqa: E402
from fm_helpers.figures import chapter_figure  # noqa: E402
from fm_helpers.figures.base import MAP_EXTENT  # noqa: E402
from fm_helpers.figures.sampling import SamplingFigure  # noqa: E402
from fm_helpers.interactive import StaticPlayer  # noqa: E402
from player_checks import check_player  # noqa: E402

NAMES = list(schedules.named_schedules())
STARTS = np.random.default_rng(0).standard_normal((SamplingFigure.N_POINTS, 2))
MIXTURE = data.two_cities()


def field_of(name):
    return sampling.flow_field(paths.GaussianPath(schedules.named_schedules()[name]), MIXTURE)


@pytest.fixture(scope="module")
def figure():
    return SamplingFigure(t=0.5, schedule="CondOT")


def plotted_points(fig):
    return np.concatenate([np.asarray(artist.get_offsets()) for artist in fig.points])


def routes(line):
    """The polylines of a Line2D whose routes are separated by NaN rows."""
    xy = np.asarray(line.get_xydata())
    pieces = np.split(xy, np.flatnonzero(np.isnan(xy[:, 0])))
    pieces = [piece[~np.isnan(piece[:, 0])] for piece in pieces]
    return [piece for piece in pieces if len(piece)]


def plotted_labels(fig):
    return np.concatenate([np.full(len(artist.get_offsets()), k) for k, artist in enumerate(fig.points)])


def test_registered_as_the_chapter_figure():
    assert chapter_figure("06_sampling") is SamplingFigure


@pytest.mark.parametrize("name", NAMES)
def test_builds_for_every_schedule_at_the_ends_and_the_middle(name):
    fig = SamplingFigure(t=0.0, schedule=name)
    for t in (0.0, 0.5, 1.0):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.shape[2] == 4 and pixels[..., :3].std() > 10
        assert len(plotted_points(fig)) == SamplingFigure.N_POINTS
        assert tuple(fig.t_marker.get_xdata()) == (t,)


def test_every_change_redraws_pixels(figure):
    figure.update(t=0.5, schedule="CondOT", steps=8, method="euler")
    before = figure.render().copy()
    for change in (dict(t=0.8), dict(schedule="Cosine"), dict(steps=3), dict(method="rk4")):
        figure.update(**change)
        after = figure.render().copy()
        assert np.abs(after.astype(int) - before.astype(int)).sum() > 0, change
        before = after
    figure.update(t=0.5, schedule="CondOT", steps=8, method="euler")


@pytest.mark.parametrize("name, method, steps", [("CondOT", "euler", 8), ("Cosine", "heun", 5), ("LinearVP", "rk4", 3)])
def test_points_are_the_solver_states_at_time_t(figure, name, method, steps):
    """At a node the points are the solver's state there; between nodes, on the straight segment."""
    trajectory = ode.integrate(field_of(name), STARTS, 0.0, 1.0, steps, method)
    exact_end = ode.integrate(field_of(name), STARTS, 0.0, 1.0, SamplingFigure.EXACT_STEPS, "rk4")[-1]
    order = np.argsort(sampling.component_labels(MIXTURE, exact_end), kind="stable")  # plotted by exact destination
    node = 2 / steps
    figure.update(schedule=name, method=method, steps=steps, t=node)
    np.testing.assert_allclose(plotted_points(figure), trajectory[2][order], atol=1e-12)
    figure.update(t=2.5 / steps)
    halfway = 0.5 * (trajectory[2] + trajectory[3])
    np.testing.assert_allclose(plotted_points(figure), halfway[order], atol=1e-12)
    figure.update(t=1.0)
    np.testing.assert_allclose(plotted_points(figure), trajectory[-1][order], atol=1e-12)
    np.testing.assert_array_equal(plotted_labels(figure), np.sort(sampling.component_labels(MIXTURE, exact_end)))


def test_density_routes_and_report_show_the_right_numbers(figure):
    figure.update(schedule="Polynomial(n=2)", method="heun", steps=6, t=0.3)
    path = paths.GaussianPath(schedules.Polynomial(2))
    density = marginal.marginal_density(path, MIXTURE, data.rect_grid(MAP_EXTENT, figure.GRID), 0.3)
    np.testing.assert_allclose(figure.density.get_array(), density, rtol=1e-12)

    exact = ode.integrate(field_of("Polynomial(n=2)"), STARTS, 0.0, 1.0, SamplingFigure.EXACT_STEPS, "rk4")
    solver = ode.integrate(field_of("Polynomial(n=2)"), STARTS, 0.0, 1.0, 6, "heun")
    drawn_exact = {tuple(np.round(route[-1], 9)) for route in routes(figure.exact_paths)}
    drawn_solver = routes(figure.paths)
    assert len(drawn_solver) == len(drawn_exact) == SamplingFigure.N_PATHS
    for xy in drawn_solver:  # each solid route is one start's solver trajectory, node by node
        i = np.argmin(np.linalg.norm(solver[0] - xy[0], axis=1))
        np.testing.assert_allclose(xy, solver[:, i], atol=1e-12)
        assert tuple(np.round(exact[-1, i], 9)) in drawn_exact

    figure.render()
    report = figure.report.get_text()
    masses, exact_masses = (sampling.component_masses(MIXTURE, x) for x in (solver[-1], exact[-1]))
    assert f"Los Angeles     {masses[0]:7.3f}{exact_masses[0]:7.3f}" in report
    assert f"{sampling.energy_distance(solver[-1], exact[-1]):.3f}" in report
    assert "Heun with 6 steps = 12 field evaluations" in figure.heading.get_text()


@pytest.mark.parametrize("change, message", [
    (dict(steps=0), "steps must be an integer from 1 to 50"),
    (dict(steps=51), "steps must be an integer from 1 to 50"),
    (dict(steps=2.5), "steps must be an integer"),
    (dict(steps=True), "steps must be an integer"),
    (dict(steps="8"), "steps must be an integer"),
    (dict(method="rk5"), "method must be one of euler, heun, rk4"),
    (dict(schedule="Linear"), "unknown schedule"),
    (dict(t=1.5), r"t must lie in \[0, 1\]"),
    (dict(speed=3), "no parameter"),
])
def test_bad_parameters_raise_and_leave_the_figure_as_it_was(figure, change, message):
    figure.update(t=0.5, schedule="CondOT", steps=8, method="euler")
    before = dict(figure.params)
    with pytest.raises(ValueError, match=message):
        figure.update(**change)
    assert figure.params == before


@pytest.mark.parametrize("kwargs", [dict(steps=0), dict(method="midpoint"), dict(t=-0.1), dict(colour="red")])
def test_bad_parameters_are_refused_at_construction(kwargs):
    """Refused before any drawing: also quick."""
    with pytest.raises(ValueError):
        SamplingFigure(**kwargs)


def test_runs_are_cached_and_the_cache_is_bounded(figure):
    figure.update(schedule="CondOT", method="rk4", steps=4)
    first = figure._run()
    figure.update(steps=5)
    figure.update(steps=4)
    assert figure._run() is first
    figure.update(method="euler")
    for steps in range(1, SamplingFigure.CACHE_SIZE + 6):
        figure.update(steps=steps)
    assert len(figure._cache) == SamplingFigure.CACHE_SIZE


def test_static_player_renders_every_setting_at_every_time(tmp_path):
    fig = SamplingFigure(t=0.5, schedule="Cosine", steps=4, method="heun")
    player = check_player(fig, tmp_path, times=[0.0, 1.0],
                          only={"schedule": ["Cosine"], "steps": [2, 4], "method": ["euler", "heun"]},
                          probe=(2, {"steps": 0, "method": 0}))
    assert len(player.frames) == 2 * 2 * 3
    assert "sampling: from noise to data" in player._repr_html_()
