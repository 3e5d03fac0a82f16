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
from PIL.PngImagePlugin import PngInfo

from ..paths import GaussianPath
from ..schedules import Schedule, ScheduleValues, named_schedules, resolve_schedule

__all__ = ["LiveFigure", "COLORS", "DENSITY_CMAP", "SCHEDULE_STYLES", "schedule_styles", "resolve_schedule",
           "static_figure", "book_times", "declare_t", "declare_schedule", "COLUMN_CSS_PX", "MIN_TEXT_CSS_PX",
           "enlarge_small_text", "smallest_text_px", "retina_png", "use_retina_display"]

#: One visual grammar across the book: noise and data keep their colours everywhere.
COLORS = {
    "noise": "#4c72b0",       # p_init, starts, eps
    "data": "#dd8452",        # p_data, destinations z
    "field": "#2f2f2f",       # the marginal field u_t(x)
    "conditional": "#55a868",  # conditional fields and paths u_t(x|z)
    "naive": "#c44e52",       # the naive unweighted average
    "accent": "#8172b3",
    "learned": "#d81b60",     # a learned field v_theta: saturated, so it reads on light and dark backgrounds
}
#: Densities use a perceptually uniform colormap that still reads in grey.
DENSITY_CMAP = "viridis"
#: The part of the plane the two-city maps show: east from, east to, north from, north to (100 km around San Diego).
MAP_EXTENT = (-3.5, 4.5, -2.5, 5.5)

#: One colour (and line style and marker, so that the lines still differ in grey) per schedule, in every
#: figure of the book that compares schedules. Okabe-Ito colours: told apart with any colour vision.
SCHEDULE_STYLES = {
    "CondOT": {"color": "#0072b2", "ls": "-", "marker": "o"},
    "Cosine": {"color": "#d55e00", "ls": "--", "marker": "s"},
    "Polynomial(n=2)": {"color": "#009e73", "ls": "-.", "marker": "^"},
    "LinearVP": {"color": "#cc79a7", "ls": ":", "marker": "D"},
}
#: Schedules outside the four named ones (built in a notebook, typed in chapter 7) take these in turn.
OTHER_SCHEDULE_STYLES = (
    {"color": "#e69f00", "ls": (0, (5, 1.5, 1, 1.5, 1, 1.5)), "marker": "v"},
    {"color": "#56b4e9", "ls": (0, (1, 1)), "marker": "P"},
    {"color": "#000000", "ls": (0, (8, 2)), "marker": "X"},
)


def schedule_styles(names) -> list[dict]:
    """The style (color, ls, marker) of each schedule name, in order: the book's own for the four named
    schedules, the next free one of ``OTHER_SCHEDULE_STYLES`` for any other name."""
    styles, others = [], 0
    for name in names:
        name = getattr(name, "name", name)
        if name in SCHEDULE_STYLES:
            styles.append(dict(SCHEDULE_STYLES[name]))
        else:
            styles.append(dict(OTHER_SCHEDULE_STYLES[others % len(OTHER_SCHEDULE_STYLES)]))
            others += 1
    return styles


# -- legible text ------------------------------------------------------------------------
#: Width of a notebook output (an image, a player frame) in CSS px at a desktop window (1280 px, sphinx-book-theme,
#: measured in Chromium). A figure wider than this at its 1x size (figsize * dpi) is shown scaled down to it.
COLUMN_CSS_PX = 672
#: No text in a figure is smaller than this on the page (CSS px, at the column width above); 10 px is the
#: floor the book promises, the rest is a margin for rounding in the browser.
MIN_TEXT_CSS_PX = 10.5


def _width_px(fig: Figure) -> float:
    return float(fig.get_figwidth() * fig.dpi)


def min_font_points(fig: Figure) -> float:
    """The smallest font size (points) that is still MIN_TEXT_CSS_PX on the page for this figure."""
    shown = min(_width_px(fig), COLUMN_CSS_PX)  # CSS px the figure occupies on the page
    css_px_per_point = shown / (fig.get_figwidth() * 72.0)
    return MIN_TEXT_CSS_PX / css_px_per_point


