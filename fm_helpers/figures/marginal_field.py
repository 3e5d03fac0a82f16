"""Chapter 4's figures: the marginal field as a posterior-weighted average, next to the naive average.

* ``MarginalFieldFigure``: the live figure. The density p_t of the two-cities mixture as
  an image, the true marginal field u_t(x) (eq-marginal-field) in one panel and the naive
  average (eq-naive-field) in the other, each with a cloud of samples that follows its field,
  a car at a chosen place with its two arrows, and the car's posterior weights (eq-posterior)
  as a bar chart.
* ``two_fates_figure``: where noise samples end when they follow each field (whole trajectories).
* ``irvine_figure``: the GPS picture at Irvine: the arrow towards each city, their naive and their
  posterior-weighted average, and the posterior weight of Los Angeles against t.
* ``monte_carlo_figure``: the error of the Monte Carlo estimate of u_t(x) against the number of
  data samples M, on log axes, with a 1/sqrt(M) reference line.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import data
from ..marginal import marginal_density, marginal_field, naive_field, posterior_weights
from ..ode import integrate
from ..sampling import marginal_trajectories
from ..paths import GaussianPath
from ..schedules import Schedule, named_schedules
from .base import COLORS, DENSITY_CMAP, MAP_EXTENT, LiveFigure, resolve_schedule, schedule_styles

__all__ = ["MarginalFieldFigure", "CARS", "follow_fields", "posterior_mean", "two_fates_figure", "irvine_figure",
           "monte_carlo_figure"]

_EXTENT = MAP_EXTENT
_DESTINATIONS = ("Los Angeles", "Las Vegas")
_LINESTYLES = ("-", "--", ":", "-.")


def _cars() -> dict[str, tuple[float, float]]:
    mean = data.two_cities().mean()
    return {
        "Irvine": data.CITIES["Irvine"],
        "San Diego": data.CITIES["San Diego"],
        "between the cities": (float(mean[0]), float(mean[1])),
        "Los Angeles": data.CITIES["Los Angeles"],
        "Las Vegas": data.CITIES["Las Vegas"],
    }


#: The places the live figure can put its car (units of 100 km east and north of San Diego).
CARS = _cars()


def _check_car(car) -> None:
    if car not in CARS:
        raise ValueError(f"car must be one of {', '.join(repr(c) for c in CARS)}, got {car!r}")


def _axes_of_map(ax, title: str) -> None:
    ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", xlabel="east (100 km)", ylabel="north (100 km)")
    ax.set_title(title, fontsize=10)


#: City names on a map: white on a translucent dark box, legible on any density colour.
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "black", "alpha": 0.45, "lw": 0}
_LABELLED_CITIES = ("Los Angeles", "Las Vegas", "San Diego")


def _mark_cities(ax, labels: bool = True) -> list:
    """Los Angeles and Las Vegas as data stars, San Diego (the centre of the noise) as a noise dot.

    Returns the artists, so that a live figure can register them as dynamic (drawn above its image).
    """
    mixture = data.two_cities()
    artists = [
        ax.plot(*mixture.means.T, marker="*", ms=13, color=COLORS["data"], mec="k", ls="none", zorder=4)[0],
        ax.plot(*data.CITIES["San Diego"], marker="o", ms=6, color=COLORS["noise"], mec="k", ls="none", zorder=4)[0],
    ]
    if labels:
        for name, (dx, dy, ha) in {"Los Angeles": (0.0, 0.4, "center"), "Las Vegas": (0.0, 0.3, "center"),
                                   "San Diego": (0.15, -0.35, "left")}.items():
            x, y = data.CITIES[name]
            artists.append(ax.text(x + dx, y + dy, name, fontsize=7.5, ha=ha, color="white", zorder=5,
                                   bbox=_LABEL_BOX))
    return artists


def _lighter(colour: str, amount: float):
    """``colour`` mixed with white (amount 0: unchanged, 1: white), as an RGB tuple."""
    return tuple(1.0 - (1.0 - np.asarray(to_rgb(colour))) * (1.0 - amount))


def _directions(field: np.ndarray, length: float) -> np.ndarray:
    """Arrows of one common length pointing along ``field`` (..., 2); a zero vector stays zero."""
    speed = np.hypot(field[..., 0], field[..., 1])[..., None]
    return np.divide(length * field, speed, out=np.zeros_like(field), where=speed > 0)


class _PixelImage(Artist):
    """An RGBA image filling its axes pixel for pixel, drawn without resampling.

    ``pixels(points)`` receives the data coordinates of the centres of the axes' pixels, shape
    (h, w, 2) with row 0 at the bottom, and returns RGBA bytes (h, w, 4). Agg copies such an image
    straight into the canvas, several times faster than ``imshow`` resamples one. After a draw,
    ``points`` and ``rgba`` hold what was drawn.
    """

    def __init__(self, ax, pixels):
        super().__init__()
        self._pixels = pixels
        self.points = self.rgba = None
        ax.add_artist(self)

    def draw(self, renderer):
        if not self.get_visible():
            return
        box = self.axes.bbox
        x0, y0 = int(np.ceil(box.x0)), int(np.ceil(box.y0))
        w, h = int(np.floor(box.x1)) - x0, int(np.floor(box.y1)) - y0
        if self.points is None or self.points.shape[:2] != (h, w):
            inverse = self.axes.transData.inverted()
            xs = inverse.transform(np.column_stack([x0 + np.arange(w) + 0.5, np.full(w, y0 + 0.5)]))[:, 0]
            ys = inverse.transform(np.column_stack([np.full(h, x0 + 0.5), y0 + np.arange(h) + 0.5]))[:, 1]
            self.points = np.stack(np.meshgrid(xs, ys), axis=-1)
        self.rgba = self._pixels(self.points)
        gc = renderer.new_gc()
        renderer.draw_image(gc, x0, y0, self.rgba)
        gc.restore()
        self.stale = False


def follow_fields(schedule: Schedule | str = "CondOT", n: int = 300, seed: int = 0, steps: int = 200,
                  mixture: data.GaussianMixture | None = None):
    """Trajectories of n samples of N(0, I) that follow the marginal field and the naive field.

    Both are integrated with Euler steps from t = 0 to t = 1 (``fm_helpers.ode.integrate``): an
    Euler step evaluates the field only at the start of the step, so the naive field, which
    divides by beta_t, is never asked for at t = 1. Returns (times, true, naive), the last two
    of shape (steps + 1, n, 2).
    """
    path = GaussianPath(resolve_schedule(schedule))
    mixture = data.two_cities() if mixture is None else mixture
    x0 = np.random.default_rng(seed).standard_normal((n, mixture.dim))
    _, true = marginal_trajectories(path.schedule, mixture, x0, steps, "euler")
    naive = integrate(lambda x, t: naive_field(path, mixture, x, t), x0, 0.0, 1.0, steps, "euler")
    return np.linspace(0.0, 1.0, steps + 1), true, naive


class MarginalFieldFigure(LiveFigure):
    """Two maps of the two-cities density p_t: left the marginal field u_t(x) with samples that follow
    it, right the naive average with samples that follow it; the car's arrows in both, and its
    posterior weights p(k | x, t) as bars beside the prior weights the naive average uses."""

    title = "the marginal field and the naive average"
    caption = ("The density p_t(x) of all cars that left the noise around San Diego for Los Angeles or "
               "Las Vegas (image, brighter is denser). Left: the marginal field u_t(x), which weights the "
               "conditional fields by the posterior, and white dots (cars) that follow it. Right: the naive "
               "average with the prior weights, and cars that follow it. Arrows show directions only (all of one "
               "length). The large dot is a car with the direction of each field at its place; the bars give its "
               "posterior weights, the dashed line the prior weights 1/2 that the naive average uses.")
    alt = ("Two square maps with the same density image, and a bar chart. As t grows the density splits into "
           "two bright blobs at Los Angeles and Las Vegas. In the left map the arrows near each blob point into "
           "it and the dots split between the two cities; in the right map all arrows point to one spot in the "
           "desert between the cities and the dots gather there. The bars show the probability that the car "
           "is heading to each city.")
    figsize = (10.2, 3.8)
    defaults = {"car": "Irvine"}
    #: the book's player offers the two car positions the chapter discusses (every frame costs build time
    #: and site space); its density maps need a lower WebP quality to keep one setting under 3 MiB
    extra_controls = {"car": {"kind": "choice", "options": list(CARS), "description": "car at",
                              "static": ["Irvine", "between the cities"]}}
    frame_quality = 45   # 8 settings of busy maps: keeps the frames of one setting within 3 MiB (2.7-2.8 MiB)

    _N_ARROWS = 11      # arrows per side
    _N_DOTS = 150       # samples that follow each field
    _STEPS = 200        # Euler steps of the marginal trajectories (times k / 200)
    _FIELDS = (marginal_field, naive_field)   # left panel, right panel
    _CAR_ARROW = 1.1    # length of the car's arrows (directions only, like the field's arrows)

    def update(self, **changes) -> None:
        if "car" in changes:
            _check_car(changes["car"])
        super().update(**changes)

    # -- build once -----------------------------------------------------------------------
    def _build(self) -> None:
        _check_car(self.params["car"])
        self.mixture = data.two_cities()
        self.mean = self.mixture.mean()
        self._density_cache: dict = {}
        pad = 0.35
        self.arrow_grid = data.rect_grid((_EXTENT[0] + pad, _EXTENT[1] - pad, _EXTENT[2] + pad, _EXTENT[3] - pad),
                                         self._N_ARROWS).reshape(-1, 2)
        self.spacing = (_EXTENT[1] - _EXTENT[0] - 2 * pad) / (self._N_ARROWS - 1)
        self.eps = np.random.default_rng(0).standard_normal((self._N_DOTS, 2))
        self._trajectories: dict = {}
        self.cmap = colormaps[DENSITY_CMAP]

        grid = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 0.66], height_ratios=[1.1, 1])
        ax_true, ax_naive = self.fig.add_subplot(grid[:, 0]), self.fig.add_subplot(grid[:, 1])
        ax_post, ax_info = self.fig.add_subplot(grid[0, 2]), self.fig.add_subplot(grid[1, 2])
        _axes_of_map(ax_true, "marginal field $u_t(x)$ (posterior weights)")
        _axes_of_map(ax_naive, "naive average (prior weights)")
        self.images, self.quivers, self.car_arrows, self.dots, self.car_markers = [], [], [], [], []
        self.car_names = []
        for ax, colour in ((ax_true, COLORS["field"]), (ax_naive, COLORS["naive"])):
            # p_t, evaluated at the centre of every pixel and coloured here (see _PixelImage).
            self.images.append(self.dynamic(_PixelImage(ax, self._density_pixels)))
            # Blitting draws the dynamic artists over the static background, so whatever must stay
            # visible on top of the density image is registered as dynamic too, after the image.
            self.quivers.append(self.dynamic(ax.quiver(
                *self.arrow_grid.T, np.zeros(len(self.arrow_grid)), np.zeros(len(self.arrow_grid)),
                angles="xy", scale_units="xy", scale=1.0, width=0.006, color=colour, edgecolor="white",
                linewidth=0.4)))
            self.dots.append(self.dynamic(ax.scatter(np.zeros(self._N_DOTS), np.zeros(self._N_DOTS), s=7,
                                                     facecolor="white", edgecolor="black", linewidths=0.3)))
            self.car_arrows.append(self.dynamic(ax.quiver(
                [0.0], [0.0], [0.0], [0.0], angles="xy", scale_units="xy", scale=1.0, width=0.016,
                color=COLORS["accent"], edgecolor="white", linewidth=0.8)))
            # Names on the left map only: the right one shows the same places, and every dynamic glyph is
            # redrawn at every step (eight boxed names cost about as much as the rest of a frame).
            named = ax is ax_true
            for artist in _mark_cities(ax, labels=named):
                self.dynamic(artist)
            self.car_markers.append(self.dynamic(ax.plot([], [], marker="o", ms=9, color=COLORS["accent"],
                                                         mec="white", mew=1.5, ls="none")[0]))
            if named:
                self.car_names.append(self.dynamic(ax.text(0.0, 0.0, "", fontsize=7.5, ha="left", va="top",
                                                           zorder=6, color="white", bbox=_LABEL_BOX)))
        self.undefined_texts = [self.dynamic(ax.text(
            0.5, 0.3, "", transform=ax.transAxes, ha="center", va="center", fontsize=8.5,
            bbox={"boxstyle": "round", "fc": "white", "ec": colour, "alpha": 0.9}))
            for ax, colour in ((ax_true, COLORS["field"]), (ax_naive, COLORS["naive"]))]
        self._undefined_reason = ["", ""]

        positions = np.arange(len(_DESTINATIONS))
        bars = ax_post.bar(positions, [0.5, 0.5], width=0.6, color=COLORS["data"], edgecolor="black")
        for bar, hatch in zip(bars, ("", "//")):
            bar.set_hatch(hatch)
        self.bars = [self.dynamic(bar) for bar in bars]
        ax_post.axhline(0.5, color="black", ls="--", lw=1.2)
        ax_post.set(xticks=positions, xticklabels=["Los\nAngeles", "Las\nVegas"], ylim=(0, 1.15), xlim=(-0.6, 1.6),
                    ylabel="$p(k \\mid x, t)$")
        ax_post.set_title("where is the car going?", fontsize=9.5)
        ax_post.tick_params(axis="x", labelsize=8.5)

        ax_info.set_axis_off()
        handles = [
            Line2D([], [], marker="*", ms=11, color=COLORS["data"], mec="k", ls="none"),
            Line2D([], [], marker="o", ms=6, color=COLORS["noise"], mec="k", ls="none"),
            Line2D([], [], marker="o", ms=8, color=COLORS["accent"], mec="white", ls="none"),
            Line2D([], [], marker="o", ms=4, color="white", mec="black", mew=0.5, ls="none"),
            Line2D([], [], color="black", ls="--", lw=1.2),
        ]
        labels = ["Los Angeles (W), Las Vegas (NE)", "San Diego (centre of the noise)",
                  "the car (arrow: direction only)", "cars following each field", "prior weights (naive)"]
        ax_info.legend(handles, labels, loc="upper left", fontsize=7.5, frameon=False, borderaxespad=0.0,
                       handletextpad=0.3)
        # Every dynamic glyph is redrawn at every step (about 0.2 ms each), so the moving text is kept short.
        # A suptitle, so that the layout leaves room for it (laid out once with a long placeholder).
        self.time_label = self.dynamic(self.fig.suptitle("t = 0.00   Polynomial(n=2)", x=0.01, ha="left",
                                                         fontsize=10.5))

    # -- what changes ---------------------------------------------------------------------
    def marginal_trajectory(self) -> np.ndarray:
        """Positions of the left panel's dots at the times k / 200, (201, n, 2); cached per schedule.

        Euler steps along u_t (``fm_helpers.ode.integrate``): they never evaluate the field at
        t = 1, where a schedule may leave it undefined.
        """
        schedule = self.schedule
        if schedule not in self._trajectories:
            self._trajectories[schedule] = marginal_trajectories(schedule, self.mixture, self.eps, self._STEPS,
                                                                 "euler")[1]
        return self._trajectories[schedule]

    def _density_pixels(self, points: np.ndarray) -> np.ndarray:
        """p_t at ``points`` (h, w, 2) as RGBA bytes, normalised to its maximum; shared by both maps.

        p_t is evaluated at every second pixel in each direction (the centres of 2 x 2 blocks) and each
        value fills its block: a quarter of the work, and no visible difference for a smooth density.
        """
        key = points.shape
        if key not in self._density_cache:
            h, w = key[:2]
            centres = 0.5 * (points[:-1:2, :-1:2] + points[1::2, 1::2])
            p = marginal_density(self.path, self.mixture, centres, self.values)
            blocks = self.cmap(p / p.max(), bytes=True).repeat(2, axis=0).repeat(2, axis=1)
            rgba = np.empty((h, w, 4), dtype=np.uint8)
            rgba[: blocks.shape[0], : blocks.shape[1]] = blocks
            rgba[blocks.shape[0]:, : blocks.shape[1]] = blocks[-1:]          # an odd last row or column
            rgba[:, blocks.shape[1]:] = rgba[:, blocks.shape[1] - 1: blocks.shape[1]]
            self._density_cache[key] = rgba
        return self._density_cache[key]

    def _true_dots(self) -> np.ndarray:
        trajectory = self.marginal_trajectory()
        where = self.t * self._STEPS
        k = min(int(np.floor(where)), self._STEPS - 1)
        frac = where - k
        return (1.0 - frac) * trajectory[k] + frac * trajectory[k + 1]

    def _field_or_none(self, panel: int, x):
        """The panel's field at x (marginal or naive), or None where it is undefined (ValueError)."""
        try:
            return self._FIELDS[panel](self.path, self.mixture, x, self.values)
        except ValueError as err:
            self._undefined_reason[panel] = str(err)
            return None

    def _draw(self, changed: set[str]) -> None:
        t, path, mixture, values = self.t, self.path, self.mixture, self.values
        car = np.asarray(CARS[self.params["car"]], dtype=float)
        if changed & {"t", "schedule"}:
            self._density_cache.clear()
            for image in self.images:
                image.stale = True
            self.dots[0].set_offsets(self._true_dots())
            # The naive field is the conditional field of the single point E[z] (eq-naive-field),
            # so its flow is psi_t(eps | E[z]): defined at t = 1 even where the field is not.
            self.dots[1].set_offsets(path.flow(self.eps, self.mean, values))
            self._defined = []
            for panel in (0, 1):
                field = self._field_or_none(panel, self.arrow_grid)
                self._defined.append(field is not None)
                if field is not None:
                    self.quivers[panel].set_UVC(*_directions(field, 0.75 * self.spacing).T)
                    self.undefined_texts[panel].set_text("")
                elif panel == 1 and values.beta == 0:
                    # Short: every glyph of a dynamic text is redrawn at every step.
                    self.undefined_texts[panel].set_text("undefined at t = 1 (divides by beta_t = 0);\n"
                                                         "its cars have all reached E[z]")
                else:
                    name = ("marginal field", "naive average")[panel]
                    self.undefined_texts[panel].set_text(
                        f"the {name} cannot be\nevaluated here:\n" + "\n".join(
                            textwrap.wrap(self._undefined_reason[panel], 34)))
                for artist in (self.quivers[panel], self.car_arrows[panel]):
                    artist.set_visible(self._defined[panel])
                self.undefined_texts[panel].set_visible(not self._defined[panel])

        for marker in self.car_markers:
            marker.set_data([car[0]], [car[1]])
        # The car's place by name, below right of it; a city is already named by its own label.
        for name in self.car_names:
            at_city = self.params["car"] in _LABELLED_CITIES
            name.set_text("" if at_city else self.params["car"])
            name.set_position((car[0] + 0.15, car[1] - 0.12))
        weights = posterior_weights(path, mixture, car, values)
        for bar, w in zip(self.bars, weights):
            bar.set_height(w)
        for panel in (0, 1):
            if self._defined[panel]:
                self.car_arrows[panel].set_offsets([car])
                self.car_arrows[panel].set_UVC(*_directions(self._field_or_none(panel, car), self._CAR_ARROW))
        self.time_label.set_text(f"t = {t:.2f}   {self.schedule.name}")


