"""Data distributions p_data with known truth: isotropic Gaussian mixtures.

A component with standard deviation 0 is a point mass, so an empirical data set
(``from_points``) is a mixture too, and every formula of the book can be computed
exactly for it.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .paths import as_points

__all__ = ["GaussianMixture", "two_cities", "eight_gaussians", "from_points", "CITIES", "square_grid", "rect_grid"]

#: Positions in units of 100 km east and north of San Diego (the noise is centred there).
CITIES = {
    "San Diego": (0.0, 0.0),
    "Irvine": (-0.59, 1.09),
    "Los Angeles": (-0.97, 1.50),
    "Las Vegas": (1.92, 3.85),
}


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """p_data(z) = sum_k w_k N(z; mu_k, s_k^2 I) (eq-mixture). ``means`` (K, d), ``stds`` (K,), ``weights`` (K,)."""

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    def __init__(self, means, stds=0.0, weights=None):
        means = as_points(means, "means")
        if means.ndim != 2 or means.shape[0] == 0:
            raise ValueError(f"means must have shape (K, d) with at least one component, got shape {means.shape}")
        k = means.shape[0]
        stds = np.broadcast_to(np.asarray(stds, dtype=float), (k,)) if np.ndim(stds) == 0 else np.asarray(stds, dtype=float)
        if stds.shape != (k,):
            raise ValueError(f"stds must be a number or have shape ({k},), one per component, got shape {stds.shape}")
        if not np.all(np.isfinite(stds)) or np.any(stds < 0):
            raise ValueError(f"stds must be finite and >= 0, got {stds}")
        weights = np.full(k, 1.0 / k) if weights is None else np.asarray(weights, dtype=float)
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape ({k},), one per component, got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"weights must be finite, >= 0 and not all 0, got {weights}")
        for name, value in (("means", means), ("stds", stds.copy()), ("weights", weights / weights.sum())):
            value = np.array(value, dtype=float)
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def mean(self) -> np.ndarray:
        """E[z] = sum_k w_k mu_k, shape (d,)."""
        return self.weights @ self.means

    def sample(self, n: int, rng: np.random.Generator, return_labels: bool = False):
        """n draws from the mixture, shape (n, d); with ``return_labels`` also the component of each."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        if isinstance(n, bool) or not isinstance(n, numbers.Real) or not float(n).is_integer() or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        labels = rng.choice(self.n_components, size=int(n), p=self.weights)
        z = self.means[labels] + self.stds[labels, None] * rng.standard_normal((int(n), self.dim))
        return (z, labels) if return_labels else z

    def log_pdf(self, x) -> np.ndarray:
        """log p_data(x), shape (...). Raises ValueError if a component is a point mass."""
        x = as_points(x)
        if x.shape[-1] != self.dim:
            raise ValueError(f"mismatched dimensions: x has dimension {x.shape[-1]} but the mixture has dimension {self.dim}")
        if np.any(self.stds == 0):
            raise ValueError("this mixture has point masses (a std of 0), which have no density")
        sq = np.sum((x[..., None, :] - self.means) ** 2, axis=-1)
        var = self.stds**2
        logits = np.log(self.weights) - 0.5 * sq / var - 0.5 * self.dim * np.log(2 * np.pi * var)
        top = logits.max(axis=-1, keepdims=True)
        return top[..., 0] + np.log(np.exp(logits - top).sum(axis=-1))

    def pdf(self, x) -> np.ndarray:
        """p_data(x), shape (...)."""
        return np.exp(self.log_pdf(x))


def two_cities(std: float = 0.15, weights=(0.5, 0.5)) -> GaussianMixture:
    """Two destinations, Los Angeles and Las Vegas, with noise centred on San Diego (the post's picture)."""
    return GaussianMixture([CITIES["Los Angeles"], CITIES["Las Vegas"]], std, weights)


def eight_gaussians(radius: float = 3.0, std: float = 0.3) -> GaussianMixture:
    """Eight equal components evenly spaced on a circle around the origin."""
    angles = 2 * np.pi * np.arange(8) / 8
    return GaussianMixture(radius * np.stack([np.cos(angles), np.sin(angles)], axis=1), std)


def from_points(points) -> GaussianMixture:
    """The empirical distribution of a data set: one point mass of equal weight per row of ``points`` (M, d)."""
    points = as_points(points, "points")
    if points.ndim != 2:
        raise ValueError(f"points must have shape (M, d), got shape {points.shape}")
    return GaussianMixture(points, 0.0)


def square_grid(low: float, high: float, n: int) -> np.ndarray:
    """An n x n grid of 2-D points over [low, high]^2, shape (n, n, 2), indexed [row = y, column = x]."""
    return rect_grid((low, high, low, high), n)


def rect_grid(extent, n: int) -> np.ndarray:
    """An n x n grid of 2-D points over extent = (x_low, x_high, y_low, y_high), shape (n, n, 2).

    Row i holds one y value, column j one x value: the layout ``imshow(..., origin="lower")`` expects.
    """
    x_low, x_high, y_low, y_high = extent
    xx, yy = np.meshgrid(np.linspace(x_low, x_high, n), np.linspace(y_low, y_high, n))
    return np.stack([xx, yy], axis=-1)
