#!/usr/bin/env bash
# Build the backend image `$ATP_IMAGE:$ATP_TAG` from this checkout with its git sha and build time
# baked in. Environment: DOCKER (client, default `docker`), ATP_IMAGE (default atp-backend),
# ATP_TAG (default: the short git sha), PYTHON_IMAGE (base, default python:3.11-slim),
# REQUIRE_DASHBOARD (1 = fail without frontend/out), GIT_SHA / BUILD_TIME (default: from git / now).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

docker_cli="${DOCKER:-docker}"
git_sha="${GIT_SHA:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
# A build from uncommitted changes must not pass for the commit it started from.
if [ -z "${GIT_SHA:-}" ] && [ -n "$(git status --porcelain 2>/dev/null | head -n 1)" ]; then
  git_sha="$git_sha-dirty"
fi
build_time="${BUILD_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
image="${ATP_IMAGE:-atp-backend}"
tag="${ATP_TAG:-$(git rev-parse --short=12 HEAD)}"

DOCKER_BUILDKIT=1 "$docker_cli" build \
  -f docker/backend.Dockerfile \
  --build-arg "PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.11-slim}" \
  --build-arg "REQUIRE_DASHBOARD=${REQUIRE_DASHBOARD:-1}" \
  --build-arg "GIT_SHA=$git_sha" \
  --build-arg "BUILD_TIME=$build_time" \
  -t "$image:$tag" \
  .
echo "built $image:$tag (git $git_sha, $build_time)"
