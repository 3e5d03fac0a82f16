"""fm_helpers.sampling: every measure of chapter 6 against an independent computation.

Energy distances against scipy (1-D) and a brute-force pairwise matrix (2-D), component masses
against per-point densities from scipy.stats, straightness against curves with known chord and
arc, fitted orders against exact power laws, and the step searches against plain loops.
"""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import energy_distance as scipy_energy_distance
from scipy.stats import multivariate_normal

from fm_helpers import data, marginal, ode, paths, sampling, schedules


def brute_energy_distance(x, y):
    """sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|) from full distance matrices."""
    return np.sqrt(2 * cdist(x, y).mean() - cdist(x, x).mean() - cdist(y, y).mean())


# -- energy distance ----------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_energy_distance_in_one_dimension_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((137, 1))
    y = 0.4 + 1.3 * rng.standard_normal((91, 1))
    assert sampling.energy_distance(x, y) == pytest.approx(scipy_energy_distance(x[:, 0], y[:, 0]), rel=1e-10)


@pytest.mark.parametrize("shape_x, shape_y", [((50, 2), (70, 2)), ((1500, 2), (1200, 2)), ((40, 3), (40, 3))])
def test_energy_distance_equals_brute_force(shape_x, shape_y):
    """Also for clouds large enough to be summed in several blocks, and in three dimensions."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape_x)
    y = rng.standard_normal(shape_y) @ np.diag(np.arange(1.0, shape_y[1] + 1)) + 0.2
    assert sampling.energy_distance(x, y) == pytest.approx(brute_energy_distance(x, y), rel=1e-9)


def test_energy_distance_is_a_symmetric_distance_of_the_points():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((200, 2)), rng.standard_normal((150, 2)) + [1.0, 0.0]
    d = sampling.energy_distance(x, y)
    assert sampling.energy_distance(x, x) == 0.0
    assert sampling.energy_distance(y, x) == pytest.approx(d, rel=1e-12)
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    moved = sampling.energy_distance(x @ rotation.T + 5.0, y @ rotation.T + 5.0)
    assert moved == pytest.approx(d, rel=1e-9)           # rigid motions change nothing
    # D^2 is a difference of mean distances, so scaling the points by 2 scales D by sqrt(2)
    assert sampling.energy_distance(2 * x, 2 * y) == pytest.approx(np.sqrt(2) * d, rel=1e-9)
    assert d > 0.3


def test_energy_distance_of_nearly_equal_clouds_is_accurate():
    """Coordinate-wise differences: a tiny shift gives a tiny, not a rounding-noise, distance."""
    rng = np.random.default_rng(5)
    x = 1e3 + rng.standard_normal((300, 2))
    y = x + 1e-7
    assert sampling.energy_distance(x, y) == pytest.approx(brute_energy_distance(x - 1e3, y - 1e3), rel=1e-4)


@pytest.mark.parametrize("x, y, message", [
    (np.zeros((0, 2)), np.zeros((3, 2)), "at least one point"),
    (np.zeros(3), np.zeros((3, 1)), r"shape \(N, d\)"),
    (np.zeros((3, 2)), np.zeros((3, 3)), "mismatched dimensions"),
    (np.array([[np.nan, 0.0]]), np.zeros((3, 2)), "NaN"),
])
def test_energy_distance_refuses_bad_clouds(x, y, message):
    with pytest.raises(ValueError, match=message):
        sampling.energy_distance(x, y)


# -- component labels, masses and the mass error ----------------------------------------

MIXTURE = data.GaussianMixture([[0.0, 0.0], [2.0, 0.5], [-1.0, 3.0]], stds=[0.5, 1.0, 0.3], weights=[0.2, 0.5, 0.3])


def test_component_labels_pick_the_most_probable_component():
    points = np.random.default_rng(6).uniform(-3, 4, size=(2000, 2))
    scores = np.stack([np.log(w) + multivariate_normal(mean=mu, cov=s**2 * np.eye(2)).logpdf(points)
                       for mu, s, w in zip(MIXTURE.means, MIXTURE.stds, MIXTURE.weights)], axis=1)
    np.testing.assert_array_equal(sampling.component_labels(MIXTURE, points), scores.argmax(axis=1))


def test_component_masses_count_the_labels():
    points = np.random.default_rng(7).uniform(-3, 4, size=(999, 2))
    labels = sampling.component_labels(MIXTURE, points)
    masses = sampling.component_masses(MIXTURE, points)
    np.testing.assert_allclose(masses, [np.mean(labels == k) for k in range(3)])
    assert masses.sum() == pytest.approx(1.0)


def test_samples_of_the_mixture_have_masses_near_the_weights():
    """Well separated components: the shares of 20,000 draws are within 4 binomial standard errors."""
    mixture = data.eight_gaussians()
    z = mixture.sample(20_000, np.random.default_rng(8))
    error = sampling.mass_error(mixture, z)
    assert error < 4 * np.sqrt(0.125 * 0.875 / 20_000)


def test_mass_error_against_weights_and_against_reference_points():
    points = np.random.default_rng(9).uniform(-3, 4, size=(500, 2))
    masses = sampling.component_masses(MIXTURE, points)
    assert sampling.mass_error(MIXTURE, points) == pytest.approx(np.max(np.abs(masses - MIXTURE.weights)))
    reference = points[::-1].copy()            # same points, other order: same masses
    assert sampling.mass_error(MIXTURE, points, reference) == 0.0
    shifted = points + [10.0, 10.0]
    expected = np.max(np.abs(masses - sampling.component_masses(MIXTURE, shifted)))
    assert sampling.mass_error(MIXTURE, points, shifted) == pytest.approx(expected)


def test_component_labels_need_densities():
    with pytest.raises(ValueError, match="stds > 0"):
        sampling.component_labels(data.from_points([[0.0, 0.0], [1.0, 1.0]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="GaussianMixture"):
        sampling.component_masses("two cities", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mismatched dimensions"):
        sampling.component_masses(MIXTURE, np.zeros((2, 3)))


# -- straightness --------------------------------------------------------------------------

def test_straightness_of_known_curves():
    s = np.linspace(0.0, 1.0, 201)[:, None]
    line = s * np.array([3.0, -4.0]) + 1.0                          # straight, any speed profile
    speedy = (s**3) * np.array([3.0, -4.0])
    angle = np.pi * s
    half_circle = np.hstack([np.cos(angle), np.sin(angle)])        # chord 2, arc close to pi
    there_and_back = np.concatenate([np.linspace(0, 1, 51), np.linspace(1, 0.5, 26)[1:]])[:, None] * [1.0, 0.0]
    assert sampling.straightness(line) == pytest.approx(1.0)
    assert sampling.straightness(speedy) == pytest.approx(1.0)
    arc = 200 * 2 * np.sin(np.pi / 400)                             # the polygon's exact length
    assert sampling.straightness(half_circle) == pytest.approx(2.0 / arc, rel=1e-12)
    assert sampling.straightness(there_and_back) == pytest.approx(0.5 / 1.5)


def test_straightness_of_many_trajectories_matches_a_loop():
    trajectory = np.cumsum(np.random.default_rng(10).standard_normal((30, 4, 5, 2)), axis=0)
    result = sampling.straightness(trajectory)
    assert result.shape == (4, 5)
    for i in range(4):
        for j in range(5):
            path = trajectory[:, i, j]
            arc = sum(np.linalg.norm(path[k + 1] - path[k]) for k in range(29))
            assert result[i, j] == pytest.approx(np.linalg.norm(path[-1] - path[0]) / arc)


def test_straightness_refuses_paths_without_direction():
    with pytest.raises(ValueError, match="does not move"):
        sampling.straightness(np.zeros((5, 3, 2)))
    with pytest.raises(ValueError, match="at least two time points"):
        sampling.straightness(np.zeros((1, 3, 2)))


# -- fitted orders and evaluation counts ---------------------------------------------------

@pytest.mark.parametrize("order", [0.5, 1.0, 2.0, 4.0])
def test_fitted_order_recovers_a_power_law(order):
    steps = np.array([4, 8, 16, 32, 64])
    assert sampling.fitted_order(steps, 3.7 * steps ** (-order)) == pytest.approx(order, abs=1e-12)


def test_fitted_order_is_the_least_squares_slope():
    steps = np.array([10.0, 20.0, 40.0, 80.0])
    errors = np.array([1e-2, 3e-3, 6e-4, 1.7e-4])
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert sampling.fitted_order(steps, errors) == pytest.approx(-slope)


@pytest.mark.parametrize("steps, errors", [([4], [1.0]), ([4, 8], [1.0, 0.0]), ([4, 4], [1.0, 0.5]),
                                           ([4, 8], [1.0]), ([4, -8], [1.0, 0.5])])
def test_fitted_order_refuses_bad_input(steps, errors):
    with pytest.raises(ValueError):
        sampling.fitted_order(steps, errors)


def test_function_evaluations_count_stages_and_match_the_solver():
    for method, stages in (("euler", 1), ("heun", 2), ("rk4", 4)):
        calls = []

        def field(x, t):
            calls.append(t)
            return -x

        ode.integrate(field, np.ones((3, 2)), steps=7, method=method)
        assert sampling.function_evaluations(method, 7) == len(calls) == 7 * stages
    for method, steps in (("rk5", 3), ("euler", 0), ("heun", 2.0), ("rk4", True)):
        with pytest.raises(ValueError):
            sampling.function_evaluations(method, steps)


# -- runs against references ------------------------------------------------------------------

def decay(x, t):
    return -x


def test_endpoint_errors_against_an_exact_solution():
    """dx/dt = -x from x0: the exact end point is x0 / e; errors shrink at the method's order."""
    x0 = np.random.default_rng(11).standard_normal((50, 2))
    exact = x0 * np.exp(-1.0)
    steps = [10, 20, 40, 80]
    for method, order in (("euler", 1), ("heun", 2), ("rk4", 4)):
        errors = sampling.endpoint_errors(decay, x0, exact, method, steps)
        loop = [np.median(np.linalg.norm(ode.integrate(decay, x0, steps=n, method=method)[-1] - exact, axis=1))
                for n in steps]
        np.testing.assert_allclose(errors, loop, rtol=1e-12)
        assert sampling.fitted_order(steps, errors) == pytest.approx(order, abs=0.1)
    largest = sampling.endpoint_errors(decay, x0, exact, "euler", [10], statistic=np.max)
    assert largest[0] == pytest.approx(np.max(np.linalg.norm(ode.integrate(decay, x0, steps=10)[-1] - exact, axis=1)))


