"""Print _build/bench.json as readable tables.

    .venv/bin/python benchmarks/report.py [path/to/bench.json]

Each top-level key is one benchmark. ``build`` (written by bench_build.py) gets its own
layout: timings, then one row per page with its weight. Any other key is printed
generically: a mapping whose values are all mappings becomes a table (one row per
entry, one column per field); anything else becomes key/value rows, nested keys
joined with dots.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / "_build" / "bench.json"


def fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1e4:
            return f"{value:,.1f}"
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def human_bytes(n) -> str:
    """Binary units: the page limit is 4 MiB = 4,194,304 bytes."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


def table(headers: list[str], rows: list[list[str]], align_right: set[int] | None = None) -> str:
    if align_right is None:
        align_right = set(range(1, len(headers)))
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells):
        return "  ".join(
            c.rjust(widths[i]) if i in align_right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            items += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return items
    return [(prefix, value)]


def title(text: str) -> str:
    return f"\n{text}\n{'=' * len(text)}"


def report_build(b: dict) -> str:
    parts = [title("build")]
    rows = []
    def seconds(key):
        text = f"{b[key]:.1f} s"
        if f"{key[:-2]}_cpu_s" in b:
            text += f" wall, {b[key[:-2] + '_cpu_s']:.1f} s CPU"
        return text

    if "clean_build_s" in b:
        rows.append(["clean build (all notebooks executed)", seconds("clean_build_s")])
    if "noop_rebuild_s" in b:
        rows.append(["no-change rebuild", seconds("noop_rebuild_s")])
    if "load_average_1min" in b:
        rows.append(["load average when measured", fmt(b["load_average_1min"])])
    if "notebooks_in_book" in b:
        rows.append(["notebooks in the book", fmt(b["notebooks_in_book"])])
    if "heaviest_page" in b:
        limit = b.get("page_limit_bytes")
        note = f" (limit {human_bytes(limit)})" if limit else ""
        rows.append(["heaviest page", f"{b['heaviest_page']}: {human_bytes(b['heaviest_page_bytes'])}{note}"])
    if "site_bytes" in b:
        rows.append(["whole site on disk", human_bytes(b["site_bytes"])])
    if "frame_files" in b:
        rows.append(["player frames in the site", f"{fmt(b['frame_files'])} files, {human_bytes(b['frame_bytes'])}"])
    if "slowest_typeset_ms" in b:
        rows.append(["slowest page to typeset its maths", f"{b['slowest_typeset_ms']} ms"])
    if "date" in b:
        rows.append(["measured", str(b["date"])])
    machine = b.get("machine") or {}
    if machine:
        rows.append(["machine", ", ".join(f"{k} {v}" for k, v in machine.items())])
    parts.append(table(["measure", "value"], rows, align_right=set()))

    pages = b.get("pages") or {}
    if pages:
        kinds = sorted({k for p in pages.values() for k in (p.get("by_kind") or {})})
        headers = ["page", "total", "requests"] + kinds + ["external", "maths typeset"]
        body = []
        for name, p in sorted(pages.items(), key=lambda kv: -kv[1].get("bytes", 0)):
            by_kind = p.get("by_kind") or {}
            body.append(
                [name, human_bytes(p.get("bytes", 0)), fmt(p.get("requests", 0))]
                + [human_bytes(by_kind.get(k, 0)) for k in kinds]
                + [fmt(p.get("external_requests", 0)),
                   "-" if p.get("typeset_ms") is None else f"{p['typeset_ms']} ms"]
            )
        parts.append("\nFirst load of each page, with every asset it loads, and when its maths is typeset:")
        parts.append(table(headers, body))

    known = {"clean_build_s", "noop_rebuild_s", "clean_build_cpu_s", "noop_rebuild_cpu_s",
             "load_average_1min", "notebooks_in_book", "heaviest_page", "heaviest_page_bytes",
             "page_limit_bytes", "site_bytes", "date", "machine", "pages", "frame_files", "frame_bytes",
             "slowest_typeset_ms"}
    rest = {k: v for k, v in b.items() if k not in known}
    if rest:
        parts.append("")
        parts.append(table(["key", "value"], [[k, fmt(v)] for k, v in flatten(rest)]))
    return "\n".join(parts)


def report_schedule_calls(rows: dict) -> str:
    """Counts per slider step as a table, then the figure lines that evaluate the schedule."""
    parts = [title("schedule_calls (per slider step; goal 1 and 1)")]
    headers = ["chapter", "evaluations", "max", "t checks", "max", "goal met"]
    body = [[chapter, fmt(r["evaluations_median"]), fmt(r["evaluations_max"]), fmt(r["t_checks_median"]),
             fmt(r["t_checks_max"]), fmt(r["goal_met"])] for chapter, r in rows.items()]
    parts.append(table(headers, body))
    parts.append("\nEvaluations per step, by the figure line that asked for them:")
    parts += [f"  {chapter}: {r.get('evaluated_from', '')}" for chapter, r in rows.items()]
    return "\n".join(parts)


def report_generic(name: str, value) -> str:
    parts = [title(name)]
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        # one row per entry; columns are the scalar fields (nested ones dotted)
        flat = {k: dict(flatten(v)) for k, v in value.items()}
        columns: list[str] = []
        for fields in flat.values():
            for c in fields:
                if c not in columns:
                    columns.append(c)
        rows = [[k] + [fmt(fields[c]) if c in fields else "" for c in columns] for k, fields in flat.items()]
        parts.append(table([""] + columns, rows))
    elif isinstance(value, dict):
        parts.append(table(["key", "value"], [[k, fmt(v)] for k, v in flatten(value)]))
    else:
        parts.append(fmt(value))
    return "\n".join(parts)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEFAULT
    if not path.exists():
        print(f"no benchmark results at {path}: run `make bench`", file=sys.stderr)
        return 1
    data = json.loads(path.read_text(encoding="utf-8"))
    print(f"Benchmarks ({path})")
    order = ["build"] + sorted(k for k in data if k != "build")
    for key in order:
        if key not in data:
            continue
        if key == "build" and isinstance(data[key], dict):
            print(report_build(data[key]))
        elif key == "schedule_calls" and isinstance(data[key], dict):
            print(report_schedule_calls(data[key]))
        else:
            print(report_generic(key, data[key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
