# Accord: the two quickstart commands (`make demo`, `make test`) and a few helpers.
# Each target creates ./.venv on first use, so a fresh clone needs only Python 3.11+.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# OpenTAXII 0.10.0b1 (a TAXII peer for the feed interop tests) needs SQLAlchemy < 2, which
# cannot share Accord's environment: it gets its own, made here before any test runs.
OPENTAXII_VENV ?= .venv-opentaxii
OPENTAXII_VERSION := 0.10.0b1

.PHONY: demo test screenshots docs lint typecheck install install-test peers browser proxy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml $(OPENTAXII_VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(OPENTAXII_VENV)/.installed:
	$(PYTHON) -m venv $(OPENTAXII_VENV)
	$(OPENTAXII_VENV)/bin/pip install --quiet 'opentaxii==$(OPENTAXII_VERSION)'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
## peers: the separate environment of the OpenTAXII interop peer (part of install-test)
peers: $(OPENTAXII_VENV)/.installed

## demo: install, create a demo hub on SQLite (three partner CERTs, indicators, an exercise) and serve it
demo: install
	$(BIN)/accord demo --host 127.0.0.1 --port 8000

## browser: Debian's Chromium for the browser tests (needs root or sudo; skipped when present)
browser:
	@scripts/install-chromium

## proxy: Debian's nginx for the multi-node tests (needs root or sudo; skipped when present)
proxy:
	@scripts/install-nginx

## test: install, then run the whole suite (SQLite; PostgreSQL too when ACCORD_TEST_DATABASE_URL is set)
test: install-test browser proxy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## screenshots: run the browser tests and rewrite docs/screenshots/ (`make test` never writes them)
screenshots: install-test browser
	ACCORD_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

## docs: regenerate docs/cli.md from the real --help of every command (a test fails when stale)
docs: install
	$(BIN)/python -m accord.assembly.clidocs --write docs/cli.md

lint: install-test
	$(BIN)/ruff check platform feeds exercises tests bench

typecheck: install-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OPENTAXII_VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
