"""Chapter 1's figures: Gaussian probability paths, conditional and marginal, and their schedules.

* ``ProbabilityPathFigure``: the chapter's live figure. Left, draws from the conditional
  path p_t(x|z) (eq-gaussian-path) for one destination z with its mean alpha_t z and circles of
  radius beta_t and 2 beta_t; middle, the marginal path p_t(x) of the two-cities mixture
  (eq-marginal-path) as a density with draws on top; right, alpha_t and beta_t of the schedule.
* ``path_snapshots_figure``: the same two paths at a handful of times, side by side (static).
* ``schedules_figure``: alpha_t, beta_t and alpha_t^2 + beta_t^2 of several schedules (static).
* ``path_heatmap_figure``: the marginal path of a 1-D mixture as an image over (t, x), one panel
  per schedule (static).

Static figures are ``matplotlib.figure.Figure`` objects (no pyplot), ready to be the last
expression of a notebook cell.
"""

from __future__ import annotations

import numbers

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..marginal import marginal_density
from ..paths import GaussianPath
from ..schedules import Schedule, named_schedules
from .base import COLORS, DENSITY_CMAP, MAP_EXTENT, LiveFigure, resolve_schedule, static_figure

__all__ = [
    "ProbabilityPathFigure",
    "DESTINATIONS",
    "path_snapshots_figure",
    "schedules_figure",
    "path_heatmap_figure",
    "grid_marginal_density",
]

#: x from, x to, y from, y to, in units of 100 km east and north of San Diego.
_EXTENT = MAP_EXTENT
#: The destinations the live figure offers for the conditional path.
DESTINATIONS = ("Las Vegas", "Los Angeles", "Irvine")
#: Pre-drawn noise samples and data samples: n_samples may be at most this many.
_POOL = 1000
#: Resolution of the density image: about one grid point per screen pixel, so that
#: nearest-neighbour drawing looks smooth and costs less than bilinear resampling.
_GRID = 200
_CMAP = matplotlib.colormaps[DENSITY_CMAP]
_XLABEL, _YLABEL = "east of San Diego (100 km)", "north (100 km)"
#: Fixed ticks on the maps: matplotlib's automatic tick search is the largest cost of laying out many axes.
_MAP_TICKS = (-2, 0, 2, 4)
_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 97)), np.sin(np.linspace(0, 2 * np.pi, 97))], axis=1)


def _new_figure(figsize, dpi=100) -> Figure:
    return static_figure(figsize, dpi)


def grid_marginal_density(schedule: Schedule, mixture: data.GaussianMixture, xs, ys, t) -> np.ndarray:
    """p_t on the grid xs (columns) x ys (rows) for a 2-D mixture, shape (len(ys), len(xs)) (eq-marginal-path).

    Each component of p_t is an isotropic Gaussian N(alpha_t mu_k, nu_k I), nu_k = alpha_t^2 sigma_k^2 + beta_t^2,
    and an isotropic Gaussian factorises over the coordinates: its values on a grid are the outer product
    of two 1-D Gaussians. So the grid costs K (len(xs) + len(ys)) exponentials instead of K len(xs) len(ys).
    An independent evaluation of the closed form that ``marginal.marginal_density`` also computes.
    ``t``: a time in [0, 1] or the schedule's values there (``schedule.at(t)``, evaluated once by the caller).
    """
    if mixture.dim != 2:
        raise ValueError(f"grid_marginal_density needs a 2-D mixture, got dimension {mixture.dim}")
    values = schedule.at(t, single=True)
    alpha, beta = values.alpha, values.beta
    var = alpha**2 * mixture.stds**2 + beta**2                                  # (K,)
    if np.any(var == 0):
        raise ValueError(f"at t = {values.t:g} p_t has point masses (components with std 0): no density to draw")
    centres = alpha * mixture.means                                             # (K, 2)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    norm = 1.0 / np.sqrt(2 * np.pi * var)[:, None]
    gx = norm * np.exp(-0.5 * (xs[None, :] - centres[:, :1]) ** 2 / var[:, None])  # (K, nx)
    gy = norm * np.exp(-0.5 * (ys[None, :] - centres[:, 1:]) ** 2 / var[:, None])  # (K, ny)
    return np.einsum("k,ky,kx->yx", mixture.weights, gy, gx)


