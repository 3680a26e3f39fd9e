#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser tests when it is missing (CI runs this;
# the tests never download a browser of their own). Needs root or sudo, and apt.
set -euo pipefail
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cannot install chromium: no apt-get on this machine (set CHROMIUM_PATH to a Chromium)" >&2
  exit 1
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing chromium (apt) for the dashboard's browser tests"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
