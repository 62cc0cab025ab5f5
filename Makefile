# Everything a developer or CI runs. Works on a fresh clone with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help venv install lock test check format lint types contracts docs demo bench clean

help:
	@echo "make demo    start hatchetd on .hatchet/ with the example worker, push an event, show its run"
	@echo "make test    create .venv if missing, install, run the whole test suite"
	@echo "make check   format check, lint, types, import contracts, tests"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make lock    re-pin constraints.txt to the newest versions pyproject.toml allows"
	@echo "make docs    regenerate the command reference in docs/cli.md from the commands' --help"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata or its pinned versions change; the install is
# editable, and constraints.txt pins every dependency to the versions tested and measured.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv install: $(STAMP)

# Re-pin: the newest versions pyproject.toml allows, installed in a scratch venv, frozen into
# constraints.txt. Run the tests and `make bench` before committing the new pins.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable \
		--disable-pip-version-check | grep -viE '^(pip|setuptools|wheel)=='; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

# Three workers on two cores, work stealing: many process tests wait (a cut database, a drain,
# a cron tick), and a third worker uses the CPU they leave idle (10.7 min → 7.6 min here).
test: $(STAMP)
	$(BIN)/python -m pytest -n 3 --dist worksteal $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format hatchet_cli daemon tests examples bench
	$(BIN)/ruff check --fix hatchet_cli daemon tests examples bench

lint: $(STAMP)
	$(BIN)/ruff format --check hatchet_cli daemon tests examples bench
	$(BIN)/ruff check hatchet_cli daemon tests examples bench

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

check: lint types contracts test

docs: $(STAMP)
	$(BIN)/python -m hatchet_cli.cli.reference
	cp tests/tui/__snapshots__/*/*.svg docs/tui/

demo: $(STAMP)
	$(BIN)/python examples/demo.py

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-lock .mypy_cache .ruff_cache .pytest_cache
