# The two commands of the README: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --quiet -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh scripts/demo.sh

lint: $(STAMP_DEV)
	$(BIN)/ruff check trakt_export tests benchmarks scripts
	$(BIN)/ruff format --check trakt_export tests benchmarks scripts

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

pytest: $(STAMP_DEV)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP_RUN)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/export_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
