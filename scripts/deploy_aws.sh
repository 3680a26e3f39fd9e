#!/usr/bin/env bash
# The one deploy path (docs/deployment.md): render secrets, build (or pull) the image, back up the
# database, migrate, restart, wait for every service to be healthy. On any failure after the
# backup it rolls back automatically to the image that ran before (downgrading the schema with the
# new image first when the migration changed it), tells the operator on Telegram, and exits 1.
# Prints a summary either way.
#
#   scripts/deploy_aws.sh [--pull] [TAG]     # TAG defaults to the checkout's short git sha
#
# --pull: take $ATP_IMAGE:TAG from a registry instead of building it here.
# ATP_RENDER_SECRETS=0 keeps an existing env file instead of rendering it (ATP_SSM_PATH, default
# /atp/prod, is where render_runtime_env.sh reads SSM Parameter Store).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/deploy_common.sh
source scripts/lib/deploy_common.sh

pull="" tag=""
for arg in "$@"; do
  case "$arg" in
    --pull) pull=1 ;;
    -*) echo "usage: $0 [--pull] [TAG]" >&2; exit 2 ;;
    *) tag="$arg" ;;
  esac
done
tag="${tag:-$(git rev-parse --short=12 HEAD)}"
previous="$(current_tag)"
export ATP_SSM_PATH="${ATP_SSM_PATH:-/atp/prod}"

fail_before_change() {
  step "deploy of $tag FAILED before anything changed: $1"
  notify_operator "ATP deploy of $tag failed before anything changed: $1. Still running: ${previous:-nothing}."
  print_summary
  exit 1
}

roll_back() {
  step "deploy of $tag FAILED: $1"
  if [ -z "$previous" ] || ! image_exists "$previous"; then
    step "no previous image to roll back to (${previous:-first deploy})"
    notify_operator "ATP deploy of $tag FAILED ($1) and there is no previous image to roll back to. Backup: ${backup:-none}. Act now."
    print_summary
    exit 1
  fi
  step "rolling back to $previous"
  # .deploy/current_tag still names $previous: the failed tag was never recorded.
  if switch_to "$previous" "$tag"; then
    step "rollback to $previous is healthy"
    notify_operator "ATP deploy of $tag FAILED ($1); rolled back to $previous, which is healthy. Backup: $backup."
  else
    step "rollback to $previous is NOT healthy"
    notify_operator "ATP deploy of $tag FAILED ($1) and the rollback to $previous is NOT healthy. Backup: $backup. Act now."
  fi
  print_summary
  exit 1
}

step "deploying $ATP_IMAGE:$tag (running now: ${previous:-nothing})"
if [ "${ATP_RENDER_SECRETS:-1}" != 0 ]; then
  bash scripts/render_runtime_env.sh --profile aws --output "$ATP_RUNTIME_ENV" ||
    fail_before_change "the secrets file could not be rendered"
fi
if [ -n "$pull" ]; then
  step "pulling $ATP_IMAGE:$tag"
  "$DOCKER" pull "$ATP_IMAGE:$tag" || fail_before_change "pull failed"
elif image_exists "$tag" && [ "${ATP_REBUILD:-0}" = 0 ]; then
  step "image $ATP_IMAGE:$tag exists; not rebuilding (ATP_REBUILD=1 forces it)"
else
  # The image must carry the dashboard (a no-op when frontend/out is current).
  step "building the dashboard export and $ATP_IMAGE:$tag"
  bash scripts/frontend.sh build || fail_before_change "dashboard build failed"
  ATP_TAG="$tag" bash scripts/build_image.sh || fail_before_change "build failed"
fi

step "starting db and backup"
compose_at "${previous:-$tag}" up -d --no-build db backup || fail_before_change "db did not start"
backup="$(backup_now)" || fail_before_change "backup failed"
step "backup: $backup"

step "migrating with $tag"
compose_at "$tag" run --rm migrate || roll_back "migration failed"
step "restarting every service on $tag"
compose_at "$tag" up -d --no-build --remove-orphans || roll_back "restart failed"
step "waiting for every service to be healthy (up to ${DEPLOY_HEALTH_TIMEOUT}s)"
wait_healthy || roll_back "services not healthy"

record_tag "$tag"
step "deploy of $tag is healthy (previous: ${previous:-none}; rollback: scripts/rollback_aws.sh ${previous:-<tag>})"
print_summary
