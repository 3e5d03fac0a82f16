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

import sympy

from . import schedules, symbolic
from .figures.base import COLORS, LiveFigure
from .sampling import ROUTE_DATASETS
from .schedules import PRESETS, named_schedules

__all__ = ["explore", "static_mode", "StaticPlayer", "Explorer", "Playground", "PlaygroundPlayer", "playground"]

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


_CUSTOM = "(your own)"
_ERROR_COLOUR = COLORS["naive"]


# ------------------------------------------------------------------------------------------
# Chapter 7: the Explorer with a formula control (text fields for alpha_t and beta_t)
# ------------------------------------------------------------------------------------------

def playground(figure=None):
    """The schedule playground: ``Playground`` widgets in a live kernel, a ``PlaygroundPlayer`` in the static book."""
    from .figures.playground import PlaygroundFigure

    if figure is None:
        figure = PlaygroundFigure(t=0.5, schedule="CondOT")
    if not isinstance(figure, PlaygroundFigure):
        raise ValueError(f"playground needs a PlaygroundFigure, got {type(figure).__name__}")
    if static_mode():
        return PlaygroundPlayer(figure)
    return Playground(figure)


KERNEL_NOTE = ("Typing your own \u03b1\u209c and \u03b2\u209c needs a running Python kernel: the text fields, the "
               "presets and the derived formula appear when you run this notebook in Jupyter. Here the player "
               "shows the figure for the four named schedules.")


class PlaygroundPlayer(StaticPlayer):
    """The static book's stand-in for the playground: a StaticPlayer with a note about the text fields."""

    def _repr_html_(self) -> str:
        note = f'<p class="fm-player-note"><em>{html.escape(KERNEL_NOTE)}</em></p>'
        return note + super()._repr_html_()


class Playground(_explorer_base()):
    """Text fields for alpha_t and beta_t, presets, t and data controls, the figure, the derived field and messages.

    A formula pair is applied when the apply button is clicked or a field is submitted (Enter, or
    leaving the field). A bad pair leaves the figure, the derived field and the last valid formulas
    untouched and explains itself in the message area; no exception reaches the reader.
    """

    def __init__(self, figure, preset: str | None = None):
        import ipywidgets as w

        self.figure = figure
        start = figure.schedule
        alpha_text, beta_text = next(((a, b) for name, (a, b) in PRESETS.items() if name == start.name),
                                     tuple(sympy.sstr(e) for e in start.expressions()))
        self.applied = (alpha_text, beta_text)
        self.preset = w.Dropdown(options=[*PRESETS, _CUSTOM], description="preset",
                                 value=start.name if start.name in PRESETS else _CUSTOM)
        text_layout = w.Layout(width="290px")
        self.alpha = w.Text(value=alpha_text, description="\u03b1\u209c =", continuous_update=False,
                            layout=text_layout)
        self.beta = w.Text(value=beta_text, description="\u03b2\u209c =", continuous_update=False,
                           layout=text_layout)
        self.button = w.Button(description="apply", button_style="primary", tooltip="use these formulas",
                               layout=w.Layout(width="80px"))
        self.t_slider = w.FloatSlider(value=figure.t, min=0.0, max=1.0, step=0.01, description="t",
                                      continuous_update=True, readout_format=".2f")
        self.data = w.Dropdown(options=list(ROUTE_DATASETS), value=figure.params["data"], description="data")
        self.message = w.HTML(value="")
        self.formula = w.HTMLMath(value=self._latex(start))
        self.image = w.Image(value=figure.png(), format="png", layout=w.Layout(max_width="100%"))

        self.button.on_click(lambda _: self.apply())
        self._quiet = False
        for field in (self.alpha, self.beta):
            field.observe(lambda _: self._on_text(), names="value")
        self._quiet_preset = False
        self.preset.observe(lambda change: None if self._quiet_preset else self._on_preset(change["new"]),
                            names="value")
        self.t_slider.observe(lambda change: self._on_control("t", change["new"]), names="value")
        self.data.observe(lambda change: self._on_control("data", change["new"]), names="value")
        super().__init__([
            w.HBox([self.preset, self.alpha, self.beta, self.button], layout=w.Layout(flex_flow="row wrap")),
            self.message,
            w.HBox([self.t_slider, self.data], layout=w.Layout(flex_flow="row wrap")),
            self.image,
            self.formula,
        ])
        if preset is not None:
            self.preset.value = preset

    # -- actions ------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Use the formulas in the text fields; True if the figure now shows them."""
        pair = (self.alpha.value, self.beta.value)
        if pair == self.applied:
            self._say("")
            return True
        preset = next((name for name, formulas in PRESETS.items() if formulas == pair), _CUSTOM)
        name = preset if preset != _CUSTOM else f"alpha = {pair[0].strip()}, beta = {pair[1].strip()}"
        try:
            schedule = schedules.schedule_from_text(*pair, name=name)
            latex = self._latex(schedule)
        except ValueError as err:
            self._refuse(str(err))
            return False
        except Exception:  # noqa: BLE001 - a reader's formula must never raise into the notebook
            self._refuse("these formulas could not be checked; try a simpler form of them")
            return False
        if not self._update_figure(schedule=schedule):
            return False
        self.applied = pair
        self.formula.value = latex
        self._set_preset_quietly(preset)
        self._say("")
        return True

    def _on_preset(self, name: str) -> None:
        if name not in PRESETS:
            return
        self._quiet = True  # fill both fields first, then apply once
        try:
            self.alpha.value, self.beta.value = PRESETS[name]
        finally:
            self._quiet = False
        self.apply()

    def _on_text(self) -> None:
        if not self._quiet:
            self.apply()

    def _on_control(self, name: str, value) -> None:
        self._update_figure(**{name: value})

    def _update_figure(self, **changes) -> bool:
        previous = dict(self.figure.params)
        try:
            self.figure.update(**changes)
            self.image.value = self.figure.png()
        except Exception as err:  # noqa: BLE001 - keep the last valid figure, explain, never raise
            try:
                self.figure.update(**{k: previous[k] for k in changes})
            except Exception:  # noqa: BLE001
                pass
            # a ValueError speaks in the reader's words; anything else is a fault of ours, not Python text for them
            self._refuse(str(err) if isinstance(err, ValueError) else "the figure could not be drawn for this schedule")
            return False
        return True

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _latex(schedule) -> str:
        return symbolic.field_latex(schedule)

    def _set_preset_quietly(self, name: str) -> None:
        """Show which preset the applied formulas are (or "(your own)") without applying anything."""
        if self.preset.value != name:
            self._quiet_preset = True
            try:
                self.preset.value = name
            finally:
                self._quiet_preset = False

    def _refuse(self, reason: str) -> None:
        kept = f"\u03b1 = {self.applied[0]}, \u03b2 = {self.applied[1]}"
        self._say(f"{reason.rstrip('.')}. The figure still shows the last valid schedule: {kept}.", error=True)

    def _say(self, text: str, error: bool = False) -> None:
        if not text:
            self.message.value = ""
            return
        colour = _ERROR_COLOUR if error else "inherit"
        self.message.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    def __repr__(self) -> str:
        return f"<interactive figure: {self.figure.title}>"
