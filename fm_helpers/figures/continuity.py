"""Chapter 5's figures: divergence, the continuity equation and its residual on a grid.

* ``ContinuityFigure`` (live): p_t with the marginal field, and the residual
  d/dt p_t + div(p_t u_t) (eq-continuity) on a grid for the marginal field and for the
  naive field, on one shared, symmetric colour scale.
* ``divergence_examples_figure`` (static): a source, a sink and a rotation, each with
  its divergence (eq-divergence) and the net outflow through a small box.
* ``density_trajectories_figure`` (static): a 1-D marginal path p_t(x) over (t, x) with
  trajectories of the marginal field and of the naive field drawn on it.
"""

from __future__ import annotations

import numbers
from statistics import NormalDist

import numpy as np
from matplotlib import patheffects
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import data
from ..continuity import EXAMPLE_FIELDS, box_outflow, divergence, time_derivative, time_stencil
from ..data import GaussianMixture
from ..marginal import marginal_density, marginal_field, naive_field
from ..ode import integrate
from ..sampling import marginal_trajectories
from ..paths import GaussianPath
from ..schedules import ScheduleValues
from .base import COLORS, DENSITY_CMAP, LiveFigure, resolve_schedule

__all__ = [
    "ContinuityFigure",
    "DATASETS",
    "residual_maps",
    "divergence_examples_figure",
    "density_trajectories_figure",
]

#: The data sets the figure offers, by the name its "data" control shows.
DATASETS = {"two cities": data.two_cities(), "eight gaussians": data.eight_gaussians()}
#: Names on the map when the data are the two cities: (name, place, (offset x, offset y, alignment)).
_CITY_LABELS = tuple((name, data.CITIES[name], offset) for name, offset in (
    ("Los Angeles", (-0.2, 0.55, "center")), ("Las Vegas", (-0.3, 0.0, "right")), ("Irvine", (0.25, -0.15, "left")),
    ("San Diego", (0.0, -0.45, "center"))))
#: Places on the map that are not data: San Diego (the centre of the noise) and Irvine, as dots.
_PLACES = ("San Diego", "Irvine")
#: One window for both data sets (x_low, x_high, y_low, y_high), so that switching moves no axis.
EXTENT = (-4.5, 4.5, -4.5, 4.5)
#: Residual grid (n x n): every point costs about ten density and eight field evaluations.
RESIDUAL_GRID = 40
QUIVER_GRID = 11
DENSITY_GRID = 60
#: Below this fraction of max p_t, d/dt p_t counts as zero (the density is momentarily at rest).
AT_REST = 1e-6
RESIDUAL_CMAP = "RdBu_r"
#: The time step of d/dt p_t in the residual maps (central differences, error O(h^2)).
TIME_STEP = 1e-4
#: Arrows are drawn where p_t exceeds this fraction of its largest value on the grid.
ARROW_DENSITY = 0.01
#: A largest speed below this counts as a field at rest (no arrows): u_t = 0 to rounding.
STILL = 1e-9


def _batched(function, point_sets):
    """Evaluate ``function(points)`` once on several point sets (each (..., d)) and split the result.

    Every call into ``fm_helpers.marginal`` pays a fixed price (checks, per-component constants);
    one call on all points at once pays it once.
    """
    flat = [np.reshape(points, (-1, points.shape[-1])) for points in point_sets]
    values = function(np.concatenate(flat))
    pieces = np.split(values, np.cumsum([len(f) for f in flat])[:-1])
    return [piece.reshape(points.shape[:-1] + piece.shape[1:]) for piece, points in zip(pieces, point_sets)]


