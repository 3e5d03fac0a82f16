"""Benchmark the book build: clean build time, no-change rebuild time, page weights.

Run from the repository root (``make bench`` does):

    .venv/bin/python benchmarks/bench_build.py [--skip-build] [--output _build/bench.json]

* clean build: ``_build/html``, ``_build/.jupyter_cache`` and ``_build/.doctrees`` are
  removed (everything a build makes; ``_build/bench.json`` stays), then ``make book``:
  every notebook is executed and every page read and written;
* no-change rebuild: ``make book`` again, right after; the execution cache and Sphinx's
  environment make it cheap;
* first load of every page: every HTML page is loaded in headless Chromium from a local
  server, without scrolling, and the bodies of every response until it settles are summed
  (HTML, scripts, stylesheets, fonts, images, the MathJax components loaded on demand);
  ``data:`` URIs are part of the document that contains them. Player frames beyond the
  first are fetched only when a player comes into view, so they are not part of it;
* time to maths: when MathJax's startup promise resolves (typesetting done), in ms since
  navigation start;
* the site's size on disk, and the players' frame files in it.

The figures go under the key ``"build"`` of ``_build/bench.json``; the file is read,
updated and written back, so keys written by the other benchmarks are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "_build"
HTML = Path(os.environ.get("FM_BOOK_HTML", BUILD / "html")).resolve()
DEFAULT_OUTPUT = BUILD / "bench.json"
sys.path.insert(0, str(REPO / "tests"))  # the launch configuration the browser tests use
from chromium_launch import CHROMIUM, launch  # noqa: E402
NON_PAGE_DIRS = {"_static", "_sources", "_images", "reports", "_downloads"}
PAGE_LIMIT_BYTES = 2 * 1024 * 1024  # first load of every page (asserted by tests/browser)
# Records when MathJax has typeset the page, in ms since navigation start (performance.now()).
TYPESET_PROBE = """
(() => {
  const poll = setInterval(() => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      clearInterval(poll);
      MathJax.startup.promise.then(() => { window.__fmTypesetMs = performance.now(); });
    }
  }, 2);
})();
"""


# --------------------------------------------------------------------------------------
# bench.json: read, merge, write


def merge_into(path: Path, key: str, value) -> None:
    """Set ``key`` in the JSON object stored at ``path``, keeping every other key."""
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            backup = path.with_suffix(".json.corrupt")
            shutil.copyfile(path, backup)
            print(f"warning: {path} was not valid JSON; kept a copy at {backup}", file=sys.stderr)
            data = {}
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


# --------------------------------------------------------------------------------------
# Build timings


def run_make_book() -> tuple[float, float]:
    """Run `make book`; return (wall, CPU) seconds (raise if it fails).

    CPU time is user + system time of `make` and everything it ran (the notebook
    kernels included): unlike wall time, it hardly depends on what else the machine
    is doing.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        ["make", "--no-print-directory", "book"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-6000:])
        raise SystemExit(f"make book failed (exit {proc.returncode}); see the log above")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def clean_build_products() -> None:
    for name in ("html", ".jupyter_cache", ".doctrees", "jupyter_execute", ".fm_helpers.sha256"):
        target = BUILD / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


# --------------------------------------------------------------------------------------
# Page weights


def site_pages() -> list[str]:
    pages = []
    for path in sorted(HTML.rglob("*.html")):
        rel = path.relative_to(HTML)
        if rel.parts[0] not in NON_PAGE_DIRS:
            pages.append(rel.as_posix())
    return pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def _kind(url: str, content_type: str) -> str:
    path = urllib.parse.urlsplit(url).path.lower()
    ct = (content_type or "").lower()
    if path.endswith((".woff", ".woff2", ".ttf", ".otf")) or "font" in ct:
        return "fonts"
    if path.endswith(".js") or "javascript" in ct:
        return "scripts"
    if path.endswith(".css") or "css" in ct:
        return "styles"
    if path.endswith((".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico")) or ct.startswith("image/"):
        return "images"
    if path.endswith((".html", "/")) or "html" in ct:
        return "html"
    return "other"


