"""Chapter 3's figures: the CondOT path, straight lines at constant speed, and how straight other schedules are.

* ``CondOTFigure``: trajectories of a few noise samples under the selected schedule, either the
  conditional paths psi_t(eps|z) (eq-flow) or the marginal paths obtained by integrating the marginal
  field (eq-marginal-field), with the current points and their velocities, a panel of the speed |u|
  against t, and the measured straightness.
* ``offpath_speed_figure``: |u_t(x|z)| of the x-form field (eq-condot-field) against 1 - t, on and off the path.
* ``beads_figure``: conditional paths of CondOT and Cosine with beads at equal time steps (the chapter's opening).

Static figures are ``matplotlib.figure.Figure`` objects (no pyplot), to be the last expression of a cell.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..marginal import marginal_field
from ..paths import GaussianPath
from ..sampling import (T_GRID, conditional_speeds, conditional_trajectories, defined_times, marginal_trajectories,
                        speed_ratio, straightness)
from ..schedules import Schedule, named_schedules
from .base import COLORS, SCHEDULE_STYLES, LiveFigure, resolve_schedule, schedule_styles

__all__ = [
    "CondOTFigure",
    "offpath_speed_figure",
    "beads_figure",
]

_EXTENT = (-3.0, 4.0, -2.6, 5.0)  # east from, east to, north from, north to (100 km around San Diego)
MAX_STARTS = 12
#: RK4 steps for marginal trajectories
MARGINAL_STEPS = 100


def offpath_speed_figure(x_off, z, eps, schedules: dict | None = None) -> Figure:
    """Log-log plot of |u_t(x|z)| (x-form, eq-cond-field) against 1 - t at a fixed point x off the path, per schedule,
    and for CondOT along the path x = psi_t(eps|z), where it stays |z - eps| (eq-condot-field)."""
    schedules = named_schedules() if schedules is None else schedules
    x_off, z, eps = (np.asarray(a, dtype=float) for a in (x_off, z, eps))
    remaining = np.logspace(-8, 0, 161)[:-1]       # 1 - t from 1e-8 up to 0.9 (t from 0.1 to 1 - 1e-8)
    remaining = remaining[remaining <= 0.9]
    ts = 1.0 - remaining
    fig = Figure(figsize=(7.0, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for (name, schedule), style in zip(schedules.items(), schedule_styles(schedules)):
        u = GaussianPath(schedule).conditional_field(x_off, z, ts[:, None])
        ax.loglog(remaining, np.linalg.norm(u, axis=-1), ls=style["ls"], lw=1.8, color=style["color"],
                  label=f"off the path, {name}")
    condot = GaussianPath(named_schedules()["CondOT"])
    on_path = condot.flow(eps, z, ts[:, None])
    u_on = condot.conditional_field(on_path, z, ts[:, None])
    ax.loglog(remaining, np.linalg.norm(u_on, axis=-1), color=SCHEDULE_STYLES["CondOT"]["color"], lw=5, alpha=0.35,
              label=r"on the path, CondOT: $x = \psi_t(\varepsilon|z)$")
    ax.invert_xaxis()
    ax.set(xlabel=r"time left $1 - t$ (log scale; $t \to 1$ to the right)", ylabel=r"speed $|u_t(x|z)|$ (log scale)",
           title=r"The field $u_t(x|z)$ as $t \to 1$: off the path and on it")
    ax.legend(fontsize=7.5, loc="upper left")
    return fig


def beads_figure(schedule_names=("CondOT", "Cosine"), n: int = 6, seed: int = 0) -> Figure:
    """Conditional paths psi_t(eps|z) of n noise samples, one panel per schedule, with beads at t = 0, 0.1, ..., 1.

    Equal time steps give evenly spaced beads on straight strings for CondOT, unevenly spaced beads
    on bent strings for the cosine schedule. The pairs (eps, z) are the same in every panel.
    """
    rng = np.random.default_rng(seed)
    mixture = data.two_cities()
    eps, z = rng.standard_normal((n, 2)), mixture.sample(n, rng)
    fig = Figure(figsize=(3.6 * len(schedule_names), 3.9), dpi=100, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(schedule_names), sharey=True))
    beads = np.linspace(0.0, 1.0, 11)
    for ax, name in zip(axes, schedule_names):
        schedule = resolve_schedule(name)
        curve = conditional_trajectories(schedule, eps, z)
        points = conditional_trajectories(schedule, eps, z, beads)
        ax.add_collection(LineCollection([curve[:, i] for i in range(n)], color=COLORS["conditional"], lw=1.3))
        ax.plot(points[1:-1, :, 0].ravel(), points[1:-1, :, 1].ravel(), "o", ms=3.5, color="k", mfc="white",
                mew=0.8, label="$t = 0.1, 0.2, \\ldots, 0.9$")
        ax.plot(eps[:, 0], eps[:, 1], "o", ms=5, color=COLORS["noise"], label="start $\\varepsilon$ ($t = 0$)")
        ax.plot(*mixture.means.T, "*", ms=14, color=COLORS["data"], mec="k", label="cities ($z$ near them)")
        ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", xlabel="east (100 km)", title=name)
    axes[0].set_ylabel("north (100 km)")
    axes[-1].legend(loc="lower right", fontsize=7)
    return fig


# --------------------------------------------------------------------------------------
# The live figure
# --------------------------------------------------------------------------------------

def _hermite(ts, xs, vs, t):
    """Position at time t on the cubic Hermite interpolant through nodes (ts, xs (T, N, d), vs (T, N, d))."""
    i = int(np.clip(np.searchsorted(ts, t, side="right") - 1, 0, len(ts) - 2))
    h = ts[i + 1] - ts[i]
    s = (t - ts[i]) / h
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * xs[i] + h10 * h * vs[i] + h01 * xs[i + 1] + h11 * h * vs[i + 1]


def _format_ratio(ratio: float) -> str:
    return "∞" if not np.isfinite(ratio) else f"{ratio:.2f}"


class CondOTFigure(LiveFigure):
    """Left: trajectories of noise samples (blue dots) towards Los Angeles and Las Vegas (stars), travelled part
    solid, the rest dashed, with the current points and their velocity arrows. Right: the speed |u| of each
    trajectory against t, the current t marked, and the measured straightness."""

    title = "straight and curved paths"
    caption = ("Left: trajectories of noise samples (dots) under the selected schedule: conditional paths, each to "
               "its own destination drawn from the two cities, or marginal paths that follow the marginal field. "
               "The part already travelled is solid, the rest dashed; arrows are the velocities at time t. Right: "
               "the speed of each trajectory against t, with the straightness (chord / arc length) and the spread "
               "of speeds measured along the trajectories.")
    alt = ("Two panels. Left: a map with a few blue starting dots near the origin and two star-shaped destinations, "
           "Los Angeles and Las Vegas; lines run from the dots to the stars, straight for CondOT and Polynomial, "
           "bent for Cosine and LinearVP, with arrows at the current points. Right: speed against time; for CondOT "
           "the conditional speeds are flat lines, for the other schedules they rise or fall, and for LinearVP "
           "they shoot up near t = 1.")
    figsize = (8.4, 3.9)
    defaults = {"paths": "conditional", "n_starts": 8}
    extra_controls = {
        "paths": {"kind": "choice", "options": ["conditional", "marginal"], "description": "paths"},
        "n_starts": {"kind": "int", "min": 1, "max": MAX_STARTS, "step": 1, "description": "starts"},
    }

    def __init__(self, t: float = 0.5, schedule: Schedule | str = "CondOT", **params):
        self._check_params(params)
        super().__init__(t=t, schedule=schedule, **params)

    def update(self, **changes) -> None:
        self._check_params(changes)
        super().update(**changes)

    @staticmethod
    def _check_params(params: dict) -> None:
        if "paths" in params and params["paths"] not in ("conditional", "marginal"):
            raise ValueError(f"paths must be 'conditional' or 'marginal', got {params['paths']!r}")
        if "n_starts" in params:
            n = params["n_starts"]
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_STARTS:
                raise ValueError(f"n_starts must be an integer from 1 to {MAX_STARTS}, got {n!r}")

    # -- data, computed once per (schedule, paths) and cached ----------------------------
    def _trajectories(self, schedule: Schedule, mode: str) -> dict:
        key = (schedule, mode)
        if key not in self._cache:
            if mode == "conditional":
                ts = T_GRID
                traj = conditional_trajectories(schedule, self.eps, self.z, ts)
                speeds = conditional_speeds(schedule, self.eps, self.z, ts)
                velocities = None
            else:
                ts, traj = marginal_trajectories(schedule, self.mixture, self.eps)
                path = GaussianPath(schedule)
                velocities = np.stack([marginal_field(path, self.mixture, x, float(t)) for x, t in zip(traj, ts)])
                speeds = np.linalg.norm(velocities, axis=-1)
            self._cache[key] = {"ts": ts, "traj": traj, "speeds": speeds, "velocities": velocities,
                                "chord_arc": straightness(traj), "speed_ratio": speed_ratio(speeds)}
        return self._cache[key]

    def current(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Positions of the shown starts at the current t, and their velocities (None where not finite)."""
        n, values = self.params["n_starts"], self.values
        path = self.path
        if self.params["paths"] == "conditional":
            x = path.flow(self.eps[:n], self.z[:n], values)
            if not values.derivatives_defined:
                return x, None
            return x, path.conditional_field_from_noise(self.eps[:n], self.z[:n], values)
        cached = self._trajectories(self.schedule, "marginal")
        x = _hermite(cached["ts"], cached["traj"][:, :n], cached["velocities"][:, :n], values.t)
        return x, marginal_field(path, self.mixture, x, values)

    # -- LiveFigure ------------------------------------------------------------------------
    def _build(self) -> None:
        rng = np.random.default_rng(0)
        self.mixture = data.two_cities()
        self.eps = rng.standard_normal((MAX_STARTS, 2))
        self.z = self.mixture.sample(MAX_STARTS, rng)
        self._cache: dict = {}

        # A fixed layout: constrained layout would cost more than half of the build, for the same result.
        self.fig.set_layout_engine(None)
        ax_map, ax_speed = self.fig.subplots(1, 2, width_ratios=[0.85, 1.0])
        self.fig.subplots_adjust(left=0.065, right=0.985, bottom=0.115, top=0.9, wspace=0.14)
        self.ax_map, self.ax_speed = ax_map, ax_speed
        ax_map.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", xlabel="east (100 km)",
                   ylabel="north (100 km)")
        for name in ("Los Angeles", "Las Vegas"):
            cx, cy = data.CITIES[name]
            ax_map.plot(cx, cy, marker="*", ms=15, color=COLORS["data"], mec="k", ls="none", zorder=1)
            ax_map.annotate(name, (cx, cy), xytext=(8, -3), textcoords="offset points", fontsize=8)
        # Artists that change only with the schedule, the kind of paths or the number of starts are part of
        # the background (redrawn once per such change); only what moves with t is dynamic.
        self.map_title = ax_map.set_title("", fontsize=10)
        self.ahead = ax_map.add_collection(LineCollection([], linewidths=0.9, linestyles=(0, (4, 3)), alpha=0.55))
        self.travelled = self.dynamic(ax_map.add_collection(LineCollection([], linewidths=1.8)))
        self.starts = ax_map.scatter(np.zeros(0), np.zeros(0), s=22, color=COLORS["noise"], edgecolor="white",
                                     linewidth=0.6, zorder=3)
        # current points as a marker line rather than a scatter: much cheaper to draw at every step
        self.points = self.dynamic(ax_map.plot([], [], ls="none", marker="o", ms=5.5, mfc="white", mec="k", mew=1.2,
                                               zorder=4)[0])
        zeros = np.zeros(MAX_STARTS)
        self.arrows = self.dynamic(ax_map.quiver(zeros, zeros, zeros, zeros, angles="xy", scale_units="xy", scale=4.0,
                                                 width=0.006, color=COLORS["accent"], zorder=5))
        self.note = self.dynamic(ax_map.text(0.02, 0.98, "", transform=ax_map.transAxes, fontsize=7.5, va="top",
                                             color=COLORS["naive"]))
        handles = [Line2D([], [], color="k", lw=1.8, label="travelled"),
                   Line2D([], [], color="k", lw=0.9, ls=(0, (4, 3)), label="ahead"),
                   Line2D([], [], color=COLORS["accent"], marker=r"$\rightarrow$", ls="none", ms=10,
                          label="velocity $u$")]
        ax_map.legend(handles=handles, loc="lower right", fontsize=7.5, framealpha=0.8)

        # A fixed speed range (no re-layout on a schedule switch): a little above the largest conditional
        # speed of the schedules whose speed is finite everywhere; LinearVP's runs off the top near t = 1.
        finite = [conditional_speeds(s, self.eps, self.z) for s in named_schedules().values()
                  if defined_times(s, T_GRID).all()]
        # The top fifth of the panel is kept free for the straightness numbers.
        self.speed_top = 1.3 * float(np.max(finite))
        ax_speed.set(xlim=(0, 1), ylim=(0, self.speed_top), xlabel="t", ylabel="speed $|u|$")
        self.speed_lines = ax_speed.add_collection(LineCollection([], linewidths=1.2))
        self.t_line = self.dynamic(ax_speed.axvline(0.0, ymax=0.8, color="k", lw=1, ls=":"))
        self.speed_dots = self.dynamic(ax_speed.plot([], [], ls="none", marker="o", ms=5, mfc="white", mec="k",
                                                     mew=1.2, zorder=4)[0])
        self.speed_title = ax_speed.set_title("", fontsize=10)
        self.info = ax_speed.text(0.02, 0.97, "", transform=ax_speed.transAxes, fontsize=8, va="top",
                                  family="monospace", bbox=dict(boxstyle="round", facecolor="white", alpha=0.85, lw=0.5))
        self.time_label = self.dynamic(self.fig.suptitle("", x=0.01, ha="left", fontsize=11))

    def _draw(self, changed: set[str]) -> None:
        schedule, mode, n, t = self.schedule, self.params["paths"], self.params["n_starts"], self.t
        cached = self._trajectories(schedule, mode)
        ts, traj = cached["ts"], cached["traj"][:, :n]
        color = COLORS["conditional"] if mode == "conditional" else COLORS["field"]
        if changed & {"schedule", "paths", "n_starts"}:
            self.ahead.set_segments([traj[:, i] for i in range(n)])
            for collection in (self.ahead, self.travelled, self.speed_lines):
                collection.set_color(color)
            self.starts.set_offsets(self.eps[:n])
            speeds = cached["speeds"][:, :n]
            ok = np.isfinite(speeds[:, 0])
            self.speed_lines.set_segments([np.column_stack([ts[ok], speeds[ok, i]]) for i in range(n)])
            what = "conditional paths $\\psi_t(\\varepsilon|z)$" if mode == "conditional" else \
                "marginal paths: ODE of $u_t(x)$"
            self.map_title.set_text(f"{what}, {schedule.name}")
            self.speed_title.set_text(f"speed along each path, {schedule.name}")
            ratios = cached["speed_ratio"][:n]
            chord_arc = cached["chord_arc"][:n]
            self.info.set_text(f"chord/arc   mean {chord_arc.mean():.3f}  min {chord_arc.min():.3f}\n"
                               f"max/min speed  median {_format_ratio(float(np.median(ratios)))}")
            self.invalidate_background()
        x, u = self.current()
        k = int(np.searchsorted(ts, t, side="right"))   # grid times <= t
        self.travelled.set_segments([np.vstack([traj[:k, i], x[i]]) for i in range(n)])
        self.points.set_data(x[:, 0], x[:, 1])
        offsets = np.zeros((MAX_STARTS, 2))
        offsets[:n] = x
        uv = np.zeros((MAX_STARTS, 2))
        mask = np.ones(MAX_STARTS, dtype=bool)
        if u is not None:
            uv[:n] = u
            mask[:n] = False
        self.arrows.set_offsets(offsets)
        self.arrows.set_UVC(np.ma.array(uv[:, 0], mask=mask), np.ma.array(uv[:, 1], mask=mask))
        self.t_line.set_xdata([t, t])
        if u is None:
            self.speed_dots.set_data([], [])
            self.note.set_text(f"{schedule.name}: the speed is infinite at t = {t:g}\n"
                               r"($\dot\beta_t$ is not finite): no arrows drawn")
        else:
            speed = np.linalg.norm(u, axis=-1)
            self.speed_dots.set_data(np.full(n, t), np.minimum(speed, self.speed_top))
            self.note.set_text("")
        self.time_label.set_text(f"t = {t:.2f}")
