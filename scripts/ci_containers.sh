#!/usr/bin/env bash
# The container check (`make containers-test`, called by .ci/run): build the images on a locally
# bootstrapped base (no registry here), start the whole stack with the `local` profile, wait until
# every service is healthy, check /api/health/system through the API container, kill a worker and
# see it come back healthy, back up the database and restore the dump into a fresh database, then
# tear everything down. Installs Debian's docker.io / docker-compose / debootstrap when missing and
# stops the daemon only if it started it. See docs/deployment.md, "CI container check".
#
# Under CI (CI=true, or ATP_CONTAINERS_PROVISION=1) it installs what is missing and starts dockerd;
# elsewhere it only uses an engine that is already running and otherwise skips with one clear line
# (`make test` on a workstation never installs packages or starts daemons). Under CI a skip is an
# error instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Debian's 20.10 client: BuildKit without buildx (a newer CLI elsewhere on PATH may lack buildx).
DOCKER="${DOCKER:-/usr/bin/docker}"
export DOCKER
export DOCKER_BUILDKIT=1
# A project of its own per run: parallel runs on one engine never share containers or volumes.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-atpci$$}"
BASE_IMAGE="local/atp-debian:bookworm"
POSTGRES_IMAGE="local/atp-postgres:15"
HEALTH_TIMEOUT_S="${HEALTH_TIMEOUT_S:-240}"
work="$(mktemp -d)"
started_daemon_pid=""
stack_started=""
provision=""
if [ "${CI:-}" = "true" ] || [ "${ATP_CONTAINERS_PROVISION:-}" = 1 ]; then
  provision=1
fi

log() { printf '[containers %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then
    echo "containers-test: $1; under CI this is an error" >&2
    exit 1
  fi
  echo "containers-test: SKIPPED: $1 (the stack was not built or started)"
  exit 0
}

compose() {
  docker-compose --profile local "$@"
}

cleanup() {
  local status=$?
  if [ -n "$stack_started" ]; then
    if [ "$status" -ne 0 ]; then
      log "failure: service states and recent logs follow"
      compose ps || true
      compose logs --tail=40 || true
    fi
    compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  if [ -n "$started_daemon_pid" ]; then
    log "stopping the dockerd this run started (pid $started_daemon_pid)"
    kill "$started_daemon_pid" 2>/dev/null || true
    wait "$started_daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

ensure_packages() {
  local missing=()
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ -n "$provision" ] || skip_or_fail "${missing[*]} not installed (CI installs them)"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    skip_or_fail "missing ${missing[*]} and cannot install them (needs root and apt-get)"
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_daemon() {
  if "$DOCKER" info >/dev/null 2>&1; then
    log "using the running Docker engine"
    return 0
  fi
  [ -n "$provision" ] || skip_or_fail "no Docker engine is running (CI starts one)"
  [ "$(id -u)" -eq 0 ] || skip_or_fail "no Docker engine is running and starting one needs root"
  log "starting dockerd"
  dockerd >"$work/dockerd.log" 2>&1 &
  started_daemon_pid=$!
  local _
  for _ in $(seq 1 60); do
    "$DOCKER" info >/dev/null 2>&1 && return 0
    kill -0 "$started_daemon_pid" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$work/dockerd.log" >&2
  skip_or_fail "dockerd did not start"
}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

bootstrap_base() {
  if have_image "$BASE_IMAGE"; then
    log "base image $BASE_IMAGE is cached"
    return 0
  fi
  local mirror rootfs="$work/rootfs"
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  log "bootstrapping $BASE_IMAGE (debootstrap minbase bookworm from $mirror)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # Package downloads inside builds trust what the host trusts (e.g. an intercepting proxy's CA).
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  tar -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
}

build_images() {
  local postgres_pid=""
  if ! have_image "$POSTGRES_IMAGE"; then
    # In the background: it needs only the base, and the backend build waits on downloads too.
    log "building $POSTGRES_IMAGE (Debian's postgresql-15, official image's entrypoint contract)"
    "$DOCKER" build -t "$POSTGRES_IMAGE" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
      docker/ci-postgres >"$work/postgres-build.log" 2>&1 &
    postgres_pid=$!
  else
    log "PostgreSQL image $POSTGRES_IMAGE is cached"
  fi
  # The image serves the dashboard: its static export is built first (a no-op when current).
  log "building the dashboard export (frontend/out)"
  bash scripts/frontend.sh build >"$work/frontend.log" 2>&1 ||
    { tail -n 40 "$work/frontend.log" >&2; return 1; }
  log "building the backend image"
  PYTHON_IMAGE="$BASE_IMAGE" REQUIRE_DASHBOARD=1 ATP_IMAGE=atp-backend ATP_TAG=ci \
    bash scripts/build_image.sh >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; return 1; }
  tail -n 1 "$work/build.log"
  if [ -n "$postgres_pid" ] && ! wait "$postgres_pid"; then
    tail -n 40 "$work/postgres-build.log" >&2
    return 1
  fi
}