def _texts(fig: Figure, shown_only: bool = True):
    """The Text artists of ``fig``: those a reader sees now, or (``shown_only=False``) every one, including
    notes that are empty or hidden until a control shows them."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if not shown_only or (text.get_visible() and text.get_text().strip()):
            yield text


def enlarge_small_text(fig: Figure) -> None:
    """Raise every text of ``fig`` (tick labels included) to at least ``min_font_points(fig)``.

    Call before the figure is laid out: a constrained layout then makes room for the larger text.
    """
    floor = min_font_points(fig)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            # through tick_params, so that ticks matplotlib creates later get the size too
            for which, ticks in (("major", axis.get_major_ticks()), ("minor", axis.get_minor_ticks())):
                if ticks and ticks[0].label1.get_fontsize() < floor:
                    axis.set_tick_params(which=which, labelsize=floor)
    for text in _texts(fig, shown_only=False):  # empty notes too: a control may fill them later
        if text.get_fontsize() < floor:
            text.set_fontsize(floor)


def smallest_text_px(fig: Figure, shown_only: bool = True) -> float:
    """Font size of the smallest text of ``fig`` in pixels of its 1x image (figsize * dpi): of the text shown
    now, or (``shown_only=False``) of every text artist, including empty or hidden notes."""
    fig.canvas.draw()  # creates the tick labels the figure will actually show
    sizes = [text.get_fontsize() for text in _texts(fig, shown_only)]
    return min(sizes, default=float("inf")) * fig.dpi / 72.0


def retina_png(fig: Figure) -> tuple[bytes, dict]:
    """``fig`` as a PNG at twice its dpi, with the size to show it at (its 1x size) as IPython metadata.

    Screens with two device pixels per CSS pixel (most phones and laptops) then get every pixel they can
    show. The PNG carries the size of its smallest text at 1x in a text chunk ``fm:smallest-text-px``,
    which the browser tests read to check what a reader sees. Small text is enlarged first
    (``enlarge_small_text``), so a figure is legible wherever it is shown.
    """
    enlarge_small_text(fig)
    smallest = smallest_text_px(fig)
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", dpi=2 * fig.dpi, facecolor="white")
    rgb = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    height, width = rgb.shape[:2]
    return small_png(rgb, smallest), {"width": width // 2, "height": height // 2}


def small_png(rgb: np.ndarray, smallest_text_px: float) -> bytes:
    """A PNG of an (H, W, 3) image with a 256-colour palette (a third to a quarter of the bytes of full
    colour for these figures, which keeps a chapter's first load within 2 MiB), tagged with the size of
    its smallest text at 1x (``fm:smallest-text-px``, read by the browser tests)."""
    info = PngInfo()
    info.add_text("fm:smallest-text-px", f"{smallest_text_px:.3f}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        buffer, format="png", pnginfo=info, optimize=True)
    return buffer.getvalue()


class Snapshot:
    """A LiveFigure as it is now, as a 2x PNG that IPython shows at its 1x size (see LiveFigure.snapshot).

    Its text form (the ``text/plain`` stored beside the image) is the figure's alt text: what a plain-text
    front end shows instead of the picture, and the same in every run (no memory address).
    """

    def __init__(self, png: bytes, width: int, height: int, alt: str = ""):
        self.png, self.width, self.height, self.alt = png, width, height, alt

    def _repr_png_(self):
        return self.png, {"width": self.width, "height": self.height}

    def __repr__(self) -> str:  # the text a notebook stores beside the image: no module path, no memory address
        described = f": {self.alt.strip()}" if self.alt.strip() else ""
        return f"<snapshot of a live figure, {self.width} x {self.height} px{described}>"


def use_retina_display() -> None:
    """Show matplotlib figures in IPython as ``retina_png`` (a 2x image at 1x size; still a plain PNG).

    Called when ``fm_helpers.figures`` is imported; without IPython it does nothing. A later
    ``%matplotlib inline`` puts matplotlib's own formatter back: import the figures after it.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    shell.display_formatter.formatters["image/png"].for_type(Figure, retina_png)


def static_figure(figsize: tuple[float, float], dpi: int = 80) -> Figure:
    """A plain (static) figure with an Agg canvas and constrained layout, outside pyplot."""
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def book_times(*extra: float) -> tuple[float, ...]:
    """The 41 values of t the book's kernel-free players show, plus ``extra``: every 0.05 up to 0.6, every
    0.025 up to 0.8, every 0.01 up to 1, denser near t = 1, where most chapters' story happens.

    Built from whole thousandths so that 0.5, 0.95 and 1.0 are exactly the numbers a reader types."""
    thousandths = [*range(0, 600, 50), *range(600, 800, 25), *range(800, 1001, 10)]
    return tuple(sorted({k / 1000 for k in thousandths} | {float(t) for t in extra}))


def declare_t(static=None) -> dict:
    """The declaration of a figure's t control; ``static``: the values the book's player renders."""
    values = book_times() if static is None else tuple(float(t) for t in static)
    return {"kind": "float", "min": 0.0, "max": 1.0, "step": 0.01, "description": "t", "static": values}


def declare_schedule(options=None) -> dict:
    """The declaration of a figure's schedule control: the four named schedules unless ``options`` says otherwise."""
    names = list(named_schedules()) if options is None else list(options)
    return {"kind": "choice", "options": names, "description": "schedule", "static": names}



class LiveFigure:
    """Base class of the book's live figures.

    Subclasses set ``title``, ``caption``, ``alt`` (text for readers who cannot see the
    figure), ``figsize``, optionally ``extra_controls`` (name -> declaration), and implement
    ``_build()`` (create axes and artists) and ``_draw(changed)`` (update artists for the
    parameter names in ``changed``). Every figure has the parameters ``t`` and ``schedule``;
    subclasses add their own through ``defaults``.

    Controls are declared in one place, ``controls()``: ``t_control``, ``schedule_control`` and
    ``extra_controls``, each a dict with ``kind`` (``float``, ``int`` or ``choice``), ``description``,
    ``min``/``max``/``step`` or ``options``, and optionally ``static``: the finite list of values the
    book's kernel-free player renders. A control without ``static`` is live-only: the player keeps the
    value the notebook set. Both the widget module's ``Explorer`` (ipywidgets) and
    ``StaticPlayer`` (the web page) are built from this declaration.
    """

    title: str = "figure"
    caption: str = ""
    alt: str = ""
    figsize: tuple[float, float] = (7.5, 3.4)
    dpi: int = 80
    #: WebP quality of the book's player frames (0-100; lower for figures whose frames are heavy)
    frame_quality: int = 80
    defaults: dict[str, Any] = {}
    t_control: dict = declare_t()
    schedule_control: dict = declare_schedule()
    extra_controls: dict[str, dict] = {}

    def __init__(self, t: float = 0.5, schedule: Schedule | str = "CondOT", **params):
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; it takes t, schedule"
                             + "".join(f", {name}" for name in self.defaults))
        schedule = resolve_schedule(schedule)
        self._values = self._evaluate_schedule(schedule, t)
        self.params = {**self.defaults, **params, "t": self._values.t, "schedule": schedule}
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        self._dynamic_artists: list = []
        self._background = None
        self._build()
        self._draw(set(self.params))
        enlarge_small_text(self.fig)
        # Lay the figure out once, then freeze it: a layout engine would redo it at every draw.
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")

    # -- the public surface ---------------------------------------------------------------
    @classmethod
    def controls(cls) -> dict[str, dict]:
        """Every control of the figure, in display order: t, schedule, then the figure's own."""
        return {"t": cls.t_control, "schedule": cls.schedule_control, **cls.extra_controls}

    def control_value(self, name: str, option):
        """The parameter value behind a control option (an option is what the reader sees, e.g. a name)."""
        return option

    @property
    def t(self) -> float:
        return self.params["t"]

    @property
    def schedule(self) -> Schedule:
        return self.params["schedule"]

    @property
    def path(self) -> GaussianPath:
        return GaussianPath(self.schedule)

    @property
    def values(self) -> ScheduleValues:
        """The schedule's values at the current t, evaluated once per change of t or schedule.

        Pass them wherever fm_helpers takes a time (``marginal_field(path, mixture, x, self.values)``):
        the schedule is then not evaluated again, and t not checked again, during a redraw.
        """
        return self._values

    def update(self, **changes) -> None:
        """Change some parameters and redraw only what depends on them."""
        unknown = set(changes) - set(self.params)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}")
        values = self._values
        if "t" in changes or "schedule" in changes:
            # t is checked, and the schedule evaluated, here once for the whole redraw (see ``values``)
            if "schedule" in changes:
                changes["schedule"] = resolve_schedule(changes["schedule"])
            values = self._evaluate_schedule(changes.get("schedule", self.schedule), changes.get("t", self.t))
            if "t" in changes:
                changes["t"] = values.t
        changed = {k for k, v in changes.items() if not _same(self.params[k], v)}
        if not changed:
            return
        previous, previous_values = dict(self.params), self._values
        self.params.update(changes)
        self._values = values
        try:
            self._draw(changed)
        except Exception as err:
            # keep parameters and picture in step: go back to the last state that could be drawn
            self.params, self._values = previous, previous_values
            self._redraw_after_failure(changed)
            if isinstance(err, ValueError):
                raise
            shown = ", ".join(f"{k}={changes[k]!r}" for k in sorted(changed))
            raise ValueError(f"{type(self).__name__} cannot be drawn with {shown} ({type(err).__name__}: {err}); "
                             "the figure keeps its previous parameters") from err

    def _redraw_after_failure(self, changed: set[str]) -> None:
        """Draw the restored parameters; if redrawing only ``changed`` fails too, redraw everything."""
        try:
            self._draw(changed)
        except Exception:
            self.invalidate_background()
            self._draw(set(self.params))

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

    def snapshot(self) -> Snapshot:
        """The figure as it is now, moving parts included, as a 2x PNG shown at 1x size (``retina_png``
        draws a Figure without its animated artists, so a LiveFigure is shown through this)."""
        fig, dpi = self.fig, self.fig.dpi
        smallest = smallest_text_px(fig)
        fig.set_dpi(2 * dpi)
        self.invalidate_background()
        try:
            rgb = self.render()[..., :3].copy()
        finally:
            fig.set_dpi(dpi)
            self.invalidate_background()
        return Snapshot(small_png(rgb, smallest), rgb.shape[1] // 2, rgb.shape[0] // 2, self.alt)

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

    def _evaluate_schedule(self, schedule: Schedule, t) -> ScheduleValues:
        """The schedule's values at one t: the one check of t and evaluation of the schedule behind a redraw
        (``values``). A figure that also needs nearby times overrides this to evaluate them in the same call."""
        return schedule.at(t, single=True)

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


use_retina_display()
