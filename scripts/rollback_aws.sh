#!/usr/bin/env bash
# Roll the stack back (or forward) to an image that was deployed before, by its tag (git sha):
# back up the database, put the schema at that image's head (downgrading with the running image
# when it is newer), start that image's services, wait for health. Tells the operator on Telegram
# when the result is not healthy. Prints a summary.
#
#   scripts/rollback_aws.sh <tag> [--pull]
#
# The image must exist on this host (deploys keep them) or, with --pull, in the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/deploy_common.sh
source scripts/lib/deploy_common.sh

target="" pull=""
for arg in "$@"; do
  case "$arg" in
    --pull) pull=1 ;;
    -*) echo "usage: $0 <tag> [--pull]" >&2; exit 2 ;;
    *) target="$arg" ;;
  esac
done
[ -n "$target" ] || { echo "usage: $0 <tag> [--pull]" >&2; exit 2; }
running="$(current_tag)"

if [ -n "$pull" ]; then
  "$DOCKER" pull "$ATP_IMAGE:$target"
fi
if ! image_exists "$target"; then
  echo "error: no image $ATP_IMAGE:$target on this host (images: $DOCKER images $ATP_IMAGE)" >&2
  exit 1
fi

step "rolling back from ${running:-unknown} to $ATP_IMAGE:$target"
compose_at "${running:-$target}" up -d --no-build db backup
backup="$(backup_now)"
step "backup: $backup"
if switch_to "$target" "$running"; then
  record_tag "$target"
  step "$target is healthy"
  print_summary
  exit 0
fi
step "$target is NOT healthy"
notify_operator "ATP rollback to $target is NOT healthy (was ${running:-unknown}). Backup: $backup. Act now."
print_summary
exit 1