def _map_axes(ax, title: str) -> None:
    ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", title=title, xlabel=_XLABEL, ylabel=_YLABEL,
           xticks=_MAP_TICKS, yticks=_MAP_TICKS)


def _label_cities(ax, names, fontsize=7) -> None:
    """Small static labels next to the cities of the GPS picture."""
    for name in names:
        cx, cy = data.CITIES[name]
        ax.annotate(name, (cx, cy), xytext=(5, -9), textcoords="offset points", fontsize=fontsize, color="0.25")


class ProbabilityPathFigure(LiveFigure):
    """The conditional path of one destination, the marginal path of two, and the schedule, at time t.

    Parameters (besides ``t`` and ``schedule``): ``destination``, one of ``DESTINATIONS`` (the z of
    the conditional path), and ``n_samples``, the number of draws shown in each map (1 to 1000).
    The draws reuse the same noise at every t, so a point moves continuously as t changes:
    x = alpha_t z + beta_t eps with eps fixed (eq-gaussian-path).
    """

    title = "probability paths"
    caption = ("Left: draws from the conditional path p\u209c(x | z) for one destination z (star), with the "
               "mean \u03b1\u209c z (cross) and circles of radius \u03b2\u209c and 2\u03b2\u209c around it. "
               "Middle: the marginal path p\u209c(x) for the two destinations Los Angeles and Las Vegas, as a "
               "density with draws on top. Right: the schedule's \u03b1\u209c (solid) and \u03b2\u209c "
               "(dashed), with the current time marked.")
    alt = ("Three panels. Left: a cloud of blue noise points around San Diego shrinks and slides onto a single "
           "star as t grows, inside two dashed circles that shrink with it. Middle: a density that starts as "
           "one round blob and separates into two bright spots at Los Angeles and Las Vegas. Right: a solid "
           "curve alpha_t rising from 0 to 1 and a dashed curve beta_t falling from 1 to 0, with a vertical "
           "line at the current t.")
    figsize = (8.4, 3.7)
    #: Frames of the static book every 0.1 in t: three panels with a density and two clouds of points
    #: make a frame about 20 kB, and 4 x 21 of them would push the page past its 4 MiB budget.
    defaults = {"destination": "Las Vegas", "n_samples": 300}
    extra_controls = {
        "destination": {"kind": "choice", "options": list(DESTINATIONS), "description": "destination z",
                        "static": ["Las Vegas", "Los Angeles"]},
        "n_samples": {"kind": "int", "min": 50, "max": _POOL, "step": 50, "description": "samples"},
    }

    # -- parameters -----------------------------------------------------------------------
    @staticmethod
    def _check_extra(params: dict) -> None:
        if "destination" in params and params["destination"] not in DESTINATIONS:
            raise ValueError(f"destination must be one of {', '.join(DESTINATIONS)}, got {params['destination']!r}")
        if "n_samples" in params:
            n = params["n_samples"]
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n <= _POOL:
                raise ValueError(f"n_samples must be an integer from 1 to {_POOL}, got {n!r}")

    def update(self, **changes) -> None:
        self._check_extra(changes)
        super().update(**changes)

    @property
    def z(self) -> np.ndarray:
        """The destination of the conditional path, shape (2,)."""
        return np.array(data.CITIES[self.params["destination"]])

    # -- drawing --------------------------------------------------------------------------
    def _build(self) -> None:
        self._check_extra(self.params)
        rng = np.random.default_rng(0)
        self.mixture = data.two_cities()
        self.eps = rng.standard_normal((_POOL, 2))                # starting points, one per car
        self.z_samples = self.mixture.sample(_POOL, rng)          # destinations of the marginal's cars
        self.grid_x = np.linspace(_EXTENT[0], _EXTENT[1], _GRID)
        self.grid_y = np.linspace(_EXTENT[2], _EXTENT[3], _GRID)

        ax_cond, ax_marg, ax_sched = self.fig.subplots(1, 3, width_ratios=[1, 1, 1.05])
        self.axes = (ax_cond, ax_marg, ax_sched)

        # Left: the conditional path. Static: the map and the city labels; the rest moves.
        _map_axes(ax_cond, "conditional path $p_t(x\\,|\\,z)$")
        _label_cities(ax_cond, ["San Diego", "Los Angeles", "Las Vegas"])
        self.route = self.dynamic(ax_cond.plot([0, 0], [0, 0], color=COLORS["conditional"], lw=1, ls=":")[0])
        self.cond_points = self.dynamic(ax_cond.scatter(np.zeros(0), np.zeros(0), s=5, color=COLORS["noise"],
                                                        alpha=0.55, linewidths=0))
        self.circles = [self.dynamic(ax_cond.plot([], [], color="k", lw=1, ls=ls)[0]) for ls in ("--", ":")]
        self.mean_marker = self.dynamic(ax_cond.plot([], [], marker="P", ms=8, color=COLORS["conditional"],
                                                     mec="k", mew=0.8, ls="none")[0])
        self.z_marker = self.dynamic(ax_cond.plot([], [], marker="*", ms=14, color=COLORS["data"], mec="k",
                                                  ls="none")[0])
        note_style = dict(fontsize=8, va="top", ha="left", bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9))
        self.cond_note = self.dynamic(ax_cond.text(0.03, 0.97, "", transform=ax_cond.transAxes, **note_style))

        # Middle: the marginal path. Everything here lies on the density image, so all of it is dynamic.
        _map_axes(ax_marg, "marginal path $p_t(x)$")
        # The image holds colours computed here (viridis, scaled to the frame's maximum): drawing an RGBA
        # image skips matplotlib's per-pixel normalisation, the largest cost of a frame.
        self.density = self.dynamic(ax_marg.imshow(np.zeros((_GRID, _GRID, 4), dtype=np.uint8), origin="lower",
                                                   extent=_EXTENT, interpolation="nearest", aspect="equal"))
        self.marg_points = self.dynamic(ax_marg.scatter(np.zeros(0), np.zeros(0), s=3, color="white", alpha=0.6,
                                                        linewidths=0))
        self.dynamic(ax_marg.plot(*self.mixture.means.T, marker="*", ms=12, color=COLORS["data"], mec="k",
                                  ls="none")[0])
        self.marg_note = self.dynamic(ax_marg.text(0.03, 0.97, "", transform=ax_marg.transAxes, **note_style))

        # Right: the schedule. Its name is shown by the selector next to the figure, not in a title: a text
        # redrawn at every frame would cost more than all the lines of the panel together.
        self.ts = np.linspace(0.0, 1.0, 201)
        self.alpha_line = self.dynamic(ax_sched.plot(self.ts, self.ts, color=COLORS["data"], lw=2)[0])
        self.beta_line = self.dynamic(ax_sched.plot(self.ts, 1 - self.ts, color=COLORS["noise"], lw=2, ls="--")[0])
        self.t_line = self.dynamic(ax_sched.axvline(0.0, color="k", lw=1, ls=":"))
        self.t_dots = self.dynamic(ax_sched.plot([], [], "o", color="k", ms=5, clip_on=False)[0])
        ax_sched.set(xlim=(0, 1), ylim=(-0.05, 1.05), xlabel="time $t$", ylabel="value",
                     xticks=np.linspace(0, 1, 6), yticks=np.linspace(0, 1, 6))
        ax_sched.grid(alpha=0.3)
        ax_sched.set_title("schedule $\\alpha_t$, $\\beta_t$")

        handles = [
            Line2D([], [], marker="o", ms=4, color=COLORS["noise"], ls="none", label="draws of $p_t(x\\,|\\,z)$"),
            Line2D([], [], marker="*", ms=11, color=COLORS["data"], mec="k", ls="none", label="destination $z$"),
            Line2D([], [], marker="P", ms=7, color=COLORS["conditional"], mec="k", ls="none",
                   label="mean $\\alpha_t z$"),
            Line2D([], [], color="k", lw=1, ls="--", label="radius $\\beta_t$"),
            Line2D([], [], color="k", lw=1, ls=":", label="radius $2\\beta_t$"),
            Line2D([], [], marker="o", ms=4, color="white", mec="0.3", ls="none", label="draws of $p_t(x)$"),
            Line2D([], [], color=COLORS["data"], lw=2, label="$\\alpha_t$"),
            Line2D([], [], color=COLORS["noise"], lw=2, ls="--", label="$\\beta_t$"),
        ]
        self.fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False,
                        handlelength=1.8, columnspacing=1.5, borderpad=0.2, labelspacing=0.3)

    def _draw(self, changed: set[str]) -> None:
        t, schedule, path, values = self.t, self.schedule, self.path, self.values
        alpha, beta = values.alpha, values.beta
        n = self.params["n_samples"]
        z = self.z

        if "schedule" in changed:
            curves = schedule.at(self.ts)
            self.alpha_line.set_ydata(curves.alpha)
            self.beta_line.set_ydata(curves.beta)
        if "destination" in changed:
            self.route.set_data([0.0, z[0]], [0.0, z[1]])
            self.z_marker.set_data([z[0]], [z[1]])

        # The conditional path: x = alpha_t z + beta_t eps for the same eps at every t.
        self.cond_points.set_offsets(path.flow(self.eps[:n], z, values))
        mean = alpha * z
        self.mean_marker.set_data([mean[0]], [mean[1]])
        for radius, line in zip((1.0, 2.0), self.circles):
            ring = mean + radius * beta * _CIRCLE
            line.set_data(ring[:, 0], ring[:, 1])
        self.cond_note.set_text(self._conditional_note(t))

        # The marginal path: each car has its own destination z_i ~ p_data.
        self.marg_points.set_offsets(path.flow(self.eps[:n], self.z_samples[:n], values))
        if changed & {"t", "schedule"}:
            self.density_values = grid_marginal_density(schedule, self.mixture, self.grid_x, self.grid_y, values)
            self.density.set_data(_CMAP(self.density_values / self.density_values.max(), bytes=True))
            self.marg_note.set_text({0.0: "$t = 0$: $p_0 = \\mathcal{N}(0, I)$",
                                     1.0: "$t = 1$: $p_1 = p_{\\mathrm{data}}$"}.get(t, ""))

        self.t_line.set_xdata([t, t])
        self.t_dots.set_data([t, t], [alpha, beta])

    @staticmethod
    def _conditional_note(t: float) -> str:
        if t == 0.0:
            return "$t = 0$: $\\mathcal{N}(0, I)$, whatever $z$ is"
        if t == 1.0:
            return "$t = 1$: every draw sits at $z$\n(a point mass: no density)"
        return ""


