"""Chapter 5's figures: the continuity figure, the divergence examples and the 1-D picture."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from matplotlib.figure import Figure

from fm_helpers import continuity, data, marginal, paths, schedules
from fm_helpers.figures import chapter_figure
from fm_helpers.figures.continuity import (DATASETS, ContinuityFigure, density_trajectories_figure,
                                           divergence_examples_figure, residual_maps)
from fm_helpers.interactive import StaticPlayer
from player_checks import check_player  # noqa: E402

SCHEDULES = list(schedules.named_schedules())
MIXTURE_1D = data.GaussianMixture([[-2.0], [0.5], [2.5]], [0.3, 0.2, 0.4], [0.3, 0.2, 0.5])


@pytest.fixture(scope="module")
def figure():
    return ContinuityFigure(t=0.5, schedule="CondOT")


def _independent_residual(schedule_name, mixture, grid, t, field):
    """The residual from fm_helpers.continuity.continuity_residual, without the figure's shortcuts."""
    path = paths.GaussianPath(schedules.named_schedules()[schedule_name])
    check = continuity.continuity_residual(lambda x, s: marginal.marginal_density(path, mixture, x, s),
                                           lambda x, s: field(path, mixture, x, s), grid, t)
    return check


def _arrow_mask(quiver):
    """True for the arrows matplotlib does not draw (set_UVC stores NaN arrows as masked, filled with 1)."""
    return np.broadcast_to(np.ma.getmaskarray(np.ma.array(quiver.U, mask=quiver.Umask)), np.shape(quiver.U))


def test_registered_under_chapter_5():
    assert chapter_figure("05_continuity_equation") is ContinuityFigure


@pytest.mark.parametrize("schedule, t0", list(zip(SCHEDULES, [0.0, 0.5, 1.0, 0.5])))
def test_builds_for_every_schedule_and_time(schedule, t0):
    fig = ContinuityFigure(t=t0, schedule=schedule)        # built from scratch at t0 ...
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"
    for t in (t0, 0.0, 0.5, 1.0):                          # ... and drawn at t = 0, 0.5 and 1
        fig.update(t=t)
        pixels = fig.render()
        width, height = (fig.fig.get_size_inches() * fig.dpi).round().astype(int)
        assert pixels.shape == (height, width, 4)
        assert pixels[..., :3].std() > 10                  # not a blank canvas
        # the naive field is undefined at t = 1 (it divides by beta_t = 0), and the figure says so
        assert (fig.notes["naive"].get_text() != "") == (t == 1.0)
        assert fig.res_images["naive"].get_visible() == (t < 1.0)
        assert fig.res_images["marginal"].get_visible()
        assert np.all(np.isfinite(fig.res_images["marginal"].get_array()))


def test_builds_with_eight_gaussians():
    fig = ContinuityFigure(t=0.3, schedule="Cosine", data="eight gaussians")
    assert np.allclose(fig.means.get_xydata(), DATASETS["eight gaussians"].means)


def test_density_image_is_the_marginal_density(figure):
    figure.update(t=0.4, schedule="LinearVP", data="two cities")
    path = paths.GaussianPath(schedules.LinearVP())
    expected = marginal.marginal_density(path, DATASETS["two cities"], figure.dens_grid, 0.4)
    assert np.allclose(figure.density.get_array(), expected, rtol=1e-12, atol=0)


def test_arrows_point_along_the_marginal_field(figure):
    figure.update(t=0.6, schedule="CondOT", data="eight gaussians")
    path = paths.GaussianPath(schedules.CondOT())
    u = marginal.marginal_field(path, DATASETS["eight gaussians"], figure.quiver_grid, 0.6)
    uv = np.stack([figure.quiver.U, figure.quiver.V], axis=-1).reshape(u.shape)
    shown = ~_arrow_mask(figure.quiver).reshape(u.shape[:-1])   # matplotlib hides masked (NaN) arrows
    assert shown.sum() > 10
    # each arrow is u_t times one common positive factor
    ratio = np.linalg.norm(uv[shown], axis=-1) / np.linalg.norm(u[shown], axis=-1)
    assert np.allclose(ratio, ratio[0], rtol=1e-9)
    cosine = np.sum(uv[shown] * u[shown], axis=-1) / (np.linalg.norm(uv[shown], axis=-1) * np.linalg.norm(u[shown], axis=-1))
    assert np.allclose(cosine, 1.0)


