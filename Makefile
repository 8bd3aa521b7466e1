# pbr-fairness: two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make app    create .venv, install, prepare the default caseload and model, start the app
#   make test   create .venv if missing, run every test
# Other targets: bench (benchmark scripts), lint (ruff), prepare (default data), clean.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests run on 2 processes (pytest-xdist), each test module on one worker; the real-browser
# tests (marker "browser") run afterwards on their own, so that a Streamlit server and Chromium
# do not compete for the 2 cores with the other worker.
PYTEST_ARGS ?= -n 2 --dist loadfile
SHELL := /bin/bash

.PHONY: app test bench lint prepare clean venv help

help:
	@echo "make app      set up and start the Streamlit app on http://127.0.0.1:8501"
	@echo "make test     set up and run every test"
	@echo "make bench    run every benchmarks/bench_*.py"
	@echo "make lint     ruff check"
	@echo "make prepare  create the default caseload, model and first results if missing"
	@echo "make clean    remove caches and generated files (keeps .venv)"

venv: $(STAMP)

# The virtual environment is (re)built when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pbr-fairness needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.x)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/uv pip install --python $(BIN)/python -e ".[dev]" \
	  || $(BIN)/python -m pip install --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

prepare: $(STAMP)
	$(BIN)/python -m pbr_fairness.prepare
	$(BIN)/python -m pbr_fairness.recipes

# `pbr-fairness app` passes the project's Streamlit settings (usage statistics off) on the
# command line, so they hold wherever the app is started from.
app: $(STAMP) prepare
	$(BIN)/pbr-fairness app --address 127.0.0.1

# The gates first (each fails fast): ruff (with a complexity limit), mypy on the library (zero
# errors), then every test and the library's doctests.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not browser" --doctest-modules tests pbr_fairness
	$(BIN)/python -m pytest -m browser tests/browser || [ $$? -eq 5 ]  # 5: none collected

bench: $(STAMP)
	@set -e; for script in benchmarks/bench_*.py; do \
	  echo "== $$script"; \
	  $(BIN)/python "$$script"; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis .bench build dist tests/artifacts artifacts
	rm -f data/synthetic/default_caseload.parquet
	rm -rf data/prepared
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
