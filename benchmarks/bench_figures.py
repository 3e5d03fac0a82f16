"""How fast each chapter's interactive figure answers a control change.

For every chapter figure (``fm_helpers.figures.CHAPTER_FIGURES``) this measures, through the
code path the widget uses (``figure.update(...)`` then ``figure.png()``, Agg):

* update_ms: median time of 20 steps across t, and of a schedule switch;
* rebuild_ms: median time of building the same figure from scratch and encoding it.

Targets (issue 3): update_ms <= 40 on a 2-core machine, and at least 2x faster than rebuilding.
Results are merged into _build/bench.json under "figures".

    python benchmarks/bench_figures.py
"""

import statistics
import time

from chapter_figures import BENCH_FILE, CHAPTER_FIGURES, build, merge, slider_steps


def _median_ms(action, repeats):
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(chapter: str) -> dict:
    figure = build(chapter)
    figure_class = type(figure)
    figure.png()
    steps = slider_steps(figure_class)
    update_ms = _median_ms(lambda i: (figure.update(t=float(steps[i])), figure.png()), len(steps))
    names = ["Cosine", "Polynomial(n=2)", "LinearVP", "CondOT"]
    schedule_ms = _median_ms(lambda i: (figure.update(schedule=names[i % 4]), figure.png()), 8)
    rebuild_ms = _median_ms(lambda i: figure_class(t=float(steps[i]), schedule="CondOT").png(), 5)
    return {"update_ms": round(update_ms, 1), "schedule_switch_ms": round(schedule_ms, 1),
            "rebuild_ms": round(rebuild_ms, 1), "speedup": round(rebuild_ms / update_ms, 1)}


def main() -> None:
    figures = {}
    print(f"{'chapter':32s} {'update ms':>10s} {'schedule ms':>12s} {'rebuild ms':>11s} {'speedup':>8s}")
    for chapter in CHAPTER_FIGURES:
        try:
            row = measure(chapter)
        except ImportError as err:  # a chapter whose figure does not exist yet
            print(f"{chapter:32s} skipped ({err})")
            continue
        figures[chapter] = row
        print(f"{chapter:32s} {row['update_ms']:10.1f} {row['schedule_switch_ms']:12.1f} "
              f"{row['rebuild_ms']:11.1f} {row['speedup']:7.1f}x")
    merge("figures", figures)
    print(f"written to {BENCH_FILE}")


if __name__ == "__main__":
    main()