# --------------------------------------------------------------------------------------
# Static figures
# --------------------------------------------------------------------------------------

def path_snapshots_figure(schedule: Schedule | str = "CondOT", times=(0.0, 0.25, 0.5, 0.75, 1.0),
                          destination: str = "Las Vegas", n_samples: int = 300, seed: int = 0) -> Figure:
    """Top row: draws of p_t(x|z) for one destination; bottom row: the marginal p_t(x) of the two-cities
    mixture with draws, at each of ``times`` (eq-gaussian-path, eq-marginal-path)."""
    schedule = resolve_schedule(schedule)
    if destination not in data.CITIES:
        raise ValueError(f"destination must be one of {', '.join(data.CITIES)}, got {destination!r}")
    times = [float(t) for t in times]
    path = GaussianPath(schedule)
    rng = np.random.default_rng(seed)
    mixture = data.two_cities()
    eps = rng.standard_normal((n_samples, 2))
    z_samples = mixture.sample(n_samples, rng)
    z = np.array(data.CITIES[destination])
    grid = data.rect_grid(_EXTENT, 150)

    fig = _new_figure((1.75 * len(times), 4.4))
    axes = fig.subplots(2, len(times), sharex=True, sharey=True, squeeze=False)
    for j, t in enumerate(times):
        top, bottom = axes[0, j], axes[1, j]
        x = path.flow(eps, z, t)
        top.scatter(*x.T, s=3, color=COLORS["noise"], alpha=0.5, linewidths=0)
        top.plot(*z, marker="*", ms=11, color=COLORS["data"], mec="k", ls="none")
        top.set_title(f"$t = {t:g}$")
        p = marginal_density(path, mixture, grid, t)
        bottom.imshow(p, origin="lower", extent=_EXTENT, cmap=DENSITY_CMAP, interpolation="bilinear")
        bottom.scatter(*path.flow(eps, z_samples, t).T, s=2, color="white", alpha=0.5, linewidths=0)
        bottom.plot(*mixture.means.T, marker="*", ms=9, color=COLORS["data"], mec="k", ls="none")
        for ax in (top, bottom):
            ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", xticks=_MAP_TICKS, yticks=_MAP_TICKS)
            ax.tick_params(labelsize=7)
        bottom.set_xlabel("east (100 km)", fontsize=8)
    axes[0, 0].set_ylabel(f"$p_t(x\\,|\\,z)$, $z$ = {destination}\nnorth (100 km)", fontsize=8)
    axes[1, 0].set_ylabel("$p_t(x)$, two cities\nnorth (100 km)", fontsize=8)
    fig.suptitle(f"From noise ($t = 0$) to data ($t = 1$), schedule {schedule.name}", fontsize=10)
    return fig


