"""Building the chapter figures the way every figure benchmark does, in one place.

``bench_figures.py`` (speed) and ``bench_schedule_calls.py`` (schedule evaluations) both build each
chapter's live figure with the CondOT schedule and step it across the values of t the book's player
shows; ``merge`` writes a benchmark's results into _build/bench.json under its key.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

from fm_helpers.figures import CHAPTER_FIGURES, chapter_figure  # noqa: E402

__all__ = ["CHAPTER_FIGURES", "BENCH_FILE", "slider_steps", "build", "merge"]

BENCH_FILE = Path(__file__).resolve().parents[1] / "_build" / "bench.json"


def slider_steps(figure_class, count: int = 20) -> np.ndarray:
    """``count`` evenly spaced values of t across the range the book's player shows for this figure."""
    player_times = np.asarray(figure_class.controls()["t"]["static"], dtype=float)
    return np.linspace(float(player_times.min()), float(player_times.max()), count)


def build(chapter: str, t: float = 0.5):
    """A chapter's live figure at ``t`` with the CondOT schedule, after collecting garbage: figures of
    earlier chapters hold reference cycles, and each chapter is measured as in its own kernel, not with
    every other chapter's figures for the GC to walk."""
    gc.collect()
    return chapter_figure(chapter)(t=t, schedule="CondOT")


def merge(key: str, value) -> None:
    """Store ``value`` under ``key`` in _build/bench.json, keeping the other benchmarks' results."""
    BENCH_FILE.parent.mkdir(exist_ok=True)
    results = json.loads(BENCH_FILE.read_text()) if BENCH_FILE.exists() else {}
    results[key] = value
    BENCH_FILE.write_text(json.dumps(results, indent=2) + "\n")
