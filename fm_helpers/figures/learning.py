"""Chapter 8's figures: a field learned from conditional targets beside the exact marginal field.

* ``LearnedFieldFigure``: the chapter's live figure. Left, the exact marginal field u_t(x) (thin dark
  arrows) and the learned field v_theta(x, t) (wide light arrows) over the density p_t of the two-cities
  mixture; middle, the error |v - u| weighted by p_t; right, the relative error over t (eq-08-rel-error)
  with the current time marked. Its own control is the number of random features of the model.
* ``book_model``: the model the chapter fits (ridge least squares on conditional targets only), cached per
  schedule and feature count, with its error curve.
* ``field_comparison_figure``, ``samples_figure``: static figures of the chapter.

Static figures are ``matplotlib.figure.Figure`` objects (no pyplot), ready to be the last expression of a cell.
"""

from __future__ import annotations


import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..learning import BOOK_FIT, ERROR_TIMES, GridField, book_model
from ..marginal import marginal_field
from ..paths import GaussianPath
from ..schedules import Schedule
from .base import COLORS, DENSITY_CMAP, MAP_EXTENT, LiveFigure, resolve_schedule, static_figure
from .probability_paths import grid_marginal_density

__all__ = [
    "LearnedFieldFigure",
    "BOOK_FIT",
    "FEATURE_CHOICES",
    "ERROR_TIMES",
    "BookFit",
    "book_model",
    "GridField",
    "field_comparison_figure",
    "samples_figure",
]

#: Numbers of random features the live figure offers (each fitted once, when first shown).
FEATURE_CHOICES = (25, 50, 100)
_EXTENT = MAP_EXTENT
_XLABEL, _YLABEL = "east of San Diego (100 km)", "north (100 km)"
_N_DENSITY, _N_ERROR, _N_ARROWS = 100, 48, 11
#: Learned arrows are drawn only where p_t is at least this fraction of its peak (where training data lives).
_SUPPORT = 0.002
#: The error map's colour scale: p_t |v - u| as a fraction of the peak of p_t |u|.
_ERROR_VMAX = 0.1
_DENSITY_RGBA = matplotlib.colormaps[DENSITY_CMAP]
_ERROR_CMAP = "magma"


def _check_n_features(value) -> None:
    if value not in FEATURE_CHOICES or isinstance(value, bool):
        raise ValueError(f"n_features must be one of {', '.join(map(str, FEATURE_CHOICES))}, got {value!r}")


def _new_figure(figsize, dpi=100) -> Figure:
    return static_figure(figsize, dpi)


def _map_axes(ax, title: str) -> None:
    ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", xlabel=_XLABEL, ylabel=_YLABEL)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.xaxis.label.set_size(8)
    ax.yaxis.label.set_size(8)


def _light(rgba_bytes: np.ndarray, amount: float = 0.45) -> np.ndarray:
    """Blend coloured density bytes towards white so that arrows on top stay readable."""
    out = rgba_bytes.copy()
    out[..., :3] = (255 - amount * (255 - rgba_bytes[..., :3].astype(float))).astype(np.uint8)
    return out


