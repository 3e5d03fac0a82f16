"""Chapter 6's figures: samples carried from noise to data by Euler, Heun and RK4.

``SamplingFigure`` is the live figure: the state of the discrete trajectories at time t
over the marginal density p_t, a few trajectories next to the exact ones, and where the samples
end at t = 1. The functions below it draw the chapter's static figures; each returns a
``matplotlib.figure.Figure``.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from functools import lru_cache

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..marginal import marginal_density
from ..paths import GaussianPath
from ..sampling import (STAGES, component_labels, component_masses, energy_distance,
                        marginal_trajectories, position_at)
from ..schedules import Schedule
from .base import COLORS, DENSITY_CMAP, MAP_EXTENT, SCHEDULE_STYLES, LiveFigure, resolve_schedule, static_figure

__all__ = [
    "SamplingFigure",
    "METHOD_STYLES",
    "SCHEDULE_STYLES",
    "METHOD_NAMES",
    "journey_figure",
    "endpoints_figure",
    "order_figure",
    "cost_figure",
    "straightness_figure",
]

#: x from, x to, y from, y to, in units of 100 km around San Diego (as in chapter 1).
EXTENT = MAP_EXTENT
METHOD_NAMES = {"euler": "Euler", "heun": "Heun", "rk4": "RK4"}
#: One look per solver and per schedule in every figure of the chapter (colour, line style and marker,
#: so that the curves stay apart in grey).
METHOD_STYLES = {
    "euler": dict(color=COLORS["naive"], ls="-", marker="o"),
    "heun": dict(color=COLORS["conditional"], ls="--", marker="s"),
    "rk4": dict(color=COLORS["accent"], ls="-.", marker="^"),
}
# SCHEDULE_STYLES (one look per schedule) is the book's, from figures.base.
_DESTINATIONS = ("Los Angeles", "Las Vegas")
# Points heading for each city: white circles and orange triangles (apart by shape in grey too).
_POINT_STYLES = (dict(marker="o", color="white"), dict(marker="^", color=COLORS["data"]))
_SOLVER_COLOR = "#ff6f61"  # a light red that reads on the dark end of viridis


def _new_figure(figsize, dpi=80) -> Figure:
    return static_figure(figsize, dpi)


_TICKS = (-2, 0, 2, 4)


def _map_axes(ax, title=None, xlabel=True, ylabel=True):
    """Limits, fixed ticks and labels of a map panel; inner panels of a grid keep ticks but no tick labels."""
    ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], aspect="equal", xticks=_TICKS, yticks=_TICKS)
    if xlabel:
        ax.set_xlabel("east (100 km)")
    else:
        ax.tick_params(labelbottom=False)
    if ylabel:
        ax.set_ylabel("north (100 km)")
    else:
        ax.tick_params(labelleft=False)
    if title:
        ax.set_title(title, fontsize=10)


def _cities(ax, mixture, size=12):
    return ax.plot(*mixture.means.T, marker="*", ms=size, color=COLORS["data"], mec="k", ls="none")[0]


def _polylines(trajectories: np.ndarray) -> np.ndarray:
    """Trajectories (steps + 1, M, 2) as one (M (steps + 2), 2) array with a NaN row after each."""
    steps1, m, _ = trajectories.shape
    out = np.full((m, steps1 + 1, 2), np.nan)
    out[:, :steps1] = np.swapaxes(trajectories, 0, 1)
    return out.reshape(-1, 2)


# ------------------------------------------------------------------------------------------
# The live figure
# ------------------------------------------------------------------------------------------

def _starts(n_points: int) -> np.ndarray:
    """The figure's Gaussian starts: always the same (seed 0), so that runs can be compared and cached."""
    return np.random.default_rng(0).standard_normal((n_points, 2))


@lru_cache(maxsize=8)
def _exact_flow(schedule: Schedule, n_points: int, steps: int) -> np.ndarray:
    """The exact flow of the two cities from ``_starts(n_points)``: RK4 with ``steps`` steps, (steps + 1, N, 2).

    Shared by all SamplingFigure instances (the starts and the data are fixed), read-only.
    """
    _, trajectory = marginal_trajectories(schedule, data.two_cities(), _starts(n_points), steps, "rk4")
    trajectory.flags.writeable = False
    return trajectory


