"""`GET /api/health`: liveness only (the process answers); no database round trip."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from atp import __version__

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
def health() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}
