"""Chapter 7's figures and widget: a playground for schedules typed as formulas.

* ``PlaygroundFigure``: the live figure. For any schedule (alpha_t, beta_t), including one
  built from two formulas by ``schedules.from_expressions``: the schedule against t; the schedule as a
  curve in the (alpha, beta) plane; cars on their conditional routes to one destination z with the
  conditional field u_t(x|z) at each car (eq-cond-field-noise); samples of the marginal path p_t
  (eq-marginal-path) with the marginal field u_t(x) (eq-marginal-field) and a few marginal
  trajectories (eq-ode). Both maps report the straightness (chord over arc, eq-07-chord-arc) of
  their routes.
The reader's controls (text fields for the formulas) are ``playground`` of the widget module; the
checks of a formula pair are ``schedules.schedule_from_text``; the route computations are in ``sampling``.
* Static figures (each returns a ``matplotlib.figure.Figure``): ``routes_figure``,
  ``clock_scale_figure``, ``back_and_forth_figure`` and ``straightness_chart_figure``.

Nothing a reader types is evaluated as Python: formulas go through ``schedules.parse_formula``,
which walks the syntax tree against a whitelist.
"""

from __future__ import annotations

import textwrap
from collections import OrderedDict

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..marginal import marginal_field
from ..paths import GaussianPath
from ..sampling import (ROUTE_DATASETS, marginal_routes, position_at, rk4_steps_needed,
                        scale_and_clock, straightness)
from ..schedules import PRESETS, SURPRISE, Schedule, named_schedules, schedule_from_text
from .base import (COLORS, MAP_EXTENT, SCHEDULE_STYLES, LiveFigure, declare_schedule, resolve_schedule,
                   schedule_styles, static_figure)

__all__ = [
    "PlaygroundFigure",
    "PRESETS",
    "SURPRISE",
    "DATASETS",
    "routes_figure",
    "clock_scale_figure",
    "back_and_forth_figure",
    "straightness_chart_figure",
]


#: The data sets of the figure's ``data`` control, and the part of the plane each map shows.
DATASETS = ROUTE_DATASETS
_EXTENTS = {"two cities": MAP_EXTENT, "eight gaussians": (-4.6, 4.6, -4.6, 4.6)}
#: The destination z of the conditional map: Las Vegas, and the component at 45 degrees of the ring.
_DESTINATION_INDEX = 1

#: Arrows show u * ARROW_DT: where a car would be 0.1 time units later at its current velocity.
ARROW_DT = 0.1
_GRID_N = 11
_N_SAMPLES = 300      # samples of p_t in the marginal map
_N_CARS = 30          # cars on conditional routes (dots and arrows)
_N_ROUTES_DRAWN = 12  # routes drawn as lines, in each map
_N_STARTS = 200       # marginal trajectories integrated (for the straightness), of which _N_ROUTES_DRAWN drawn
_STEPS = 100          # RK4 steps of the marginal trajectories
_TS = np.linspace(0.0, 1.0, 201)
_ROUTE_COLOR = COLORS["accent"]
# Where CondOT and the surprising preset are compared, each keeps its colour of every schedule figure.
_CONDOT_COLOR = SCHEDULE_STYLES["CondOT"]["color"]
_SURPRISE_COLOR = schedule_styles([SURPRISE])[0]["color"]


def _new_figure(figsize, dpi=90) -> Figure:
    return static_figure(figsize, dpi)


# ------------------------------------------------------------------------------------------
# Numbers behind the figures
# ------------------------------------------------------------------------------------------

def _capped(arrows: np.ndarray, cap: float):
    """Arrows shortened to at most ``cap`` (map units), and which ones were shortened."""
    length = np.hypot(arrows[:, 0], arrows[:, 1])
    capped = length > cap
    factor = np.where(capped, cap / np.where(capped, length, 1.0), 1.0)
    return arrows * factor[:, None], capped


def _wrap(text: str, width: int = 44) -> str:
    return "\n".join(textwrap.wrap(text, width))