def residual_maps(path: GaussianPath, mixture: GaussianMixture, grid, t, h: float = TIME_STEP,
                  extra_points=(), neighbours=None) -> dict:
    """Both sides of the continuity equation (eq-continuity) on ``grid`` for the marginal and the naive field.

    The differences are those of ``fm_helpers.continuity`` (``time_derivative`` and ``divergence``,
    step ``h``); only the evaluations are batched: p_t, u_t and the naive field at the 2d shifted
    copies of the grid are computed in one call each and handed to ``divergence`` from a table
    (anything not in the table is computed on demand, so the result never depends on the table).
    ``t`` is a time or the schedule's values there (``path.at(t)``); ``neighbours`` optionally maps the
    times of ``continuity.time_stencil(t, h)`` to the schedule's values there. The schedule is evaluated
    only at the times the caller has not evaluated, in one call.

    Returns a dict with ``dp_dt`` (shape of the grid without its last axis), ``marginal`` and
    ``naive`` (residuals d/dt p_t + div(p_t u_t); ``naive`` is None where the naive field is
    undefined, at beta_t = 0), ``scale``: max |d/dt p_t|, or max p_t when d/dt p_t is zero to
    within ``AT_REST`` (then ``at_rest`` is True), and ``density`` and ``field``: p_t and u_t at
    ``extra_points`` (a sequence of point arrays), evaluated in the same batch.
    """
    values = path.at(t)
    if np.ndim(values.t) != 0:
        raise ValueError(f"t must be a single number in [0, 1] here, got an array of shape {np.shape(values.t)}")
    known = {values.t: values, **(neighbours or {})}
    missing = [s for s in time_stencil(values.t, h) if s not in known]
    if missing:
        known.update(zip(missing, path.at(np.array(missing)).split()))

    grid = np.asarray(grid, dtype=float)
    d = grid.shape[-1]
    shifted = []
    for i in range(d):  # exactly the points continuity.divergence asks for: x + step and x - step
        step = np.zeros(d)
        step[i] = h
        shifted += [grid + step, grid - step]
    extra = [np.asarray(points, dtype=float) for points in extra_points]

    p_grid, *p_rest = _batched(lambda x: marginal_density(path, mixture, x, values), [grid, *shifted, *extra])
    p_shifted, p_extra = p_rest[:len(shifted)], p_rest[len(shifted):]
    u_all = _batched(lambda x: marginal_field(path, mixture, x, values), [*shifted, *extra])
    u_shifted, u_extra = u_all[:len(shifted)], u_all[len(shifted):]
    try:
        n_shifted = _batched(lambda x: naive_field(path, mixture, x, values), shifted)
    except ValueError:  # the naive field divides by beta_t, which is 0 at t = 1
        n_shifted = None

    def key(x, s):
        return getattr(s, "t", s), x.shape, x.tobytes()

    densities = {key(grid, values): p_grid, **{key(x, values): p for x, p in zip(shifted, p_shifted)}}
    fluxes = {"marginal": {key(x, values): p[..., None] * u for x, p, u in zip(shifted, p_shifted, u_shifted)},
              "naive": {} if n_shifted is None else
              {key(x, values): p[..., None] * u for x, p, u in zip(shifted, p_shifted, n_shifted)}}

    def density(x, s):  # s: a time of the stencil (a float) or the values at t
        found = densities.get(key(x, s))
        return marginal_density(path, mixture, x, known.get(s, s)) if found is None else found

    def flux_of(name, field):
        def flux(x, s):
            found = fluxes[name].get(key(x, s))
            return density(x, s)[..., None] * field(path, mixture, x, known.get(s, s)) if found is None else found
        return flux

    dp_dt = time_derivative(density, grid, values, h)
    residual = {"marginal": dp_dt + divergence(flux_of("marginal", marginal_field), grid, values, h),
                "naive": None if n_shifted is None else
                dp_dt + divergence(flux_of("naive", naive_field), grid, values, h)}
    scale = float(np.max(np.abs(dp_dt)))
    p_max = float(np.max(p_grid))
    at_rest = scale < AT_REST * p_max
    return {"dp_dt": dp_dt, **residual, "scale": p_max if at_rest else scale, "at_rest": at_rest,
            "density": p_extra, "field": u_extra}


