#!/usr/bin/env bash
# `make run`: migrate the embedded database and start the platform in the foreground.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
atp="$root/.venv/bin/atp"
export ATP_DATA_DIR="${ATP_DATA_DIR:-$root/data}"
mkdir -p "$ATP_DATA_DIR"
"$atp" migrate
exec "$atp" run