# --------------------------------------------------------------------------------------
# Static figures


def two_fates_figure(schedule: Schedule | str = "CondOT", n: int = 200, seed: int = 0, steps: int = 200) -> Figure:
    """Trajectories of n noise samples following the marginal field (left) and the naive average (right)."""
    times, true, naive = follow_fields(schedule, n, seed, steps)
    fig = Figure(figsize=(8.0, 4.2), dpi=80, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    titles = ("following the marginal field $u_t(x)$", "following the naive average")
    # Light solid colours rather than transparency: the same look, a PNG a fraction of the size.
    faint = (_lighter(COLORS["field"], 0.65), _lighter(COLORS["naive"], 0.55))
    for ax, trajectory, title, colour in zip(axes, (true, naive), titles, faint):
        _axes_of_map(ax, title)
        ax.add_collection(LineCollection(trajectory.transpose(1, 0, 2), colors=colour, linewidths=0.4,
                                         zorder=1))
        ax.scatter(*trajectory[0].T, s=6, color=COLORS["noise"], zorder=2, label="start $X_0 \\sim N(0, I)$")
        ax.scatter(*trajectory[-1].T, s=14, marker="D", facecolor=COLORS["data"], edgecolor="black",
                   linewidths=0.4, zorder=3, label="end $X_1$")
        _mark_cities(ax)
        ax.legend(loc="lower right", fontsize=7.5)
    axes[1].set_ylabel("")
    return fig


def posterior_mean(path: GaussianPath, mixture: data.GaussianMixture, x, t) -> np.ndarray:
    """E[z | x_t = x] for a Gaussian mixture (eq-mixture-posterior), shape (..., d).

    sum_k p(k | x, t) (mu_k + alpha_t sigma_k^2 / nu_k (x - alpha_t mu_k)), nu_k = alpha_t^2 sigma_k^2 + beta_t^2.
    """
    x = np.asarray(x, dtype=float)
    values = path.at(t)
    alpha, beta = values.alpha, values.beta
    var = alpha**2 * mixture.stds**2 + beta**2
    given_k = mixture.means + (alpha * mixture.stds**2 / var)[:, None] * (x[..., None, :] - alpha * mixture.means)
    return np.einsum("...k,...kd->...d", posterior_weights(path, mixture, x, values), given_k)


def irvine_figure(t: float = 0.5, schedule: Schedule | str = "CondOT") -> Figure:
    """Left: at Irvine, the GPS arrow towards each city, their naive (1/2, 1/2) average and the marginal
    field, each drawn as the displacement over the remaining time 1 - t. Right: the posterior weight of
    Los Angeles for a car at Irvine, against t, for the four schedules."""
    path = GaussianPath(resolve_schedule(schedule))
    mixture = data.two_cities()
    x = np.asarray(data.CITIES["Irvine"], dtype=float)
    values = path.schedule.at(t, single=True)  # evaluated once for every quantity below
    t = values.t
    towards = path.conditional_field(x[None, :], mixture.means, values)   # u_t(x | mu_k), the GPS towards each city
    weights = posterior_weights(path, mixture, x, values)
    true, naive = marginal_field(path, mixture, x, values), naive_field(path, mixture, x, values)

    fig = Figure(figsize=(8.0, 4.9), dpi=80, layout="constrained")
    ax_map, ax_w = fig.subplots(1, 2, width_ratios=[1.0, 1.0])
    remaining = 1.0 - t
    arrows = [  # drawn in this order: the thick marginal arrow first, so the thin ones stay visible on top
        (true, COLORS["field"], "-", 4.0, "marginal field $u_t(x)$ (posterior weights)"),
        (naive, COLORS["naive"], ":", 2.6, "naive average (weights 1/2, 1/2)"),
        (towards[0], COLORS["conditional"], "-", 1.4, f"towards Los Angeles, posterior {weights[0]:.3f}"),
        (towards[1], COLORS["conditional"], "--", 1.4, f"towards Las Vegas, posterior {weights[1]:.3f}"),
    ]
    for vector, colour, style, width, label in arrows:
        ax_map.annotate("", xy=x + remaining * vector, xytext=x,
                        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": width, "ls": style,
                                    "mutation_scale": 12 + 2 * width, "shrinkA": 0, "shrinkB": 0})
        ax_map.plot([], [], color=colour, ls=style, lw=width, label=label)
    ax_map.plot(*x, marker="o", ms=9, color=COLORS["accent"], mec="black", ls="none", zorder=5, label="car at Irvine")
    ax_map.plot(*mixture.mean(), marker="X", ms=9, color=COLORS["naive"], mec="black", ls="none", zorder=5,
                label="$E[z]$, the prior mean")
    ax_map.plot(*posterior_mean(path, mixture, x, values), marker="P", ms=9, color=COLORS["field"], mec="white",
                ls="none", zorder=5, label="$E[z \\mid x, t]$, the posterior mean")
    ax_map.text(x[0] + 0.12, x[1] - 0.12, "Irvine", ha="left", va="top", fontsize=8)
    ax_map.plot(*mixture.means.T, marker="*", ms=14, color=COLORS["data"], mec="k", ls="none", zorder=4)
    for name in _DESTINATIONS:
        cx, cy = data.CITIES[name]
        ax_map.text(cx, cy + 0.22, name, ha="center", fontsize=8)
    ax_map.plot(*data.CITIES["San Diego"], marker="o", ms=6, color=COLORS["noise"], mec="k", ls="none")
    ax_map.text(0.1, -0.15, "San Diego", fontsize=8, va="top")
    ax_map.set(xlim=(-2.3, 2.7), ylim=(-0.5, 4.5), aspect="equal", xlabel="east (100 km)", ylabel="north (100 km)")
    ax_map.set_title(f"velocities at Irvine, t = {t:g}, {path.schedule.name}\n"
                     f"(arrow = distance covered in the remaining time {remaining:g})", fontsize=9)
    fig.legend(*ax_map.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=8)

    ts = np.linspace(0.0, 1.0, 201)
    for (name, sched), style in zip(named_schedules().items(), schedule_styles(named_schedules())):
        p = GaussianPath(sched)
        w_la = [posterior_weights(p, mixture, x, float(s))[0] for s in ts]
        ax_w.plot(ts, w_la, ls=style["ls"], color=style["color"], lw=1.8, label=name)
    ax_w.axhline(0.5, color="grey", lw=1, ls=(0, (1, 3)))
    ax_w.axvline(t, color="black", lw=0.8, ls=(0, (4, 2)))
    ax_w.set(xlim=(0, 1), ylim=(0.45, 1.01), xlabel="time $t$", ylabel="$p(\\mathrm{Los\\ Angeles} \\mid x, t)$")
    ax_w.set_title("posterior weight of Los Angeles\nfor a car at Irvine", fontsize=9)
    ax_w.legend(loc="lower right", fontsize=8)
    return fig


