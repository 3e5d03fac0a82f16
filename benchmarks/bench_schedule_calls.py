"""How often one slider step evaluates the schedule and checks t, for each chapter figure.

A slider step is ``figure.update(t=...)``. During it this counts

* evaluations: calls of ``Schedule._evaluate``, the one code path behind ``Schedule.at`` (a call of
  ``at`` with values already evaluated, ``schedule.at(values)``, evaluates nothing and is not counted);
* t checks: calls of ``fm_helpers.schedules.check_t``, wherever a module imported it.

Goal (issue 8): one of each per step. ``LiveFigure.update`` itself evaluates the schedule once
(``figure.values``); any further count comes from the figure's drawing code passing a bare t to
fm_helpers instead of ``self.values``. Results are merged into _build/bench.json under "schedule_calls".

    python benchmarks/bench_schedule_calls.py
"""

from __future__ import annotations

import statistics
import sys
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from chapter_figures import BENCH_FILE, CHAPTER_FIGURES, build, merge, slider_steps

from fm_helpers import schedules

KEY = "schedule_calls"
STEPS = 20


@contextmanager
def counting():
    """Count schedule evaluations and t checks inside the block; yields the dict of counts."""
    counts = {"evaluations": 0, "t_checks": 0, "callers": Counter()}
    original_evaluate, original_check = schedules.Schedule._evaluate, schedules.check_t

    def evaluate(self, t):
        counts["evaluations"] += 1
        counts["callers"][_figure_caller()] += 1
        return original_evaluate(self, t)

    def check_t(*args, **kwargs):
        counts["t_checks"] += 1
        return original_check(*args, **kwargs)

    # check_t is imported by name into several modules: replace every reference to it
    holders = [m for name, m in list(sys.modules.items())
               if name.startswith("fm_helpers") and getattr(m, "check_t", None) is original_check]
    schedules.Schedule._evaluate = evaluate
    for module in holders:
        module.check_t = check_t
    try:
        yield counts
    finally:
        schedules.Schedule._evaluate = original_evaluate
        for module in holders:
            module.check_t = original_check


def _figure_caller() -> str:
    """file:line of the innermost frame in fm_helpers/figures/ that led to this evaluation."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/fm_helpers/figures/" in frame.filename:
            return f"figures/{Path(frame.filename).name}:{frame.lineno}"
    return "elsewhere"


def measure(chapter: str) -> dict:
    figure = build(chapter)
    steps = slider_steps(type(figure), STEPS)
    figure.update(t=float(steps[0]))
    per_step, callers = [], Counter()
    for t in steps[1:]:
        with counting() as counts:
            figure.update(t=float(t))
        callers.update(counts.pop("callers"))
        per_step.append(dict(counts))
    evaluations = [c["evaluations"] for c in per_step]
    checks = [c["t_checks"] for c in per_step]
    return {"evaluations_median": statistics.median(evaluations), "evaluations_max": max(evaluations),
            "t_checks_median": statistics.median(checks), "t_checks_max": max(checks),
            "steps": len(per_step), "goal_met": max(evaluations) <= 1 and max(checks) <= 1,
            "evaluated_from": ", ".join(f"{where} x{n / len(per_step):.3g}" for where, n in callers.most_common())}


def main() -> None:
    rows = {}
    print(f"per slider step (figure.update(t=...)), over {STEPS - 1} steps across each figure's times")
    print(f"{'chapter':32s} {'evaluations':>12s} {'max':>5s} {'t checks':>9s} {'max':>5s}")
    for chapter in CHAPTER_FIGURES:
        row = measure(chapter)
        rows[chapter] = row
        print(f"{chapter:32s} {row['evaluations_median']:12g} {row['evaluations_max']:5d} "
              f"{row['t_checks_median']:9g} {row['t_checks_max']:5d}")
        print(f"{'':32s} per step from: {row['evaluated_from']}")
    merge(KEY, rows)
    print(f"written to {BENCH_FILE}")


if __name__ == "__main__":
    main()