class LearnedFieldFigure(LiveFigure):
    """The learned field beside the exact marginal field, its weighted error map and its error over t.

    Parameter (besides ``t`` and ``schedule``): ``n_features``, the number of random Fourier features of the
    model, one of ``FEATURE_CHOICES``. Each (schedule, n_features) model is fitted once, the first time it is
    shown, and cached (``book_model``). The model was trained on t in [0, 0.95]; beyond that the figure shows
    only the exact field and says so.
    """

    title = "a field learned from conditional targets"
    caption = ("Left: the exact marginal field u\u209c(x) (thin dark arrows) and the field v\u03b8(x, t) learned by "
               "least squares on conditional targets only (wide light arrows, drawn where p\u209c is at least 0.2 % "
               "of its peak), over the density p\u209c of the two cities. Arrow length is proportional to speed, on "
               "one scale for both fields. Middle: the error |v\u03b8 \u2212 u\u209c| weighted by p\u209c, relative to "
               "the peak of p\u209c|u\u209c|. Right: the relative error over t, with the current time marked; the "
               "dotted line is the 15 % target.")
    alt = ("Three panels. Left: a pale density map with two sets of arrows, thin dark ones and wide light ones, which "
           "lie almost on top of each other where the density is high; as t grows the density splits into two "
           "spots at Los Angeles and Las Vegas and the arrows point into them. Middle: a dark map with faint bright "
           "patches where the learned field misses, mostly between the two cities. Right: a curve of relative "
           "error against time, mostly below a dotted line at 15 percent, with a dot at the current time.")
    figsize = (9.6, 3.6)
    #: Six frames per schedule: each schedule needs its own fit, and the page stays small.
    defaults = {"n_features": BOOK_FIT["n_random"]}
    extra_controls = {"n_features": {"kind": "choice", "options": list(FEATURE_CHOICES),
                                     "description": "random features", "static": list(FEATURE_CHOICES)}}

    def update(self, **changes) -> None:
        if "n_features" in changes:
            _check_n_features(changes["n_features"])
        super().update(**changes)

    @property
    def fit(self) -> BookFit:
        return book_model(self.schedule, self.params["n_features"])

    # -- drawing --------------------------------------------------------------------------
    def _build(self) -> None:
        _check_n_features(self.params["n_features"])
        self.mixture = data.two_cities()
        self.xs = np.linspace(_EXTENT[0], _EXTENT[1], _N_DENSITY)
        self.ys = np.linspace(_EXTENT[2], _EXTENT[3], _N_DENSITY)
        self.error_grid = data.rect_grid(_EXTENT, _N_ERROR).reshape(-1, 2)
        pad = 0.4
        self.arrow_points = data.rect_grid((_EXTENT[0] + pad, _EXTENT[1] - pad, _EXTENT[2] + pad, _EXTENT[3] - pad),
                                           _N_ARROWS).reshape(-1, 2)
        self.spacing = (_EXTENT[1] - _EXTENT[0] - 2 * pad) / (_N_ARROWS - 1)
        self._grid_fields: dict = {}

        ax_map, ax_err, ax_curve = self.fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
        _map_axes(ax_map, "exact $u_t(x)$ and learned $v_\\theta(x, t)$")
        _map_axes(ax_err, "error $p_t(x)\\,|v_\\theta - u_t|$")
        n = len(self.arrow_points)
        self.density = self.dynamic(ax_map.imshow(np.zeros((_N_DENSITY, _N_DENSITY, 4), dtype=np.uint8),
                                                  origin="lower", extent=_EXTENT, interpolation="nearest"))
        # Learned: wide, light, drawn first; exact: thin and dark on top. The two read apart in grey too.
        self.learned_arrows = self.dynamic(ax_map.quiver(
            *self.arrow_points.T, np.zeros(n), np.zeros(n), angles="xy", scale_units="xy", scale=1.0,
            width=0.016, color=COLORS["learned"], alpha=0.85, edgecolor="none"))
        self.exact_arrows = self.dynamic(ax_map.quiver(
            *self.arrow_points.T, np.zeros(n), np.zeros(n), angles="xy", scale_units="xy", scale=1.0,
            width=0.005, color=COLORS["field"]))
        self.note = self.dynamic(ax_map.text(0.5, 0.04, "", transform=ax_map.transAxes, ha="center", va="bottom",
                                             fontsize=7.5, bbox={"boxstyle": "round", "fc": "white", "ec": "0.5",
                                                                 "alpha": 0.9}))
        self.error_image = self.dynamic(ax_err.imshow(np.zeros((_N_ERROR, _N_ERROR)), origin="lower", extent=_EXTENT,
                                                      cmap=_ERROR_CMAP, vmin=0.0, vmax=_ERROR_VMAX,
                                                      interpolation="nearest"))
        self.fig.colorbar(self.error_image, ax=ax_err, shrink=0.8, label="fraction of peak $p_t|u_t|$")
        self.error_note = self.dynamic(ax_err.text(0.5, 0.5, "", transform=ax_err.transAxes, ha="center",
                                                   va="center", fontsize=8, color="white"))
        for ax in (ax_map, ax_err):  # dynamic, so that they are drawn on top of the images
            self.dynamic(ax.plot(*self.mixture.means.T, marker="*", ms=9, color=COLORS["data"], mec="k", ls="none")[0])

        ax_curve.axhline(0.15, color="0.4", ls=":", lw=1.2)
        ax_curve.axvspan(0.95, 1.0, color="0.9", lw=0)
        ax_curve.text(0.975, 0.012, "not\ntrained", ha="center", va="bottom", fontsize=6.5, color="0.3")
        self.curve = self.dynamic(ax_curve.plot(ERROR_TIMES, np.ones_like(ERROR_TIMES), color=COLORS["accent"],
                                                lw=2, marker="o", ms=3)[0])
        self.t_line = self.dynamic(ax_curve.axvline(0.5, color="0.3", lw=1, ls="--"))
        self.t_dot = self.dynamic(ax_curve.plot([], [], "o", ms=8, color=COLORS["accent"], mec="k")[0])
        # Changes only with the schedule or the model: part of the background, redrawn with it.
        self.curve_text = ax_curve.text(0.03, 0.97, "", transform=ax_curve.transAxes, ha="left", va="top",
                                        fontsize=7.5)
        ax_curve.set(xlim=(0, 1), ylim=(0.01, 3.0), yscale="log", xlabel="time $t$",
                     ylabel="relative error of $v_\\theta$")
        ax_curve.set_title("error over $t$", fontsize=9)
        ax_curve.tick_params(labelsize=7)
        ax_curve.xaxis.label.set_size(8)
        ax_curve.yaxis.label.set_size(8)
        handles = [Line2D([], [], color=COLORS["field"], lw=1, label="exact $u_t(x)$"),
                   Line2D([], [], color=COLORS["learned"], lw=5, alpha=0.85, label="learned $v_\\theta(x, t)$"),
                   Line2D([], [], marker="*", ms=9, color=COLORS["data"], mec="k", ls="none", label="cities"),
                   Line2D([], [], color="0.4", ls=":", label="15 % target")]
        self.fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)

    def _grid(self, key, points) -> GridField:
        full = (key, self.schedule.name, self.params["n_features"])
        if full not in self._grid_fields:
            self._grid_fields[full] = GridField(self.fit.model, points)
        return self._grid_fields[full]

    def _draw(self, changed: set[str]) -> None:
        t, path, fit, values = self.t, self.path, self.fit, self.values
        if changed & {"schedule", "n_features"}:
            self.curve.set_ydata(fit.errors)
            self.curve_text.set_text(f"{self.schedule.name}, {self.params['n_features']} features\n"
                                     f"mean error, t in [0.05, 0.95]:\n{fit.errors.mean():.1%}")
            self.invalidate_background()
        if not changed & {"t", "schedule", "n_features"}:
            return
        density = grid_marginal_density(self.schedule, self.mixture, self.xs, self.ys, values)
        self.density.set_data(_light(_DENSITY_RGBA(density / density.max(), bytes=True)))

        exact = marginal_field(path, self.mixture, self.arrow_points, values)
        speed = np.hypot(*exact.T)
        scale = 0.9 * self.spacing / max(np.percentile(speed, 90), 1e-12)
        self.exact_arrows.set_UVC(*(scale * exact).T)
        trained = t <= BOOK_FIT["t_range"][1]
        if trained:
            learned = self._grid("arrows", self.arrow_points)(t)
            p_arrows = grid_marginal_density(self.schedule, self.mixture, self.arrow_points[:_N_ARROWS, 0],
                                             self.arrow_points[::_N_ARROWS, 1], values).reshape(-1)
            hidden = np.repeat((p_arrows < _SUPPORT * density.max())[:, None], 2, axis=1)
            masked = np.ma.array(scale * learned, mask=hidden)
            self.learned_arrows.set_UVC(masked[:, 0], masked[:, 1])
            self.learned_arrows.set_visible(True)

            p_err = grid_marginal_density(self.schedule, self.mixture, self.error_grid[:_N_ERROR, 0],
                                          self.error_grid[::_N_ERROR, 1], values).reshape(-1)
            u_err = marginal_field(path, self.mixture, self.error_grid, values)
            v_err = self._grid("errors", self.error_grid)(t)
            weighted = p_err * np.hypot(*(v_err - u_err).T)
            signal = (p_err * np.hypot(*u_err.T)).max()
            self.error_image.set_data((weighted / max(signal, 1e-300)).reshape(_N_ERROR, _N_ERROR))
            self.error_image.set_visible(True)
            self.note.set_text("")
            self.error_note.set_text("")
            err_t = float(np.interp(t, ERROR_TIMES, fit.errors))
            self.t_dot.set_data([t], [err_t])
            self.t_dot.set_visible(bool(ERROR_TIMES[0] <= t <= ERROR_TIMES[-1]))
        else:
            self.learned_arrows.set_visible(False)
            self.error_image.set_visible(False)
            self.t_dot.set_visible(False)
            self.note.set_text("trained on t \u2264 0.95 only:\nlearned field not shown")
            self.error_note.set_text("no learned field\nbeyond t = 0.95")
        self.t_line.set_xdata([t, t])