class ContinuityFigure(LiveFigure):
    """Left: p_t(x) with arrows of the marginal field u_t. Middle and right: the residual
    d/dt p_t + div(p_t u_t) on a 40 x 40 grid for the marginal field and for the naive field,
    divided by max |d/dt p_t| and drawn on one symmetric colour scale from -1 to 1."""

    title = "the continuity equation on a grid"
    caption = ("Left: the marginal density p_t (brighter is denser) with arrows of the marginal field u_t, "
               "scaled so that the longest arrow spans about one grid cell. Middle and right: the residual "
               "dp_t/dt + div(p_t u_t) on a 40 x 40 grid for the marginal field and for the naive field, divided by "
               "the largest |dp_t/dt| and drawn on the same scale from -1 to 1. White: the field moves exactly "
               "the mass the density gains or loses. Red: the density grows faster than the field brings mass in; "
               "blue: the field brings in more than the density gains. Above each map: its largest |residual| "
               "on this scale.")
    alt = ("Three square panels side by side. The first shows a density as a heat map with small arrows. The "
           "second, for the marginal field, is plain white at every time and schedule: its residual is about "
           "one ten-millionth. The third, for the naive field, shows strong red and blue patches around the "
           "clusters, with a largest residual close to or above one; at t = 1 it says the naive field is "
           "undefined there.")
    # The book shows a frame about 600 px wide: at 72 dpi this size is drawn 1:1, so its text stays legible.
    figsize = (8.625, 3.25)  # 621 x 234 pixels: whole numbers, as the player's <img> size assumes
    dpi = 72
    defaults = {"data": "two cities"}
    extra_controls = {"data": {"kind": "choice", "options": list(DATASETS), "description": "data",
                               "static": list(DATASETS)}}

    def __init__(self, t: float = 0.5, schedule="CondOT", **params):
        _check_data(params.get("data", self.defaults["data"]))
        super().__init__(t, schedule, **params)

    def update(self, **changes) -> None:
        """Change t, schedule and/or data (one of ``DATASETS``) and redraw what depends on them."""
        if "data" in changes:
            _check_data(changes["data"])
        super().update(**changes)

    def _build(self) -> None:
        self.res_grid = data.rect_grid(EXTENT, RESIDUAL_GRID)
        self.dens_grid = data.rect_grid(EXTENT, DENSITY_GRID)
        self.quiver_grid = q = data.rect_grid(EXTENT, QUIVER_GRID)
        # constrained layout leaves the two-line titles a few pixels short at the top: pad a little more
        self.fig.get_layout_engine().set(h_pad=0.15)
        ax_p, ax_m, ax_n = self.axes = self.fig.subplots(1, 3, sharex=True, sharey=True)
        for ax in self.axes:
            ax.set(xlabel="$x_1$", aspect="equal", xlim=EXTENT[:2], ylim=EXTENT[2:])
        ax_p.set_ylabel("$x_2$")
        empty = np.zeros((2, 2))
        self.density = self.dynamic(ax_p.imshow(empty, origin="lower", extent=EXTENT, cmap=DENSITY_CMAP,
                                                interpolation="bilinear"))
        self.quiver = self.dynamic(ax_p.quiver(q[..., 0], q[..., 1], np.zeros(q.shape[:2]), np.zeros(q.shape[:2]),
                                               color="white", angles="xy", scale_units="xy", scale=1.0, width=0.008,
                                               edgecolor=COLORS["field"], linewidth=0.4))
        self.means = self.dynamic(ax_p.plot([], [], marker="*", ms=9, color=COLORS["data"], mec="k", mew=0.6,
                                            ls="none")[0])
        label_box = {"boxstyle": "round,pad=0.15", "fc": "black", "alpha": 0.45, "lw": 0}
        self.city_names = [self.dynamic(ax_p.text(x + dx, y + dy, name, fontsize=7.5, ha=ha, va="center",
                                                  color="white", bbox=label_box))
                           for name, (x, y), (dx, dy, ha) in _CITY_LABELS]
        self.city_names.append(self.dynamic(ax_p.plot(*np.array([data.CITIES[p] for p in _PLACES]).T, marker="o",
                                                      ms=5, color=COLORS["noise"], mec="white", ls="none")[0]))
        residual_style = dict(origin="lower", extent=EXTENT, cmap=RESIDUAL_CMAP, vmin=-1.0, vmax=1.0,
                              interpolation="nearest")
        self.res_images = {"marginal": self.dynamic(ax_m.imshow(empty, **residual_style)),
                           "naive": self.dynamic(ax_n.imshow(empty, **residual_style))}
        self.fig.colorbar(self.res_images["naive"], ax=[ax_m, ax_n], shrink=0.85, pad=0.02,
                          ticks=[-1, -0.5, 0, 0.5, 1], label=r"residual / max $|\partial_t p_t|$")
        # Titles and labels are static (drawn once into the background); only the numbers that
        # change are dynamic, as short plain text: Agg rasterises every glyph of a changed text
        # anew, and text is the costliest thing in a frame. The controls show t and the schedule.
        for ax, title in ((ax_p, "density $p_t$ and marginal field $u_t$"),
                          (ax_m, "residual of the marginal field"), (ax_n, "residual of the naive field")):
            ax.set_title(title + "\n", fontsize=10)  # the empty second line makes room for the numbers
        for ax in (ax_m, ax_n):
            ax.text(0.5, 1.015, "max |residual| = ", transform=ax.transAxes, ha="right", va="bottom", fontsize=9)
        self.readouts = {key: self.dynamic(ax.text(0.5, 1.015, " ", transform=ax.transAxes, ha="left",
                                                   va="bottom", fontsize=9))
                         for key, ax in (("marginal", ax_m), ("naive", ax_n))}
        ax_p.text(0.5, 1.015, "arrows where $p_t$ > 1% of its max", transform=ax_p.transAxes, ha="center",
                  va="bottom", fontsize=9)
        box = dict(boxstyle="round", facecolor="white", alpha=0.9, edgecolor="0.6")
        self.notes = {key: self.dynamic(ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                                                fontsize=9, bbox=box))
                      for key, ax in (("marginal", ax_m), ("naive", ax_n))}

    def _evaluate_schedule(self, schedule, t):
        """The values at t and at the times of d/dt p_t around it (``time_stencil``), from one evaluation."""
        if isinstance(t, (ScheduleValues, bool)) or not (isinstance(t, numbers.Real) and 0.0 <= t <= 1.0):
            return super()._evaluate_schedule(schedule, t)  # refuses a bad t in the reader's words
        t = float(t)
        times = (t, *time_stencil(t, TIME_STEP))
        at_t, *around = schedule.at(np.array(times)).split()
        # the newest evaluation first; the one before stays for a redraw after a failed update
        self._stencils = [(schedule, t, dict(zip(times[1:], around))), *getattr(self, "_stencils", [])[:1]]
        return at_t

    def _neighbours(self) -> dict | None:
        """The schedule's values at the stencil times around the current t, if ``_evaluate_schedule`` has them."""
        for schedule, t, around in getattr(self, "_stencils", []):
            if schedule is self.schedule and t == self.t:
                return around
        return None

    def _draw(self, changed: set[str]) -> None:
        name = self.params["data"]
        mixture = DATASETS[name]
        if "data" in changed:
            self.means.set_data(*mixture.means.T)
            for label in self.city_names:
                label.set_visible(name == "two cities")
        t, path = self.t, self.path
        dens_grid, quiver_grid = self.dens_grid, self.quiver_grid

        # One batch of evaluations for the residual maps, the density image and the arrows.
        maps = residual_maps(path, mixture, self.res_grid, self.values, extra_points=(dens_grid, quiver_grid),
                             neighbours=self._neighbours())
        p, p_arrows = maps["density"]
        u = maps["field"][1]
        self.density.set_data(p)
        self.density.set_clim(0.0, p.max())
        # Arrows only where there is mass to move (p_t above 1% of its largest value), scaled so that
        # the fastest of them spans one grid cell: far from the data the field grows without bound.
        where = p_arrows > ARROW_DENSITY * p.max()
        speed = np.where(where, np.linalg.norm(u, axis=-1), 0.0)
        top = float(speed.max())
        cell = (EXTENT[1] - EXTENT[0]) / (QUIVER_GRID - 1)
        if top > STILL:
            uv = np.where(where[..., None], u * (cell / top), np.nan)
        else:  # u_t = 0 everywhere (Polynomial at t = 0, the eight gaussians with Cosine at t = 0): no arrows
            uv = np.full_like(u, np.nan)
        self.quiver.set_UVC(uv[..., 0], uv[..., 1])

        for key in ("marginal", "naive"):
            residual, image, note = maps[key], self.res_images[key], self.notes[key]
            if residual is None:
                image.set_visible(False)
                self.readouts[key].set_text("undefined")
                note.set_text("undefined at this t:\nthe naive field divides\nby β = 0")
                continue
            relative = residual / maps["scale"]
            image.set_visible(True)
            image.set_data(relative)
            self.readouts[key].set_text(f"{np.max(np.abs(relative)):.1e}")
            note.set_text("")
        if maps["at_rest"]:
            self.notes["marginal"].set_text("∂p/∂t ≈ 0 here: the density is\nmomentarily at rest; residuals\n"
                                            "are divided by max p instead")


