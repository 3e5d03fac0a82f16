"""One call shows a ``LiveFigure`` with controls, live in Jupyter and kernel-free in the book.

``explore(figure)`` returns

* in a live kernel: ipywidgets (a t slider, a schedule selector and the figure's own
  controls) above an image of the figure; a control change calls ``figure.update`` and
  sends one new PNG. It needs only ``ipywidgets``: no extension step, and it behaves the
  same in JupyterLab, Notebook 7 and VS Code;
* when the book is built (the Makefile sets ``FM_STATIC=1``): a ``StaticPlayer`` whose
  HTML holds frames rendered now, at ``figure.static_times`` for each of the four named
  schedules, and a range input and a select that swap frames with a few lines of script
  (``_static/fm-player.js``). No kernel, no network, no dead ipywidgets on the page.
"""

from __future__ import annotations

import base64
import html
import json
import os

import numpy as np

from .figures.base import LiveFigure
from .schedules import named_schedules

__all__ = ["explore", "static_mode", "StaticPlayer", "Explorer"]

RUN_LOCALLY_NOTE = ("Frames rendered when the book was built. To move every control freely, download this "
                    "notebook (the download button at the top of the page) and run it in Jupyter.")


def static_mode() -> bool:
    """True while the book build executes the notebooks (``FM_STATIC=1``)."""
    return os.environ.get("FM_STATIC", "") == "1"


def explore(figure: LiveFigure):
    """Show ``figure`` with a t slider, a schedule selector and its own controls (see module doc)."""
    if not isinstance(figure, LiveFigure):
        raise ValueError(f"explore needs a LiveFigure from fm_helpers.figures, got {type(figure).__name__}")
    return StaticPlayer(figure) if static_mode() else Explorer(figure)


class StaticPlayer:
    """Frames of a figure over t and the schedules, as a self-contained HTML player."""

    def __init__(self, figure: LiveFigure, times=None):
        self.figure = figure
        self.times = np.asarray(figure.static_times if times is None else times, dtype=float)
        self.schedule_names = list(named_schedules())
        start = dict(figure.params)
        self.frames = []
        try:
            for name in self.schedule_names:
                row = []
                for t in self.times:
                    figure.update(schedule=name, t=float(t))
                    row.append("data:image/png;base64," + base64.b64encode(figure.png(fast=False)).decode("ascii"))
                self.frames.append(row)
        finally:  # a frame that fails to render must not leave the notebook's figure at another t or schedule
            figure.update(t=start["t"], schedule=start["schedule"])
        self.start_t = int(np.argmin(np.abs(self.times - start["t"])))
        self.start_schedule = self.schedule_names.index(start["schedule"].name) \
            if start["schedule"].name in self.schedule_names else 0

    def _repr_html_(self) -> str:
        f = self.figure
        width, height = (f.fig.get_size_inches() * f.dpi).round().astype(int)
        data = {"t": [round(float(t), 4) for t in self.times], "schedules": self.schedule_names,
                "frames": self.frames, "alt": f.alt}
        options = "".join(f'<option value="{i}"{" selected" if i == self.start_schedule else ""}>'
                          f"{html.escape(name)}</option>" for i, name in enumerate(self.schedule_names))
        first = self.frames[self.start_schedule][self.start_t]
        t0 = self.times[self.start_t]
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return (
            f'<figure class="fm-player" data-title="{html.escape(f.title)}">'
            f'<img class="fm-player-frame" src="{first}" width="{width}" height="{height}" '
            f'alt="{html.escape(f.alt)}">'
            '<div class="fm-player-controls">'
            f'<label>t = <output class="fm-player-t-value">{t0:.2f}</output> '
            f'<input type="range" class="fm-player-t" min="0" max="{len(self.times) - 1}" step="1" '
            f'value="{self.start_t}" aria-label="time t"></label> '
            f'<label>schedule <select class="fm-player-schedule" aria-label="schedule">{options}</select></label>'
            "</div>"
            f'<figcaption>{html.escape(f.caption)} <span class="fm-player-note">{RUN_LOCALLY_NOTE}</span></figcaption>'
            f'<script type="application/json" class="fm-player-data">{payload}</script>'
            "</figure>"
        )

    def __repr__(self) -> str:
        return f"<static player: {self.figure.title}, {len(self.times)} times x {len(self.schedule_names)} schedules>"


def _control_widget(name: str, spec: dict, value):
    import ipywidgets as w

    kind = spec.get("kind", "float")
    label = spec.get("description", name)
    style = {"description_width": "initial"}
    if kind == "float":
        return w.FloatSlider(value=value, min=spec["min"], max=spec["max"], step=spec.get("step", 0.01),
                             description=label, continuous_update=True, style=style)
    if kind == "int":
        return w.IntSlider(value=value, min=spec["min"], max=spec["max"], step=spec.get("step", 1),
                           description=label, continuous_update=False, style=style)
    if kind == "choice":
        return w.Dropdown(options=spec["options"], value=value, description=label, style=style)
    raise ValueError(f"unknown control kind {kind!r} for {name!r}; use float, int or choice")


def _explorer_base():
    import ipywidgets as w

    return w.VBox


class Explorer(_explorer_base()):
    """ipywidgets controls above the figure's image; each change redraws only what changed."""

    def __init__(self, figure: LiveFigure):
        import ipywidgets as w

        self.figure = figure
        self.image = w.Image(value=figure.png(), format="png", layout=w.Layout(max_width="100%"))
        t_slider = w.FloatSlider(value=figure.t, min=0.0, max=1.0, step=0.01, description="t",
                                 continuous_update=True, readout_format=".2f")
        schedule = w.Dropdown(options=list(named_schedules()), description="schedule")
        if figure.schedule.name in named_schedules():
            schedule.value = figure.schedule.name
        self.controls = {"t": t_slider, "schedule": schedule}
        for name, spec in figure.extra_controls.items():
            self.controls[name] = _control_widget(name, spec, figure.params[name])
        self.message = w.HTML()
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change["new"]), names="value")
        super().__init__([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")),
                          self.image, self.message])

    def _on_change(self, name: str, value) -> None:
        try:
            self.figure.update(**{name: value})
        except ValueError as err:  # e.g. a field undefined at this t: say so, keep the last figure
            self.message.value = f"<span style='color:#c44e52'>{html.escape(str(err))}</span>"
            return
        self.message.value = ""
        self.image.value = self.figure.png()

    def __repr__(self) -> str:
        return f"<interactive figure: {self.figure.title}>"