def test_endpoint_errors_refuse_mismatched_references():
    with pytest.raises(ValueError, match="same shape"):
        sampling.endpoint_errors(decay, np.zeros((4, 2)), np.zeros((5, 2)), "euler", [4])
    with pytest.raises(ValueError, match="method"):
        sampling.endpoint_errors(decay, np.zeros((4, 2)), np.zeros((4, 2)), "midpoint", [4])
    with pytest.raises(ValueError, match="steps"):
        sampling.endpoint_errors(decay, np.zeros((4, 2)), np.zeros((4, 2)), "euler", [0])


def test_flow_field_is_the_marginal_field():
    path, mixture = paths.GaussianPath(schedules.Cosine()), data.two_cities()
    x = np.random.default_rng(12).standard_normal((20, 2))
    u = sampling.flow_field(path, mixture)
    np.testing.assert_array_equal(u(x, 0.3), marginal.marginal_field(path, mixture, x, 0.3))
    with pytest.raises(ValueError, match="GaussianPath"):
        sampling.flow_field(schedules.Cosine(), mixture)
    with pytest.raises(ValueError, match="GaussianMixture"):
        sampling.flow_field(path, "two cities")


@pytest.fixture(scope="module")
def cities_runs():
    mixture = data.two_cities()
    u = sampling.flow_field(paths.GaussianPath(schedules.CondOT()), mixture)
    x0 = np.random.default_rng(13).standard_normal((300, 2))
    reference = ode.integrate(u, x0, steps=64, method="rk4")[-1]
    return mixture, u, x0, reference


