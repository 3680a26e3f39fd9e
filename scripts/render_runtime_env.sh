#!/usr/bin/env bash
# Write the containers' secrets file (default secrets/runtime.env, mode 600) from the environment
# and, when the AWS CLI is available and ATP_SSM_PATH is set, from SSM Parameter Store (parameters
# named like the variables under that path, e.g. /atp/prod/TELEGRAM_BOT_TOKEN; the environment
# wins over SSM). Refuses to write an incomplete file: it names every missing variable and never
# prints a value. Variables it knows: those in secrets/runtime.env.example plus POSTGRES_*, except
# the ones the image or docker-compose.yml set (IMAGE_OWNED below: GIT_SHA, DASHBOARD_DIR, ...).
#
#   scripts/render_runtime_env.sh [--profile local|aws] [--output FILE]
#
# Required: POSTGRES_PASSWORD; with the aws profile also ATP_API_TOKEN, TELEGRAM_BOT_TOKEN and
# TELEGRAM_CHAT_ID, and EXCHANGE_API_KEY / EXCHANGE_API_SECRET when TRADING_MODE=live.
# Derived when unset: POSTGRES_USER=atp, POSTGRES_DB=atp, DATABASE_URL (the compose `db` service),
# ENVIRONMENT (= the profile).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

profile="aws"
output="$root/secrets/runtime.env"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --profile) profile="${2:?--profile needs local or aws}"; shift 2 ;;
    --output) output="${2:?--output needs a file}"; shift 2 ;;
    *) echo "usage: $0 [--profile local|aws] [--output FILE]" >&2; exit 2 ;;
  esac
done
case "$profile" in
  local | aws) ;;
  *) echo "error: unknown profile '$profile' (local or aws)" >&2; exit 2 ;;
esac

declare -A values=()
sources=()

# Set by the image (build identity, paths) or by docker-compose.yml (the API's bind address and
# workers): an env file would override them, so they are never written.
IMAGE_OWNED=" GIT_SHA BUILD_TIME DASHBOARD_DIR ATP_DATA_DIR API_HOST API_PORT API_WORKERS "

known_names() {
  sed -n 's/^\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$root/secrets/runtime.env.example" |
    while read -r name; do
      case "$IMAGE_OWNED" in *" $name "*) ;; *) echo "$name" ;; esac
    done
  printf '%s\n' POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB
}

load_ssm() {
  local path="${ATP_SSM_PATH:-}" name value count=0
  [ -n "$path" ] && command -v aws >/dev/null 2>&1 || return 0
  while IFS=$'\t' read -r name value; do
    [ -n "$name" ] || continue
    case "$IMAGE_OWNED" in *" ${name##*/} "*) continue ;; esac
    values["${name##*/}"]="$value"
    count=$((count + 1))
  done < <(aws ssm get-parameters-by-path --path "$path" --recursive --with-decryption \
    --query 'Parameters[].[Name,Value]' --output text)
  sources+=("SSM $path ($count parameters)")
}

load_environment() {
  local name count=0
  while read -r name; do
    if [ -n "${!name+set}" ]; then
      values["$name"]="${!name}"
      count=$((count + 1))
    fi
  done < <(known_names)
  sources+=("environment ($count variables)")
}

# Percent-encode a URL component (the database password inside DATABASE_URL).
urlencode() {
  local text="$1" out="" char i
  for ((i = 0; i < ${#text}; i++)); do
    char="${text:i:1}"
    case "$char" in
      [a-zA-Z0-9._~-]) out+="$char" ;;
      *) out+="$(printf '%%%02X' "'$char")" ;;
    esac
  done
  printf '%s' "$out"
}

value_of() { printf '%s' "${values[$1]-}"; }

derive_defaults() {
  [ -n "$(value_of POSTGRES_USER)" ] || values[POSTGRES_USER]="atp"
  [ -n "$(value_of POSTGRES_DB)" ] || values[POSTGRES_DB]="atp"
  [ -n "$(value_of ENVIRONMENT)" ] || values[ENVIRONMENT]="$profile"
  if [ -z "$(value_of DATABASE_URL)" ] && [ -n "$(value_of POSTGRES_PASSWORD)" ]; then
    values[DATABASE_URL]="postgresql://$(urlencode "$(value_of POSTGRES_USER)"):$(urlencode \
      "$(value_of POSTGRES_PASSWORD)")@db:5432/$(value_of POSTGRES_DB)"
  fi
}

required_names() {
  echo POSTGRES_PASSWORD
  [ "$profile" = aws ] || return 0
  printf '%s\n' ATP_API_TOKEN TELEGRAM_BOT_TOKEN TELEGRAM_CHAT_ID
  if [ "$(value_of TRADING_MODE)" = live ]; then
    printf '%s\n' EXCHANGE_API_KEY EXCHANGE_API_SECRET
  fi
}

check_complete() {
  local name missing=() unsafe=()
  while read -r name; do
    [ -n "$(value_of "$name")" ] || missing+=("$name")
  done < <(required_names)
  for name in "${!values[@]}"; do
    # Written single-quoted (literal for dotenv readers): a quote or a newline cannot be.
    case "${values[$name]}" in *"'"* | *$'\n'* | *$'\r'*) unsafe+=("$name") ;; esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "error: not writing $output: missing ${missing[*]} (profile $profile)" >&2
  fi
  if [ "${#unsafe[@]}" -gt 0 ]; then
    echo "error: not writing $output: ${unsafe[*]} contain a quote or a line break" >&2
  fi
  [ "${#missing[@]}" -eq 0 ] && [ "${#unsafe[@]}" -eq 0 ]
}

write_file() {
  local dir tmp name
  dir="$(dirname "$output")"
  mkdir -p "$dir"
  umask 077
  tmp="$(mktemp "$dir/.runtime.env.XXXXXX")"
  {
    echo "# Written by scripts/render_runtime_env.sh (profile $profile); do not commit."
    while read -r name; do
      printf "%s='%s'\n" "$name" "${values[$name]}"
    done < <(printf '%s\n' "${!values[@]}" | sort)
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$output"
}

load_ssm
load_environment
derive_defaults
check_complete || exit 1
write_file
echo "wrote $output (mode 600, ${#values[@]} variables; from: ${sources[*]})"