def schedules_figure(schedules=None) -> Figure:
    """alpha_t (solid), beta_t (dashed) and alpha_t^2 + beta_t^2 (dotted) of each schedule, side by side.

    ``schedules``: a list of Schedule objects or names; by default the four of ``named_schedules()``.
    The boundary values of eq-schedule-conditions are marked with dots at t = 0 and t = 1.
    """
    if schedules is None:
        schedules = list(named_schedules().values())
    schedules = [resolve_schedule(s) for s in schedules]
    if not schedules:
        raise ValueError("schedules_figure needs at least one schedule")
    ts = np.linspace(0.0, 1.0, 401)
    fig = _new_figure((2.15 * len(schedules), 2.9))
    axes = fig.subplots(1, len(schedules), sharey=True, squeeze=False)[0]
    for ax, schedule in zip(axes, schedules):
        curves = schedule.at(ts)
        alpha, beta = curves.alpha, curves.beta
        ax.plot(ts, alpha, color=COLORS["data"], lw=2, label="$\\alpha_t$")
        ax.plot(ts, beta, color=COLORS["noise"], lw=2, ls="--", label="$\\beta_t$")
        ax.plot(ts, alpha**2 + beta**2, color="0.35", lw=1.2, ls=":", label="$\\alpha_t^2 + \\beta_t^2$")
        ax.plot([0, 1, 0, 1], [alpha[0], alpha[-1], beta[0], beta[-1]], "o", color="k", ms=3.5)
        ax.set(xlim=(0, 1), ylim=(-0.05, 1.08), title=schedule.name, xlabel="time $t$",
               xticks=[0, 0.5, 1], yticks=np.linspace(0, 1, 6))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value")
    fig.legend(handles=axes[0].get_lines()[:3], loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    return fig


def path_heatmap_figure(schedules=None, means=(-2.0, 2.0), stds=(0.3, 0.3), weights=(0.5, 0.5),
                        n_t: int = 201, n_x: int = 241, x_range=(-4.0, 4.0)) -> Figure:
    """The marginal path p_t(x) of a 1-D Gaussian mixture, as an image over time t (across) and x (up),
    one panel per schedule (eq-marginal-path). Each column of an image is one density p_t (all panels
    share one colour scale); the dashed lines follow the component means alpha_t mu_k."""
    if schedules is None:
        schedules = list(named_schedules().values())
    schedules = [resolve_schedule(s) for s in schedules]
    mixture = data.GaussianMixture(np.asarray(means, dtype=float)[:, None], stds, weights)
    ts = np.linspace(0.0, 1.0, n_t)
    xs = np.linspace(*x_range, n_x)[:, None]
    fig = _new_figure((2.15 * len(schedules) + 0.6, 2.7))
    axes = fig.subplots(1, len(schedules), sharey=True, squeeze=False)[0]
    images = [np.stack([marginal_density(GaussianPath(s), mixture, xs, t) for t in ts], axis=1) for s in schedules]
    top = max(image.max() for image in images)
    for ax, schedule, columns in zip(axes, schedules, images):
        shown = ax.imshow(columns, origin="lower", aspect="auto", cmap=DENSITY_CMAP, extent=(0, 1, *x_range),
                          interpolation="bilinear", vmin=0, vmax=top)
        for mu in mixture.means[:, 0]:
            ax.plot(ts, schedule.alpha(ts) * mu, color="white", lw=1, ls="--")
        ax.set(title=schedule.name, xlabel="time $t$", xticks=[0, 0.5, 1], yticks=np.arange(-4, 5, 2))
    axes[0].set_ylabel("position $x$")
    fig.colorbar(shown, ax=list(axes), label="density $p_t(x)$", shrink=0.9)
    return fig