write_runtime_env() {
  # A throw-away secrets file: the developer's own secrets/runtime.env is never touched.
  export ATP_RUNTIME_ENV="$work/runtime.env"
  POSTGRES_PASSWORD="ci-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" \
    ENVIRONMENT=local MARKET_SOURCE=replay REPLAY_SPEED=60 \
    bash scripts/render_runtime_env.sh --profile local --output "$ATP_RUNTIME_ENV" >/dev/null
}

container_states() {
  local id
  for id in $(compose ps -q); do
    "$DOCKER" inspect -f \
      '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' \
      "$id"
  done
}

wait_all_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S)) states pending line
  while :; do
    states="$(container_states)"
    # Healthy, or a one-shot (migrate) that exited 0; anything else is still pending.
    pending="$(awk '!(($2 == "running" && $4 == "healthy") || ($2 == "exited" && $3 == "0" && $4 == "none"))' <<<"$states")"
    if [ -z "$pending" ]; then
      log "all services healthy:"
      while read -r line; do echo "    $line"; done <<<"$states"
      return 0
    fi
    if awk '$2 == "exited" && $3 != "0"' <<<"$pending" | grep -q .; then
      log "a container exited with an error:"; echo "$pending" >&2; return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "not healthy after ${HEALTH_TIMEOUT_S}s:"; echo "$pending" >&2; return 1
    fi
    sleep 2
  done
}

# Through the API container: per-component health, the build identity baked into the image, and
# the dashboard served at /.
check_api() {
  local body baked
  body="$(compose exec -T api python3 -c '
import json, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8002/api/health/system", timeout=10) as r:
    body = json.load(r)
print(json.dumps({"status": body["status"], "components": sorted(body["components"])}))
')"
  log "/api/health/system through the api container: $body"
  grep -q '"database"' <<<"$body" || { echo "no database component in /api/health/system" >&2; return 1; }
  baked="$("$DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' atp-backend:ci |
    sed -n 's/^GIT_SHA=//p')"
  body="$(compose exec -T api python3 -c '
import json, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8002/api/config", timeout=10) as r:
    print(json.load(r)["git_sha"])
with urllib.request.urlopen("http://127.0.0.1:8002/", timeout=10) as r:
    page = r.read().decode()
print("dashboard" if "<html" in page and "make frontend-build" not in page else "NO DASHBOARD")
')"
  log "/api/config git_sha and /: $(tr '\n' ' ' <<<"$body")"
  [ "$(head -n 1 <<<"$body")" = "$baked" ] || { echo "git_sha is not the image's ($baked)" >&2; return 1; }
  [ "$(tail -n 1 <<<"$body")" = dashboard ] || { echo "/ does not serve the dashboard" >&2; return 1; }
}

