# Two commands for a newcomer: `make run` and `make test`. Both create .venv themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The embedded database lives where `atp` itself looks by default (./data in this checkout, or
# ATP_DATA_DIR / DATABASE_URL from the environment or secrets/runtime.env), so `make run` and a
# later `.venv/bin/atp status` always open the same database.

.PHONY: setup run test lint format typecheck pytest bench migrate clean help

help:
	@echo "make run    - set up, migrate the embedded SQLite database and start the platform"
	@echo "make test   - set up, lint, type-check and run the test suite (PostgreSQL when reachable)"
	@echo "make lint | typecheck | pytest | bench | migrate | clean"

setup: $(STAMP)

$(STAMP): backend/pyproject.toml scripts/bootstrap-venv.sh
	@bash scripts/bootstrap-venv.sh $(VENV)
	@touch $(STAMP)

migrate: setup
	$(BIN)/atp migrate

run: setup
	@bash scripts/run-local.sh

test: setup lint typecheck pytest

lint: setup
	cd backend && ../$(BIN)/ruff check src tests ../bench
	cd backend && ../$(BIN)/ruff format --check src tests ../bench

format: setup
	cd backend && ../$(BIN)/ruff format src tests ../bench && ../$(BIN)/ruff check --fix src tests ../bench

typecheck: setup
	cd backend && ../$(BIN)/mypy

pytest: setup
	@bash scripts/run-tests.sh

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) data backend/.pytest_cache backend/.mypy_cache backend/.ruff_cache