# --------------------------------------------------------------------------------------
# Static figures
# --------------------------------------------------------------------------------------

def field_comparison_figure(model, schedule: Schedule | str = "CondOT", times=(0.2, 0.5, 0.8),
                            mixture: data.GaussianMixture | None = None) -> Figure:
    """Top row: the exact marginal field u_t(x) over p_t; bottom row: the learned field v(x, t), at ``times``.

    ``model`` is any callable v(x, t). Arrows show direction and speed on one scale per column.
    """
    schedule = resolve_schedule(schedule)
    mixture = data.two_cities() if mixture is None else mixture
    path = GaussianPath(schedule)
    times = [float(t) for t in times]
    xs = np.linspace(_EXTENT[0], _EXTENT[1], 150)
    ys = np.linspace(_EXTENT[2], _EXTENT[3], 150)
    pad = 0.4
    points = data.rect_grid((_EXTENT[0] + pad, _EXTENT[1] - pad, _EXTENT[2] + pad, _EXTENT[3] - pad), 15).reshape(-1, 2)
    spacing = (_EXTENT[1] - _EXTENT[0] - 2 * pad) / 14
    fig = _new_figure((2.3 * len(times) + 0.4, 5.0))
    axes = fig.subplots(2, len(times), sharex=True, sharey=True, squeeze=False)
    for j, t in enumerate(times):
        density = grid_marginal_density(schedule, mixture, xs, ys, t)
        exact, learned = marginal_field(path, mixture, points, t), model(points, t)
        scale = 0.9 * spacing / np.percentile(np.hypot(*exact.T), 90)
        for i, (field, colour, width, name) in enumerate(((exact, COLORS["field"], 0.006, "exact $u_t$"),
                                                          (learned, COLORS["learned"], 0.009, "learned $v_\\theta$"))):
            ax = axes[i, j]
            ax.imshow(_light(_DENSITY_RGBA(density / density.max(), bytes=True)), origin="lower", extent=_EXTENT,
                      interpolation="bilinear")
            ax.quiver(*points.T, *(scale * field).T, angles="xy", scale_units="xy", scale=1.0, width=width,
                      color=colour)
            ax.plot(*mixture.means.T, marker="*", ms=8, color=COLORS["data"], mec="k", ls="none")
            ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal")
            ax.tick_params(labelsize=7)
            ax.set_title(f"{name}, $t = {t:g}$", fontsize=9)
        axes[1, j].set_xlabel("east (100 km)", fontsize=8)
    for i in range(2):
        axes[i, 0].set_ylabel("north (100 km)", fontsize=8)
    return fig


def samples_figure(learned_end, exact_end, mixture: data.GaussianMixture | None = None) -> Figure:
    """End points of the learned sampler (left) and of the exact flow (right) over the data density."""
    mixture = data.two_cities() if mixture is None else mixture
    xs = np.linspace(-2.0, 3.0, 150)
    ys = np.linspace(-0.5, 5.0, 150)
    density = grid_marginal_density(resolve_schedule("CondOT"), mixture, xs, ys, 1.0)
    fig = _new_figure((6.4, 3.4))
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, points, title in ((axes[0], learned_end, "learned field"), (axes[1], exact_end, "exact field")):
        ax.imshow(_light(_DENSITY_RGBA(density / density.max(), bytes=True), 0.6), origin="lower",
                  extent=(xs[0], xs[-1], ys[0], ys[-1]), interpolation="bilinear")
        ax.scatter(*np.asarray(points).T, s=3, color=COLORS["noise"], alpha=0.6, linewidths=0)
        ax.plot(*mixture.means.T, marker="*", ms=10, color=COLORS["data"], mec="k", ls="none")
        ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), aspect="equal", title=title, xlabel="east (100 km)")
    axes[0].set_ylabel("north (100 km)")
    return fig
