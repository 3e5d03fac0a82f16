"""Chapter 9's live figure: one set of noise samples carried to the two cities by three samplers.

``DiffusionFigure`` shows, at time t, where 400 samples from N(0, I) are when they follow the probability-flow
ODE, the stochastic differential equation of eq-09-sde with noise level g (Euler-Maruyama), or DDIM, over the
exact marginal density p_t; and, on the right, the histogram of their positions along the line through the two
cities against the exact marginal of p_t on that line. The figure only draws: every number comes from
``fm_helpers.sampling`` and ``fm_helpers.marginal``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import data
from ..marginal import marginal_density
from ..ode import integrate
from ..paths import GaussianPath
from ..sampling import ddim, euler_maruyama, flow_field, sde_drift
from .base import COLORS, DENSITY_CMAP, LiveFigure, declare_schedule

__all__ = ["DiffusionFigure", "SAMPLERS", "NOISE_LEVELS"]

EXTENT = (-3.5, 4.5, -2.5, 5.5)
_TICKS = (-2, 0, 2, 4)
#: The samplers of the figure, by the name its control shows.
SAMPLERS = ("ODE", "Euler-Maruyama", "DDIM")
#: The noise levels g the figure offers (used by Euler-Maruyama only): three, so that the book's player
#: pre-renders few frames.
NOISE_LEVELS = (0.5, 1.0, 2.0)
_POINT_STYLES = (dict(marker="o", color="white"), dict(marker="^", color=COLORS["data"]))
_DESTINATIONS = ("Los Angeles", "Las Vegas")


def _starts(n_points: int) -> np.ndarray:
    """The figure's noise samples: always the same (seed 0), so that runs can be compared and cached."""
    return np.random.default_rng(0).standard_normal((n_points, 2))


def _at_time(trajectory: np.ndarray, t: float) -> np.ndarray:
    """Positions at time t on the polyline through the nodes t_i = i / n of a trajectory (n + 1, N, 2)."""
    n = trajectory.shape[0] - 1
    i = min(int(np.floor(t * n)), n - 1)
    frac = t * n - i
    return trajectory[i] + frac * (trajectory[i + 1] - trajectory[i])


