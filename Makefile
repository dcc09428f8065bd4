# Baton — the two commands that matter:
#   make run    install what is missing, build the editor, start local mode
#   make test   install what is missing and run every suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test bench web worker beat install editor editor-deps api-types check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Baton needs Python 3.11 or newer (found %s); set PYTHON=python3.12 or similar" % sys.version.split()[0])'

$(VENV)/.installed: pyproject.toml constraints.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@touch $@

install: $(VENV)/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "Baton's editor needs Node.js 20+ and npm"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

editor-deps: $(if $(wildcard frontend/package.json),frontend/node_modules/.installed)

# Built again only when a source of the editor changed since the last build (~9 s saved on
# every `make run`).
EDITOR_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/vite.config.* frontend/tsconfig*.json frontend/package.json frontend/package-lock.json)

frontend/dist/.built: $(EDITOR_SOURCES) | editor-deps
	cd frontend && npm run --silent build
	@touch $@

editor: $(if $(wildcard frontend/package.json),frontend/dist/.built)

# The editor's API types: the OpenAPI schema the backend serves, made offline (no server, no
# database) into a temp file, then frontend/src/api/openapi.json and schema.d.ts from it. Run
# after changing a serializer or a view, and commit both; `npm test` fails while they disagree.
api-types: install editor-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  BATON_DATA_DIR="$$tmp" $(PY) manage.py spectacular --format openapi-json --file "$$tmp/openapi.json" && \
	  cd frontend && npm run --silent api-types -- "$$tmp/openapi.json"

run: install editor
	$(PY) -m orchestrator_site.local

test: install editor
	scripts/test.sh

bench: install editor
	$(PY) -m bench

# Queue mode: set DATABASE_URL (PostgreSQL), REDIS_URL, BATON_SECRET_KEY and
# BATON_CREDENTIALS_KEY (a Fernet key, the same in every process), then start
# any number of each on any hosts. `make web` runs BATON_WEB_PROCESSES Daphne processes
# (default: 2 on a machine with 2 or more cores) on one socket and restarts any that dies.
# Behind a TLS proxy, BATON_HTTPS=1 also makes Daphne take the client's address from the
# proxy's headers.
web: install editor
	$(PY) manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(PY) -m orchestrator_site.web

# Each worker is named uniquely (the health check counts them by name).
worker: install
	$(VENV)/bin/celery -A orchestrator_site worker --loglevel INFO --without-gossip --without-mingle \
	  --hostname "baton-$$(hostname)-$$$$@%h"

# Exactly one beat process per installation: it sends the tick that fires due schedules
# (a second one would only send duplicate ticks; firings are compare-and-set, never doubled).
beat: install
	$(VENV)/bin/celery -A orchestrator_site beat --loglevel INFO

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist test-artifacts