def test_quality_curve_matches_separate_computations(cities_runs):
    mixture, u, x0, reference = cities_runs
    candidates = [1, 2, 4, 8]
    curve = sampling.quality_curve(u, x0, reference, mixture, "heun", candidates)
    for n, quality in zip(candidates, curve):
        end = ode.integrate(u, x0, steps=n, method="heun")[-1]
        assert quality.energy_distance == pytest.approx(brute_energy_distance(end, reference), rel=1e-9, abs=1e-12)
        assert quality.mass_error == pytest.approx(sampling.mass_error(mixture, end, reference))
        direct = sampling.sample_quality(mixture, end, reference)
        assert (quality.mass_error, quality.energy_distance) == pytest.approx((direct.mass_error, direct.energy_distance))
    distances = [q.energy_distance for q in curve]
    assert distances == sorted(distances, reverse=True)   # more Heun steps, closer to the exact flow


def test_steps_needed_is_the_first_candidate_that_passes(cities_runs):
    mixture, u, x0, reference = cities_runs
    candidates = [1, 2, 3, 4, 6, 8, 12, 16]
    curve = sampling.quality_curve(u, x0, reference, mixture, "rk4", candidates)
    expected = next(n for n, q in zip(candidates, curve) if q.meets(0.02, 0.01))
    assert sampling.steps_needed(u, x0, reference, mixture, "rk4", candidates, 0.02, 0.01) == expected
    mass_only = next(n for n, q in zip(candidates, curve) if q.mass_error <= 0.02)
    assert sampling.steps_needed(u, x0, reference, mixture, "rk4", candidates, 0.02, np.inf) == mass_only
    assert sampling.steps_needed(u, x0, reference, mixture, "euler", [1, 2], 0.02, 1e-6) is None


def test_steps_needed_with_infinite_energy_threshold_never_computes_distances(cities_runs, monkeypatch):
    mixture, u, x0, reference = cities_runs

    def forbidden(*args):
        raise AssertionError("the energy distance was computed")

    monkeypatch.setattr(sampling, "_mean_distance", forbidden)
    assert sampling.steps_needed(u, x0, reference, mixture, "euler", [1, 2, 3], 0.02, np.inf) in (2, 3)


def test_steps_needed_refuses_bad_arguments(cities_runs):
    mixture, u, x0, reference = cities_runs
    for kwargs, message in ((dict(method="rk5"), "method"), (dict(candidates=[]), "at least one"),
                            (dict(candidates=[0]), "steps"), (dict(max_mass_error=-1), "max_mass_error"),
                            (dict(max_energy_distance="big"), "max_energy_distance")):
        arguments = dict(method="euler", candidates=[1], max_mass_error=0.02, max_energy_distance=0.02) | kwargs
        with pytest.raises(ValueError, match=message):
            sampling.steps_needed(u, x0, reference, mixture, **arguments)
    with pytest.raises(ValueError, match="mismatched dimensions"):
        sampling.quality_curve(u, x0, np.zeros((300, 3)), mixture, "euler", [1])
