"""The machinery every live figure of the book shares.

A ``LiveFigure`` builds its matplotlib artists once (``_build``) and afterwards only
changes their data (``_draw``). Artists that move are registered with ``dynamic``; the
rest (axes, ticks, labels: most of the cost of an Agg draw is text) is drawn once and
kept as a pixel background, so a slider step restores the background and draws only
the moving artists (blitting). The same object drives three front ends:

* in a live kernel, ``explore`` of the package's widget module wires it to ipywidgets;
* in the static book, ``explore`` renders it at a grid of t for every schedule and
  emits a kernel-free HTML player (see the widget module, ``explore``);
* in a notebook cell or a test, ``figure.update(t=0.3)`` then ``figure.fig``.

Figures use ``matplotlib.figure.Figure`` with an Agg canvas, not pyplot, so nothing is
shown twice and nothing leaks between figures.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..paths import GaussianPath
from ..schedules import Schedule, check_t, named_schedules

__all__ = ["LiveFigure", "COLORS", "DENSITY_CMAP", "resolve_schedule", "static_figure"]

#: One visual grammar across the book: noise and data keep their colours everywhere.
COLORS = {
    "noise": "#4c72b0",       # p_init, starts, eps
    "data": "#dd8452",        # p_data, destinations z
    "field": "#2f2f2f",       # the marginal field u_t(x)
    "conditional": "#55a868",  # conditional fields and paths u_t(x|z)
    "naive": "#c44e52",       # the naive unweighted average
    "accent": "#8172b3",
}
#: Densities use a perceptually uniform colormap that still reads in grey.
DENSITY_CMAP = "viridis"
#: The part of the plane the two-city maps show: east from, east to, north from, north to (100 km around San Diego).
MAP_EXTENT = (-3.5, 4.5, -2.5, 5.5)


def static_figure(figsize: tuple[float, float], dpi: int = 80) -> Figure:
    """A plain (static) figure with an Agg canvas and constrained layout, outside pyplot."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def resolve_schedule(schedule: Schedule | str) -> Schedule:
    """A Schedule from itself or from one of the four display names (e.g. ``"Cosine"``)."""
    if isinstance(schedule, Schedule):
        return schedule
    names = named_schedules()
    if schedule not in names:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(names)} or pass a Schedule")
    return names[schedule]


class LiveFigure:
    """Base class of the book's live figures.

    Subclasses set ``title``, ``caption``, ``alt`` (text for readers who cannot see the
    figure), ``figsize``, optionally ``extra_controls`` (name -> description, see
    the widget module), and implement ``_build()`` (create axes and artists)
    and ``_draw(changed)`` (update artists for the parameter names in ``changed``).
    Every figure has the parameters ``t`` and ``schedule``; subclasses add their own
    through ``defaults``.
    """

    title: str = "figure"
    caption: str = ""
    alt: str = ""
    figsize: tuple[float, float] = (7.5, 3.4)
    dpi: int = 80
    defaults: dict[str, Any] = {}
    extra_controls: dict[str, dict] = {}
    #: the times at which the static book renders frames (override to avoid a singular end point)
    static_times: np.ndarray = np.linspace(0.0, 1.0, 21)

    def __init__(self, t: float = 0.5, schedule: Schedule | str = "CondOT", **params):
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; it takes t, schedule"
                             + "".join(f", {name}" for name in self.defaults))
        self.params = {**self.defaults, **params, "t": float(check_t(t)), "schedule": resolve_schedule(schedule)}
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        self._dynamic_artists: list = []
        self._background = None
        self._build()
        self._draw(set(self.params))
        # Lay the figure out once, then freeze it: a layout engine would redo it at every draw.
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")

    # -- the public surface ---------------------------------------------------------------
    @property
    def t(self) -> float:
        return self.params["t"]

    @property
    def schedule(self) -> Schedule:
        return self.params["schedule"]

    @property
    def path(self) -> GaussianPath:
        return GaussianPath(self.schedule)

    def update(self, **changes) -> None:
        """Change some parameters and redraw only what depends on them."""
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}")
        if "t" in changes:
            changes["t"] = float(check_t(changes["t"]))
        if "schedule" in changes:
            changes["schedule"] = resolve_schedule(changes["schedule"])
        changed = {k for k, v in changes.items() if not _same(self.params[k], v)}
        if not changed:
            return
        previous = dict(self.params)
        self.params.update(changes)
        try:
            self._draw(changed)
        except ValueError:
            # keep parameters and picture in step: go back to the last state that could be drawn
            self.params = previous
            self._draw(changed)
            raise

    def render(self) -> np.ndarray:
        """Draw the figure and return its pixels (H, W, 4); only dynamic artists are redrawn."""
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()  # draws everything except artists marked animated
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._dynamic_artists:
            self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def png(self, fast: bool = True) -> bytes:
        """The figure as PNG bytes: fast (low compression) for widgets, small (palette) for the static book."""
        rgba = self.render()
        image = Image.fromarray(rgba[..., :3])
        buffer = io.BytesIO()
        if fast:
            image.save(buffer, format="png", compress_level=1)
        else:
            image.quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(buffer, format="png")
        return buffer.getvalue()

    # -- for subclasses -------------------------------------------------------------------
    def dynamic(self, artist):
        """Mark an artist as one that changes with the parameters (drawn at every update)."""
        artist.set_animated(True)
        self._dynamic_artists.append(artist)
        return artist

    def invalidate_background(self) -> None:
        """Call from ``_draw`` after changing a static artist (a tick range, a label)."""
        self._background = None

    def _build(self) -> None:
        raise NotImplementedError

    def _draw(self, changed: set[str]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v}" if k != "t" else f"t={v:.2f}" for k, v in self.params.items())
        return f"<{type(self).__name__} {shown}>"


def _same(a, b) -> bool:
    try:
        return bool(np.all(a == b)) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b