class SamplingFigure(LiveFigure):
    """Left: N(0, I) samples carried by the chosen solver, drawn at time t over p_t, with a few
    trajectories (solid, nodes marked) next to the exact flow from the same starts (dashed).
    Below it: the solver's time nodes and the current t (the time is not printed on the map:
    the slider and the strip show it, and a text would cost a tenth of every redraw). Right: where the samples end at t = 1,
    over p_data, with the share that reached each city and the energy distance to the exact flow."""

    title = "sampling: from noise to data"
    caption = ("Samples drawn from N(0, I) around San Diego are carried to Los Angeles and Las Vegas by "
               "integrating the exact marginal field with the chosen method and number of steps. Left: the "
               "samples at time t over the marginal density p_t (white circles are samples the exact flow takes "
               "to Los Angeles, orange triangles those it takes to Las Vegas), six solver trajectories with "
               "their nodes (solid) and the exact "
               "trajectories from the same starts (dashed); between nodes the samples move on straight "
               "segments. Bottom: the solver's time nodes and the current t. Right: the end points at t = 1 "
               "over p_data (a marker in the wrong city is a misrouted sample), the share that reached each city "
               "and the energy distance to the exact flow.")
    alt = ("Two map panels. On the left a cloud of points starts as a round blob of noise near the origin and, "
           "as t grows, splits into two groups that travel to two stars, the cities; a few solid polylines with "
           "dots show the solver's path and dashed curves the exact path, which they follow closely when the "
           "steps are many and drift from when they are few. A strip below marks the solver's time nodes and "
           "the current time. On the right, the final points sit over two blobs of the data density, with "
           "text giving the share of points per city and a distance to the exact result.")
    figsize = (9.6, 4.6)
    # 11 times x 4 schedules keep the chapter page (with all its assets) under 4 MB
    defaults = {"steps": 8, "method": "euler"}
    extra_controls = {
        "steps": {"kind": "int", "min": 1, "max": 50, "step": 1, "description": "steps", "static": [1, 2, 4, 8]},
        "method": {"kind": "choice", "options": ["euler", "heun", "rk4"], "description": "method",
                   "static": ["euler", "rk4"]},
    }
    frame_quality = 72   # 32 settings: keeps the frames of one setting within 3 MiB
    MAX_STEPS = 50
    N_POINTS = 400
    N_PATHS = 6
    GRID = 100
    EXACT_STEPS = 64  # RK4 steps of the exact flow (error below 1e-5 here: see the chapter)
    CACHE_SIZE = 24

    # -- parameters ------------------------------------------------------------------------
    @classmethod
    def _check_params(cls, params: dict) -> None:
        steps, method = params.get("steps"), params.get("method")
        if "steps" in params and (isinstance(steps, bool) or not isinstance(steps, (numbers.Integral, np.integer))
                                  or not 1 <= steps <= cls.MAX_STEPS):
            raise ValueError(f"steps must be an integer from 1 to {cls.MAX_STEPS}, got {steps!r}")
        if "method" in params and method not in STAGES:
            raise ValueError(f"method must be one of {', '.join(STAGES)}, got {method!r}")

    def update(self, **changes) -> None:
        self._check_params(changes)  # before anything changes, so a bad value leaves the figure as it was
        super().update(**changes)

    # -- numbers ---------------------------------------------------------------------------
    def _exact(self, schedule: Schedule) -> np.ndarray:
        """The exact flow's trajectories from the figure's starts (RK4, many steps), cached per schedule."""
        return _exact_flow(schedule, self.N_POINTS, self.EXACT_STEPS)

    def _run(self) -> dict:
        """The solver's trajectories for (schedule, method, steps), with their destinations and quality."""
        schedule, method, steps = self.schedule, self.params["method"], int(self.params["steps"])
        key = (schedule.name, method, steps)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        exact = self._exact(schedule)
        _, trajectory = marginal_trajectories(schedule, self.mixture, self.x0, steps, method)
        end = trajectory[-1]
        masses = component_masses(self.mixture, end)
        run = {
            "trajectory": trajectory,
            # every sample keeps the marker of the city the exact flow takes it to, so a sample the
            # solver delivers elsewhere shows up as the wrong marker in a city
            "labels": component_labels(self.mixture, exact[-1]),
            "masses": masses,
            "exact_masses": component_masses(self.mixture, exact[-1]),
            "energy": energy_distance(end, exact[-1]),
            "nfe": STAGES[method] * steps,
        }
        self._remember(key, run)
        return run

    def _remember(self, key, value) -> None:
        self._cache[key] = value
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    # -- drawing ---------------------------------------------------------------------------
    def _build(self) -> None:
        self._check_params(self.params)
        self.mixture = data.two_cities()
        self.x0 = _starts(self.N_POINTS)
        self.grid = data.rect_grid(EXTENT, self.GRID)
        self._cache = OrderedDict()

        axes = self.fig.subplot_mosaic([["main", "end"], ["clock", "end"]], height_ratios=[1, 0.07])
        ax, ax_end, ax_clock = axes["main"], axes["end"], axes["clock"]
        self.ax = ax
        _map_axes(ax, "samples at time $t$ over $p_t$")
        self.density = self.dynamic(ax.imshow(np.zeros((self.GRID, self.GRID)), origin="lower", extent=EXTENT,
                                              cmap=DENSITY_CMAP, interpolation="bilinear"))
        # The density changes with t, so it is drawn at every update; everything on top of it must be too
        # (in this order: points, exact paths, solver paths, cities, legend).
        self.points = [self.dynamic(ax.scatter([], [], s=12, edgecolors="k", linewidths=0.4, **style))
                       for style in _POINT_STYLES]
        # all routes of one kind in one artist, separated by NaN rows (one draw call instead of six)
        self.exact_paths = self.dynamic(ax.plot([], [], color="white", lw=1.1, ls="--")[0])
        self.paths = self.dynamic(ax.plot([], [], color=_SOLVER_COLOR, lw=1.4, marker="o", ms=3)[0])
        self.dynamic(_cities(ax, self.mixture))
        handles = [Line2D([], [], ls="none", ms=5, mec="k", mew=0.4, label=f"bound for {city} (exact flow)",
                          **style)
                   for city, style in zip(_DESTINATIONS, _POINT_STYLES)]
        handles += [Line2D([], [], color=_SOLVER_COLOR, lw=1.4, marker="o", ms=3, label="solver trajectory"),
                    Line2D([], [], color="k", lw=1.0, ls="--", label="exact trajectory")]
        self._legend_handles = handles  # shown in the right panel, which is redrawn only when a run changes

        ax_clock.set(xlim=(-0.02, 1.02), ylim=(-1, 1), yticks=[])
        ax_clock.set_xlabel("t   (|: solver nodes,  ▼: current t)", fontsize=8)
        ax_clock.tick_params(axis="x", labelsize=7)
        self.nodes = ax_clock.plot([], [], ls="none", marker="|", ms=10, color="k")[0]
        self.t_marker = self.dynamic(ax_clock.plot([], [], ls="none", marker="v", ms=7,
                                                   color=COLORS["naive"], mec="k")[0])

        _map_axes(ax_end, "where the samples end ($t = 1$) over $p_{data}$")
        ax_end.imshow(self.mixture.pdf(self.grid), origin="lower", extent=EXTENT, cmap=DENSITY_CMAP,
                      interpolation="bilinear")
        _cities(ax_end, self.mixture)
        self.end_points = [ax_end.scatter([], [], s=10, edgecolors="k", linewidths=0.3, zorder=3, **style)
                           for style in _POINT_STYLES]
        ax_end.legend(handles=self._legend_handles, loc="upper left", fontsize=7, framealpha=0.85)
        self.report = ax_end.text(0.02, 0.02, "", transform=ax_end.transAxes, fontsize=8, va="bottom",
                                  family="monospace", bbox=dict(facecolor="white", alpha=0.85, lw=0))
        self.heading = self.fig.suptitle("", x=0.01, ha="left", fontsize=10)

    def _draw(self, changed: set[str]) -> None:
        t, schedule = self.t, self.schedule
        run_changed = bool(changed & {"schedule", "method", "steps"})
        run = self._run()
        if run_changed:
            self._draw_run(run)
        if changed & {"t", "schedule"}:
            p = marginal_density(GaussianPath(schedule), self.mixture, self.grid, self.values)
            self.density.set_data(p)
            self.density.set_clim(0.0, p.max())
        positions = position_at(run["trajectory"], t)
        for k, artist in enumerate(self.points):
            artist.set_offsets(positions[run["labels"] == k])
        self.t_marker.set_data([t], [0.0])

    def _draw_run(self, run: dict) -> None:
        """Artists that change only with the schedule, method or steps: drawn into the background."""
        trajectory = run["trajectory"]
        exact = self._exact(self.schedule)
        # half of the drawn trajectories are starts that the exact flow takes to each city
        per_city = self.N_PATHS // 2
        chosen = np.concatenate([np.flatnonzero(run["labels"] == k)[:per_city] for k in range(2)])
        self.paths.set_data(*_polylines(trajectory[:, chosen]).T)
        self.exact_paths.set_data(*_polylines(exact[:, chosen]).T)
        steps = trajectory.shape[0] - 1
        self.nodes.set_data(np.linspace(0.0, 1.0, steps + 1), np.zeros(steps + 1))
        for k, artist in enumerate(self.end_points):
            artist.set_offsets(trajectory[-1][run["labels"] == k])
        method = METHOD_NAMES[self.params["method"]]
        self.heading.set_text(f"{self.schedule.name}: {method} with {steps} step{'s' if steps > 1 else ''} "
                              f"= {run['nfe']} field evaluation{'s' if run['nfe'] > 1 else ''}")
        lines = [f"{'share ending in':16s}{'solver':>7s}{'exact':>7s}"]
        for city, m, m_exact in zip(_DESTINATIONS, run["masses"], run["exact_masses"]):
            lines.append(f"{city:16s}{m:7.3f}{m_exact:7.3f}")
        lines.append(f"energy distance to exact: {run['energy']:.3f}")
        self.report.set_text("\n".join(lines))
        self.invalidate_background()


