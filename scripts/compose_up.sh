#!/usr/bin/env bash
# `make up`: build the backend image from this checkout and start the stack.
#   scripts/compose_up.sh PROFILE ENV_FILE
# local: the image is tagged `local`; a missing env file is made with a random database password.
# aws: use scripts/deploy_aws.sh instead (backup, migrate, health, automatic rollback).
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:?profile: local or aws}"
env_file="${2:?env file}"

if [ "$profile" = aws ]; then
  echo "the aws profile is deployed with scripts/deploy_aws.sh (make deploy), not make up" >&2
  exit 2
fi
if [ ! -f "$env_file" ]; then
  POSTGRES_PASSWORD="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')" \
    bash scripts/render_runtime_env.sh --profile local --output "$env_file"
fi
require_dashboard=1
if [ ! -f frontend/out/index.html ]; then
  echo "NOTE: frontend/out is not built (make frontend-build): the image has no dashboard"
  require_dashboard=0
fi
ATP_TAG=local REQUIRE_DASHBOARD="$require_dashboard" bash scripts/build_image.sh
ATP_RUNTIME_ENV="$env_file" ATP_TAG=local docker-compose --profile "$profile" up -d --no-build
ATP_RUNTIME_ENV="$env_file" docker-compose --profile "$profile" ps
echo "API and dashboard: http://127.0.0.1:${ATP_API_PORT:-8002}/ (healthy after ~1 min: make ps)"
