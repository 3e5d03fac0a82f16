"""One call shows a ``LiveFigure`` with controls, live in Jupyter and kernel-free in the book.

A figure declares its controls once, in ``figure.controls()`` (t, schedule and its own
``extra_controls``; see ``fm_helpers.figures.base.LiveFigure``). ``explore(figure)`` builds from
that declaration

* in a live kernel: ipywidgets (a t slider, a schedule selector and the figure's own controls)
  above an image of the figure; a control change calls ``figure.update`` and sends one new PNG.
  It needs only ``ipywidgets``: no extension step, and it behaves the same in JupyterLab,
  Notebook 7 and VS Code;
* while the book is built (``FM_STATIC=1``, set by the book's Sphinx extension
  ``_ext/offline_book.py`` for the kernels the build starts): a ``StaticPlayer``. It renders the
  figure for every combination of the declared ``static`` values (t and each control that has
  them), at twice the displayed resolution, as lossy WebP files in a content-addressed store
  (``FM_FRAME_STORE``, handed over by the same extension). Its HTML names the frames, never
  holds them; ``_static/fm-player.js`` shows them as the reader moves the controls, and the
  extension copies the named files into the site.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

import sympy

from . import schedules, symbolic
from .figures.base import COLORS, LiveFigure
from .sampling import ROUTE_DATASETS
from .schedules import PRESETS, Schedule, named_schedules

__all__ = ["explore", "static_mode", "StaticPlayer", "Explorer", "frame_store", "SITE_ROOT", "FRAME_DIR",
           "Playground", "PlaygroundPlayer", "playground"]

#: Stands for the relative path from a page to the site's root; the book's Sphinx extension
#: replaces it in every page (a kernel does not know where its page will live).
SITE_ROOT = "fm-site-root://"
#: The folder of the built site that holds the players' frames.
FRAME_DIR = "_fm_frames"
#: Frames are drawn at this multiple of the figure's own dpi and shown at 1x CSS size (sharp on
#: screens with a device-pixel ratio of 2).
FRAME_SCALE = 2

#: The run-it-yourself download at the site root (written by _ext/download_bundle.py at every HTML build).
BUNDLE = "fm-book-notebooks.zip"
RUN_LOCALLY_NOTE = "Frames rendered when the book was built."
RUN_LOCALLY_LINK = "Download the notebooks with fm_helpers"
RUN_LOCALLY_AFTER = " and run them in Jupyter to move every control freely."


def static_mode() -> bool:
    """True while the book build executes the notebooks (``FM_STATIC=1``)."""
    return os.environ.get("FM_STATIC", "") == "1"


def frame_store() -> Path:
    """The folder where a static player writes its frames (``FM_FRAME_STORE``, set by the book build)."""
    folder = os.environ.get("FM_FRAME_STORE", "")
    if not folder:
        raise ValueError("the kernel-free player needs FM_FRAME_STORE, the folder for its frames; the book's "
                         "Sphinx extension (_ext/offline_book.py) sets it during `jupyter-book build .`")
    return Path(folder)


def explore(figure: LiveFigure):
    """Show ``figure`` with its declared controls (see module doc)."""
    if not isinstance(figure, LiveFigure):
        raise ValueError(f"explore needs a LiveFigure from fm_helpers.figures, got {type(figure).__name__}")
    return StaticPlayer(figure) if static_mode() else Explorer(figure)


def _same_option(value, param) -> bool:
    if isinstance(param, Schedule):
        return (value.name if isinstance(value, Schedule) else value) == param.name
    return value == param


class StaticPlayer:
    """Frames of a figure for every combination of its controls' ``static`` values, as an HTML player.

    ``times``, ``only`` (control name -> values) and ``store`` override the t values, the values of some
    controls and the frame folder (tests use them to render a few frames). The frames
    are listed in ``self.frames`` (file names), setting by setting in the order of ``self.axes``,
    with t varying fastest. The figure is left as it was found, also when a frame fails.
    """

    def __init__(self, figure: LiveFigure, times=None, store=None, scale: int = FRAME_SCALE, only=None):
        self.figure = figure
        self.store = Path(store) if store is not None else frame_store()
        self.store.mkdir(parents=True, exist_ok=True)
        self.scale = scale
        specs = figure.controls()
        start = dict(figure.params)
        declared = specs["t"]["static"] if times is None else times
        # the player opens at the chapter's own t, exactly: it is always one of the frames
        self.times = np.array(sorted({float(t) for t in declared} | {float(start["t"])}))
        #: (name, declaration, options) of every control the player offers besides t
        only = dict(only or {})
        unknown = set(only) - set(specs)
        if unknown:
            raise ValueError(f"{type(figure).__name__} has no control(s) {sorted(unknown)}")
        self.axes = [(name, spec, list(only.get(name, spec["static"]))) for name, spec in specs.items()
                     if name != "t" and spec.get("static")]
        #: controls only a live kernel offers: the player keeps the figure's value
        self.fixed = [name for name, spec in specs.items() if name != "t" and not spec.get("static")]
        self.start = {"t": int(np.flatnonzero(self.times == float(start["t"]))[0])}
        for name, _, options in self.axes:
            matches = [i for i, option in enumerate(options) if _same_option(option, start[name])]
            if not matches:
                raise ValueError(f"the player's {name} options {options} do not include the figure's own value "
                                 f"{getattr(start[name], 'name', start[name])!r}")
            self.start[name] = matches[0]
        self.frames: list[str] = []
        try:
            self._render_all()
        finally:
            figure.update(**start)

    def _render_all(self) -> None:
        figure, fig = self.figure, self.figure.fig
        dpi = fig.dpi
        fig.set_dpi(dpi * self.scale)
        figure.invalidate_background()
        try:
            for setting in itertools.product(*(options for _, _, options in self.axes)):
                figure.update(**{name: figure.control_value(name, option)
                                 for (name, _, _), option in zip(self.axes, setting)})
                for t in self.times:
                    figure.update(t=float(t))
                    self.frames.append(self._store(figure.render()))
        finally:
            fig.set_dpi(dpi)
            figure.invalidate_background()

    def _store(self, rgba: np.ndarray) -> str:
        """Encode one frame as WebP, file it under its content's hash, return its file name."""
        buffer = io.BytesIO()
        # lossy WebP: about a third of a palette PNG for these figures, text still crisp at 2x;
        # method 2 encodes about twice as fast as the default 4 for 5% more bytes
        Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, format="webp",
                                                                  quality=self.figure.frame_quality, method=2)
        encoded = buffer.getvalue()
        name = hashlib.sha256(encoded).hexdigest()[:24] + ".webp"
        path = self.store / name
        if not path.exists():
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(encoded)
            partial.replace(path)
        return name

    def frame_index(self, t_index: int, **choices: int) -> int:
        """Position in ``self.frames`` of the frame at t index ``t_index`` and the given option indices."""
        setting = 0
        for name, _, options in self.axes:
            setting = setting * len(options) + choices.get(name, self.start[name])
        return setting * len(self.times) + t_index

    def _select(self, name: str, spec: dict, options: list) -> str:
        items = "".join(f'<option value="{i}"{" selected" if i == self.start[name] else ""}>'
                        f"{html.escape(str(getattr(option, 'name', option)))}</option>"
                        for i, option in enumerate(options))
        extra = " fm-player-schedule" if name == "schedule" else ""
        label = html.escape(spec.get("description", name))
        return (f'<label class="fm-player-choice">{label} <select class="fm-player-control{extra}" '
                f'data-control="{html.escape(name)}" aria-label="{label}">{items}</select></label>')

    def _note(self) -> str:
        specs = self.figure.controls()
        held = [f"{spec.get('description', name)} = {getattr(self.figure.params[name], 'name', self.figure.params[name])}"
                for name, spec in specs.items() if name in self.fixed]
        kept = f" Here {', '.join(held)} stay as the notebook set them." if held else ""
        link = f'<a href="{SITE_ROOT}{BUNDLE}" download>{html.escape(RUN_LOCALLY_LINK)}</a>'
        return html.escape(RUN_LOCALLY_NOTE + kept + " ") + link + html.escape(RUN_LOCALLY_AFTER)

    def _repr_html_(self) -> str:
        f = self.figure
        width, height = (f.fig.get_size_inches() * f.fig.dpi).round().astype(int)
        base = SITE_ROOT + FRAME_DIR + "/"
        data = {"base": base, "t": [round(float(t), 4) for t in self.times], "frames": self.frames,
                "controls": [{"name": name, "options": [str(getattr(o, "name", o)) for o in options]}
                             for name, _, options in self.axes],
                "start": self.start, "alt": f.alt}
        t0 = self.times[self.start["t"]]
        first = self.frames[self.frame_index(self.start["t"])]
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        selects = "".join(self._select(name, spec, options) for name, spec, options in self.axes)
        return (
            f'<figure class="fm-player" data-title="{html.escape(f.title)}">'
            f'<img class="fm-player-frame" src="{base}{first}" width="{width}" height="{height}" '
            f'loading="lazy" decoding="async" alt="{html.escape(f.alt)}">'
            '<div class="fm-player-controls">'
            '<button type="button" class="fm-player-play" aria-pressed="false" aria-label="play t">'
            '<span aria-hidden="true">\u25b6</span> play</button>'
            f'<label class="fm-player-time">t = <output class="fm-player-t-value">{t0:.2f}</output> '
            f'<input type="range" class="fm-player-t" min="0" max="{len(self.times) - 1}" step="1" '
            f'value="{self.start["t"]}" aria-label="time t" aria-valuetext="t = {t0:.2f}"></label>'
            f"{selects}"
            "</div>"
            f'<figcaption>{html.escape(f.caption)} <span class="fm-player-note">{self._note()}</span></figcaption>'
            f'<script type="application/json" class="fm-player-data">{payload}</script>'
            "</figure>"
        )

    def __repr__(self) -> str:
        sizes = " x ".join([f"{len(self.times)} times", *(f"{len(o)} {n}" for n, _, o in self.axes)])
        return f"<static player: {self.figure.title}, {sizes}>"


