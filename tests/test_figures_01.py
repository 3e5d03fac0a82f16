"""Chapter 1's figures: ProbabilityPathFigure and the static figures of fm_helpers.figures.probability_paths."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from fm_helpers import data, marginal, paths, schedules
from fm_helpers.figures import chapter_figure
from fm_helpers.figures.probability_paths import (
    DESTINATIONS,
    ProbabilityPathFigure,
    grid_marginal_density,
    path_heatmap_figure,
    path_snapshots_figure,
    schedules_figure,
)
from fm_helpers.interactive import StaticPlayer
from player_checks import check_player  # noqa: E402

SCHEDULE_NAMES = list(schedules.named_schedules())


@pytest.fixture(scope="module")
def fig():
    return ProbabilityPathFigure(t=0.5, schedule="CondOT")


def offsets(collection) -> np.ndarray:
    return np.asarray(collection.get_offsets(), dtype=float)


def test_registered_as_chapter_one_figure():
    assert chapter_figure("01_probability_paths") is ProbabilityPathFigure


@pytest.mark.parametrize("name, t0", list(zip(SCHEDULE_NAMES, [0.0, 0.5, 1.0, 0.5])))
def test_builds_and_renders_for_every_schedule_and_time(name, t0):
    figure = ProbabilityPathFigure(t=t0, schedule=name)
    for t in (t0, 0.0, 0.5, 1.0):
        figure.update(t=t)
        pixels = figure.render()
        width, height = (figure.fig.get_size_inches() * figure.dpi).round().astype(int)
        assert pixels.shape == (height, width, 4)
        assert pixels[..., :3].std() > 10  # not a blank canvas
        assert np.all(np.isfinite(figure.density_values)) and figure.density_values.max() > 0


@pytest.mark.parametrize("name", SCHEDULE_NAMES)
def test_artists_show_the_path(fig, name):
    t, n = 0.37, 250
    fig.update(t=t, schedule=name, destination="Irvine", n_samples=n)
    schedule = schedules.named_schedules()[name]
    path = paths.GaussianPath(schedule)
    z = np.array(data.CITIES["Irvine"])
    alpha, beta = schedule.alpha(t), schedule.beta(t)

    # conditional draws: x = alpha_t z + beta_t eps, computed here without path.flow
    np.testing.assert_allclose(offsets(fig.cond_points), alpha * z + beta * fig.eps[:n])
    np.testing.assert_allclose(offsets(fig.marg_points), path.flow(fig.eps[:n], fig.z_samples[:n], t))
    # mean marker at alpha_t z, circles of radius beta_t and 2 beta_t around it
    np.testing.assert_allclose(np.ravel(fig.mean_marker.get_xydata()), alpha * z)
    for radius, line in zip((1, 2), fig.circles):
        distances = np.linalg.norm(line.get_xydata() - alpha * z, axis=1)
        np.testing.assert_allclose(distances, radius * beta)
    # the density image: the closed form of the library on the same grid
    xx, yy = np.meshgrid(fig.grid_x, fig.grid_y)
    expected = marginal.marginal_density(path, fig.mixture, np.stack([xx, yy], axis=-1), t)
    np.testing.assert_allclose(fig.density_values, expected, rtol=1e-10, atol=1e-14)
    # the schedule panel
    np.testing.assert_allclose(fig.alpha_line.get_ydata(), schedule.alpha(fig.ts))
    np.testing.assert_allclose(fig.beta_line.get_ydata(), schedule.beta(fig.ts))
    np.testing.assert_allclose(fig.t_dots.get_xydata(), [[t, alpha], [t, beta]])


def test_end_notes(fig):
    fig.update(t=0.0, schedule="Cosine")
    assert "N}(0, I)" in fig.cond_note.get_text() and "p_0" in fig.marg_note.get_text()
    np.testing.assert_allclose(offsets(fig.cond_points), fig.eps[: fig.params["n_samples"]], atol=1e-15)
    fig.update(t=1.0)
    assert "point mass" in fig.cond_note.get_text() and "p_{\\mathrm{data}}" in fig.marg_note.get_text()
    np.testing.assert_allclose(offsets(fig.cond_points) - fig.z, 0.0, atol=1e-15)
    fig.update(t=0.5)
    assert fig.cond_note.get_text() == "" and fig.marg_note.get_text() == ""


def test_static_player_frames(fig, tmp_path):
    fig.update(t=0.5, schedule="LinearVP", destination="Las Vegas")  # another test may have left it elsewhere
    player = check_player(fig, tmp_path, times=[0.0, 1.0], only={"schedule": ["CondOT", "LinearVP"]},
                          probe=(1, {"destination": 1}))
    assert [name for name, _, _ in player.axes] == ["schedule", "destination"]
    assert len(player.frames) == 2 * 2 * 3  # t = 0.5 joins the times: the player opens there exactly
    assert "n_samples" in player.fixed


def test_grid_marginal_density_matches_library():
    mixture = data.GaussianMixture([[0.5, -1.0], [2.0, 1.0], [-1.0, 2.0]], [0.2, 0.0, 0.5], [0.2, 0.3, 0.5])
    xs, ys = np.linspace(-3, 3, 7), np.linspace(-2, 4, 5)
    xx, yy = np.meshgrid(xs, ys)
    for schedule in schedules.named_schedules().values():
        for t in (0.0, 0.4, 0.9):
            expected = marginal.marginal_density(paths.GaussianPath(schedule), mixture, np.stack([xx, yy], -1), t)
            np.testing.assert_allclose(grid_marginal_density(schedule, mixture, xs, ys, t), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="point masses"):
        grid_marginal_density(schedules.CondOT(), mixture, xs, ys, 1.0)
    with pytest.raises(ValueError, match="2-D"):
        grid_marginal_density(schedules.CondOT(), data.GaussianMixture([[0.0]], 1.0), xs, ys, 0.5)


def test_schedules_figure_plots_the_schedules():
    figure = schedules_figure()
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    for ax, schedule in zip(figure.axes, schedules.named_schedules().values()):
        assert ax.get_title() == schedule.name and ax.get_xlabel()
        alpha_line, beta_line, total_line = ax.get_lines()[:3]
        ts = alpha_line.get_xdata()
        np.testing.assert_allclose(alpha_line.get_ydata(), schedule.alpha(ts))
        np.testing.assert_allclose(beta_line.get_ydata(), schedule.beta(ts))
        np.testing.assert_allclose(total_line.get_ydata(), schedule.alpha(ts) ** 2 + schedule.beta(ts) ** 2)
    assert len(schedules_figure([schedules.Polynomial(5), "CondOT"]).axes) == 2
    with pytest.raises(ValueError):
        schedules_figure(["NoSuchSchedule"])
    with pytest.raises(ValueError):
        schedules_figure([])


def test_other_static_figures():
    snapshots = path_snapshots_figure("Cosine", times=(0.0, 0.5, 1.0), n_samples=50)
    assert isinstance(snapshots, Figure) and len(snapshots.axes) == 6
    assert all(ax.get_xlabel() for ax in snapshots.axes[3:]) and snapshots.axes[0].get_ylabel()
    heatmap = path_heatmap_figure(n_t=21, n_x=31)
    assert isinstance(heatmap, Figure) and len(heatmap.axes) == 5  # four panels and a colour bar
    with pytest.raises(ValueError):
        path_snapshots_figure(destination="Paris")
    with pytest.raises(ValueError):
        path_snapshots_figure(schedule="NoSuchSchedule")


def test_destinations_are_cities():
    assert set(DESTINATIONS) <= set(data.CITIES)