psql_db() {
  # shellcheck disable=SC2016  # expanded by the shell inside the db container
  compose exec -T db sh -c 'psql -v ON_ERROR_STOP=1 -qtA -U "$POSTGRES_USER" -d "${1:-$POSTGRES_DB}" -c "$2"' \
    psql "$1" "$2"
}

kill_worker_and_recover() {
  local id before restarts killed_at service
  id="$(compose ps -q monitor)"
  service="$(compose exec -T monitor python3 -c \
    'from atp.ops.heartbeats import MONITOR_SERVICE; print(MONITOR_SERVICE)')"
  before="$("$DOCKER" inspect -f '{{.RestartCount}}' "$id")"
  killed_at="$(psql_db "" "select now()")"
  log "killing the monitor container's process (restart count $before)"
  # The container's main process dies as in a crash; `docker kill` would count as a manual stop,
  # which the restart policy deliberately leaves stopped. A heartbeat written after the kill can
  # only come from the restarted process (same hostname and pid 1, so the same heartbeat row).
  kill -KILL "$("$DOCKER" inspect -f '{{.State.Pid}}' "$id")"
  local deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  while :; do
    restarts="$("$DOCKER" inspect -f '{{.RestartCount}}' "$id")"
    if [ "$restarts" -gt "$before" ] &&
      [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] &&
      [ "$(psql_db "" "select count(*) from service_heartbeats where service = '$service'
                         and beat_at > '$killed_at'")" -ge 1 ]; then
      log "monitor restarted (restart count $restarts) and its new process reports healthy"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "monitor did not come back healthy (restarts $restarts)"; return 1
    fi
    sleep 2
  done
}

backup_and_restore() {
  local dump table live restored
  # Data of our own, written through the platform: two audited switch changes.
  compose run --rm -T cli settings set MONITOR_PAUSED on >/dev/null
  compose run --rm -T cli settings set MONITOR_PAUSED off >/dev/null
  log "backing up the database (pg_dump) into the backups volume"
  dump="$(compose exec -T backup bash /usr/local/bin/atp-pg-backup once | tail -n 1)"
  log "backup: $dump"
  bash scripts/restore_db.sh --database atp_restore_check "$(basename "$dump")" >/dev/null
  # Tables nothing writes to while the check runs: the counts must match exactly.
  for table in config_changes strategy_presets trading_settings alembic_version; do
    live="$(psql_db "" "select count(*) from $table")"
    restored="$(psql_db atp_restore_check "select count(*) from $table")"
    log "$table rows: live $live, restored into a fresh database $restored"
    [ "$live" -gt 0 ] && [ "$restored" = "$live" ] || return 1
  done
  [ "$(psql_db "" "select count(*) from config_changes")" -ge 2 ] || return 1
}

main() {
  local t0=$SECONDS
  ensure_packages
  ensure_daemon
  bootstrap_base
  build_images
  write_runtime_env
  export ATP_IMAGE=atp-backend ATP_TAG=ci ATP_POSTGRES_IMAGE="$POSTGRES_IMAGE"
  # Fast health cadence for the check; production keeps the defaults in docker-compose.yml.
  # An empty ATP_API_PORT publishes the API on a free loopback port (parallel runs never collide).
  export ATP_HEALTH_INTERVAL=3s ATP_HEALTH_START_PERIOD=60s ATP_API_PORT=""
  export BACKUP_INTERVAL_SECONDS=3600
  log "starting the stack (profile local)"
  stack_started=1
  compose up -d --no-build
  wait_all_healthy
  check_api
  kill_worker_and_recover
  backup_and_restore
  log "memory in use per container:"
  local ids
  mapfile -t ids < <(compose ps -q)
  "$DOCKER" stats --no-stream --format '    {{.Name}} {{.MemUsage}}' "${ids[@]}"
  compose down -v --remove-orphans >/dev/null 2>&1
  stack_started=""
  log "container check passed in $((SECONDS - t0)) s"
}

main "$@"
