"""Chapter 4's figures: MarginalFieldFigure and the static figure functions of fm_helpers.figures.marginal_field.

The numbers the figure shows are checked against computations written out here from the formulas of
the chapter (Bayes' rule for the two Gaussian components, the posterior mean, the naive field as the
conditional field of E[z]), not against the fm_helpers functions the figure itself calls.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib import colormaps  # noqa: E402

from fm_helpers import data  # noqa: E402
from fm_helpers.figures import chapter_figure  # noqa: E402
from fm_helpers.figures import marginal_field as mf  # noqa: E402
from fm_helpers.figures.base import DENSITY_CMAP  # noqa: E402
from fm_helpers.interactive import StaticPlayer  # noqa: E402
from player_checks import check_player  # noqa: E402
from fm_helpers.paths import GaussianPath  # noqa: E402
from fm_helpers.schedules import named_schedules  # noqa: E402

SCHEDULES = list(named_schedules())
MIXTURE = data.two_cities()


# -- independent closed forms (eq-posterior, eq-mixture-posterior, eq-naive-field) ------------------

def _components(schedule, t):
    alpha, beta = schedule.alpha(t), schedule.beta(t)
    var = alpha**2 * MIXTURE.stds**2 + beta**2
    return alpha, beta, var


def _posterior(schedule, x, t):
    alpha, _, var = _components(schedule, t)
    x = np.asarray(x, dtype=float)
    sq = np.sum((x[..., None, :] - alpha * MIXTURE.means) ** 2, axis=-1)
    log_w = np.log(MIXTURE.weights) - 0.5 * sq / var - np.log(var)       # d = 2: N(x; m, v I) has 1 / (2 pi v)
    log_w -= log_w.max(axis=-1, keepdims=True)
    w = np.exp(log_w)
    return w / w.sum(axis=-1, keepdims=True)


def _density(schedule, x, t):
    alpha, _, var = _components(schedule, t)
    sq = np.sum((x[..., None, :] - alpha * MIXTURE.means) ** 2, axis=-1)
    return np.sum(MIXTURE.weights * np.exp(-0.5 * sq / var) / (2 * np.pi * var), axis=-1)


def _marginal(schedule, x, t):
    """u_t(x) = a_t E[z | x, t] + b_t x, valid for t < 1."""
    alpha, beta, var = _components(schedule, t)
    x = np.asarray(x, dtype=float)
    given_k = MIXTURE.means + (alpha * MIXTURE.stds**2 / var)[:, None] * (x[..., None, :] - alpha * MIXTURE.means)
    mean = np.einsum("...k,...kd->...d", _posterior(schedule, x, t), given_k)
    d_alpha, d_beta = schedule.d_alpha(t), schedule.d_beta(t)
    return (d_alpha - d_beta * alpha / beta) * mean + d_beta / beta * x


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _quiver_directions(quiver):
    uv = np.stack([np.asarray(quiver.U), np.asarray(quiver.V)], axis=-1)
    return uv


@pytest.fixture(scope="module")
def figure():
    return mf.MarginalFieldFigure(t=0.5, schedule="CondOT")


# -- building -----------------------------------------------------------------------------------

def test_registered_for_chapter_4():
    assert chapter_figure("04_marginal_vector_field") is mf.MarginalFieldFigure


@pytest.mark.parametrize("name", SCHEDULES)
def test_builds_and_draws_for_every_schedule_and_time(figure, name):
    # Built at t = 1, where the naive field is undefined, then moved to t = 0 and t = 0.5: every state
    # must draw. CondOT reuses the module's figure, built from scratch at t = 0.5 (builds are slow).
    if name == "CondOT":
        fig = figure
        fig.update(schedule="CondOT", car="Irvine")
    else:
        fig = mf.MarginalFieldFigure(t=1.0, schedule=name, car="Las Vegas" if name == "Cosine" else "Irvine")
    for t in (1.0, 0.0, 0.5):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.shape[2] == 4 and pixels.std() > 0
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"


# -- update changes the pixels --------------------------------------------------------------------

# -- the artists show the right numbers -----------------------------------------------------------

@pytest.mark.parametrize("name,t", [("CondOT", 0.5), ("Cosine", 0.3), ("LinearVP", 0.8), ("Polynomial(n=2)", 0.6)])
def test_density_image_is_p_t(figure, name, t):
    figure.update(t=t, schedule=name)
    pixels = figure.render()
    image = figure.images[0]
    points, shown = image.points, image.rgba
    assert shown.shape[:2] == points.shape[:2] and shown.dtype == np.uint8
    # the image fills the map: pixel centres from one edge of the axes limits to the other
    ax = image.axes
    half = (ax.get_xlim()[1] - ax.get_xlim()[0]) / points.shape[1] / 2
    np.testing.assert_allclose(points[0, 0], (ax.get_xlim()[0] + half, ax.get_ylim()[0] + half), atol=2 * half)
    np.testing.assert_allclose(points[-1, -1], (ax.get_xlim()[1] - half, ax.get_ylim()[1] - half), atol=2 * half)
    # every pixel shows the colour of p_t / max p_t there (evaluated in 2 x 2 blocks: a small tolerance)
    p = _density(named_schedules()[name], points, t)
    expected = colormaps[DENSITY_CMAP](p / p.max(), bytes=True).astype(int)
    difference = np.abs(shown.astype(int) - expected)
    assert difference.mean() < 1.0 and difference.max() <= 64
    # both maps show the same density, and the canvas really holds it (row 0 is the bottom row)
    assert np.array_equal(shown, figure.images[1].rgba)
    box = ax.bbox
    top, left = pixels.shape[0] - int(np.floor(box.y1)), int(np.ceil(box.x0))
    np.testing.assert_array_equal(pixels[top, left], shown[-1, 0])


@pytest.mark.parametrize("name,t", [("CondOT", 0.5), ("Cosine", 0.3), ("LinearVP", 0.8), ("Polynomial(n=2)", 0.6)])
def test_arrows_point_along_the_two_fields(figure, name, t):
    figure.update(t=t, schedule=name)
    schedule = named_schedules()[name]
    grid = figure.arrow_grid
    true = _quiver_directions(figure.quivers[0])
    np.testing.assert_allclose(_unit(true), _unit(_marginal(schedule, grid, t)), atol=1e-9)
    lengths = np.linalg.norm(true, axis=1)
    np.testing.assert_allclose(lengths, lengths[0])          # directions only: one common length
    # The naive field is the conditional field of the single destination E[z] (eq-naive-field).
    naive = _quiver_directions(figure.quivers[1])
    np.testing.assert_allclose(_unit(naive), _unit(GaussianPath(schedule).conditional_field(grid, MIXTURE.mean(), t)),
                               atol=1e-9)


def test_condot_naive_arrows_point_at_the_data_mean(figure):
    # For CondOT the naive field is (E[z] - x) / (1 - t): every arrow points at E[z].
    figure.update(t=0.4, schedule="CondOT")
    naive = _quiver_directions(figure.quivers[1])
    np.testing.assert_allclose(_unit(naive), _unit(MIXTURE.mean() - figure.arrow_grid), atol=1e-9)


@pytest.mark.parametrize("car", list(mf.CARS))
def test_bars_are_the_posterior_weights_of_the_car(figure, car):
    figure.update(t=0.45, schedule="LinearVP", car=car)
    heights = [bar.get_height() for bar in figure.bars]
    np.testing.assert_allclose(heights, _posterior(named_schedules()["LinearVP"], mf.CARS[car], 0.45), atol=1e-12)
    marker = figure.car_markers[0].get_xydata()[0]
    np.testing.assert_allclose(marker, mf.CARS[car])
    arrow = np.array([figure.car_arrows[0].U[0], figure.car_arrows[0].V[0]])
    np.testing.assert_allclose(_unit(arrow), _unit(_marginal(named_schedules()["LinearVP"], mf.CARS[car], 0.45)),
                               atol=1e-9)


def test_posterior_weights_at_time_zero_are_the_prior(figure):
    figure.update(t=0.0, schedule="Cosine", car="Irvine")
    np.testing.assert_allclose([bar.get_height() for bar in figure.bars], MIXTURE.weights, atol=1e-12)


def test_dots_follow_each_field(figure):
    figure.update(t=0.0, schedule="CondOT")
    np.testing.assert_allclose(figure.dots[0].get_offsets(), figure.eps)
    np.testing.assert_allclose(figure.dots[1].get_offsets(), figure.eps)
    figure.update(t=0.35)
    # naive dots: the conditional flow towards E[z], alpha_t E[z] + beta_t eps (here 0.35 E[z] + 0.65 eps)
    np.testing.assert_allclose(figure.dots[1].get_offsets(), 0.35 * MIXTURE.mean() + 0.65 * figure.eps, atol=1e-12)
    figure.update(t=1.0)
    naive_end = np.asarray(figure.dots[1].get_offsets())
    np.testing.assert_allclose(naive_end, np.broadcast_to(MIXTURE.mean(), naive_end.shape), atol=1e-12)
    # marginal dots end in the two cities, about half in each
    true_end = np.asarray(figure.dots[0].get_offsets())
    near = np.linalg.norm(true_end[:, None, :] - MIXTURE.means, axis=-1) < 0.5
    assert near.any(axis=1).mean() > 0.95
    assert 0.35 < near[:, 0].mean() < 0.65


def test_marginal_dots_move_with_the_field(figure):
    # Between two stored Euler times the dots move by h * u_t(x) at the earlier time.
    figure.update(t=0.3, schedule="CondOT")
    start = np.asarray(figure.dots[0].get_offsets()).copy()
    h = 1.0 / figure._STEPS
    figure.update(t=0.3 + h)
    moved = np.asarray(figure.dots[0].get_offsets())
    np.testing.assert_allclose(moved, start + h * _marginal(named_schedules()["CondOT"], start, 0.3), atol=1e-9)


def test_undefined_fields_at_t_one_are_said_not_drawn(figure):
    figure.update(t=1.0, schedule="CondOT", car="Irvine")
    assert not figure.quivers[1].get_visible() and not figure.car_arrows[1].get_visible()
    assert figure.undefined_texts[1].get_visible() and "undefined" in figure.undefined_texts[1].get_text()
    # the marginal field of blurred cities is defined at t = 1 for CondOT
    assert figure.quivers[0].get_visible() and not figure.undefined_texts[0].get_visible()
    figure.update(t=0.9)
    assert figure.quivers[1].get_visible() and not figure.undefined_texts[1].get_visible()


def test_time_label(figure):
    figure.update(t=0.25, schedule="Cosine")
    assert figure.time_label.get_text() == "t = 0.25   Cosine"


# -- bad parameters ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{"t": 2.0}, {"schedule": "cosine"}, {"car": "Paris"}, {"zoom": 2}])
def test_bad_updates_raise_and_change_nothing(figure, kwargs):
    figure.update(t=0.5, schedule="CondOT", car="Irvine")
    state = dict(figure.params)
    with pytest.raises(ValueError):
        figure.update(**kwargs)
    assert figure.params == state


# -- the static player -------------------------------------------------------------------------------

def test_static_player_frames(figure, tmp_path):
    figure.update(t=0.5, schedule="CondOT", car="Irvine")
    player = check_player(figure, tmp_path, times=[0.0, 0.5], only={"schedule": ["CondOT"]},
                          probe=(0, {"car": 1}))
    assert player.axes[1][2][0] == "Irvine" and len(player.frames) == 2 * 2


# -- the static figures and helpers -----------------------------------------------------------------

def test_posterior_mean():
    x = np.array([[-0.59, 1.09], [0.0, 0.0], [3.0, -1.0]])
    schedule = named_schedules()["Cosine"]
    got = mf.posterior_mean(GaussianPath(schedule), MIXTURE, x, 0.6)
    alpha, _, var = _components(schedule, 0.6)
    given_k = MIXTURE.means + (alpha * MIXTURE.stds**2 / var)[:, None] * (x[:, None, :] - alpha * MIXTURE.means)
    np.testing.assert_allclose(got, np.einsum("nk,nkd->nd", _posterior(schedule, x, 0.6), given_k), atol=1e-12)


def test_follow_fields_ends():
    times, true, naive = mf.follow_fields("CondOT", n=40, seed=3, steps=50)
    assert times[0] == 0.0 and times[-1] == 1.0 and true.shape == naive.shape == (51, 40, 2)
    np.testing.assert_allclose(naive[-1], np.broadcast_to(MIXTURE.mean(), (40, 2)), atol=1e-9)
    assert np.all(np.min(np.linalg.norm(true[-1][:, None] - MIXTURE.means, axis=-1), axis=1) < 1.0)


def test_static_figures_draw():
    from matplotlib.figure import Figure

    m = np.array([10, 100, 1000])
    errors = np.abs(np.random.default_rng(0).normal(size=(2, 3, 3))) / np.sqrt(m)
    fig = mf.monte_carlo_figure(m, errors, ["a", "b"])
    assert isinstance(fig, Figure) and fig.axes[0].get_xscale() == "log" == fig.axes[0].get_yscale()
    with pytest.raises(ValueError):
        mf.monte_carlo_figure(m, errors[:, :, :2], ["a", "b"])
    irvine = mf.irvine_figure(t=0.4, schedule="LinearVP")
    assert len(irvine.axes) == 2 and all(ax.get_xlabel() for ax in irvine.axes)