# ------------------------------------------------------------------------------------------
# Static figures
# ------------------------------------------------------------------------------------------

def journey_figure(mixture=None, schedule="CondOT", method="rk4", steps=8, n_points=600, n_paths=12,
                   times=(0.0, 0.5, 1.0), seed=0) -> Figure:
    """Snapshots of samples carried from N(0, I) to the mixture (default: the two cities) by ``steps``
    steps of ``method``, over the marginal density p_t, with the trajectories of a few up to each time."""
    mixture = data.two_cities() if mixture is None else mixture
    schedule = resolve_schedule(schedule)
    path = GaussianPath(schedule)
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((n_points, 2))
    _, trajectory = marginal_trajectories(schedule, mixture, x0, steps, method)
    grid = data.rect_grid(EXTENT, 120)
    fig = _new_figure((3.3 * len(times), 3.5))
    axes = fig.subplots(1, len(times))
    node_times = np.linspace(0.0, 1.0, steps + 1)
    for j, (ax, t) in enumerate(zip(axes, times)):
        ax.imshow(marginal_density(path, mixture, grid, t), origin="lower", extent=EXTENT, cmap=DENSITY_CMAP,
                  interpolation="bilinear")
        done = node_times <= t + 1e-12
        for i in range(n_paths):
            ax.plot(*np.vstack([trajectory[done, i], position_at(trajectory[:, i:i + 1], t)]).T,
                    color="w", lw=0.9, alpha=0.9)
        ax.scatter(*position_at(trajectory, t).T, s=5, color="white", edgecolors="k", linewidths=0.2, zorder=3)
        _cities(ax, mixture, 10)
        _map_axes(ax, f"$t = {t:g}$", ylabel=j == 0)
    return fig


