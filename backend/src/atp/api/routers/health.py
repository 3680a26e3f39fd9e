"""Liveness: `GET /health` (what load balancers and the old runbooks probe) and `GET /api/health`.

Answers as long as the process serves requests; no database round trip, so a database outage
never makes an orchestrator restart a healthy API. Readiness and per-component health are in
`atp.api.routers.system` (`/api/health/ready`, `/api/health/system`).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from atp import __version__

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


@router.get("/health", summary="Liveness (no database)")
@router.get("/api/health", summary="Liveness (no database; same as /health)")
def health() -> Liveness:
    return Liveness(version=__version__)
