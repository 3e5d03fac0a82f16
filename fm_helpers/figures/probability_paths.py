"""Chapter 1's figure: a conditional path, the marginal path and the schedule, at one time t."""

from __future__ import annotations

import numpy as np

from .. import data
from ..marginal import marginal_density
from .base import COLORS, DENSITY_CMAP, LiveFigure

__all__ = ["ProbabilityPathFigure"]

_EXTENT = (-3.5, 4.5, -2.5, 5.5)  # x from, x to, y from, y to (units of 100 km around San Diego)


class ProbabilityPathFigure(LiveFigure):
    """Left: samples of p_t(x|z) for z = Las Vegas. Middle: the marginal p_t(x) of the two-cities
    mixture with samples. Right: alpha_t and beta_t of the schedule, with the current t marked."""

    title = "probability paths"
    caption = ("Left: draws from the conditional path p_t(x|z) for one destination z (star). Middle: the "
               "marginal path p_t(x) for two destinations, as a density with draws on top. Right: the "
               "schedule's alpha_t and beta_t, with the current time marked.")
    alt = ("Three panels. A cloud of noise points shrinks onto a single star as t grows; a density with two "
           "destinations sharpens into two blobs; two curves alpha_t rising from 0 to 1 and beta_t falling from "
           "1 to 0 with a vertical line at the current t.")
    figsize = (10.5, 3.5)
    defaults = {"n_samples": 300}
    extra_controls = {"n_samples": {"kind": "int", "min": 50, "max": 1000, "step": 50, "description": "samples"}}

    def _build(self) -> None:
        rng = np.random.default_rng(0)
        self.mixture = data.two_cities()
        self.z = np.array(data.CITIES["Las Vegas"])
        self.eps = rng.standard_normal((1000, 2))
        self.z_samples = self.mixture.sample(1000, rng)
        self.grid = data.rect_grid(_EXTENT, 120)

        ax_cond, ax_marg, ax_sched = self.fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
        for ax, title in ((ax_cond, "conditional path $p_t(x|z)$"), (ax_marg, "marginal path $p_t(x)$")):
            ax.set(xlim=_EXTENT[:2], ylim=_EXTENT[2:], aspect="equal", title=title,
                   xlabel="east (100 km)", ylabel="north (100 km)")
        self.cond_points = self.dynamic(ax_cond.scatter([], [], s=6, color=COLORS["noise"], alpha=0.6, label="$x \\sim p_t(\\cdot|z)$"))
        ax_cond.plot(*self.z, marker="*", ms=14, color=COLORS["data"], mec="k", ls="none", label="$z$")
        ax_cond.legend(loc="lower right", fontsize=8)

        self.density = self.dynamic(ax_marg.imshow(np.zeros((120, 120)), origin="lower", extent=_EXTENT,
                                                   cmap=DENSITY_CMAP, interpolation="bilinear"))
        self.marg_points = self.dynamic(ax_marg.scatter([], [], s=4, color="white", alpha=0.5))
        self.dynamic(ax_marg.plot(*self.mixture.means.T, marker="*", ms=12, color=COLORS["data"], mec="k", ls="none")[0])

        ts = np.linspace(0, 1, 201)
        self.ts = ts
        self.alpha_line = self.dynamic(ax_sched.plot(ts, ts, color=COLORS["data"], lw=2, label="$\\alpha_t$")[0])
        self.beta_line = self.dynamic(ax_sched.plot(ts, 1 - ts, color=COLORS["noise"], lw=2, ls="--",
                                                    label="$\\beta_t$")[0])
        self.t_line = self.dynamic(ax_sched.axvline(0, color="k", lw=1, ls=":"))
        self.t_dots = self.dynamic(ax_sched.plot([], [], "o", color="k", ms=5)[0])
        ax_sched.set(xlim=(0, 1), ylim=(-0.05, 1.05), xlabel="t", title="schedule: Polynomial(n=2)")
        ax_sched.legend(loc="center right")
        self.schedule_title = self.dynamic(ax_sched.title)
        self.time_label = self.dynamic(self.fig.suptitle("t = 0.00", x=0.02, ha="left", fontsize=11))

    def _draw(self, changed: set[str]) -> None:
        t, schedule, path = self.t, self.schedule, self.path
        n = self.params["n_samples"]
        if changed & {"schedule"}:
            self.alpha_line.set_ydata(schedule.alpha(self.ts))
            self.beta_line.set_ydata(schedule.beta(self.ts))
            self.schedule_title.set_text(f"schedule: {schedule.name}")
        self.t_line.set_xdata([t, t])
        self.t_dots.set_data([t, t], [schedule.alpha(t), schedule.beta(t)])
        self.cond_points.set_offsets(path.flow(self.eps[:n], self.z, t))
        self.marg_points.set_offsets(path.flow(self.eps[:n], self.z_samples[:n], t))
        if changed & {"t", "schedule"}:
            p = marginal_density(path, self.mixture, self.grid, t)
            self.density.set_data(p)
            self.density.set_clim(0, p.max())
        self.time_label.set_text(f"t = {t:.2f}")