def _control_widget(name: str, spec: dict, value):
    import ipywidgets as w

    kind = spec.get("kind", "float")
    label = spec.get("description", name)
    style = {"description_width": "initial"}
    if kind == "float":
        return w.FloatSlider(value=value, min=spec["min"], max=spec["max"], step=spec.get("step", 0.01),
                             description=label, continuous_update=True, style=style,
                             readout_format=spec.get("readout", ".2f"))
    if kind == "int":
        return w.IntSlider(value=value, min=spec["min"], max=spec["max"], step=spec.get("step", 1),
                           description=label, continuous_update=False, style=style)
    if kind == "choice":
        options = list(spec["options"])
        if value not in options:  # e.g. a schedule typed as a formula: offer it too
            options.append(value)
        return w.Dropdown(options=options, value=value, description=label, style=style)
    raise ValueError(f"unknown control kind {kind!r} for {name!r}; use float, int or choice")


def _widget_value(param):
    """What a widget shows for a parameter: a schedule by its name."""
    return param.name if isinstance(param, Schedule) else param


def _explorer_base():
    import ipywidgets as w

    return w.VBox


class Explorer(_explorer_base()):
    """ipywidgets controls above the figure's image; each change redraws only what changed."""

    def __init__(self, figure: LiveFigure):
        import ipywidgets as w

        self.figure = figure
        self.image = w.Image(value=figure.png(), format="png", layout=w.Layout(max_width="100%"))
        self.controls = {}
        self._originals = {name: figure.params[name] for name in figure.controls()}
        for name, spec in figure.controls().items():
            self.controls[name] = _control_widget(name, spec, _widget_value(figure.params[name]))
        self.message = w.HTML()
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change["new"]), names="value")
        super().__init__([w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")),
                          self.image, self.message])

    def _on_change(self, name: str, value) -> None:
        original = self._originals[name]
        value = original if value == _widget_value(original) else self.figure.control_value(name, value)
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


KERNEL_NOTE = ("Typing your own \u03b1\u209c and \u03b2\u209c needs a running Python kernel: the text fields "
               "and the derived formula appear when you run this notebook in Jupyter. Here the player offers the "
               "presets: the four named schedules and the surprise.")


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
