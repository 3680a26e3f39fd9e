#!/usr/bin/env bash
# The backup service's program (mounted into the PostgreSQL image as atp-pg-backup):
#   once   dump the database now (custom format) and print the dump's path as the last line
#   loop   dump now, then every BACKUP_INTERVAL_SECONDS; prune dumps older than BACKUP_KEEP_DAYS
#   check  healthcheck: exit 0 only while the newest dump is younger than twice the interval
# Connection: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB from the env file, host `db`.
set -euo pipefail

backup_dir="${BACKUP_DIR:-/backups}"
interval="${BACKUP_INTERVAL_SECONDS:-86400}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
export PGHOST="${PGHOST:-db}" PGUSER="${POSTGRES_USER:?POSTGRES_USER is not set}"
export PGPASSWORD="${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}"
export PGDATABASE="${POSTGRES_DB:-$PGUSER}"

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

newest_dump() {
  find "$backup_dir" -maxdepth 1 -name 'atp-*.dump' -printf '%T@ %p\n' | sort -n | tail -n 1 |
    cut -d' ' -f2-
}

dump_once() {
  local name tmp
  umask 077
  mkdir -p "$backup_dir"
  name="$backup_dir/atp-$(date -u +%Y%m%dT%H%M%SZ).dump"
  # Written aside (a name of its own: the loop and `once` may overlap), then renamed: a dump that
  # is listed is always complete.
  tmp="$(mktemp "$backup_dir/.partial-XXXXXX")"
  if ! pg_dump --format=custom --no-owner --file="$tmp" || ! pg_restore --list "$tmp" >/dev/null; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$name"
  log "wrote $name ($(du -h "$name" | cut -f1))"
  echo "$name"
}

prune() {
  local newest old
  newest="$(newest_dump)"
  while read -r old; do
    [ -n "$old" ] && [ "$old" != "$newest" ] || continue
    rm -f "$old"
    log "removed $old (older than $keep_days days)"
  done < <(find "$backup_dir" -maxdepth 1 -name 'atp-*.dump' -mtime "+$((keep_days - 1))")
}

loop() {
  # PID 1 in its container: stop promptly on `docker stop` instead of waiting for SIGKILL.
  trap 'exit 0' TERM INT
  while :; do
    if dump_once >/dev/null; then
      prune
    else
      log "FAILED; the healthcheck turns unhealthy if no dump succeeds for $((2 * interval)) s"
    fi
    sleep "$interval" &
    wait "$!"
  done
}

check() {
  local newest age
  newest="$(newest_dump)"
  if [ -z "$newest" ]; then
    echo "no dump in $backup_dir yet" >&2
    return 1
  fi
  age=$(($(date +%s) - $(stat -c %Y "$newest")))
  if [ "$age" -gt $((2 * interval)) ]; then
    echo "newest dump $newest is $age s old (limit $((2 * interval)) s)" >&2
    return 1
  fi
  echo "newest dump $newest is $age s old"
}

case "${1:-}" in
  once) dump_once ;;
  loop) loop ;;
  check) check ;;
  *) echo "usage: $0 once|loop|check" >&2; exit 2 ;;
esac
