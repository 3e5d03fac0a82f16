"""Chapter 3's figures: CondOTFigure and the straightness measurements of fm_helpers.figures.condot."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from fm_helpers import data, symbolic
from fm_helpers.figures import chapter_figure
from fm_helpers.figures.condot import (
    MAX_STARTS,
    CondOTFigure,
    beads_figure,
    offpath_speed_figure,
)
from fm_helpers.sampling import (
    T_GRID,
    conditional_speeds,
    conditional_trajectories,
    defined_times,
    marginal_trajectories,
    speed_ratio,
)
from fm_helpers.sampling import straightness as chord_arc_ratio
from player_checks import check_player  # noqa: E402
from fm_helpers.marginal import marginal_field
from fm_helpers.paths import GaussianPath
from fm_helpers.schedules import CondOT, Cosine, LinearVP, Polynomial, named_schedules

SCHEDULES = list(named_schedules())


def _arrow_mask(fig) -> np.ndarray:
    """Which of the quiver's arrows are hidden (matplotlib keeps the mask apart from the filled U, V)."""
    return np.broadcast_to(np.asarray(fig.arrows.Umask, dtype=bool), (MAX_STARTS,))


@pytest.fixture(scope="module")
def figure():
    return CondOTFigure(t=0.5, schedule="CondOT")


# -- the interactive figure ----------------------------------------------------------------

def test_registered_as_chapter_figure():
    assert chapter_figure("03_condot") is CondOTFigure


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_builds_for_every_schedule_at_t_0_half_1(schedule):
    # built at the delicate end point t = 1 (LinearVP's speed is infinite there), then drawn at every time
    fig = CondOTFigure(t=1.0, schedule=schedule, n_starts=3)
    for t in (1.0, 0.0, 0.5):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.shape == (round(fig.figsize[1] * fig.dpi), round(fig.figsize[0] * fig.dpi), 4)
        assert pixels[..., :3].std() > 0
        assert fig.time_label.get_text() == f"t = {t:.2f}"
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("schedule", ["CondOT", "Cosine", "Polynomial(n=2)"])
def test_conditional_points_and_arrows_are_the_flow_and_its_velocity(figure, schedule):
    figure.update(schedule=schedule, paths="conditional", n_starts=5, t=0.37)
    path = GaussianPath(figure.schedule)
    eps, z = figure.eps[:5], figure.z[:5]
    x, y = figure.points.get_data()
    np.testing.assert_allclose(np.column_stack([x, y]), path.flow(eps, z, 0.37), atol=1e-12)
    velocity = figure.schedule.d_alpha(0.37) * z + figure.schedule.d_beta(0.37) * eps   # independent of the helper
    np.testing.assert_allclose(np.column_stack([figure.arrows.U[:5], figure.arrows.V[:5]]), velocity, atol=1e-12)
    assert _arrow_mask(figure)[5:].all()          # the hidden starts draw no arrows
    np.testing.assert_allclose(figure.speed_dots.get_ydata(),
                               np.minimum(np.linalg.norm(velocity, axis=1), figure.speed_top), atol=1e-12)
    for segment, point in zip(figure.travelled.get_segments(), path.flow(eps, z, 0.37)):
        np.testing.assert_allclose(segment[-1], point, atol=1e-12)  # the travelled part ends at the current point


def test_condot_speed_curves_are_flat(figure):
    figure.update(schedule="CondOT", paths="conditional", n_starts=6, t=0.2)
    for i, segment in enumerate(figure.speed_lines.get_segments()):
        np.testing.assert_allclose(segment[:, 1], np.linalg.norm(figure.z[i] - figure.eps[i]), rtol=1e-12)
    assert "max/min speed  median 1.00" in figure.info.get_text()


def test_marginal_arrows_are_the_marginal_field_at_the_points(figure):
    figure.update(schedule="CondOT", paths="marginal", n_starts=4, t=0.6)
    x, y = figure.points.get_data()
    points = np.column_stack([x, y])
    field = marginal_field(GaussianPath(CondOT()), data.two_cities(), points, 0.6)
    np.testing.assert_allclose(np.column_stack([figure.arrows.U[:4], figure.arrows.V[:4]]), field, atol=1e-12)
    # the points lie on the RK4 trajectories (t = 0.6 is a grid time of the 100-step integration)
    _, trajectory = marginal_trajectories(CondOT(), data.two_cities(), figure.eps[:4])
    np.testing.assert_allclose(points, trajectory[60], atol=1e-9)
    figure.update(paths="conditional")


