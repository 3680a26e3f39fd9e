"""Routes: system (see the module's functions; thin: parse, one unit of work, call a service)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["system"])