def endpoints_figure(ends: dict, mixture, reference=None) -> Figure:
    """End points of runs, one panel per (method, steps): ``ends[method][steps]`` is an (N, 2) array.

    With ``reference`` (the exact flow's end points from the same starts) each title gives the
    energy distance to it. Rows are methods, columns step counts; only the outer panels carry labels.
    """
    methods = list(ends)
    steps_list = list(ends[methods[0]])
    background = mixture.pdf(data.rect_grid(EXTENT, 80))
    fig = _new_figure((2.3 * len(steps_list), 2.4 * len(methods)))
    axes = np.atleast_2d(fig.subplots(len(methods), len(steps_list)))
    for r, method in enumerate(methods):
        for c, steps in enumerate(steps_list):
            ax = axes[r, c]
            points = ends[method][steps]
            ax.imshow(background, origin="lower", extent=EXTENT, cmap=DENSITY_CMAP, interpolation="bilinear")
            ax.scatter(*points.T, s=3, color="white", edgecolors="none", alpha=0.8)
            _cities(ax, mixture, 8)
            title = f"{METHOD_NAMES[method]}, {steps} step{'s' if steps > 1 else ''}"
            if reference is not None:
                title += f"\nD = {energy_distance(points, reference):.3f}"
            _map_axes(ax, title, xlabel=r == len(methods) - 1, ylabel=c == 0)
    return fig