def monte_carlo_figure(sample_counts, errors, point_names) -> Figure:
    """Error of the Monte Carlo estimate against M on log axes.

    ``errors`` has shape (n_points, n_seeds, len(sample_counts)): one faint line per seed, the median
    over seeds as a thick line with markers, and a 1/sqrt(M) line through the first median.
    """
    m = np.asarray(sample_counts, dtype=float)
    errors = np.asarray(errors, dtype=float)
    if errors.ndim != 3 or errors.shape[2] != m.size or errors.shape[0] != len(point_names):
        raise ValueError(f"errors must have shape (n_points, n_seeds, {m.size}) with one row per point name, "
                         f"got {errors.shape}")
    fig = Figure(figsize=(6.4, 4.2), dpi=80, layout="constrained")
    ax = fig.subplots()
    markers = ("o", "s", "^", "D")
    colours = (COLORS["field"], COLORS["accent"], COLORS["conditional"], COLORS["data"])
    for i, name in enumerate(point_names):
        colour = colours[i % len(colours)]
        for seed_errors in errors[i]:
            ax.plot(m, seed_errors, color=_lighter(colour, 0.7), lw=0.5)
        median = np.median(errors[i], axis=0)
        ax.plot(m, median, color=colour, ls=_LINESTYLES[i % 4], marker=markers[i % 4], lw=1.8,
                label=f"median error at {name}")
    anchor = np.median(errors[:, :, 0])
    ax.plot(m, anchor * np.sqrt(m[0] / m), color="black", lw=1.2, ls=(0, (6, 3)), label="$\\propto 1/\\sqrt{M}$")
    ax.set(xscale="log", yscale="log", xlabel="number of data samples $M$",
           ylabel="$|\\hat u_t(x) - u_t(x)|$")
    ax.set_title("Monte Carlo estimate against the closed form", fontsize=10)
    ax.legend(fontsize=8)
    return fig
