"""Chapter 9's interactive figure: it builds, it redraws, it shows the right numbers, it refuses bad input.

The plotted points are checked against independent runs of ``ode.integrate``, ``sampling.ddim`` and
``sampling.euler_maruyama`` from the same starts, the density against ``marginal.marginal_density``, and the
curve on the right against the density of the two cities' projection computed here with scipy.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from fm_helpers import data, marginal, ode, paths, sampling, schedules  # noqa: E402
from fm_helpers.figures import chapter_figure  # noqa: E402
from fm_helpers.figures.diffusion import EXTENT, DiffusionFigure  # noqa: E402
from fm_helpers.interactive import StaticPlayer  # noqa: E402
from player_checks import check_player  # noqa: E402

NAMES = list(schedules.named_schedules())
STARTS = np.random.default_rng(0).standard_normal((DiffusionFigure.N_POINTS, 2))
MIXTURE = data.two_cities()


@pytest.fixture(scope="module")
def figure():
    return DiffusionFigure(t=0.5, schedule="CondOT")


def plotted_points(fig):
    return np.concatenate([np.asarray(artist.get_offsets()) for artist in fig.points])


def independent_run(name, sampler, g):
    path = paths.GaussianPath(schedules.named_schedules()[name])
    steps = DiffusionFigure.STEPS[sampler]
    if sampler == "ODE":
        return ode.integrate(sampling.flow_field(path, MIXTURE), STARTS, 0.0, 1.0, steps, "rk4")
    if sampler == "DDIM":
        return sampling.ddim(path, MIXTURE, STARTS, 0.0, 1.0, steps)
    return sampling.euler_maruyama(sampling.sde_drift(path, MIXTURE, g), lambda t: g, STARTS, 0.0, 1.0, steps,
                                   np.random.default_rng(1))


def test_registered_as_the_chapter_figure():
    assert chapter_figure("09_diffusion_bridge") is DiffusionFigure


def test_snapshot_text_is_the_alt_text_without_a_memory_address(figure):
    # the text/plain stored beside the opening picture: the same in every run, and readable without the image
    text = repr(figure.snapshot())
    assert figure.alt.strip() and figure.alt.strip() in text and "0x" not in text


def test_controls_are_declared_with_few_settings():
    controls = DiffusionFigure.extra_controls
    assert set(controls) == {"sampler", "noise"}
    assert all(spec["kind"] == "choice" for spec in controls.values())
    assert len(controls["sampler"]["options"]) * len(controls["noise"]["options"]) <= 9
    for name, spec in controls.items():
        assert DiffusionFigure.defaults[name] in spec["options"]


@pytest.mark.parametrize("name", NAMES)
def test_builds_for_every_schedule_at_the_ends_and_the_middle(name):
    fig = DiffusionFigure(t=0.0, schedule=name, sampler="DDIM")
    for t in (0.0, 0.5, 1.0):
        fig.update(t=t)
        pixels = fig.render()
        assert pixels.shape[2] == 4 and pixels[..., :3].std() > 10
        assert len(plotted_points(fig)) == DiffusionFigure.N_POINTS


def test_every_change_redraws_pixels(figure):
    figure.update(t=0.5, schedule="CondOT", sampler="Euler-Maruyama", noise=1.0)
    before = figure.render().copy()
    for change in (dict(t=0.8), dict(schedule="Cosine"), dict(noise=2.0), dict(sampler="ODE"), dict(sampler="DDIM")):
        figure.update(**change)
        after = figure.render().copy()
        assert np.abs(after.astype(int) - before.astype(int)).sum() > 0, change
        before = after


@pytest.mark.parametrize("name, sampler, g", [("CondOT", "ODE", 1.0), ("Cosine", "DDIM", 1.0),
                                              ("LinearVP", "Euler-Maruyama", 0.5),
                                              ("Polynomial(n=2)", "Euler-Maruyama", 2.0)])
def test_points_are_the_samplers_states_at_time_t(figure, name, sampler, g):
    run = independent_run(name, sampler, g)
    steps = run.shape[0] - 1
    labels = np.argmin(np.linalg.norm(run[-1][:, None] - MIXTURE.means, axis=-1), axis=1)
    order = np.argsort(labels, kind="stable")     # drawn city by city
    figure.update(schedule=name, sampler=sampler, noise=g, t=10 / steps)
    np.testing.assert_allclose(plotted_points(figure), run[10][order], atol=1e-12)
    figure.update(t=1.0)
    np.testing.assert_allclose(plotted_points(figure), run[-1][order], atol=1e-12)


def test_density_histogram_and_curve_show_the_right_numbers(figure):
    figure.update(schedule="Cosine", sampler="DDIM", t=0.7)
    path = paths.GaussianPath(schedules.Cosine())
    grid = data.rect_grid(EXTENT, figure.GRID)
    np.testing.assert_allclose(figure.density.get_array(), marginal.marginal_density(path, MIXTURE, grid, 0.7),
                               rtol=1e-12)
    # the exact curve: the projection of p_t on the line through the cities, a 1-D mixture (scipy)
    alpha, beta = np.sin(0.35 * np.pi), np.cos(0.35 * np.pi)
    la, lv = MIXTURE.means
    e = (lv - la) / np.linalg.norm(lv - la)
    foot = la - (la @ e) * e
    x_line, curve = figure.exact.get_data()
    expected = sum(0.5 * stats.norm.pdf(x_line, alpha * (m - foot) @ e, np.sqrt(alpha**2 * 0.15**2 + beta**2))
                   for m in MIXTURE.means)
    np.testing.assert_allclose(curve, expected, rtol=1e-10)
    # the bars: the histogram of the samples' positions along the line, as a density
    positions = (independent_run("Cosine", "DDIM", 1.0)[round(0.7 * 40)] - foot) @ e
    counts, _ = np.histogram(positions, bins=figure.BINS)
    heights = figure.bars.get_data().values
    np.testing.assert_allclose(heights, counts / (len(positions) * np.diff(figure.BINS)), rtol=1e-12)


@pytest.mark.parametrize("change, message", [
    (dict(sampler="Heun"), "sampler must be one of ODE, Euler-Maruyama, DDIM"),
    (dict(noise=3.0), "noise level g must be one of 0.5, 1.0, 2.0"),
    (dict(noise="1"), "noise level g must be one of"),
    (dict(schedule="Linear"), "unknown schedule"),
    (dict(t=1.5), r"t must lie in \[0, 1\]"),
    (dict(speed=3), "no parameter"),
])
def test_bad_parameters_raise_and_leave_the_figure_as_it_was(figure, change, message):
    figure.update(t=0.5, schedule="CondOT", sampler="ODE", noise=1.0)
    before = dict(figure.params)
    with pytest.raises(ValueError, match=message):
        figure.update(**change)
    assert figure.params == before


def test_static_player_renders_every_sampler_and_noise_level(tmp_path):
    fig = DiffusionFigure(t=0.5, schedule="LinearVP", sampler="DDIM")
    player = check_player(fig, tmp_path, times=[0.0, 1.0], only={"schedule": ["LinearVP"]},
                          probe=(2, {"sampler": 1, "noise": 2}))
    assert [name for name, _, _ in player.axes] == ["schedule", "sampler", "noise"]
    assert len(player.frames) == 1 * 3 * 3 * 3   # t = 0.5 joins the times
    assert fig.t == 0.5 and fig.schedule.name == "LinearVP"
    assert "three samplers, one marginal path" in player._repr_html_()
