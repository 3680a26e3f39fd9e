#!/usr/bin/env bash
# Run the pytest suite. PostgreSQL tests run when ATP_TEST_DATABASE_URL is set (CI sets it) or when a
# local server answers on 127.0.0.1:5432 (a throw-away database is created and dropped). Otherwise the
# SQLite suite runs and the summary says clearly that the PostgreSQL tests were skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$root/.venv/bin/python"
created=""

cleanup() {
  if [ -n "$created" ]; then
    "$py" "$root/scripts/pg_tmpdb.py" drop "$created" || true
  fi
}
trap cleanup EXIT

if [ -z "${ATP_TEST_DATABASE_URL:-}" ]; then
  if url=$("$py" "$root/scripts/pg_tmpdb.py" create 2>/dev/null); then
    created="$url"
    export ATP_TEST_DATABASE_URL="$url"
    echo "PostgreSQL found on 127.0.0.1:5432: using throw-away database for this run"
  else
    echo "PostgreSQL not reachable on 127.0.0.1:5432: running the SQLite suite only (PostgreSQL tests will be SKIPPED)"
  fi
fi

cd "$root/backend"
"$py" -m pytest "$@"
