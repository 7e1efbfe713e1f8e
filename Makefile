# The two commands of the README: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest bench mutants clean

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

# import-linter (the layers contract in pyproject.toml) in its own venv: see the `lint` extra.
LINT_BIN := .venv-lint/bin
$(LINT_BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-lint
	$(LINT_BIN)/python -m pip install --quiet --quiet 'import-linter>=2.4'
	touch $@

lint: $(STAMP_DEV) $(LINT_BIN)/.installed
	$(BIN)/ruff check trakt_export trakt_fake tests benchmarks scripts
	$(BIN)/ruff format --check trakt_export trakt_fake tests benchmarks scripts
	PYTHONPATH="$(CURDIR)" $(LINT_BIN)/lint-imports --no-cache

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

pytest: $(STAMP_DEV)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP_RUN)
	@export PATH="$(CURDIR)/$(BIN):$$PATH" PYTHONPATH="$(CURDIR)"; \
	$(BIN)/python benchmarks/export_bench.py; exports=$$?; \
	$(BIN)/python benchmarks/restore_bench.py; restore=$$?; \
	exit $$((exports | restore))

# Mutation testing, on demand (never in CI or `make test`): [tool.mutmut] in pyproject.toml says
# which modules and which tests. One module at a time, one worker (shared machine), each within
# MUTANTS_BUDGET seconds; a module cut short keeps its unchecked mutants for the next run (mutmut
# resumes). `make mutants MUTANTS=transport.retry` runs one module (dotted, below trakt_export).
# mutmut lives in its own venv (.venv-mutants): see the `mutants` extra in pyproject.toml.
MUTANTS ?= $(shell find trakt_export -name '*.py' ! -name '__*' ! -path '*/cli/*' \
	| sed 's|^trakt_export/||; s|\.py$$||; s|/|.|g' | sort)
MUTANTS_BUDGET ?= 900
MBIN := .venv-mutants/bin
$(MBIN)/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-mutants
	$(MBIN)/python -m pip install --quiet --quiet -e '.[dev,mutants]'
	touch $@
mutants: $(MBIN)/.installed
	@for m in $(MUTANTS); do \
		echo "== mutants of trakt_export.$$m"; \
		PATH="$(CURDIR)/$(MBIN):$$PATH" timeout $(MUTANTS_BUDGET) $(MBIN)/mutmut run \
			--max-children 1 "trakt_export.$$m.*" > /dev/null 2>&1 \
			|| echo "   (stopped by MUTANTS_BUDGET or failed: see mutmut results)"; \
	done
	@$(MBIN)/mutmut results --all true 2>/dev/null \
		| sed -n 's/^ *trakt_export\.\(.*\)\.x[a-zA-Z_]*__mutmut_[0-9]*: \(.*\)$$/\1 \2/p' \
		| sed 's/\.[A-Za-z_]*ǁ.*\( [a-z ]*\)$$/\1/' | sort | uniq -c

clean:
	rm -rf $(VENV) .venv-mutants .venv-lint .mypy_cache .pytest_cache .ruff_cache mutants
