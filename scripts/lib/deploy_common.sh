#!/usr/bin/env bash
# Shared by scripts/deploy_aws.sh and scripts/rollback_aws.sh (sourced, not run).
# Environment: ATP_PROFILE (default aws), ATP_IMAGE (default atp-backend), ATP_RUNTIME_ENV
# (default secrets/runtime.env), DEPLOY_HEALTH_TIMEOUT (seconds, default 300),
# DEPLOY_POLL_SECONDS (default 3), ATP_DEPLOY_STATE_DIR (default .deploy), DOCKER (client).

ATP_PROFILE="${ATP_PROFILE:-aws}"
ATP_IMAGE="${ATP_IMAGE:-atp-backend}"
ATP_RUNTIME_ENV="${ATP_RUNTIME_ENV:-secrets/runtime.env}"
DEPLOY_HEALTH_TIMEOUT="${DEPLOY_HEALTH_TIMEOUT:-300}"
DEPLOY_POLL_SECONDS="${DEPLOY_POLL_SECONDS:-3}"
DOCKER="${DOCKER:-docker}"
STATE_DIR="${ATP_DEPLOY_STATE_DIR:-.deploy}"
export ATP_IMAGE ATP_RUNTIME_ENV
summary=()

step() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; summary+=("$*"); }

# docker-compose for one image tag: compose_at TAG ARGS...
compose_at() {
  local tag="$1"
  shift
  ATP_TAG="$tag" docker-compose --profile "$ATP_PROFILE" "$@"
}

# The tag the stack runs now: recorded by the last successful deploy or rollback.
current_tag() {
  [ -f "$STATE_DIR/current_tag" ] && cat "$STATE_DIR/current_tag"
  return 0
}

record_tag() {
  mkdir -p "$STATE_DIR"
  current_tag >"$STATE_DIR/previous_tag"
  printf '%s\n' "$1" >"$STATE_DIR/current_tag"
}

image_exists() { "$DOCKER" image inspect "$ATP_IMAGE:$1" >/dev/null 2>&1; }

# A value from the env file (written single-quoted by render_runtime_env.sh); never printed.
env_value() {
  sed -n "s/^$1='\(.*\)'\$/\1/p" "$ATP_RUNTIME_ENV" 2>/dev/null | tail -n 1
}

# Tell the operator on Telegram (ops chat when set). The token stays out of the process list.
notify_operator() {
  local token chat base
  token="$(env_value TELEGRAM_BOT_TOKEN)"
  chat="$(env_value TELEGRAM_CHAT_ID_OPS)"
  chat="${chat:-$(env_value TELEGRAM_CHAT_ID)}"
  base="$(env_value TELEGRAM_API_BASE_URL)"
  base="${base:-https://api.telegram.org}"
  if [ -z "$token" ] || [ -z "$chat" ]; then
    echo "operator NOT notified: TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID not in $ATP_RUNTIME_ENV" >&2
    return 0
  fi
  if printf 'url = "%s/bot%s/sendMessage"\n' "$base" "$token" |
    curl -K - --fail --silent --show-error --max-time 15 --output /dev/null \
      --data-urlencode "chat_id=$chat" --data-urlencode "text=$1"; then
    echo "operator notified on Telegram"
  else
    echo "operator NOT notified: the Telegram request failed" >&2
  fi
}

# One line per service container of the stack: name, state, exit code, health ("none" without
# a check). One-off containers (`run --rm`, which docker-compose 1.29 can leave behind) are
# skipped: a migrate run that failed in an earlier deploy must not fail every later health wait.
container_states() {
  local id
  for id in $(docker-compose --profile "$ATP_PROFILE" ps -q); do
    "$DOCKER" inspect -f \
      '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{index .Config.Labels "com.docker.compose.oneoff"}}' \
      "$id"
  done | awk '$5 != "True" { print $1, $2, $3, $4 }'
}

# Wait until every container of the profile is healthy (the one-shot migrate: exited 0); on
# timeout name the ones that are not. (`config --services` would list other profiles' too.)
wait_healthy() {
  local deadline=$((SECONDS + DEPLOY_HEALTH_TIMEOUT)) states pending
  while :; do
    states="$(container_states)"
    pending="$(awk '!(($2 == "running" && $4 == "healthy") || ($2 == "exited" && $3 == "0" && $4 == "none"))' <<<"$states")"
    if [ -n "$states" ] && [ -z "$pending" ]; then
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "not healthy after ${DEPLOY_HEALTH_TIMEOUT}s: $(tr '\n' ' ' <<<"${pending:-no containers}")" >&2
      return 1
    fi
    sleep "$DEPLOY_POLL_SECONDS"
  done
}

# The database's Alembic revision (empty for an empty database).
db_revision() {
  # shellcheck disable=SC2016  # expanded by the shell inside the db container
  docker-compose --profile "$ATP_PROFILE" exec -T db sh -c \
    'psql -qtA -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "select version_num from alembic_version" 2>/dev/null || true'
}

# The Alembic head an image expects.
image_head() {
  "$DOCKER" run --rm "$ATP_IMAGE:$1" python3 -c \
    'from atp.db.revision import head_revision; print(head_revision("sqlite://"))'
}

backup_now() {
  docker-compose --profile "$ATP_PROFILE" exec -T backup bash /usr/local/bin/atp-pg-backup once |
    tail -n 1
}

# Put the database at TARGET_TAG's head using FROM_TAG's knowledge of newer revisions, then run
# TARGET_TAG's services and wait for health. Returns non-zero if anything fails.
switch_to() {
  local target="$1" from="$2" want have code=0
  want="$(image_head "$target")" || return 1
  have="$(db_revision)"
  if [ -n "$have" ] && [ "$have" != "$want" ] && [ -n "$from" ]; then
    step "schema: database at $have, $target expects $want: downgrading with $from"
    compose_at "$from" run --rm --no-deps migrate python3 /opt/atp-tools/schema_downgrade.py \
      "$want" || code=$?
    # 3: the target's head is newer than $from knows; the target's own migrate upgrades.
    [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || { step "schema downgrade FAILED (exit $code)"; return 1; }
  fi
  step "starting $ATP_IMAGE:$target"
  compose_at "$target" up -d --no-build --remove-orphans || return 1
  step "waiting for every service to be healthy (up to ${DEPLOY_HEALTH_TIMEOUT}s)"
  wait_healthy
}

print_summary() {
  echo
  echo "==== summary ===="
  printf '  %s\n' "${summary[@]}"
}