# ------------------------------------------------------------------------------------------
# The live figure
# ------------------------------------------------------------------------------------------

class PlaygroundFigure(LiveFigure):
    """Any schedule at work: its curves, its conditional routes and field, its marginal path, field and routes.

    Parameters (besides ``t`` and ``schedule``, which may be any ``Schedule``, e.g. one from
    ``schedule_from_text``): ``data``, one of ``DATASETS``. Per schedule and data set the figure
    integrates 200 marginal trajectories once (cached); a change of t only moves points and arrows.
    Where a field cannot be evaluated (an infinite derivative) the figure draws the rest and says so.
    """

    title = "schedule playground"
    caption = ("Top left: the schedule's \u03b1\u209c (solid), \u03b2\u209c (dashed) and their sum (dotted) "
               "against t. Bottom left: the same schedule as a curve from (0, 1) to (1, 0) in the plane of "
               "(\u03b1, \u03b2); on the dashed diagonal \u03b1 + \u03b2 = 1 the conditional routes are straight, on "
               "the dotted quarter circle the variance is preserved. Middle: cars on their conditional routes "
               "to one destination z (star), with the conditional field u\u209c(x | z) at each car. Right: "
               "samples of the marginal path p\u209c (grey), the marginal field u\u209c(x) on a grid (arrows), "
               "and twelve marginal trajectories with the cars' positions at t. Arrows show where a car would be "
               "0.1 time units later; pale ones are drawn shortened. Each map gives the mean chord/arc "
               "(straightness) of its routes.")
    alt = ("Four panels. Top left: the curves alpha_t and beta_t of the schedule with a marker at the current "
           "time. Bottom left: the schedule traced as a curve from the point (0, 1) to (1, 0), next to a dashed "
           "diagonal and a dotted quarter circle. Middle: a map with thin green routes from noise starts near "
           "the origin to one star, dots for the cars and arrows for their velocities. Right: a map with a grey "
           "cloud of samples that moves from a round blob to the data clusters, dark arrows of the marginal "
           "field, and purple trajectories with dots at the current positions; each map prints the straightness "
           "of its routes.")
    figsize = (9.6, 4.6)
    #: the book's player offers the presets (the four named schedules and the surprise); typed formulas need a kernel
    schedule_control = declare_schedule(PRESETS)
    defaults = {"data": "two cities"}
    extra_controls = {"data": {"kind": "choice", "options": list(DATASETS), "description": "data"}}
    CACHE_SIZE = 16

    # -- parameters ------------------------------------------------------------------------
    @staticmethod
    def _check_extra(params: dict) -> None:
        if "data" in params and params["data"] not in DATASETS:
            raise ValueError(f"data must be one of {', '.join(DATASETS)}, got {params['data']!r}")

    def update(self, **changes) -> None:
        """Change parameters; a schedule that cannot even be drawn raises ValueError and changes nothing."""
        self._check_extra(changes)
        if "schedule" in changes or "data" in changes:
            schedule = resolve_schedule(changes.get("schedule", self.schedule))
            self._prepared(schedule, changes.get("data", self.params["data"]))  # raises before any change
        super().update(**changes)

    def control_value(self, name: str, option):
        """A preset's name stands for its schedule (the surprise is built from its two formulas)."""
        if name == "schedule" and isinstance(option, str) and option not in named_schedules() and option in PRESETS:
            return schedule_from_text(*PRESETS[option], name=option)
        return option

    @property
    def mixture(self) -> data.GaussianMixture:
        return self.mixtures[self.params["data"]]

    @property
    def z(self) -> np.ndarray:
        """The destination of the conditional map, shape (2,)."""
        return self.mixture.means[_DESTINATION_INDEX]

    # -- numbers per schedule --------------------------------------------------------------
    def _prepared(self, schedule: Schedule, data_name: str) -> dict:
        """Everything that depends on the schedule and the data set but not on t (cached)."""
        key = (schedule, data_name)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        alpha, beta = schedule.alpha(_TS), schedule.beta(_TS)  # finite, or ValueError: nothing to draw
        z = self.mixtures[data_name].means[_DESTINATION_INDEX]
        cond_routes = alpha[:, None, None] * z + beta[:, None, None] * self.cond_eps[None]
        entry = {"alpha": alpha, "beta": beta, "cond_routes": cond_routes,
                 "cond_straight": float(np.mean(straightness(cond_routes))), "routes": None, "route_error": ""}
        needed = rk4_steps_needed(schedule, _STEPS)
        if needed > _STEPS:
            count = f"about {needed:,}" if np.isfinite(needed) else "unboundedly many"
            entry["route_error"] = (f"these routes need {count} RK4 steps, more than the {_STEPS} the "
                                    "playground takes: alpha or beta changes too fast for its solver")
        else:
            try:
                routes = marginal_routes(schedule, data_name, _N_STARTS, _STEPS)
                entry["routes"] = routes
                entry["marg_straight"] = float(np.mean(straightness(routes)))
            except ValueError as err:
                entry["route_error"] = str(err)
        self._cache[key] = entry
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)
        return entry

    # -- drawing ---------------------------------------------------------------------------
    def _build(self) -> None:
        self._check_extra(self.params)
        self._cache = OrderedDict()
        rng = np.random.default_rng(0)
        self.mixtures = {name: make() for name, make in DATASETS.items()}
        self.eps = rng.standard_normal((_N_SAMPLES, 2))                         # noise of the p_t samples
        self.z_samples = {name: m.sample(_N_SAMPLES, rng) for name, m in self.mixtures.items()}
        self.cond_eps = rng.standard_normal((_N_CARS, 2))                       # starts of the conditional cars
        self.grids = {name: data.rect_grid(extent, _GRID_N).reshape(-1, 2) for name, extent in _EXTENTS.items()}
        self.caps = {name: 0.9 * (extent[1] - extent[0]) / (_GRID_N - 1) for name, extent in _EXTENTS.items()}
        self.field_colors = np.array([to_rgba(COLORS["field"]), to_rgba(COLORS["field"], 0.3)])
        self.car_colors = np.array([to_rgba(COLORS["conditional"]), to_rgba(COLORS["conditional"], 0.35)])

        # Fixed positions (figure fractions) instead of the constrained layout engine: laying out four axes
        # costs more than the whole rest of a build, and these panels never move.
        self.fig.set_layout_engine("none")
        # (the bottom 0.6 inch holds the two-row legend)
        ax_s = self.fig.add_axes((0.065, 0.665, 0.2, 0.261))
        ax_p = self.fig.add_axes((0.065, 0.239, 0.2, 0.313))
        ax_c = self.fig.add_axes((0.33, 0.243, 0.31, 0.661))
        ax_m = self.fig.add_axes((0.68, 0.243, 0.31, 0.661))
        self.ax_sched, self.ax_plane, self.ax_cond, self.ax_marg = ax_s, ax_p, ax_c, ax_m

        # Top left: alpha, beta and their sum against t (static per schedule), the current t (dynamic).
        self.alpha_line = ax_s.plot(_TS, _TS, color=COLORS["data"], lw=1.8, label=r"$\alpha_t$")[0]
        self.beta_line = ax_s.plot(_TS, 1 - _TS, color=COLORS["noise"], lw=1.8, ls="--", label=r"$\beta_t$")[0]
        self.sum_line = ax_s.plot(_TS, np.ones_like(_TS), color="0.35", lw=1.1, ls=":",
                                  label=r"$\alpha_t + \beta_t$")[0]
        ax_s.set(xlim=(0, 1), xticks=[0, 0.5, 1])
        ax_s.set_xlabel("time $t$", fontsize=8, labelpad=1)
        ax_s.set_ylabel("value", fontsize=8)
        ax_s.tick_params(labelsize=7)
        ax_s.grid(alpha=0.3)
        self.t_line = self.dynamic(ax_s.axvline(0.0, color="k", lw=0.9, ls=(0, (1, 1.5))))
        self.t_dots = self.dynamic(ax_s.plot([], [], "o", color="k", ms=4, clip_on=False)[0])

        # Bottom left: the schedule as a curve in the (alpha, beta) plane.
        ax_p.plot([0, 1], [1, 0], color="0.45", lw=1, ls="--")
        quarter = np.linspace(0, np.pi / 2, 60)
        ax_p.plot(np.sin(quarter), np.cos(quarter), color="0.45", lw=1, ls=":")
        self.plane_line = ax_p.plot(_TS, 1 - _TS, color=COLORS["accent"], lw=1.8)[0]
        ax_p.plot([0, 1], [1, 0], "o", color="k", ms=3.5)
        ax_p.set_aspect("equal", adjustable="box")
        ax_p.set(xticks=[0, 0.5, 1], yticks=[0, 0.5, 1])
        ax_p.set_xlabel(r"$\alpha_t$ (weight of $z$)", fontsize=8, labelpad=1)
        ax_p.set_ylabel(r"$\beta_t$ (weight of $x_0$)", fontsize=8)
        ax_p.tick_params(labelsize=7)
        ax_p.grid(alpha=0.3)
        self.plane_dot = self.dynamic(ax_p.plot([], [], "o", color=COLORS["accent"], mec="k", ms=6)[0])

        # Middle: conditional routes (static per schedule), cars and their velocities (dynamic).
        ax_c.set_title(r"conditional: routes to one $z$, field $u_t(x\,|\,z)$", fontsize=9)
        self.cond_lines = [ax_c.plot([], [], color=COLORS["conditional"], lw=0.8, alpha=0.7)[0]
                           for _ in range(_N_ROUTES_DRAWN)]
        self.cond_cars = self.dynamic(ax_c.plot([], [], "o", ms=3.5, color=COLORS["noise"], mec="k", mew=0.4)[0])
        self.cond_quiver = self.dynamic(ax_c.quiver(np.zeros(_N_CARS), np.zeros(_N_CARS), np.zeros(_N_CARS),
                                                    np.zeros(_N_CARS), angles="xy", scale_units="xy", scale=1,
                                                    width=0.006, headwidth=3.5, headlength=4, headaxislength=3.5))
        self.cond_star = self.dynamic(ax_c.plot([], [], "*", ms=14, color=COLORS["data"], mec="k")[0])

        # Right: samples of p_t, the marginal field, marginal routes (static) with the cars on them.
        ax_m.set_title(r"marginal: samples of $p_t$, field $u_t(x)$, routes", fontsize=9)
        self.marg_lines = [ax_m.plot([], [], color=_ROUTE_COLOR, lw=0.9, alpha=0.8)[0]
                           for _ in range(_N_ROUTES_DRAWN)]
        self.samples = self.dynamic(ax_m.scatter(np.zeros(0), np.zeros(0), s=4, color="0.55", alpha=0.6,
                                                 linewidths=0))
        # one quiver for both data sets (their grids have the same size): a change of data moves its arrows
        grid = self.grids[self.params["data"]]
        zero = np.zeros(len(grid))
        self.marg_quiver = self.dynamic(ax_m.quiver(*grid.T, zero, zero, angles="xy", scale_units="xy", scale=1,
                                                    width=0.004, headwidth=4, headlength=4.5, headaxislength=4))
        self.marg_cars = self.dynamic(ax_m.plot([], [], "o", ms=5, color=_ROUTE_COLOR, mec="k", mew=0.6)[0])
        self.marg_stars = self.dynamic(ax_m.plot([], [], "*", ms=12, color=COLORS["data"], mec="k", ls="none")[0])

        note = dict(fontsize=7.5, va="top", ha="left", linespacing=1.25,
                    bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.6", alpha=0.9))
        for ax in (ax_c, ax_m):
            ax.set_xlabel("east (100 km)", fontsize=8, labelpad=1)
            ax.set_ylabel("north (100 km)", fontsize=8, labelpad=1)
            ax.tick_params(labelsize=7)
        # Text is the costliest thing Agg draws: the straightness changes only with the schedule, so it is
        # static (part of the background); the dynamic warnings are empty (free to draw) unless a field is undefined.
        self.cond_score = ax_c.text(0.02, 0.98, "", transform=ax_c.transAxes, **note)
        self.marg_score = ax_m.text(0.02, 0.98, "", transform=ax_m.transAxes, **note)
        warning = dict(note, va="bottom", color=COLORS["naive"])
        self.cond_note = self.dynamic(ax_c.text(0.02, 0.02, "", transform=ax_c.transAxes, **warning))
        self.marg_note = self.dynamic(ax_m.text(0.02, 0.02, "", transform=ax_m.transAxes, **warning))
        self.heading = self.fig.suptitle("schedule", fontsize=9.5, y=0.99)
        handles = [self.alpha_line, self.beta_line, self.sum_line,
                   Line2D([], [], color=COLORS["conditional"], lw=1, label="conditional route"),
                   Line2D([], [], color=_ROUTE_COLOR, lw=1, marker="o", ms=4, mec="k", label="marginal route, car"),
                   Line2D([], [], ls="none", marker="o", ms=4, color="0.55", label=r"sample of $p_t$"),
                   Line2D([], [], ls="none", marker="*", ms=9, color=COLORS["data"], mec="k", label="data"),
                   Line2D([], [], color="0.45", ls="--", lw=1, label=r"$\alpha + \beta = 1$"),
                   Line2D([], [], color="0.45", ls=":", lw=1, label=r"$\alpha^2 + \beta^2 = 1$")]
        # at a legible size the nine entries take two rows, below the axes
        self.fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=5, fontsize=7.5,
                        frameon=False,
                        handlelength=1.7, columnspacing=1.0, borderpad=0.1, handletextpad=0.5)

    def _draw(self, changed: set[str]) -> None:
        t, schedule, data_name = self.t, self.schedule, self.params["data"]
        prepared = self._prepared(schedule, data_name)
        if changed & {"schedule", "data"}:
            self._draw_schedule(prepared)
        if "data" in changed:
            self._draw_data(data_name)

        values = self.values
        alpha, beta = values.alpha, values.beta
        self.t_line.set_xdata([t, t])
        self.t_dots.set_data([t, t], [alpha, beta])
        self.plane_dot.set_data([alpha], [beta])

        # conditional map: cars at alpha_t z + beta_t eps, velocities d_alpha z + d_beta eps (regular at t = 1)
        z = self.z
        cars = alpha * z + beta * self.cond_eps
        self.cond_cars.set_data(cars[:, 0], cars[:, 1])
        _move_quiver(self.cond_quiver, cars)
        warning = ""
        try:
            velocity = GaussianPath(schedule).conditional_field_from_noise(self.cond_eps, z, values)
            arrows, capped = _capped(ARROW_DT * velocity, self.caps[data_name])
            self.cond_quiver.set_UVC(arrows[:, 0], arrows[:, 1])
            self.cond_quiver.set_facecolor(self.car_colors[capped.astype(int)])
            self.cond_quiver.set_visible(True)
        except ValueError as err:
            self.cond_quiver.set_visible(False)
            warning = _wrap(f"no arrows at t = {t:g}: {err}")
        self.cond_note.set_text(warning)

        # marginal map: samples alpha_t z_i + beta_t eps_i, the field on the grid, the cars on their routes
        self.samples.set_offsets(alpha * self.z_samples[data_name] + beta * self.eps)
        quiver = self.marg_quiver
        if prepared["routes"] is not None:
            positions = position_at(prepared["routes"][:, :_N_ROUTES_DRAWN], t)
            self.marg_cars.set_data(positions[:, 0], positions[:, 1])
        else:
            self.marg_cars.set_data([], [])
        warning = ""
        try:
            field = marginal_field(self.path, self.mixture, self.grids[data_name], values)
            arrows, capped = _capped(ARROW_DT * field, self.caps[data_name])
            quiver.set_UVC(arrows[:, 0], arrows[:, 1])
            quiver.set_facecolor(self.field_colors[capped.astype(int)])
            quiver.set_visible(True)
        except ValueError as err:
            quiver.set_visible(False)
            warning = _wrap(f"no field at t = {t:g}: {err}")
        self.marg_note.set_text(warning)

    def _draw_schedule(self, prepared: dict) -> None:
        """Artists that change only with the schedule or the data set (drawn into the background)."""
        alpha, beta = prepared["alpha"], prepared["beta"]
        self.alpha_line.set_ydata(alpha)
        self.beta_line.set_ydata(beta)
        self.sum_line.set_ydata(alpha + beta)
        values = np.concatenate([alpha, beta, alpha + beta, [0.0, 1.0]])
        pad = 0.06 * (values.max() - values.min())
        self.ax_sched.set_ylim(values.min() - pad, values.max() + pad)
        self.plane_line.set_data(alpha, beta)
        low = min(alpha.min(), beta.min(), 0.0) - 0.08
        high = max(alpha.max(), beta.max(), 1.0) + 0.08
        self.ax_plane.set(xlim=(low, high), ylim=(low, high))
        for i, line in enumerate(self.cond_lines):
            line.set_data(prepared["cond_routes"][:, i, 0], prepared["cond_routes"][:, i, 1])
        self.cond_score.set_text(f"chord/arc of these routes: {prepared['cond_straight']:.3f}")
        if prepared["routes"] is not None:
            self.marg_score.set_text(f"chord/arc of {_N_STARTS} routes: {prepared['marg_straight']:.3f}")
        else:
            self.marg_score.set_text(_wrap(f"no routes: {prepared['route_error']}"))
        routes = prepared["routes"]
        for i, line in enumerate(self.marg_lines):
            if routes is None:
                line.set_data([], [])
            else:
                line.set_data(routes[:, i, 0], routes[:, i, 1])
        self.heading.set_text(f"schedule: {self.schedule.name}")
        self.invalidate_background()

    def _draw_data(self, data_name: str) -> None:
        extent = _EXTENTS[data_name]
        for ax in (self.ax_cond, self.ax_marg):
            ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal", xticks=_map_ticks(extent[:2]),
                   yticks=_map_ticks(extent[2:]))
        _move_quiver(self.marg_quiver, self.grids[data_name])
        z = self.z
        self.cond_star.set_data([z[0]], [z[1]])
        self.marg_stars.set_data(*self.mixture.means.T)
        self.invalidate_background()


