#!/usr/bin/env bash
# Every suite, in order: the editor's unit tests, then Python unit and integration tests in
# queue mode (PostgreSQL + Redis) and again in local mode (SQLite + an embedded Redis), then
# the browser tests. Called by `make test`, which installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
rm -rf test-artifacts && mkdir -p test-artifacts

step() { printf '\n==> %s\n' "$*"; }

if ! .venv/bin/python - <<'PY'
import os, socket, sys
from urllib.parse import urlparse
for name, default in (("REDIS_URL", "redis://127.0.0.1:6379/0"), ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")):
    url = urlparse(os.environ.get(name, default))
    try:
        socket.create_connection((url.hostname, url.port), timeout=3).close()
    except OSError as exc:
        sys.exit(f"{name.split('_')[0].lower()} is not reachable at {url.hostname}:{url.port} ({exc}); "
                 "the queue-mode tests need it (.ci/run starts it on a CI machine)")
PY
then exit 1; fi

step "Python checks: ruff, mypy, the import contract, the editor's API schema up to date"
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
schema_dir=$(mktemp -d)
BATON_DATA_DIR="$schema_dir" $PY manage.py spectacular --format openapi-json --file "$schema_dir/openapi.json"
if ! cmp -s "$schema_dir/openapi.json" frontend/src/api/openapi.json; then
  echo "frontend/src/api/openapi.json is not the schema the API serves: run make api-types and commit"
  exit 1
fi
rm -rf "$schema_dir"

if [ -f frontend/package.json ]; then
  step "editor checks (tsc, eslint, API types up to date) and unit tests (vitest)"
  (cd frontend && npm test --silent)
fi

step "Python unit and integration tests, queue mode (PostgreSQL, Redis)"
BATON_TEST_MODE=queue $PY -m pytest tests/unit tests/security tests/integration -q

step "integration tests, local mode (SQLite, embedded Redis)"
BATON_TEST_MODE=local $PY -m pytest tests/security tests/integration -q -m "not queue_only"

if [ -d tests/browser ] && ls tests/browser/test_*.py >/dev/null 2>&1; then
  step "browser tests (Chromium)"
  BATON_TEST_MODE=queue $PY -m pytest tests/browser -q
fi
step "all suites passed"