def test_linear_vp_at_t1_draws_no_arrows_and_says_why():
    fig = CondOTFigure(t=0.9, schedule="LinearVP", n_starts=4)
    assert fig.note.get_text() == ""
    fig.update(t=1.0)
    assert _arrow_mask(fig).all()
    assert "infinite" in fig.note.get_text()
    x, y = fig.points.get_data()
    np.testing.assert_allclose(np.column_stack([x, y]), fig.z[:4], atol=1e-12)  # every start has arrived
    fig.update(t=0.5)
    assert fig.note.get_text() == "" and not _arrow_mask(fig)[:4].any()


def test_bad_update_leaves_the_figure_unchanged(figure):
    figure.update(n_starts=5)
    with pytest.raises(ValueError):
        figure.update(n_starts=50)
    assert figure.params["n_starts"] == 5


def test_static_player_has_a_frame_per_schedule_and_time(figure, tmp_path):
    figure.update(t=0.5)  # the player adds the figure's own t to the times: here it is one of them
    player = check_player(figure, tmp_path, times=[0.0, 0.5, 1.0], probe=(2, {"schedule": 2}))
    assert len(player.frames) == 4 * 3 and set(player.fixed) == {"paths", "n_starts"}


# -- the measurements ----------------------------------------------------------------------

def test_chord_arc_ratio_of_known_curves():
    s = np.linspace(0, 1, 2001)[:, None]
    line = np.hstack([s, 2 * s])
    semicircle = np.hstack([np.cos(np.pi * s), np.sin(np.pi * s)])
    assert chord_arc_ratio(line) == pytest.approx(1.0, abs=1e-12)
    assert chord_arc_ratio(semicircle) == pytest.approx(2 / np.pi, rel=1e-6)
    with pytest.raises(ValueError, match="does not move"):  # the one rule: a route that stays put has no direction
        chord_arc_ratio(np.zeros((5, 2)))
    with pytest.raises(ValueError):
        chord_arc_ratio(np.zeros((1, 2)))


def test_conditional_paths_straight_iff_alpha_plus_beta_is_one():
    rng = np.random.default_rng(0)
    eps, z = rng.standard_normal((30, 2)), data.two_cities().sample(30, rng)
    for schedule in (CondOT(), Polynomial(2), Polynomial(3.5)):
        np.testing.assert_allclose(chord_arc_ratio(conditional_trajectories(schedule, eps, z)), 1.0, atol=1e-12)
    for schedule in (Cosine(), LinearVP()):
        ratios = chord_arc_ratio(conditional_trajectories(schedule, eps, z))
        assert ratios.mean() < 0.95 and ratios.min() < 0.8   # bent (nearly straight only when eps and z are parallel)


def test_speeds_and_their_ratio():
    eps, z = np.array([[0.3, -1.0]]), np.array([[1.92, 3.85]])
    np.testing.assert_allclose(conditional_speeds(CondOT(), eps, z), np.linalg.norm(z - eps), rtol=1e-12)
    assert speed_ratio(conditional_speeds(CondOT(), eps, z))[0] == pytest.approx(1.0)
    assert speed_ratio(conditional_speeds(Polynomial(2), eps, z))[0] == np.inf       # starts at rest
    lvp = conditional_speeds(LinearVP(), eps, z)
    assert np.isnan(lvp[-1]).all() and np.isfinite(lvp[:-1]).all()                   # infinite at t = 1 only
    assert speed_ratio(lvp)[0] == np.inf
    mask = defined_times(LinearVP(), T_GRID)
    assert not mask[-1] and mask[:-1].all() and defined_times(Cosine(), T_GRID).all()
    # the speeds are the size of the time derivative of the path (central differences)
    ts, h = np.linspace(0.1, 0.9, 9), 1e-6
    for schedule in named_schedules().values():
        fd = (conditional_trajectories(schedule, eps, z, ts + h) - conditional_trajectories(schedule, eps, z, ts - h)) / (2 * h)
        np.testing.assert_allclose(conditional_speeds(schedule, eps, z, ts), np.linalg.norm(fd, axis=-1), rtol=1e-6)


def test_static_figures_and_derivation():
    assert isinstance(beads_figure(), Figure)
    assert isinstance(offpath_speed_figure([0.0, 0.0], [1.92, 3.85], [0.3, -1.0]), Figure)
    latex = symbolic.derivation_latex(symbolic.condot_derivation())
    assert latex.count(r"\\[6pt]") == len(symbolic.condot_derivation().steps) - 1
    assert r"\dot\alpha_t" in latex and "d_alpha" not in latex and "alpha_t = t, beta_t" not in latex
