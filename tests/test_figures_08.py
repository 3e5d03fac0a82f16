"""Chapter 8's figure: LearnedFieldFigure, its cached fits and its fast grid evaluation.

The fits are made smaller here (fewer training draws) to keep the tests fast; the numbers the figure shows
are checked against the model evaluated directly (``FieldModel.__call__``, not the figure's ``GridField``)
and against the exact marginal field.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from fm_cases import small_chapter_eight_fit  # noqa: E402,F401 - autouse: 3,000 training draws per fit
from fm_helpers import learning  # noqa: E402
from fm_helpers.figures import chapter_figure  # noqa: E402
from fm_helpers.figures import learning as fl  # noqa: E402
from fm_helpers.interactive import StaticPlayer  # noqa: E402
from player_checks import check_player  # noqa: E402
from fm_helpers.marginal import marginal_field  # noqa: E402
from fm_helpers.paths import GaussianPath  # noqa: E402
from fm_helpers.schedules import named_schedules  # noqa: E402

SCHEDULES = list(named_schedules())


def test_registered():
    assert chapter_figure("08_learning_the_field") is fl.LearnedFieldFigure


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_builds_for_every_schedule(schedule):
    # built at the singular end t = 1 (only the exact field is drawn there), then moved to t = 0 and 0.5
    fig = fl.LearnedFieldFigure(t=1.0, schedule=schedule, n_features=25)
    for t in (1.0, 0.0, 0.5):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.shape[2] == 4 and pixels[..., :3].std() > 0
        assert fig.learned_arrows.get_visible() == (t <= 0.95)
        assert np.all(np.isfinite(fig.exact_arrows.U))


def test_arrows_show_the_exact_and_the_learned_field():
    fig = fl.LearnedFieldFigure(t=0.6, n_features=25)
    path = GaussianPath(named_schedules()["CondOT"])
    exact = marginal_field(path, fig.mixture, fig.arrow_points, 0.6)
    ratio = np.column_stack([fig.exact_arrows.U, fig.exact_arrows.V]) / exact
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-9)          # one common scale for every arrow
    scale = ratio[0, 0]
    learned = learning.book_model("CondOT", 25).model(fig.arrow_points, 0.6)
    u, v = np.asarray(fig.learned_arrows.U), np.asarray(fig.learned_arrows.V)
    shown = ~np.broadcast_to(np.asarray(fig.learned_arrows.Umask, dtype=bool), u.shape)   # arrows outside p_t's support are masked
    assert 5 < shown.sum() < len(shown)
    np.testing.assert_allclose(u[shown], scale * learned[shown, 0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(v[shown], scale * learned[shown, 1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fig.curve.get_ydata(), learning.book_model("CondOT", 25).errors)


def test_grid_field_equals_the_model():
    model = learning.book_model("LinearVP", 25).model
    points = np.random.default_rng(0).normal(size=(40, 2))
    grid = learning.GridField(model, points)
    for t in (0.0, 0.37, 0.95):
        np.testing.assert_allclose(grid(t), model(points, t), atol=1e-10)


def test_error_map_is_the_weighted_error():
    fig = fl.LearnedFieldFigure(t=0.4, n_features=25)
    path = GaussianPath(named_schedules()["CondOT"])
    pts = fig.error_grid
    u = marginal_field(path, fig.mixture, pts, 0.4)
    v = learning.book_model("CondOT", 25).model(pts, 0.4)
    alpha, beta = 0.4, 0.6
    var = alpha**2 * fig.mixture.stds**2 + beta**2
    sq = np.sum((pts[:, None, :] - alpha * fig.mixture.means) ** 2, axis=-1)
    p = np.sum(fig.mixture.weights * np.exp(-0.5 * sq / var) / (2 * np.pi * var), axis=1)
    expected = p * np.linalg.norm(v - u, axis=1) / np.max(p * np.linalg.norm(u, axis=1))
    np.testing.assert_allclose(np.asarray(fig.error_image.get_array()).reshape(-1), expected, rtol=1e-6, atol=1e-9)


def test_book_model_rejects_bad_counts():
    with pytest.raises(ValueError):
        learning.book_model("CondOT", 0)


def test_static_player_frames(tmp_path):
    fig = fl.LearnedFieldFigure(t=0.5, n_features=25)
    player = check_player(fig, tmp_path, times=[0.2, 1.0], only={"schedule": ["CondOT"]},
                          probe=(0, {"n_features": 2}))
    assert fig.t == 0.5 and fig.schedule.name == "CondOT" and len(player.frames) == 3 * 3
    assert {0.5, 0.95} <= set(fl.LearnedFieldFigure.controls()["t"]["static"])


def test_static_figures_build():
    model = learning.book_model("CondOT", 25).model
    assert fl.field_comparison_figure(model, "CondOT", times=(0.3,)).axes
    pts = np.random.default_rng(0).normal(size=(20, 2))
    assert fl.samples_figure(pts, pts).axes
