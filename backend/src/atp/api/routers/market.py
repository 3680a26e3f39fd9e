"""`GET /api/market/health`: the data-health view (fetch status and freshness per symbol)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.db.base import utcnow
from atp.market.health import data_health
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api/market", tags=["market"])


@router.get("/health")
def market_health(
    session: Annotated[Session, Depends(get_session)],
    context: Annotated[AppContext, Depends(get_context)],
) -> dict[str, Any]:
    timeframes = context.settings.market_timeframes.split(",")
    rows = data_health(session, timeframes=timeframes, now=utcnow())
    return {
        "healthy": all(r.healthy for r in rows),
        "timeframes": timeframes,
        "symbols": [r.to_dict() for r in rows],
    }
