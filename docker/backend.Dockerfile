# The backend image: one image for every atp process (migrate, api, monitor, market, sender, sync,
# bot), built from the repository root (`docker build -f docker/backend.Dockerfile .`).
# No "# syntax=" line on purpose: it would pull a frontend image from a registry.
#
# Build arguments:
#   PYTHON_IMAGE       base image (default: the official python:3.11-slim; CI passes a local base)
#   GIT_SHA/BUILD_TIME build identity, baked in as environment (GET /api/config, `atp version`)
#   REQUIRE_DASHBOARD  1 (default): fail unless frontend/out (the dashboard's static export) exists
ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtual environment with the package and its dependencies -------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python3 -m venv /opt/atp
# Dependencies first, from pyproject.toml alone with a placeholder package, so a source change
# reuses this layer; the real package is installed (without dependencies) below.
COPY backend/pyproject.toml backend/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/pip \
    mkdir -p backend/src/atp && touch backend/src/atp/__init__.py \
    && /opt/atp/bin/pip install ./backend \
    && /opt/atp/bin/pip uninstall -y atp \
    && rm -rf backend/src backend/build
COPY backend/src backend/src
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/atp/bin/pip install --no-deps ./backend

# --- dashboard: the Next.js static export, built on the host (`make frontend-build`) -----------
FROM ${PYTHON_IMAGE} AS dashboard
ARG REQUIRE_DASHBOARD=1
# The glob copies frontend/out's files when it exists; the marker file keeps COPY valid without it.
COPY docker/dashboard.README frontend/ou[t] /dashboard/
RUN if [ -f /dashboard/index.html ]; then \
        echo "dashboard: frontend/out is in the image"; \
    elif [ "$REQUIRE_DASHBOARD" = "1" ]; then \
        echo "ERROR: frontend/out/index.html is missing: run 'make frontend-build' first" \
             "(or build with --build-arg REQUIRE_DASHBOARD=0 for an image without the dashboard)" >&2; \
        exit 1; \
    else \
        echo "NOTE: building without the dashboard (REQUIRE_DASHBOARD=0)"; \
    fi

# --- runtime: the virtual environment, the dashboard and a non-root user ------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG GIT_SHA=""
ARG BUILD_TIME=""
RUN groupadd --system --gid 10001 atp \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/atp atp
COPY --from=build /opt/atp /opt/atp
COPY --from=dashboard /dashboard /opt/atp-dashboard
COPY docker/check_image.py docker/schema_downgrade.py /opt/atp-tools/
ENV PATH=/opt/atp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DASHBOARD_DIR=/opt/atp-dashboard \
    ATP_DATA_DIR=/home/atp/data \
    GIT_SHA=${GIT_SHA} \
    BUILD_TIME=${BUILD_TIME}
USER 10001:10001
WORKDIR /home/atp
# Import every module as the runtime user: a file missing from the image fails the build here,
# not in a crash loop in production.
RUN python3 /opt/atp-tools/check_image.py
EXPOSE 8002
CMD ["atp", "api"]
