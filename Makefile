# Flow Matching, Derived and Computed: build, test and benchmark the book.
#
#   make book    create .venv if needed, execute every notebook, build _build/html
#   make test    unit tests, nbval on notebooks/, the book build, browser tests
#   make serve   serve _build/html on http://127.0.0.1:$(PORT)/
#   make lab     open the notebooks in JupyterLab, from .venv
#   make bench   run benchmarks/bench_*.py into _build/bench.json and print it
#   make clean   remove _build (the built site and the execution cache)
#
# Every command runs from .venv; nothing is installed outside it.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Python used to create the virtual environment: python3.11, else python3.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3)
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
# Re-install when a requirement, the lock file or the package metadata changes.
VENV_STAMP := $(VENV)/.fm-installed
# JupyterLab (and Notebook 7) settings for the project's environment, copied to the place
# where JupyterLab reads application-wide overrides: no "official Jupyter news" pop-up and
# no news or update check over the network; every cell rendered (no windowing), so that a
# search in the page finds every cell and the client test sees every rendered cell.
LAB_OVERRIDES := jupyter-settings/overrides.json
VENV_DEPS  := requirements.txt requirements-test.txt constraints.txt pyproject.toml $(LAB_OVERRIDES)

BUILD := _build
HTML  := $(BUILD)/html
# sha256 of fm_helpers/**/*.py used by the last build (the execution cache only
# hashes code cells, so a change to the helpers must clear it).
HELPERS_STAMP := $(BUILD)/.fm_helpers.sha256
# sha256 of _toc.yml and _config.yml used by the last build: when they change, pages
# may have left the book, and Sphinx never deletes an output it no longer writes, so
# _build/html is removed first (cheap: the execution cache and doctrees stay).
SITE_STAMP := $(BUILD)/.site_config.sha256
# Left by a failed build. Sphinx re-reports warnings only for pages it re-reads, so
# after a failure the next build re-reads every page (--all): otherwise a rebuild with
# no change would "pass" with the same problems still in the pages.
FAILED_STAMP := $(BUILD)/.last_build_failed
PORT ?= 8000

# Matplotlib never opens a window, in any target.
export MPLBACKEND := Agg
# One BLAS thread: the same summation order on every run (stored outputs compare
# digit for digit) and no oversubscription when pytest and a kernel share 2 cores.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
# Keep pip quiet about its own version; never let it prompt.
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

JB_FLAGS := -W -n --keep-going
# `jupyter-book`, minus 3 s of start-up: jsonschema imports rfc3987_syntax (pulled in
# by jupyter-events for JupyterLab), which compiles 38 lark grammars on import, about
# half the CPU time of a no-change rebuild. Jupyter Book never needs the IRI formats
# it provides, so the build process runs with that module marked unavailable
# (jsonschema then simply skips those formats). Notebook kernels are separate
# processes and are not affected.
JUPYTER_BOOK := "$(PY)" -c 'import sys; sys.modules["rfc3987_syntax"] = None; \
	sys.argv[0] = "jupyter-book"; from jupyter_book.cli.main import main; main()'

.PHONY: help venv book serve lab test unit nbval browser bench clean distclean

help:
	@sed -n '3,9p' Makefile | sed 's/^# \{0,1\}//'

# --- virtual environment ------------------------------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP): $(VENV_DEPS)
	@if [ ! -x "$(PY)" ]; then \
	  echo "Creating $(VENV) with $(PYTHON)"; \
	  "$(PYTHON)" -m venv "$(VENV)"; \
	fi
	"$(PY)" -m pip install -c constraints.txt -r requirements-test.txt -e .
	install -D -m 644 "$(LAB_OVERRIDES)" "$(VENV)/share/jupyter/lab/settings/overrides.json"
	@touch "$@"

# --- the book -----------------------------------------------------------------------

