"""Gaussian mixtures: sampling, densities and the constructors of the book's data sets."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from fm_helpers import data

MEANS = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]])
STDS = np.array([0.5, 1.0, 0.2])
WEIGHTS = np.array([0.2, 0.5, 0.3])


@pytest.fixture
def mixture():
    return data.GaussianMixture(MEANS, STDS, WEIGHTS)


def closed_form_moments():
    """E[z] = sum w mu; Cov[z] = sum w (s^2 I + mu mu^T) - E[z] E[z]^T."""
    mean = WEIGHTS @ MEANS
    second = sum(w * (s**2 * np.eye(2) + np.outer(m, m)) for w, s, m in zip(WEIGHTS, STDS, MEANS))
    return mean, second - np.outer(mean, mean)


def test_sample_mean_and_covariance_match_the_closed_form(mixture):
    """Within 5 Monte Carlo standard errors, each estimated from the samples themselves."""
    n = 40_000
    z = mixture.sample(n, np.random.default_rng(0))
    mean, cov = closed_form_moments()
    np.testing.assert_allclose(mixture.mean(), mean, rtol=1e-14)
    assert np.all(np.abs(z.mean(axis=0) - mean) < 5 * np.sqrt(np.diag(cov) / n))
    centred = z - z.mean(axis=0)
    products = centred[:, :, None] * centred[:, None, :]          # (n, 2, 2): one term of the covariance each
    se = products.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(products.mean(axis=0) - cov) < 5 * se)


def test_component_frequencies_match_weights_and_labels_match_draws(mixture):
    n = 40_000
    z, labels = mixture.sample(n, np.random.default_rng(1), return_labels=True)
    freq = np.bincount(labels, minlength=3) / n
    assert np.all(np.abs(freq - WEIGHTS) < 5 * np.sqrt(WEIGHTS * (1 - WEIGHTS) / n))  # binomial standard error
    # each draw comes from its labelled component: |z - mu_k|^2 / sigma_k^2 is chi^2 with 2 degrees of freedom
    scaled = np.sum((z - MEANS[labels]) ** 2, axis=1) / STDS[labels] ** 2
    assert stats.kstest(scaled, stats.chi2(df=2).cdf).pvalue > 1e-3


def test_pdf_matches_scipy(mixture):
    x = np.random.default_rng(2).uniform(-4, 5, size=(500, 2))
    expected = sum(w * stats.multivariate_normal(m, s**2 * np.eye(2)).pdf(x) for w, s, m in zip(WEIGHTS, STDS, MEANS))
    np.testing.assert_allclose(mixture.pdf(x), expected, rtol=1e-12)


def test_log_pdf_is_finite_far_away_and_matches_scipy(mixture):
    """Log space: correct where the pdf itself underflows."""
    x = np.array([[300.0, -200.0], [0.5, 0.5]])
    logs = np.stack([np.log(w) + stats.multivariate_normal(m, s**2 * np.eye(2)).logpdf(x)
                     for w, s, m in zip(WEIGHTS, STDS, MEANS)])
    np.testing.assert_allclose(mixture.log_pdf(x), logsumexp(logs, axis=0), rtol=1e-12)


def test_pdf_integrates_to_one(mixture):
    grid = data.square_grid(-8, 9, 341)
    cell = (17 / 340) ** 2
    assert mixture.pdf(grid).sum() * cell == pytest.approx(1.0, abs=1e-6)


def test_weights_are_normalised_and_default_to_uniform():
    np.testing.assert_allclose(data.GaussianMixture(MEANS, 1.0, [1, 3, 4]).weights, [1 / 8, 3 / 8, 4 / 8])
    np.testing.assert_array_max_ulp(data.GaussianMixture(MEANS, 1.0).weights, np.full(3, 1 / 3), maxulp=4)


def test_mixture_arrays_cannot_be_changed_behind_its_back():
    means = MEANS.copy()
    m = data.GaussianMixture(means, STDS, WEIGHTS)
    means[0, 0] = 99.0
    assert m.means[0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        m.weights[0] = 1.0


def test_from_points_gives_equal_point_masses():
    points = np.random.default_rng(3).standard_normal((7, 3))
    m = data.from_points(points)
    np.testing.assert_array_equal(m.means, points)
    np.testing.assert_array_equal(m.stds, np.zeros(7))
    np.testing.assert_allclose(m.weights, np.full(7, 1 / 7))
    draws = m.sample(200, np.random.default_rng(4))
    # every draw is one of the points, exactly
    assert all(any(np.array_equal(d, p) for p in points) for d in draws)


def test_point_masses_have_no_pdf():
    m = data.from_points(np.eye(2))
    with pytest.raises(ValueError, match="point masses"):
        m.pdf(np.zeros(2))
    with pytest.raises(ValueError, match="point masses"):
        data.GaussianMixture(MEANS, [0.5, 0.0, 1.0]).log_pdf(np.zeros(2))


def test_book_data_sets():
    """two_cities puts its components at Los Angeles and Las Vegas; eight_gaussians on a circle."""
    cities = data.two_cities(weights=(0.3, 0.7))
    np.testing.assert_array_equal(cities.means, [data.CITIES["Los Angeles"], data.CITIES["Las Vegas"]])
    np.testing.assert_allclose(cities.mean(), 0.3 * np.array([-0.97, 1.50]) + 0.7 * np.array([1.92, 3.85]))
    eight = data.eight_gaussians(radius=2.0, std=0.1)
    np.testing.assert_allclose(np.linalg.norm(eight.means, axis=1), 2.0)
    np.testing.assert_allclose(eight.mean(), [0.0, 0.0], atol=1e-15)
    angles = np.sort(np.mod(np.arctan2(eight.means[:, 1], eight.means[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 4)


def test_square_grid_rows_are_y_and_columns_are_x():
    grid = data.square_grid(-1.0, 1.0, 5)
    assert grid.shape == (5, 5, 2)
    np.testing.assert_array_equal(grid[0, :, 0], np.linspace(-1, 1, 5))  # x varies along a row
    np.testing.assert_array_equal(grid[:, 0, 1], np.linspace(-1, 1, 5))  # y varies down a column


@pytest.mark.parametrize("kwargs, message", [
    (dict(means=[1.0, 2.0]), r"means must have shape \(K, d\)"),
    (dict(means=np.zeros((2, 2, 2))), r"means must have shape \(K, d\)"),
    (dict(means=np.zeros((0, 2))), r"at least one component"),
    (dict(means=[[0.0, np.nan]]), r"means contains NaN"),
    (dict(means=MEANS, stds=[1.0, 1.0]), r"stds must be a number or have shape \(3,\)"),
    (dict(means=MEANS, stds=[1.0, -0.5, 1.0]), r"stds must be finite and >= 0"),
    (dict(means=MEANS, stds=np.inf), r"stds must be finite and >= 0"),
    (dict(means=MEANS, stds=1.0, weights=[0.5, 0.5]), r"weights must have shape \(3,\)"),
    (dict(means=MEANS, stds=1.0, weights=[0.5, -0.5, 1.0]), r"weights must be finite, >= 0 and not all 0"),
    (dict(means=MEANS, stds=1.0, weights=[0.0, 0.0, 0.0]), r"not all 0"),
    (dict(means=MEANS, stds=1.0, weights=[np.nan, 1.0, 1.0]), r"weights must be finite"),
])
def test_bad_mixtures_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.GaussianMixture(**kwargs)


def test_from_points_needs_a_table_of_points():
    with pytest.raises(ValueError, match=r"points must have shape \(M, d\)"):
        data.from_points(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="points contains NaN"):
        data.from_points([[0.0, np.inf]])


def test_pdf_needs_points_of_the_mixture_dimension(mixture):
    with pytest.raises(ValueError, match="mismatched dimensions: x has dimension 3 but the mixture has dimension 2"):
        mixture.pdf(np.zeros((4, 3)))
