# Two commands for a newcomer: `make run` and `make test`. Both create .venv themselves.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The embedded database lives where `atp` itself looks by default (./data in this checkout, or
# ATP_DATA_DIR / DATABASE_URL from the environment or secrets/runtime.env), so `make run` and a
# later `.venv/bin/atp status` always open the same database.

.PHONY: setup run test lint format typecheck pytest bench migrate clean help
.PHONY: frontend-setup frontend-build frontend-api frontend-test
.PHONY: lint-deploy
.PHONY: up down logs ps backup restore deploy rollback containers-test

help:
	@echo "make run    - set up, migrate the embedded SQLite database and start the platform"
	@echo "make test   - set up, lint, type-check and run the test suite (PostgreSQL when reachable)"
	@echo "make lint | typecheck | pytest | bench | migrate | clean"
	@echo "make lint-deploy - compose file, Dockerfiles, shell scripts, Prometheus rules (no engine)"
	@echo "make frontend-build | frontend-test | frontend-api (regenerate the dashboard's API types)"
	@echo "make up | down | logs | ps [PROFILE=local|aws] - the container stack (docs/deployment.md)"
	@echo "make backup | restore DUMP=atp-....dump | deploy | rollback TAG=<sha> | containers-test"

setup: $(STAMP)

$(STAMP): backend/pyproject.toml scripts/bootstrap-venv.sh
	@bash scripts/bootstrap-venv.sh $(VENV)
	@touch $(STAMP)

migrate: setup
	$(BIN)/atp migrate

run: setup
	@bash scripts/run-local.sh

test: setup lint typecheck pytest frontend-test containers-test

lint: setup lint-deploy
	cd backend && ../$(BIN)/ruff check src tests ../bench
	cd backend && ../$(BIN)/ruff format --check src tests ../bench

# Compose file, Dockerfiles, shell scripts and Prometheus rules, without a container engine.
lint-deploy: setup
	@bash scripts/lint-deploy.sh $(BIN)

format: setup
	cd backend && ../$(BIN)/ruff format src tests ../bench && ../$(BIN)/ruff check --fix src tests ../bench

typecheck: setup
	cd backend && ../$(BIN)/mypy

pytest: setup
	@bash scripts/run-tests.sh

# The dashboard (frontend/, docs/dashboard.md). Node >= 20.9 from the machine, else from PyPI.
frontend-setup: setup
	@bash scripts/frontend.sh setup

frontend-build: setup
	@bash scripts/frontend.sh build

frontend-api: setup
	@bash scripts/frontend.sh api

frontend-test: setup
	@bash scripts/frontend.sh test

# The container stack (docker-compose.yml, docs/deployment.md). PROFILE=local (default) or aws.
# The local profile gets its own env file (secrets/compose-local.env, made on first `make up`
# with a random database password) so it never changes the secrets/runtime.env `make run` reads.
PROFILE ?= local
RUNTIME_ENV ?= $(if $(filter aws,$(PROFILE)),secrets/runtime.env,secrets/compose-local.env)
COMPOSE := ATP_RUNTIME_ENV=$(RUNTIME_ENV) ATP_PROFILE=$(PROFILE) docker-compose --profile $(PROFILE)

up:
	@bash scripts/compose_up.sh $(PROFILE) $(RUNTIME_ENV)

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs --tail=200 -f

ps:
	$(COMPOSE) ps

backup:
	$(COMPOSE) exec -T backup bash /usr/local/bin/atp-pg-backup once

# Over the live database (stops the backend services meanwhile); `scripts/restore_db.sh --list`.
restore:
	@test -n "$(DUMP)" || { echo "usage: make restore DUMP=atp-YYYYmmddTHHMMSSZ.dump" >&2; exit 2; }
	ATP_RUNTIME_ENV=$(RUNTIME_ENV) ATP_PROFILE=$(PROFILE) bash scripts/restore_db.sh --live $(DUMP)

deploy:
	bash scripts/deploy_aws.sh $(TAG)

rollback:
	@test -n "$(TAG)" || { echo "usage: make rollback TAG=<image tag (git sha)>" >&2; exit 2; }
	bash scripts/rollback_aws.sh $(TAG)

# Build the images and run the whole stack for real (scripts/ci_containers.sh); skipped with a
# clear line where no engine can run, an error under CI.
containers-test: setup
	@bash scripts/ci_containers.sh

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) data backend/.pytest_cache backend/.mypy_cache backend/.ruff_cache
	rm -rf frontend/node_modules frontend/.next frontend/out frontend/test-results