def _check_data(name) -> None:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"data must be one of {', '.join(map(repr, DATASETS))}, got {name!r}")


# --------------------------------------------------------------------------------------
# Divergence as net outflow


def divergence_examples_figure(box_center=(0.9, 0.6), box_side: float = 0.6) -> Figure:
    """A source (f = x), a sink (f = -x) and a rotation (f = (-x_2, x_1)), each with its divergence
    computed by ``fm_helpers.continuity.divergence`` and the net outflow per area through a dashed box."""
    fig = Figure(figsize=(9.6, 3.5), dpi=80, layout="constrained")
    axes = fig.subplots(1, 3)
    g = data.square_grid(-1.5, 1.5, 11)
    styles = {"source": "-", "sink": "--", "rotation": ":"}
    for ax, (name, (formula, v)) in zip(axes, EXAMPLE_FIELDS.items()):
        div = float(divergence(lambda x, t: v(x), np.asarray(box_center), 0.0))
        flow = box_outflow(v, box_center, box_side)
        vec = v(g)
        ax.quiver(g[..., 0], g[..., 1], vec[..., 0], vec[..., 1], color=COLORS["field"], angles="xy",
                  scale_units="xy", scale=4.0, width=0.008)
        corner = np.asarray(box_center) - box_side / 2
        ax.add_patch(Rectangle(corner, box_side, box_side, fill=False, lw=2, ls=styles[name],
                               edgecolor=COLORS["naive"] if div > 0 else COLORS["noise"] if div < 0 else COLORS["accent"]))
        ax.set(xlim=(-1.7, 1.7), ylim=(-1.7, 1.7), aspect="equal", xlabel="$x_1$", ylabel="$x_2$",
               title=f"{name}: {formula}\ndiv $f$ = {div + 0.0:.2f}; outflow / area = {flow + 0.0:.2f}")
        ax.title.set_fontsize(10)
    return fig


