#!/usr/bin/env bash
# Restore a dump from the `backups` volume (see `make backup`; list them with --list).
#
#   scripts/restore_db.sh --list
#   scripts/restore_db.sh --database NAME DUMP   # into a fresh scratch database NAME (recreated)
#   scripts/restore_db.sh --live DUMP            # over the live database: stops the backend
#                                                # services, restores, turns KILL_SWITCH on,
#                                                # starts them again
# DUMP is a file name in the volume (e.g. atp-20260101T020000Z.dump). Runs through the compose
# `backup` service, which has the PostgreSQL client tools and the volume. ATP_PROFILE picks the
# compose profile (default local).
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${ATP_PROFILE:-local}"
target="" live="" dump=""
backend_services=(api monitor market sender sync bot)

usage() {
  echo "usage: $0 --list | --database NAME DUMP | --live DUMP" >&2
  exit 2
}

compose() { docker-compose --profile "$profile" "$@"; }

# Run a command in the backup container with the connection environment of pg_backup.sh.
in_backup() {
  # shellcheck disable=SC2016  # expanded by the shell inside the backup container
  compose exec -T backup bash -c \
    'export PGHOST=db PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD"; "$@"' _ "$@"
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --list) in_backup ls -l /backups; exit 0 ;;
    --database) target="${2:-}"; shift 2 || usage ;;
    --live) live=1; shift ;;
    -*) usage ;;
    *) dump="$1"; shift ;;
  esac
done
[ -n "$dump" ] || usage
# Exactly one of --database NAME and --live.
if [ -n "$target" ] && [ -n "$live" ]; then usage; fi
if [ -z "$target" ] && [ -z "$live" ]; then usage; fi
case "$dump" in */* | .*) echo "error: DUMP is a file name in the backups volume" >&2; exit 2 ;; esac
in_backup test -s "/backups/$dump" || { echo "error: no dump /backups/$dump (--list)" >&2; exit 1; }

if [ -n "$target" ]; then
  case "$target" in
    *[!a-z0-9_]*) echo "error: database name: lowercase letters, digits and _ only" >&2; exit 2 ;;
  esac
  live_db="$(in_backup printenv POSTGRES_DB)"
  [ "$target" != "$live_db" ] || { echo "error: $target is the live database: use --live" >&2; exit 2; }
  in_backup dropdb --if-exists --maintenance-db=postgres "$target"
  in_backup createdb --maintenance-db=postgres "$target"
  in_backup pg_restore --no-owner --exit-on-error -d "$target" "/backups/$dump"
  echo "restored $dump into database $target"
  exit 0
fi

echo "restoring $dump over the live database: stopping ${backend_services[*]}"
compose stop "${backend_services[@]}"
# shellcheck disable=SC2016  # expanded by the shell inside the backup container
in_backup sh -c 'pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
  -d "$POSTGRES_DB" "$1"' _ "/backups/$dump"
# The dump cannot know orders placed since it was taken: no new entries until the operator has
# compared `atp positions` / `atp orders` with the exchange and turned the kill switch off.
compose run --rm -T migrate
compose run --rm -T cli settings set KILL_SWITCH on
echo "restored; starting the stack again"
compose up -d
echo "KILL_SWITCH is ON after the restore: check positions and orders against the exchange, then"
echo "  docker-compose --profile $profile run --rm cli settings set KILL_SWITCH off"