def _map_ticks(limits) -> np.ndarray:
    """Every second unit (200 km) inside the limits: few tick labels, the costliest text to draw."""
    return np.arange(np.ceil(limits[0] / 2) * 2, limits[1] + 1e-9, 2.0)


def _move_quiver(quiver, xy: np.ndarray) -> None:
    """Put a quiver's arrows at new positions (same number of arrows): matplotlib has no public setter."""
    quiver.set_offsets(xy)
    quiver.XY = np.asarray(xy, dtype=float)  # used to compute the arrow angles


# ------------------------------------------------------------------------------------------
# Static figures
# ------------------------------------------------------------------------------------------

def _map(ax, data_name: str, title: str | None = None, ylabel: bool = True) -> None:
    extent = _EXTENTS[data_name]
    ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal")
    ax.set_xlabel("east (100 km)", fontsize=8)
    if ylabel:
        ax.set_ylabel("north (100 km)", fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)


def _stars(ax, mixture, size=12) -> None:
    ax.plot(*mixture.means.T, "*", ms=size, color=COLORS["data"], mec="k", ls="none", zorder=5)


def routes_figure(schedules=None, data_name: str = "two cities", n_paths: int = 16) -> Figure:
    """For each schedule, a map with the marginal trajectories of the first ``n_paths`` starts (eq-ode);
    each title gives the mean chord/arc (eq-06-straightness) of the 200 routes of ``marginal_routes``.

    ``schedules``: Schedule objects or names; by default CondOT, Cosine and the Back-and-forth preset.
    """
    if schedules is None:
        schedules = ["CondOT", "Cosine", schedule_from_text(*PRESETS[SURPRISE], name=SURPRISE)]
    schedules = [resolve_schedule(s) for s in schedules]
    mixture = DATASETS[data_name]()
    fig = _new_figure((3.0 * len(schedules), 3.45))
    axes = np.atleast_1d(fig.subplots(1, len(schedules)))
    for j, (ax, schedule) in enumerate(zip(axes, schedules)):
        routes = marginal_routes(schedule, data_name)
        score = float(np.mean(straightness(routes)))
        for i in range(n_paths):
            ax.plot(*routes[:, i].T, color=_ROUTE_COLOR, lw=0.9)
        ax.plot(*routes[0, :n_paths].T, "o", ms=3, color=COLORS["noise"], zorder=4)
        _stars(ax, mixture)
        _map(ax, data_name, f"{schedule.name}\nmean chord/arc {score:.3f}", ylabel=j == 0)
    handles = [Line2D([], [], color=_ROUTE_COLOR, lw=1, label="marginal trajectory"),
               Line2D([], [], ls="none", marker="o", ms=4, color=COLORS["noise"], label="start (noise)"),
               Line2D([], [], ls="none", marker="*", ms=9, color=COLORS["data"], mec="k", label="data")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def clock_scale_figure(schedules=None) -> Figure:
    """The scale rho_t = alpha_t + beta_t (left) and the CondOT clock tau_t = alpha_t / rho_t (right) of each schedule
    (eq-07-blend), one line style per schedule."""
    if schedules is None:
        schedules = [*named_schedules().values(), schedule_from_text(*PRESETS[SURPRISE], name=SURPRISE)]
    schedules = [resolve_schedule(s) for s in schedules]
    styles = [{key: style[key] for key in ("color", "ls")} for style in schedule_styles(schedules)]
    fig = _new_figure((8.2, 3.0))
    ax_c, ax_s = fig.subplots(1, 2)
    for k, schedule in enumerate(schedules):
        c, s = scale_and_clock(schedule, _TS)
        style = styles[k % len(styles)]
        ax_c.plot(_TS, c, lw=1.8, label=schedule.name, **style)
        ax_s.plot(_TS, s, lw=1.8, **style)
    ax_c.set(xlim=(0, 1), xlabel="time $t$", ylabel=r"scale $\rho_t = \alpha_t + \beta_t$")
    ax_s.set(xlim=(0, 1), xlabel="time $t$", ylabel=r"CondOT clock $\tau_t = \alpha_t / \rho_t$")
    ax_c.set_title("how far the car is pushed out from the origin", fontsize=9)
    ax_s.set_title("which CondOT moment it is at", fontsize=9)
    for ax in (ax_c, ax_s):
        ax.grid(alpha=0.3)
    fig.legend(loc="outside right center", fontsize=8, frameon=False)
    return fig


def back_and_forth_figure(n_paths: int = 10, data_name: str = "two cities") -> Figure:
    """The surprising preset: alpha_t + beta_t = 1, alpha_t not monotone.

    Left: alpha_t and beta_t. Middle: its marginal trajectories drawn over CondOT's (eq-07-change):
    the same curves. Right: progress along one car's route, the distance from its start projected on
    the chord, for both schedules: Back and forth drives forward, back and forward again.
    """
    surprise = schedule_from_text(*PRESETS[SURPRISE], name=SURPRISE)
    mixture = DATASETS[data_name]()
    fig = _new_figure((10.0, 3.5))
    ax_s, ax_m, ax_p = fig.subplots(1, 3, width_ratios=[0.8, 1, 1])
    alpha, beta = surprise.alpha(_TS), surprise.beta(_TS)
    ax_s.plot(_TS, alpha, color=COLORS["data"], lw=1.8, label=r"$\alpha_t$")
    ax_s.plot(_TS, beta, color=COLORS["noise"], lw=1.8, ls="--", label=r"$\beta_t$")
    ax_s.plot(_TS, _TS, color=_CONDOT_COLOR, lw=1, ls=":", label=r"CondOT $\alpha_t = t$")
    ax_s.set(xlim=(0, 1), xlabel="time $t$", ylabel="value", title=f"{SURPRISE}: the schedule")
    ax_s.title.set_fontsize(9)
    ax_s.grid(alpha=0.3)
    ax_s.legend(fontsize=7.5, loc="upper center")

    condot_routes = marginal_routes("CondOT", data_name)
    routes = marginal_routes(surprise, data_name)
    for i in range(n_paths):
        ax_m.plot(*condot_routes[:, i].T, color=_CONDOT_COLOR, alpha=0.3, lw=3.2, solid_capstyle="round")
        ax_m.plot(*routes[:, i].T, color=_SURPRISE_COLOR, lw=1.0, ls="--")
    ax_m.plot(*routes[0, :n_paths].T, "o", ms=3, color=COLORS["noise"], zorder=4)
    _stars(ax_m, mixture)
    _map(ax_m, data_name, "marginal trajectories: the same curves")
    ax_m.legend(handles=[Line2D([], [], color=_CONDOT_COLOR, alpha=0.3, lw=3.2, label="CondOT"),
                         Line2D([], [], color=_SURPRISE_COLOR, lw=1.0, ls="--", label=SURPRISE)],
                fontsize=7.5, loc="lower right")

    steps = routes.shape[0] - 1
    times = np.linspace(0.0, 1.0, steps + 1)
    for traj, style, label in ((condot_routes, dict(color=_CONDOT_COLOR, alpha=0.6, lw=2.2), "CondOT"),
                               (routes, dict(color=_SURPRISE_COLOR, lw=1.4, ls="--"), SURPRISE)):
        car = traj[:, 0]
        chord = car[-1] - car[0]
        ax_p.plot(times, (car - car[0]) @ chord / (chord @ chord), label=label, **style)
    ax_p.set(xlim=(0, 1), xlabel="time $t$", ylabel="progress along the chord",
             title="one car: forward, back, forward")
    ax_p.title.set_fontsize(9)
    ax_p.grid(alpha=0.3)
    ax_p.legend(fontsize=7.5, loc="upper left")
    return fig


def straightness_chart_figure(names, columns: dict) -> Figure:
    """A dot plot of mean chord/arc (eq-07-chord-arc, eq-06-straightness): one row per schedule in ``names``,
    one marker per entry of ``columns`` (label -> one value per schedule), e.g. conditional routes and marginal
    trajectories on two data sets. Dots rather than bars, because the axis does not start at 0."""
    names = list(names)
    columns = {label: np.asarray(values, dtype=float) for label, values in columns.items()}
    if not names or not columns or any(v.shape != (len(names),) for v in columns.values()):
        raise ValueError("straightness_chart_figure needs schedule names and, per column, one value for each name")
    styles = [dict(marker="o", color=COLORS["conditional"], ms=7), dict(marker="s", color=COLORS["field"], ms=6),
              dict(marker="^", color=COLORS["accent"], ms=7), dict(marker="D", color=COLORS["noise"], ms=5)]
    y = np.arange(len(names))[::-1]
    fig = _new_figure((6.6, 0.36 * len(names) + 1.2))
    ax = fig.subplots()
    values = np.stack(list(columns.values()))
    ax.hlines(y, values.min(axis=0), values.max(axis=0), color="0.8", lw=1, zorder=1)
    for (label, column), style in zip(columns.items(), styles * len(columns)):
        ax.plot(column, y, ls="none", mec="k", mew=0.5, label=label, zorder=3, **style)
    low = float(values.min())
    ax.set(yticks=y, yticklabels=names, xlim=(max(0.0, low - 0.03), 1.01), ylim=(-0.6, len(names) - 0.4),
           xlabel="mean chord / arc (1 = straight)")
    ax.axvline(1.0, color="k", lw=0.8, ls=":")
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(fontsize=8, loc="outside lower center", ncol=len(columns), frameon=False)
    return fig