def _idle(page, timeout: int = 15_000) -> None:
    """Network idle as a heuristic: on a busy machine it may take long; go on then."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_load_state("networkidle", timeout=timeout)
    except PlaywrightTimeout:
        pass


def page_weights() -> dict:
    """Load every page in headless Chromium; bytes per page, split by kind of asset."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            for rel in site_pages():
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                external = []

                def route(route, _external=external):
                    url = route.request.url
                    if url.startswith((base, "data:", "blob:", "about:")):
                        route.continue_()
                    else:
                        _external.append(url)
                        route.abort("blockedbyclient")

                context.route("**/*", route)
                context.add_init_script(TYPESET_PROBE)
                page = context.new_page()
                responses = []
                page.on("response", lambda r: responses.append(r))
                page.goto(base + rel, wait_until="load", timeout=120_000)
                for _ in range(5):  # index.html redirects with a meta refresh
                    try:
                        page.wait_for_load_state("load")
                        _idle(page)
                        page.evaluate(
                            """async () => {
                                if (window.MathJax && MathJax.startup && MathJax.startup.promise)
                                    await MathJax.startup.promise;
                                await document.fonts.ready;
                            }"""
                        )
                        _idle(page)
                        break
                    except Exception as exc:  # navigation destroyed the context
                        if "context was destroyed" not in str(exc) and "navigation" not in str(exc):
                            raise
                by_kind: dict[str, int] = {}
                seen: dict[str, int] = {}
                for resp in responses:
                    if resp.url.startswith("data:"):
                        continue
                    try:
                        size = len(resp.body())
                    except Exception:
                        size = int(resp.headers.get("content-length", 0) or 0)
                    seen[resp.url] = max(seen.get(resp.url, 0), size)
                    kind = _kind(resp.url, resp.headers.get("content-type", ""))
                    by_kind[kind] = by_kind.get(kind, 0) + size
                typeset = page.evaluate("() => window.__fmTypesetMs === undefined ? null : window.__fmTypesetMs")
                results[rel] = {
                    "bytes": sum(seen.values()),
                    "typeset_ms": None if typeset is None else round(typeset),
                    "requests": len(seen),
                    "html_bytes": (HTML / rel).stat().st_size,
                    "by_kind": dict(sorted(by_kind.items())),
                    "external_requests": len(external),
                }
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return results


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="bench.json to merge into")
    parser.add_argument(
        "--skip-build", action="store_true", help="only measure page weights of the existing _build/html"
    )
    args = parser.parse_args(argv)

    result: dict = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
    }

    if not args.skip_build:
        print("clean build: removing _build/html, _build/.jupyter_cache, _build/.doctrees ...", flush=True)
        clean_build_products()
        wall, cpu = run_make_book()
        result["clean_build_s"], result["clean_build_cpu_s"] = round(wall, 2), round(cpu, 2)
        print(f"  clean build        {wall:8.2f} s wall {cpu:8.2f} s CPU", flush=True)
        wall, cpu = run_make_book()
        result["noop_rebuild_s"], result["noop_rebuild_cpu_s"] = round(wall, 2), round(cpu, 2)
        print(f"  no-change rebuild  {wall:8.2f} s wall {cpu:8.2f} s CPU", flush=True)

    if not (HTML / "index.html").is_file():
        raise SystemExit(f"no built site at {HTML}: run `make book` first")

    result["notebooks_in_book"] = len(list((HTML / "_sources").rglob("*.ipynb")))
    print("page weights (headless Chromium) ...", flush=True)
    pages = page_weights()
    heaviest = max(pages.items(), key=lambda kv: kv[1]["bytes"])
    result.update(
        {
            "pages": pages,
            "heaviest_page": heaviest[0],
            "heaviest_page_bytes": heaviest[1]["bytes"],
            "page_limit_bytes": PAGE_LIMIT_BYTES,
            "site_bytes": directory_bytes(HTML),
            "frame_files": len(list((HTML / "_fm_frames").glob("*.webp"))),
            "frame_bytes": directory_bytes(HTML / "_fm_frames") if (HTML / "_fm_frames").is_dir() else 0,
            "slowest_typeset_ms": max((p["typeset_ms"] or 0) for p in pages.values()),
        }
    )
    print(f"  heaviest page: {heaviest[0]} {heaviest[1]['bytes'] / 2**20:.2f} MiB", flush=True)

    if args.skip_build and args.output.exists():
        # keep the timings of the last full run; refresh everything else
        try:
            previous = json.loads(args.output.read_text(encoding="utf-8")).get("build") or {}
        except json.JSONDecodeError:
            previous = {}
        result = {**previous, **result}
    merge_into(args.output, "build", result)
    print(f"wrote key 'build' of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