# The build command is exactly `jupyter-book build .` (plus flags): the book's Sphinx extension
# (_ext/offline_book.py) puts the kernels it starts into kernel-free player mode, so a plain
# `jupyter-book build .` builds the same site. Player frames live in $(BUILD)/.fm_frames beside
# the execution cache; if they are gone, the cache is cleared too (its outputs name them).
book: $(VENV_STAMP)
	@mkdir -p "$(BUILD)"
	@site="$$(cat _toc.yml _config.yml | sha256sum | cut -d' ' -f1)"; \
	if [ "$$site" != "$$(cat "$(SITE_STAMP)" 2>/dev/null || true)" ]; then \
	  if [ -d "$(HTML)" ]; then \
	    echo "_toc.yml or _config.yml changed: removing $(HTML) so that no stale page survives"; \
	  fi; \
	  rm -rf "$(HTML)"; \
	  echo "$$site" > "$(SITE_STAMP)"; \
	fi
	@new="$$(find fm_helpers -type f -name '*.py' -print0 2>/dev/null | LC_ALL=C sort -z \
	          | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)"; \
	old="$$(cat "$(HELPERS_STAMP)" 2>/dev/null || true)"; \
	all=""; \
	if [ -f "$(FAILED_STAMP)" ]; then all="--all"; fi; \
	if [ ! -d "$(BUILD)/.fm_frames" ]; then old="(no frames)"; fi; \
	if [ "$$new" != "$$old" ]; then \
	  if [ -d "$(BUILD)/.jupyter_cache" ]; then \
	    echo "fm_helpers changed (or the player frames are gone) since the last build: clearing the execution cache"; \
	  fi; \
	  rm -rf "$(BUILD)/.jupyter_cache"; \
	  all="--all"; \
	fi; \
	status=0; \
	$(JUPYTER_BOOK) build . $(JB_FLAGS) $$all || status=$$?; \
	if [ "$$status" -le 1 ]; then echo "$$new" > "$(HELPERS_STAMP)"; fi; \
	if [ "$$status" -ne 0 ]; then \
	  touch "$(FAILED_STAMP)"; \
	  echo "make book: the build failed (warnings are errors); see the log above" \
	       "and the execution reports in $(HTML)/reports/" >&2; \
	  exit "$$status"; \
	fi; \
	rm -f "$(FAILED_STAMP)"; \
	echo; echo "The book is at: $$(cd "$(HTML)" && pwd)/index.html"

serve:
	@if [ ! -f "$(HTML)/index.html" ]; then $(MAKE) --no-print-directory book; fi
	@echo "Serving $(HTML) at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	"$(PY)" -m http.server --bind 127.0.0.1 --directory "$(HTML)" "$(PORT)"

# JupyterLab on notebooks/ with the project's kernel and settings (Ctrl-C to stop).
lab: $(VENV_STAMP)
	"$(BIN)/jupyter" lab notebooks/

# --- tests --------------------------------------------------------------------------

# Stops at the first failing step.
test: $(VENV_STAMP)
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory nbval
	@$(MAKE) --no-print-directory book
	@$(MAKE) --no-print-directory browser

# Unit tests (and any other test directory except the browser tests).
# pytest exits with 5 when it collects nothing: not a failure while tests/ is empty.
unit: $(VENV_STAMP)
	@echo "== unit tests"
	@status=0; env -u FM_STATIC "$(PY)" -m pytest tests --ignore=tests/browser || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "no unit tests collected"; status=0; fi; \
	exit "$$status"

# Every stored notebook output must match a fresh run (ipywidgets mode: no FM_STATIC).
nbval: $(VENV_STAMP)
	@echo "== nbval"
	@if compgen -G "notebooks/*.ipynb" > /dev/null; then \
	  env -u FM_STATIC "$(PY)" -m pytest --nbval notebooks \
	    --nbval-sanitize-with nbval_sanitize.cfg -p no:cacheprovider; \
	else \
	  echo "no notebooks in notebooks/ yet: nbval skipped"; \
	fi

# Playwright + /usr/bin/chromium against the built site (run `make book` first).
browser: $(VENV_STAMP)
	@echo "== browser tests"
	"$(PY)" -m pytest tests/browser

# --- benchmarks ---------------------------------------------------------------------

# Each benchmarks/bench_*.py merges its figures into _build/bench.json.
bench: $(VENV_STAMP)
	@mkdir -p "$(BUILD)"
	@for b in $(sort $(wildcard benchmarks/bench_*.py)); do \
	  echo "== $$b"; \
	  "$(PY)" "$$b"; \
	done
	@"$(PY)" benchmarks/report.py "$(BUILD)/bench.json"

# --- cleaning -----------------------------------------------------------------------

clean:
	rm -rf "$(BUILD)"

distclean: clean
	rm -rf "$(VENV)" .pytest_cache *.egg-info