def order_figure(steps, errors: dict, orders: dict) -> Figure:
    """Error at t = 1 against the number of steps, log-log, one panel per schedule.

    ``errors[schedule][method]`` holds the errors for ``steps``; ``orders[schedule][method]`` the fitted order.
    """
    steps = np.asarray(steps, dtype=float)
    fig = _new_figure((3.4 * len(errors), 3.3))
    axes = np.atleast_1d(fig.subplots(1, len(errors), sharey=True))
    for ax, (name, by_method) in zip(axes, errors.items()):
        for method, values in by_method.items():
            style = METHOD_STYLES[method]
            ax.loglog(steps, values, ms=4, lw=1.4, **style,
                      label=f"{METHOD_NAMES[method]}: slope {orders[name][method]:.2f}")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("steps N")
        ax.minorticks_off()  # log axes: minor ticks cost more to draw than the rest of the figure
        ax.grid(True, which="major", lw=0.4, alpha=0.5)
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("median error at t = 1")
    return fig


def cost_figure(candidates: dict, curves: dict, threshold: float) -> Figure:
    """Energy distance to the exact flow against field evaluations, one panel per method.

    ``candidates[method]`` lists the step counts; ``curves[schedule][method]`` the matching
    ``SampleQuality`` values; a dotted line marks ``threshold``.
    """
    methods = list(candidates)
    fig = _new_figure((3.2 * len(methods), 3.4))
    axes = np.atleast_1d(fig.subplots(1, len(methods), sharey=True))
    for ax, method in zip(axes, methods):
        nfe = STAGES[method] * np.asarray(candidates[method])
        for name, by_method in curves.items():
            values = [q.energy_distance for q in by_method[method]]
            ax.loglog(nfe, values, ms=3.5, lw=1.3, label=name, **SCHEDULE_STYLES.get(name, {}))
        ax.axhline(threshold, color="k", lw=0.8, ls=(0, (1, 2)))
        ax.text(nfe[0], threshold * 1.12, f"threshold {threshold:g}", fontsize=7)
        ax.set_title(METHOD_NAMES[method], fontsize=10)
        ax.set_xlabel("field evaluations")
        ax.minorticks_off()
        ax.grid(True, which="major", lw=0.4, alpha=0.5)
    axes[0].set_ylabel("energy distance to the exact flow")
    axes[-1].legend(fontsize=7, loc="upper right")
    return fig


def straightness_figure(trajectories: dict, straightness: dict, mixture, pairs=(("CondOT", "Polynomial(n=2)"),
                        ("Cosine", "LinearVP")), n_paths=30) -> Figure:
    """Exact trajectories of the first ``n_paths`` starts for two schedule families, overlaid in one panel.

    ``trajectories[name]`` is (steps + 1, N, 2); each pair in ``pairs`` draws the same curves (chapter 6,
    "same curves, different clocks"), so only the first schedule of each pair is drawn and the legend
    names both, with the mean straightness of each.
    """
    fig = _new_figure((5.2, 4.4))
    ax = fig.subplots()
    ax.set_facecolor("#f4f4f4")
    handles = []
    for first, second in pairs:
        style = SCHEDULE_STYLES.get(first, {})
        trajectory = trajectories[first]
        for i in range(n_paths):
            ax.plot(*trajectory[:, i].T, color=style.get("color", "k"), ls=style.get("ls", "-"), lw=0.9)
        handles.append(Line2D([], [], color=style.get("color", "k"), ls=style.get("ls", "-"), lw=1.2,
                              label=f"{first} = {second}: mean chord/arc "
                                    f"{np.mean(straightness[first]):.3f} = {np.mean(straightness[second]):.3f}"))
    ax.plot(*trajectories[pairs[0][0]][0, :n_paths].T, "o", ms=3, color=COLORS["noise"], zorder=3)
    handles.append(Line2D([], [], ls="none", marker="o", ms=3, color=COLORS["noise"], label="start (noise)"))
    _cities(ax, mixture, 12)
    _map_axes(ax)
    ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)
    return fig
