"""Routes: readiness, per-component system health and the effective configuration.

Thin: each calls one service function (`atp.ops.health`, `atp.ops.config_view`), which the CLI,
the audit and Telegram `/status` reuse. `GET /health` (liveness) is in `health.py`, `GET
/metrics` in `atp.api.metrics`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.db.base import utcnow
from atp.ops.build_info import build_info
from atp.ops.config_view import ConfigValue, effective_settings
from atp.ops.health import readiness, system_health
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api", tags=["system"])

Verdict = Literal["PASS", "WARN", "FAIL"]
UNKNOWN = "unknown"


class ReadyResponse(BaseModel):
    ready: bool
    dialect: str = Field(description="Database backend: sqlite or postgresql.")
    revision: str | None = Field(description="The database's Alembic revision (None: empty).")
    head: str = Field(description="The Alembic head this build expects.")
    reason: str | None = Field(description="Why not ready: one line, never SQL or credentials.")


class ComponentHealth(BaseModel):
    status: Verdict
    message: str
    evidence: dict[str, Any] = Field(description="The values the verdict was made from.")


class ActiveBlocker(BaseModel):
    code: str
    message: str | None
    since: str | None


class SystemHealthResponse(BaseModel):
    status: Verdict = Field(description="FAIL if any component fails, else WARN if any warns.")
    checked_at: datetime
    components: dict[str, ComponentHealth] = Field(
        description="database, market_data, monitor, alert_sender, telegram, exchange_auth, "
        "order_sync, positions, trading"
    )
    blockers: list[ActiveBlocker] = Field(description="Active global blockers, oldest first.")


class ConfigResponse(BaseModel):
    version: str
    git_sha: str = Field(
        description="GIT_SHA of the build (a source checkout: its git HEAD), or 'unknown'."
    )
    build_time: str = Field(description="BUILD_TIME of the build, or 'unknown'.")
    build_source: Literal["environment", "checkout", "unknown"] = Field(
        description="Where git_sha comes from: the image's GIT_SHA, the checkout's git HEAD, "
        "or nowhere."
    )
    settings: dict[str, ConfigValue] = Field(
        description="Effective settings by environment variable; secrets as 'set'/'unset', "
        "URL passwords as '***'."
    )


@router.get(
    "/health/ready",
    tags=["health"],
    summary="Readiness: database reachable and at the Alembic head",
    responses={503: {"model": ReadyResponse, "description": "Not ready (reason says why)."}},
)
def ready(
    context: Annotated[AppContext, Depends(get_context)], response: Response
) -> ReadyResponse:
    answer = ReadyResponse(**vars(readiness(context.engine)))
    if not answer.ready:
        response.status_code = 503
    return answer


@router.get(
    "/health/system",
    tags=["health"],
    summary="Per-component health with evidence (PASS / WARN / FAIL)",
    description="Always 200 when the API answers; the verdict is `status` in the body.",
)
def system(
    session: Annotated[Session, Depends(get_session, scope="function")],
    context: Annotated[AppContext, Depends(get_context)],
) -> SystemHealthResponse:
    result = system_health(session, context.settings, utcnow())
    return SystemHealthResponse(
        status=result.status.value,
        checked_at=result.checked_at,
        components={
            c.name: ComponentHealth(status=c.status.value, message=c.message, evidence=c.evidence)
            for c in result.components
        },
        blockers=[ActiveBlocker(**b) for b in result.blockers],
    )


@router.get("/config", summary="Effective configuration (secrets masked), version and git sha")
def config(context: Annotated[AppContext, Depends(get_context)]) -> ConfigResponse:
    settings = context.settings
    build = build_info(settings)
    return ConfigResponse(
        version=build.version,
        git_sha=build.git_sha,
        build_time=build.build_time,
        build_source=build.source,
        settings=effective_settings(settings),
    )
