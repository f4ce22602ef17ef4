# Portfolio CMS: every target says what it does, then shows the commands it runs.
# Needs only Python 3.11+ (with venv) and make; everything else goes into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install run test pytest lint format migration bench

help: ## Show the targets
	@echo "Portfolio CMS: make targets"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@echo "==> Creating the virtual environment $(VENV) with $(PYTHON)"
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed; run with PYTHON=python3.12 (or similar)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing the app and its dev tools into $(VENV) (first time: a minute or two)"
	$(BIN)/python -m pip install --quiet -e '.[dev,pdf]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the app with its dev tools and the PDF extra

run: $(STAMP) ## Migrate + seed the SQLite database, create a dev admin, serve on 127.0.0.1:8000
	@echo "==> Starting the CMS on http://$(HOST):$(PORT) (database: DATABASE_URL or ./cms.db)"
	$(BIN)/cms dev --host $(HOST) --port $(PORT)

test: $(STAMP) pytest lint ## Install, run the whole test suite, then lint (ruff + mypy)

pytest: $(STAMP) ## Run the test suite only (SQLite and PostgreSQL; PYTEST_ARGS=... to narrow)
	@echo "==> Running the test suite in $(PYTEST_WORKERS) processes (a test file stays in one)"
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP) ## Check the code: ruff check (whole repo), mypy (cms/), cfn-lint (template.yaml)
	@echo "==> Linting with ruff"
	$(BIN)/ruff check .
	@echo "==> Type-checking cms/ with mypy"
	$(BIN)/mypy cms
	@echo "==> Checking the SAM template with cfn-lint"
	$(BIN)/cfn-lint template.yaml

bench: $(STAMP) ## The speed targets: cold starts from the Lambda zip, warm hits, HTTP hits (needs wrk)
	@echo "==> Benchmarks (figures with their conditions; see the README's table)"
	$(BIN)/python bench/cold_start.py
	$(BIN)/python -m bench.http_load --hits-only

format: $(STAMP) ## Format the code with ruff and apply its safe fixes
	@echo "==> Formatting with ruff"
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migration: $(STAMP) ## Autogenerate a migration from the models: make migration m="add foo"
	@test -n "$(m)" || { echo 'Say what changed: make migration m="add foo to bar"'; exit 1; }
	@echo "==> Autogenerating a migration: $(m)"
	$(BIN)/cms db revision -m "$(m)"
