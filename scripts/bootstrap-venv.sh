#!/usr/bin/env bash
# Create the virtual environment at the repository root and install the backend with dev extras.
# Idempotent: re-running only installs what changed.
set -euo pipefail
venv="${1:-.venv}"

pick_python() {
  # Probes are silent: a pyenv shim answers `command -v` for versions that are not active and
  # then prints "command not found" when run; that is a miss, not an error for the user.
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
         >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

# A venv left half-made (e.g. `python3 -m venv` failed before python3-venv was installed) has a
# python but no pip: rebuild it rather than failing on every later run.
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  echo "rebuilding $venv: it has no pip (an earlier creation failed part-way)"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  python=$(pick_python) || { echo "error: Python >= 3.11 is required (python3 --version)" >&2; exit 1; }
  if ! "$python" -m venv "$venv"; then
    echo "error: '$python -m venv' failed; on Debian/Ubuntu install it with: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "backend[dev]"
echo "environment ready: $venv ($("$venv/bin/python" --version))"