# --------------------------------------------------------------------------------------
# The 1-D picture


def _normal_quantiles(n: int) -> np.ndarray:
    return np.array([NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)])


def density_trajectories_figure(mixture: GaussianMixture, schedule="CondOT", n_trajectories: int = 15,
                                x_range=(-4.0, 4.0), n_t: int = 201, n_x: int = 241) -> Figure:
    """p_t(x) of a 1-D mixture as an image over (t, x), with trajectories on top: on the left those of
    the marginal field (RK4), on the right those of the naive field (Euler, which never evaluates
    the field at t = 1, where the naive field is undefined). Starts: quantiles of N(0, 1)."""
    if not isinstance(mixture, GaussianMixture) or mixture.dim != 1:
        raise ValueError("mixture must be a 1-D GaussianMixture (means of shape (K, 1))")
    if np.any(mixture.stds == 0):
        raise ValueError("the picture needs stds > 0 so that p_t has a density up to t = 1")
    path = GaussianPath(resolve_schedule(schedule))
    ts = np.linspace(0.0, 1.0, n_t)
    xs = np.linspace(*x_range, n_x)
    image = np.stack([marginal_density(path, mixture, xs[:, None], t) for t in ts], axis=1)  # (n_x, n_t)
    x0 = _normal_quantiles(n_trajectories)[:, None]
    steps = 200
    runs = {
        "marginal": marginal_trajectories(path.schedule, mixture, x0, steps, "rk4")[1],
        "naive": integrate(lambda x, t: naive_field(path, mixture, x, t), x0, steps=steps, method="euler"),
    }
    t_steps = np.linspace(0.0, 1.0, steps + 1)

    fig = Figure(figsize=(10.0, 3.8), dpi=80, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    norm = PowerNorm(0.5, vmin=0.0, vmax=float(image.max()))
    outline = [patheffects.Stroke(linewidth=2.6, foreground="black"), patheffects.Normal()]
    titles = {"marginal": "trajectories of the marginal field $u_t(x)$",
              "naive": "trajectories of the naive field"}
    for ax, (key, run) in zip(axes, runs.items()):
        mesh = ax.imshow(image, origin="lower", aspect="auto", extent=(0, 1, *x_range), cmap=DENSITY_CMAP,
                         norm=norm, interpolation="bilinear")
        style = dict(color="white", lw=1.2, ls="-") if key == "marginal" else dict(color=COLORS["naive"], lw=1.4, ls="--")
        lines = ax.plot(t_steps, run[:, :, 0], **style)
        for line in lines:
            line.set_path_effects(outline if key == "marginal" else
                                  [patheffects.Stroke(linewidth=2.8, foreground="white"), patheffects.Normal()])
        ax.plot(np.ones(mixture.n_components), mixture.means[:, 0], marker="*", ms=12, color=COLORS["data"],
                mec="k", ls="none", clip_on=False, zorder=5)
        ax.set(xlim=(0, 1), ylim=x_range, xlabel="time $t$", title=titles[key])
    axes[0].set_ylabel("position $x$")
    fig.colorbar(mesh, ax=axes, label="$p_t(x)$ (square-root colour scale)", pad=0.01)
    fig.suptitle(f"schedule {path.schedule.name}; stars: the component means at t = 1", fontsize=10, x=0.01,
                 ha="left")
    return fig
