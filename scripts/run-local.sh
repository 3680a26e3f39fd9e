#!/usr/bin/env bash
# `make run`: migrate the embedded database and start the whole platform in the foreground.
# Defaults suit a first look (offline replay market data, short intervals); anything already
# set in the environment wins, e.g. `MARKET_SOURCE=exchange make run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
atp="$root/.venv/bin/atp"
cd "$root"  # secrets/runtime.env is read from here, as by `.venv/bin/atp` run in the checkout
export MARKET_SOURCE="${MARKET_SOURCE:-replay}"
export MARKET_INTERVAL_SECONDS="${MARKET_INTERVAL_SECONDS:-15}"
export MONITOR_INTERVAL_SECONDS="${MONITOR_INTERVAL_SECONDS:-10}"
# No ATP_DATA_DIR here: `atp` resolves the database itself (./data in a checkout), so a later
# `.venv/bin/atp status` opens the same one.
"$atp" migrate
# The dashboard: build its static export when missing or outdated; the API serves it at /.
if ! bash "$root/scripts/frontend.sh" build; then
  echo "warning: the dashboard could not be built (see above); the API runs without it" >&2
fi
url="http://127.0.0.1:${API_PORT:-8002}"
echo "starting the platform (Ctrl-C to stop); dashboard on $url/ , API on $url/api/health"
exec "$atp" run
