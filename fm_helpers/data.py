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

__all__ = ["GaussianMixture", "two_cities", "eight_gaussians", "from_points", "CITIES", "START", "square_grid",
           "rect_grid"]

#: Positions in units of 100 km east and north of San Diego (the noise is centred there).
CITIES = {
    "San Diego": (0.0, 0.0),
    "Irvine": (-0.59, 1.09),
    "Los Angeles": (-0.97, 1.50),
    "Las Vegas": (1.92, 3.85),
}
#: Where the highlighted car of chapter 2 starts, x0: a house a little south-east of downtown San Diego.
START = np.array([0.45, -0.6])


#: The most draws ``GaussianMixture.sample`` makes in one call (16 bytes a draw in 2-D: 1.6 GB).
MAX_DRAWS = 100_000_000


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """p_data(z) = sum_k w_k N(z; mu_k, sigma_k^2 I) (eq-mixture). ``means`` (K, d), ``stds`` (K,), ``weights`` (K,)."""

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    #: A std > 0 must lie in this range, so that s^2 and 1 / s^2 are ordinary (normal, finite) floats.
    STD_RANGE = (1e-150, 1e150)

    def __init__(self, means, stds=0.0, weights=None):
        means = as_points(means, "means")
        if means.ndim != 2 or means.shape[0] == 0:
            raise ValueError(f"means must have shape (K, d) with at least one component, got shape {means.shape}")
        k = means.shape[0]
        stds = _numbers(stds, "stds")
        stds = np.broadcast_to(stds, (k,)) if stds.ndim == 0 else stds
        if stds.shape != (k,):
            raise ValueError(f"stds must be a number or have shape ({k},), one per component, got shape {stds.shape}")
        if not np.all(np.isfinite(stds)) or np.any(stds < 0):
            raise ValueError(f"stds must be finite and >= 0, got {stds}")
        low, high = self.STD_RANGE
        out_of_range = (stds != 0) & ((stds < low) | (stds > high))
        if np.any(out_of_range):
            raise ValueError(f"stds must be 0 (a point mass) or between {low:g} and {high:g}, so that their squares "
                             f"are ordinary floating-point numbers; got {stds[out_of_range][0]:g}")
        weights = np.full(k, 1.0 / k) if weights is None else _numbers(weights, "weights")
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape ({k},), one per component, got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
            raise ValueError(f"weights must be finite, >= 0 and not all 0, got {weights}")
        # Divide by the largest weight first: the sum of weights near 1e308 would overflow to inf.
        weights = weights / weights.max()
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
        if isinstance(n, bool) or not isinstance(n, numbers.Real) or not _is_whole(n) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if n > MAX_DRAWS:
            raise ValueError(f"n = {n:g} draws at once is too many (at most {MAX_DRAWS:,}); draw in batches")
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
        var = self.stds**2
        with np.errstate(divide="ignore", over="ignore"):  # log weight -inf for a weight 0; distance inf if huge
            sq = np.sum((x[..., None, :] - self.means) ** 2, axis=-1)
            logits = np.log(self.weights) - 0.5 * sq / var - 0.5 * self.dim * np.log(2 * np.pi * var)
        top = logits.max(axis=-1, keepdims=True)
        if not np.all(np.isfinite(top)):
            raise ValueError("a point x is so far from every component that its squared distance overflows; "
                             "p_data cannot be computed there")
        return top[..., 0] + np.log(np.exp(logits - top).sum(axis=-1))

    def pdf(self, x) -> np.ndarray:
        """p_data(x), shape (...)."""
        return np.exp(self.log_pdf(x))


def _is_whole(n) -> bool:
    try:
        return float(n).is_integer()
    except OverflowError:  # an int too large for a float is whole, but far too many draws
        return False


def _numbers(value, name: str) -> np.ndarray:
    """value as a float array, or ValueError naming ``name`` (never numpy's or Python's own message)."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be numbers (each at most about 1e308), got {value!r}") from None


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
    try:
        x_low, x_high, y_low, y_high = (float(v) for v in extent)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"extent must be four numbers (x_low, x_high, y_low, y_high), got {extent!r}") from None
    if not all(np.isfinite([x_low, x_high, y_low, y_high])) or not (x_low < x_high and y_low < y_high):
        raise ValueError(f"extent must be finite with x_low < x_high and y_low < y_high, got {extent!r}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 2 <= n <= 10_000:
        raise ValueError(f"n must be an integer between 2 and 10000 (points per side), got {n!r}")
    xx, yy = np.meshgrid(np.linspace(x_low, x_high, n), np.linspace(y_low, y_high, n))
    return np.stack([xx, yy], axis=-1)