@pytest.mark.parametrize("name", list(DATASETS))
def test_residual_maps_match_continuity_residual(figure, name):
    figure.update(t=0.55, schedule="Polynomial(n=2)", data=name)
    mixture = DATASETS[name]
    for key, field in (("marginal", marginal.marginal_field), ("naive", marginal.naive_field)):
        check = _independent_residual("Polynomial(n=2)", mixture, figure.res_grid, 0.55, field)
        expected = check.residual / np.max(np.abs(check.dp_dt))
        shown = np.asarray(figure.res_images[key].get_array())
        assert np.allclose(shown, expected, rtol=1e-9, atol=1e-12)
        assert figure.readouts[key].get_text() == f"{np.max(np.abs(expected)):.1e}"
    # the point of the chapter: the marginal field balances the books, the naive one does not
    assert float(figure.readouts["marginal"].get_text()) < 1e-5
    assert float(figure.readouts["naive"].get_text()) > 0.1


def test_density_at_rest_is_flagged():
    # Polynomial(n=2) has d_alpha = d_beta = 0 at t = 0: nothing moves, d/dt p_t = 0
    path = paths.GaussianPath(schedules.Polynomial(2))
    maps = residual_maps(path, DATASETS["two cities"], data.square_grid(-2, 2, 9), 0.0)
    assert maps["at_rest"]
    fig = ContinuityFigure(t=0.0, schedule="Polynomial(n=2)")
    assert "rest" in fig.notes["marginal"].get_text()
    assert np.all(_arrow_mask(fig.quiver))                      # u_t = 0: no arrows at all


@pytest.mark.parametrize("bad", [dict(t=1.3), dict(t=-0.1), dict(schedule="Linear"), dict(data="three moons"),
                                 dict(data=None), dict(n_samples=10)])
def test_bad_parameters_raise(figure, bad):
    with pytest.raises(ValueError):
        ContinuityFigure(**bad)
    with pytest.raises(ValueError):
        figure.update(**bad)
    assert figure.params["data"] in DATASETS


def test_static_player_frames(figure, tmp_path):
    figure.update(schedule="CondOT")  # another test may have left the shared figure on another schedule
    player = check_player(figure, tmp_path, times=[0.0, 1.0], only={"schedule": ["CondOT", "Cosine"]},
                          probe=(2, {"schedule": 1, "data": 1}))
    assert len(player.frames) == 2 * 2 * 3
    assert repr(player).startswith("<static player: the continuity equation")


# -- divergence as net outflow ---------------------------------------------------------------

def test_divergence_examples_figure():
    fig = divergence_examples_figure()
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 3
    for title, value in zip(titles, ("2.00", "-2.00", "0.00")):
        assert f"div $f$ = {value}" in title
        assert f"outflow / area = {value}" in title
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


# -- the 1-D picture ----------------------------------------------------------------------------

def _mixture_cdf(mixture, path, x, t):
    alpha, beta = path.schedule.alpha(t), path.schedule.beta(t)
    sd = np.sqrt(alpha**2 * mixture.stds**2 + beta**2)
    return sum(w * NormalDist(alpha * m[0], s).cdf(x) for w, m, s in zip(mixture.weights, mixture.means, sd))


def test_density_trajectories_figure_transports_quantiles():
    fig = density_trajectories_figure(MIXTURE_1D, n_trajectories=7)
    ax_marginal, ax_naive = fig.axes[:2]
    assert ax_marginal.get_xlabel() and ax_marginal.get_ylabel() and ax_naive.get_xlabel()
    levels = (np.arange(7) + 0.5) / 7
    path = paths.GaussianPath(schedules.CondOT())
    marginal_lines = ax_marginal.get_lines()[:7]
    # the marginal flow keeps every trajectory on its quantile: F_1(X_1) = Phi(X_0)
    ends = [line.get_ydata()[-1] for line in marginal_lines]
    assert np.allclose([_mixture_cdf(MIXTURE_1D, path, x, 1.0) for x in ends], levels, atol=2e-3)
    # the naive flow sends every start to the mean of the data
    naive_ends = [line.get_ydata()[-1] for line in ax_naive.get_lines()[:7]]
    assert np.allclose(naive_ends, MIXTURE_1D.mean()[0], atol=1e-9)


def test_density_trajectories_figure_rejects_bad_mixtures():
    with pytest.raises(ValueError):
        density_trajectories_figure(data.two_cities())
    with pytest.raises(ValueError):
        density_trajectories_figure(data.GaussianMixture([[0.0], [1.0]], 0.0))