class DiffusionFigure(LiveFigure):
    """Left: the samples at time t over p_t, marked by the city they end nearest to, with three of their
    paths. Right: their histogram along the line from Los Angeles to Las Vegas against the exact marginal."""

    title = "three samplers, one marginal path"
    caption = ("The same 400 noise samples carried towards Los Angeles and Las Vegas by the chosen sampler: the "
               "probability-flow ODE (RK4), the stochastic differential equation with noise level g "
               "(Euler-Maruyama; g is used by this sampler only) or DDIM. Left: the samples at time t over the "
               "exact marginal density p_t, white circles for samples that end nearer Los Angeles, orange "
               "triangles for Las Vegas, and the paths of three of them up to time t. Right: the histogram of "
               "the samples' positions along the line from Los Angeles to Las Vegas (bars) against the exact "
               "marginal of p_t on that line (curve): every sampler follows the curve at every t, however "
               "different the individual paths.")
    alt = ("Two panels. On the left a cloud of points starts as a round blob near the origin and, as t grows, "
           "splits into two groups that reach two stars, the cities; with the ODE and DDIM the three drawn paths "
           "are smooth curves, with Euler-Maruyama they jitter, the more so the larger g. On the right a "
           "histogram of the points' positions along the line between the cities follows a smooth curve, the "
           "exact density, for every sampler: one bump at t = 0, two narrow bumps at t = 1.")
    figsize = (7.8, 3.6)
    #: the page offers CondOT and LinearVP (the text asks for both); the other schedules need a kernel
    schedule_control = {**declare_schedule(), "static": ["CondOT", "LinearVP"]}
    defaults = {"sampler": "Euler-Maruyama", "noise": 1.0}
    extra_controls = {
        "sampler": {"kind": "choice", "options": list(SAMPLERS), "description": "sampler", "static": list(SAMPLERS)},
        "noise": {"kind": "choice", "options": list(NOISE_LEVELS), "description": "noise level g",
                  "static": list(NOISE_LEVELS)},
    }
    N_POINTS = 400
    N_PATHS = 3
    GRID = 90
    STEPS = {"ODE": 40, "Euler-Maruyama": 250, "DDIM": 40}
    BINS = np.linspace(-1.0, 5.0, 37)   # positions along the line, in units of 100 km from its foot
    CACHE_SIZE = 24

    @classmethod
    def _check_params(cls, params: dict) -> None:
        if "sampler" in params and params["sampler"] not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {params['sampler']!r}")
        if "noise" in params and not any(params["noise"] == g for g in NOISE_LEVELS):
            raise ValueError(f"noise level g must be one of {', '.join(map(str, NOISE_LEVELS))}, "
                             f"got {params['noise']!r}")

    def update(self, **changes) -> None:
        self._check_params(changes)  # before anything changes, so a bad value leaves the figure as it was
        super().update(**changes)

    # -- numbers ---------------------------------------------------------------------------
    def _run(self) -> dict:
        sampler, g = self.params["sampler"], float(self.params["noise"])
        key = (self.schedule.name, sampler, g if sampler == "Euler-Maruyama" else None)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        path, steps = GaussianPath(self.schedule), self.STEPS[sampler]
        if sampler == "ODE":
            trajectory = integrate(flow_field(path, self.mixture), self.x0, 0.0, 1.0, steps, "rk4")
        elif sampler == "DDIM":
            trajectory = ddim(path, self.mixture, self.x0, 0.0, 1.0, steps)
        else:  # the noise is drawn from its own seeded generator: the same picture every time
            trajectory = euler_maruyama(sde_drift(path, self.mixture, g), lambda t: g, self.x0, 0.0, 1.0, steps,
                                        np.random.default_rng(1))
        end = trajectory[-1]
        labels = np.argmin(np.linalg.norm(end[:, None, :] - self.mixture.means, axis=-1), axis=1)
        run = {"trajectory": trajectory, "labels": labels, "projected": (trajectory - self.foot) @ self.direction}
        self._cache[key] = run
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return run

    # -- drawing ---------------------------------------------------------------------------
    def _build(self) -> None:
        self._check_params(self.params)
        self.mixture = data.two_cities()
        self.x0 = _starts(self.N_POINTS)
        self.grid = data.rect_grid(EXTENT, self.GRID)
        self._cache = OrderedDict()
        # the line through the two cities, from the foot of the perpendicular from San Diego (the origin)
        la, lv = self.mixture.means
        self.direction = (lv - la) / np.linalg.norm(lv - la)
        self.foot = la - (la @ self.direction) * self.direction
        self.line_mixture = data.GaussianMixture((self.mixture.means - self.foot) @ self.direction[:, None],
                                                 self.mixture.stds, self.mixture.weights)
        self.line_x = np.linspace(self.BINS[0], self.BINS[-1], 241)

        ax, ax_line = self.fig.subplots(1, 2, width_ratios=[1.0, 1.05])
        ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], aspect="equal", xticks=_TICKS, yticks=_TICKS,
               xlabel="east (100 km)", ylabel="north (100 km)")
        ax.set_title("samples at time $t$ over $p_t$", fontsize=10)
        self.density = self.dynamic(ax.imshow(np.zeros((self.GRID, self.GRID)), origin="lower", extent=EXTENT,
                                              cmap=DENSITY_CMAP, interpolation="bilinear"))
        self.points = [self.dynamic(ax.scatter([], [], s=11, edgecolors="k", linewidths=0.4, **style))
                       for style in _POINT_STYLES]
        self.paths = self.dynamic(ax.plot([], [], color="#ff6f61", lw=1.1)[0])
        self.dynamic(ax.plot(*self.mixture.means.T, marker="*", ms=12, color=COLORS["data"], mec="k", ls="none")[0])

        ax_line.set(xlim=(self.BINS[0], self.BINS[-1]), ylim=(0.0, 1.6),
                    xlabel="along the line LA → Las Vegas (100 km)", ylabel="density")
        ax_line.set_title("marginal on the line: samples and exact $p_t$", fontsize=10)
        for name, position in zip(_DESTINATIONS, self.line_mixture.means[:, 0]):
            ax_line.axvline(position, color="0.6", lw=0.8, ls=":")
            ax_line.text(position, 1.55, name, fontsize=8, ha="center", va="top", color="0.3")
        self.bars = self.dynamic(ax_line.stairs(np.zeros(len(self.BINS) - 1), self.BINS, fill=True,
                                                color=COLORS["noise"], alpha=0.55, label="samples (histogram)"))
        self.exact = self.dynamic(ax_line.plot([], [], color="k", lw=1.6, label="exact $p_t$ on the line")[0])
        ax_line.legend(loc="upper center", fontsize=7, framealpha=0.9, bbox_to_anchor=(0.5, 0.9))
        self.heading = self.fig.suptitle("", x=0.01, ha="left", fontsize=10)

    def _draw(self, changed: set[str]) -> None:
        t, run = self.t, self._run()
        if changed & {"t", "schedule"}:
            p = marginal_density(GaussianPath(self.schedule), self.mixture, self.grid, self.values)
            self.density.set_data(p)
            self.density.set_clim(0.0, p.max())
            self.exact.set_data(self.line_x, marginal_density(GaussianPath(self.schedule), self.line_mixture,
                                                              self.line_x[:, None], self.values))
        positions = _at_time(run["trajectory"], t)
        for k, artist in enumerate(self.points):
            artist.set_offsets(positions[run["labels"] == k])
        counts, _ = np.histogram(_at_time(run["projected"][..., None], t)[:, 0], bins=self.BINS)
        self.bars.set_data(counts / (self.N_POINTS * np.diff(self.BINS)))
        n = run["trajectory"].shape[0] - 1
        done = int(np.floor(t * n + 1e-9)) + 1
        chosen = run["trajectory"][:done, : self.N_PATHS]
        routes = np.concatenate([chosen, positions[None, : self.N_PATHS]])
        padded = np.full((self.N_PATHS, routes.shape[0] + 1, 2), np.nan)
        padded[:, :-1] = np.swapaxes(routes, 0, 1)
        self.paths.set_data(*padded.reshape(-1, 2).T)
        if changed & {"schedule", "sampler", "noise"}:
            sampler = self.params["sampler"]
            detail = f", g = {self.params['noise']:g}" if sampler == "Euler-Maruyama" else ""
            self.heading.set_text(f"{self.schedule.name}: {sampler}{detail}, {self.STEPS[sampler]} steps")
            self.invalidate_background()
