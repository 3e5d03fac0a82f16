"""Chapter 2's figures: the conditional vector field u_t(x|z) as a GPS for one destination.

* ``ConditionalFieldFigure``: the live map. Cars start near San Diego, the destination
  z is Los Angeles or Las Vegas (``fm_helpers.data.CITIES``), the arrows are the directions
  u_t(.|z) (eq-cond-field) at time t, the lines are the routes psi_s(x0|z), s in [0, 1]
  (eq-flow), and a second panel shows one car's coordinates against time with the tangent
  whose slope is its velocity (eq-ode).
* ``gps_overview_figure``: three frozen moments of the same map, for the top of the chapter.
* ``landing_figure``: how fast cars that follow u_t(.|z) close in on z, for several schedules.
(``show_step`` and ``field_table``, the derivation of chapter 2 in the book's notation, are in
``fm_helpers.symbolic``.)
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from .. import data
from ..data import START
from ..paths import GaussianPath
from ..schedules import Schedule, named_schedules
from .base import COLORS, LiveFigure, resolve_schedule, schedule_styles

__all__ = [
    "ConditionalFieldFigure",
    "DESTINATIONS",
    "other_starts",
    "arrow_vectors",
    "gps_overview_figure",
    "landing_figure",
]

#: The destinations the figure offers (keys of ``fm_helpers.data.CITIES``).
DESTINATIONS = ("Los Angeles", "Las Vegas")
#: Map extent: east from, east to, north from, north to (units of 100 km around San Diego).
EXTENT = (-3.0, 4.0, -2.6, 5.0)
#: Arrows show u * ARROW_DT: where a car would be ARROW_DT time units later at its current velocity.
ARROW_DT = 0.1
_GRID_N = 12          # the field is drawn on a _GRID_N x _GRID_N grid
_N_OTHERS = 6         # other cars driving to the same destination
_TANGENT_HALF = 0.12  # half-width (in t) of the tangent segments of the time panel
_SIGMA_GREY = "#7f7f7f"


def other_starts(n: int = _N_OTHERS, seed: int = 0) -> np.ndarray:
    """n further starts drawn from p_init = N(0, I) (noise centred on San Diego), shape (n, 2)."""
    return np.random.default_rng(seed).standard_normal((n, 2))


def arrow_vectors(u: np.ndarray, cap: float, dt: float = ARROW_DT):
    """Scale velocities to arrows u * dt and shorten those longer than ``cap``.

    Returns ``(arrows, capped)``: arrows (..., 2) in map units and a boolean mask (...) of the
    arrows that were shortened to length ``cap`` (their direction is kept).
    """
    arrows = np.asarray(u, dtype=float) * dt
    length = np.linalg.norm(arrows, axis=-1)
    capped = length > cap
    factor = np.where(capped, cap / np.where(capped, length, 1.0), 1.0)
    return arrows * factor[..., None], capped


def _check_destination(destination) -> str:
    if destination not in DESTINATIONS:
        raise ValueError(f"destination must be one of {', '.join(DESTINATIONS)}, got {destination!r}")
    return destination


def _style_map(ax, title: str | None = None) -> None:
    ax.set(xlim=EXTENT[:2], ylim=EXTENT[2:], aspect="equal")
    ax.set_xlabel("east of San Diego (100 km)", fontsize=9)
    ax.set_ylabel("north of San Diego (100 km)", fontsize=9)
    ax.tick_params(labelsize=8.5)
    if title:
        ax.set_title(title, fontsize=10)
    for name in ("San Diego", *DESTINATIONS):
        east, north = data.CITIES[name]
        ax.annotate(name, (east, north), xytext=(-50, -12) if name == "San Diego" else (5, 6),
                    textcoords="offset points", fontsize=8, color="#444444")


class ConditionalFieldFigure(LiveFigure):
    """Left: the map. Arrows u_t(x|z) on a grid (x-form, eq-cond-field), the route psi_s(x0|z) of the
    main car and of a few others, each car's position and velocity at t (noise form, regular at t = 1),
    and the circle of one standard deviation of p_t(.|z). Right: the main car's east and north
    coordinates against time, with tangents whose slopes are the two components of its velocity."""

    title = "the conditional vector field u_t(x|z)"
    caption = ("Left: the directions u_t(x|z) to one destination z (star) at time t, as arrows on a grid, the "
               "routes of seven cars that start near San Diego (circles), their positions at t and their "
               "velocities (black arrows), and the circle of one standard deviation of p_t(x|z). Every arrow is "
               "a velocity times 0.1, where a car would be 0.1 time units later; pale arrows are longer than a "
               "grid cell and drawn shortened. Right: the highlighted car's east and north coordinates over "
               "time; the short tangent lines at t have the car's velocity as their slopes.")
    alt = ("A map with San Diego near the bottom, Los Angeles to the upper left and Las Vegas to the upper "
           "right. Green arrows on a grid all point towards the chosen destination and grow longer (and pale "
           "once longer than a grid cell) as t approaches 1; seven curves lead from starting points around San Diego to the destination, with "
           "a dot and a dark arrow showing where each car is and where it is heading. A second panel plots the "
           "highlighted car's two coordinates against time, with tangent segments at the current time.")
    figsize = (8.4, 4.6)
    defaults = {"destination": "Las Vegas"}
    extra_controls = {"destination": {"kind": "choice", "options": list(DESTINATIONS),
                                      "description": "destination z", "static": list(DESTINATIONS)}}

    # -- validation -------------------------------------------------------------------------
    def update(self, **changes) -> None:
        if "destination" in changes:
            _check_destination(changes["destination"])
        super().update(**changes)

    # -- drawing ----------------------------------------------------------------------------
    def _build(self) -> None:
        _check_destination(self.params["destination"])
        self.starts = np.vstack([START, other_starts()])  # row 0 is the highlighted car
        self.s = np.linspace(0.0, 1.0, 201)
        self.grid = data.rect_grid(EXTENT, _GRID_N).reshape(-1, 2)
        self.cap = 0.9 * (EXTENT[1] - EXTENT[0]) / (_GRID_N - 1)
        dark, pale = to_rgba(COLORS["conditional"]), to_rgba(COLORS["conditional"], 0.35)
        self.arrow_colors = np.array([dark, pale])
        # y range of the time panel: every route of every named schedule to either destination
        ends = [GaussianPath(schedule).flow(START, np.array(data.CITIES[name]), self.s[:, None])
                for schedule in named_schedules().values() for name in DESTINATIONS]
        y_range = (min(r.min() for r in ends) - 0.3, max(r.max() for r in ends) + 0.3)

        grid_spec = self.fig.add_gridspec(2, 2, width_ratios=[1.1, 1], height_ratios=[4, 1])
        ax_map = self.fig.add_subplot(grid_spec[:, 0])
        ax_time = self.fig.add_subplot(grid_spec[0, 1])
        ax_text = self.fig.add_subplot(grid_spec[1, 1])
        ax_text.set_axis_off()
        self.ax_map, self.ax_time = ax_map, ax_time
        _style_map(ax_map)
        zero = np.zeros(len(self.grid))
        self.q_field = self.dynamic(ax_map.quiver(*self.grid.T, zero, zero, color=dark, zorder=2, angles="xy",
                                                  scale_units="xy", scale=1, width=0.004, headwidth=4,
                                                  headlength=4.5, headaxislength=4))
        self.sigma = self.dynamic(ax_map.add_patch(Circle((0, 0), 1.0, fill=False, ec=_SIGMA_GREY, lw=1.2,
                                                          ls=(0, (4, 3)), zorder=3)))
        # the other cars' routes as one collection: one artist to draw instead of six
        self.route_others = self.dynamic(ax_map.add_collection(
            LineCollection([], colors=[COLORS["conditional"]], linewidths=0.9, alpha=0.55, zorder=3),
            autolim=False))
        self.route_main = self.dynamic(ax_map.plot([], [], color="k", lw=1.0, ls=":", zorder=4)[0])
        self.route_done = self.dynamic(ax_map.plot([], [], color="k", lw=2.0, zorder=4)[0])
        ax_map.plot(*self.starts.T, "o", ms=5, mfc="white", mec=COLORS["noise"], mew=1.5, zorder=5)
        self.star = self.dynamic(ax_map.plot([], [], "*", ms=16, color=COLORS["data"], mec="k", zorder=6)[0])
        self.cars = self.dynamic(ax_map.plot([], [], "o", ms=4.5, color=COLORS["accent"], mec="k", mew=0.6,
                                             zorder=7)[0])
        self.car_main = self.dynamic(ax_map.plot([], [], "s", ms=7, color=COLORS["accent"], mec="k", zorder=8)[0])
        n_cars = len(self.starts)
        self.q_cars = self.dynamic(ax_map.quiver(*self.starts.T, np.zeros(n_cars), np.zeros(n_cars), color="k",
                                                 zorder=9, angles="xy", scale_units="xy", scale=1, width=0.007,
                                                 headwidth=3.5, headlength=4, headaxislength=3.5))
        handles = [Line2D([], [], color=COLORS["conditional"], marker=r"$\rightarrow$", ls="none", ms=11,
                          label=r"$u_t(x|z)\,\Delta t$"),
                   Line2D([], [], color="k", marker=r"$\rightarrow$", ls="none", ms=11,
                          label=r"car velocity $\times\,\Delta t$"),
                   Line2D([], [], color="k", lw=2, label=r"route $\psi_t(x_0|z)$, all $t$"),
                   Line2D([], [], color=_SIGMA_GREY, ls=(0, (4, 3)), label=r"1 std of $p_t(\cdot|z)$"),
                   Line2D([], [], marker="o", ls="none", mfc="white", mec=COLORS["noise"], label=r"starts $x_0$"),
                   Line2D([], [], marker="s", ls="none", color=COLORS["accent"], mec="k",
                          label=r"car at $\psi_t(x_0|z)$")]
        ax_map.legend(handles=handles, loc="lower right", fontsize=7.5, framealpha=0.9, handlelength=1.6)

        ax_time.set(xlim=(0, 1), ylim=y_range)
        ax_time.set_xlabel("time", fontsize=9)
        ax_time.set_ylabel("coordinate of the car (100 km)", fontsize=9)
        ax_time.tick_params(labelsize=8.5)
        ax_time.set_title(r"position over time; slope of tangent = velocity", fontsize=9)
        self.east_line = self.dynamic(ax_time.plot([], [], color=COLORS["noise"], lw=1.8,
                                                   label=r"east: $\psi_t(x_0|z)_1$")[0])
        self.north_line = self.dynamic(ax_time.plot([], [], color=COLORS["data"], lw=1.8, ls="--",
                                                    label=r"north: $\psi_t(x_0|z)_2$")[0])
        self.t_line = self.dynamic(ax_time.axvline(0.0, color="k", lw=0.8, ls=":"))
        # both tangents in one line, separated by a NaN
        self.tangents = self.dynamic(ax_time.plot([], [], color="k", lw=2.4, alpha=0.8)[0])
        self.t_dots = self.dynamic(ax_time.plot([], [], "s", ms=6, color=COLORS["accent"], mec="k")[0])
        ax_time.plot([], [], color="k", lw=2.4, alpha=0.8, label="tangent at t")
        ax_time.legend(loc="upper left", fontsize=8)

        # Text is the slowest thing Agg draws (and the costliest in a PNG): the dynamic text is kept short,
        # and what the arrows mean is said in the caption rather than in the picture.
        self.status = self.dynamic(ax_text.text(0.0, 0.75, "", transform=ax_text.transAxes, va="top", ha="left",
                                                fontsize=9, linespacing=1.35))
        # the heading is static (redrawn only when the schedule or destination changes); it also makes the
        # layout engine reserve a row at the top, where the dynamic time label sits
        self.heading = self.fig.suptitle("schedule: Polynomial(n=2)    destination z: Los Angeles", fontsize=11)
        self.time_label = self.dynamic(self.fig.text(0.01, 0.99, "", ha="left", va="top", fontsize=11))

    def _draw(self, changed: set[str]) -> None:
        t, path, values = self.t, self.path, self.values
        z = np.array(data.CITIES[self.params["destination"]])
        if changed & {"schedule", "destination"}:
            routes = path.flow(self.starts, z, self.s[:, None])  # (len(s), cars, 2)
            self.routes = routes
            self.route_others.set_segments(list(np.moveaxis(routes[:, 1:], 1, 0)))
            self.route_main.set_data(routes[:, 0, 0], routes[:, 0, 1])
            self.east_line.set_data(self.s, routes[:, 0, 0])
            self.north_line.set_data(self.s, routes[:, 0, 1])
            self.star.set_data([z[0]], [z[1]])
            self.heading.set_text(f"schedule: {path.schedule.name}    destination z: {self.params['destination']}")
            self.invalidate_background()

        notes = []
        # the cars: positions from the flow (eq-flow), velocities from the noise form (regular at t = 1)
        pos = path.flow(self.starts, z, values)
        done = self.s <= t
        self.route_done.set_data(self.routes[done, 0, 0], self.routes[done, 0, 1])
        self.cars.set_data(pos[1:, 0], pos[1:, 1])
        self.car_main.set_data([pos[0, 0]], [pos[0, 1]])
        self.t_line.set_xdata([t, t])
        self.t_dots.set_data([t, t], pos[0])
        self.q_cars.XY = pos
        self.q_cars.set_offsets(pos)
        try:
            vel = path.conditional_field_from_noise(self.starts, z, values)
        except ValueError:
            vel = None
        if vel is None:
            self.q_cars.set_visible(False)
            self.tangents.set_data([], [])
            notes.append(f"velocities: infinite at t = {t:g}, not drawn")
        else:
            self.q_cars.set_visible(True)
            self.q_cars.set_UVC(*(vel * ARROW_DT).T)
            ts = np.array([t - _TANGENT_HALF, t + _TANGENT_HALF])
            ys = pos[0][:, None] + vel[0][:, None] * (ts - t)  # (2 coordinates, 2 ends)
            self.tangents.set_data([*ts, np.nan, *ts], [*ys[0], np.nan, *ys[1]])
            notes.append(f"car speed |u| = {np.linalg.norm(vel[0]):.2f}")

        # the field on the grid (x-form, eq-cond-field): undefined where beta_t = 0
        self.sigma.set_center(values.alpha * z)
        self.sigma.set_radius(values.beta)
        try:
            u = path.conditional_field(self.grid, z, values)
        except ValueError:
            u = None
        if u is None:
            self.q_field.set_visible(False)
            notes.append(f"field: undefined at t = {t:g} (beta_t = 0)")
        else:
            arrows, capped = arrow_vectors(u, self.cap)
            self.q_field.set_visible(True)
            self.q_field.set_UVC(arrows[:, 0], arrows[:, 1])
            self.q_field.set_facecolor(self.arrow_colors[capped.astype(int)])
            self.n_shortened = int(capped.sum())

        self.status.set_text("\n".join(notes))
        self.time_label.set_text(f"t = {t:.2f}")


# ------------------------------------------------------------------------------------------
# Static figures
# ------------------------------------------------------------------------------------------

def gps_overview_figure(times=(0.0, 0.5, 0.9), schedule: Schedule | str = "CondOT",
                        destination: str = "Las Vegas") -> Figure:
    """The map at a few times side by side: directions u_t(.|z), routes and cars (chapter 2, top)."""
    _check_destination(destination)
    times = [float(t) for t in times]
    path = GaussianPath(resolve_schedule(schedule))
    z = np.array(data.CITIES[destination])
    starts = np.vstack([START, other_starts()])
    s = np.linspace(0.0, 1.0, 101)
    routes = path.flow(starts, z, s[:, None])
    grid = data.rect_grid(EXTENT, _GRID_N).reshape(-1, 2)
    cap = 0.9 * (EXTENT[1] - EXTENT[0]) / (_GRID_N - 1)
    fig = Figure(figsize=(3.0 * len(times), 3.5), dpi=80, layout="constrained")
    axes = fig.subplots(1, len(times), sharey=True)
    for ax, t in zip(np.atleast_1d(axes), times):
        _style_map(ax, f"t = {t:g}")
        arrows, capped = arrow_vectors(path.conditional_field(grid, z, t), cap)
        kw = dict(angles="xy", scale_units="xy", scale=1, width=0.006, color=COLORS["conditional"])
        ax.quiver(*grid[~capped].T, *arrows[~capped].T, **kw)
        ax.quiver(*grid[capped].T, *arrows[capped].T, alpha=0.3, **kw)
        for k in range(len(starts)):
            ax.plot(*routes[:, k].T, color="k" if k == 0 else COLORS["conditional"], lw=1.6 if k == 0 else 0.8,
                    alpha=1 if k == 0 else 0.6)
        pos = path.flow(starts, z, t)
        vel = path.conditional_field_from_noise(starts, z, t) * ARROW_DT
        ax.plot(*starts.T, "o", ms=4, mfc="white", mec=COLORS["noise"], mew=1.2)
        ax.quiver(*pos.T, *vel.T, angles="xy", scale_units="xy", scale=1, width=0.01, color="k", zorder=5)
        ax.plot(*pos.T, "o", ms=4.5, color=COLORS["accent"], mec="k", mew=0.6, zorder=6)
        ax.plot(*z, "*", ms=14, color=COLORS["data"], mec="k", zorder=7)
    for ax in np.atleast_1d(axes)[1:]:
        ax.set_ylabel("")
    return fig


def landing_figure(distances: dict, times: np.ndarray, exact: dict | None = None) -> Figure:
    """Distance |X_t - z| of cars following u_t(.|z) against 1 - t, log-log, one line per schedule.

    ``distances`` maps a schedule name to an array (len(times),) (e.g. the largest distance over
    many starts of an RK4 solution); ``exact`` optionally maps the same names to the exact
    |psi_t(x0|z) - z| on the same times, drawn as markers.
    """
    fig = Figure(figsize=(5.6, 3.7), dpi=80, layout="constrained")
    ax = fig.subplots()
    remaining = 1.0 - np.asarray(times, dtype=float)
    keep = remaining > 0
    for (name, dist), style in zip(distances.items(), schedule_styles(distances)):
        ls, color = style["ls"], style["color"]
        ax.loglog(remaining[keep], np.asarray(dist)[keep], ls=ls, color=color, lw=2, label=f"{name} (RK4)")
        if exact is not None and name in exact:
            every = max(1, keep.sum() // 12)
            ax.loglog(remaining[keep][::every], np.asarray(exact[name])[keep][::every], "o", ms=4, mfc="none",
                      color=color)
    ref = np.array([remaining[keep].min(), 1.0])
    ax.loglog(ref, 3 * ref, color="0.5", lw=1, ls=(0, (1, 2)), label=r"slope 1: $\propto 1 - t$")
    ax.loglog(ref, 3 * np.sqrt(ref), color="0.3", lw=1, ls=(0, (5, 2, 1, 2)), label=r"slope 1/2: $\propto \sqrt{1 - t}$")
    ax.set(xlabel="time left, 1 - t", ylabel=r"largest distance to the destination, $|X_t - z|$",
           title="cars that follow $u_t(\\cdot|z)$ close in on $z$")
    ax.invert_xaxis()
    ax.legend(fontsize=8, loc="lower left")
    return fig
