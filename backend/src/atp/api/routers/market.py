"""`GET /api/market/health`: the data-health view (fetch status and freshness per symbol)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.core.errors import clean_error_text
from atp.db.base import utcnow
from atp.market.health import data_health
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api/market", tags=["market"])


@router.get("/health")
def market_health(
    session: Annotated[Session, Depends(get_session, scope="function")],
    context: Annotated[AppContext, Depends(get_context)],
) -> dict[str, Any]:
    timeframes = context.settings.market_timeframes.split(",")
    rows = data_health(session, timeframes=timeframes, now=utcnow())
    return {
        "healthy": all(r.healthy for r in rows),
        "timeframes": timeframes,
        "symbols": [_without_internals(r.to_dict()) for r in rows],
    }


def _without_internals(row: dict[str, Any]) -> dict[str, Any]:
    # Rows written by older versions may hold a multi-line error with SQL or a URL password.
    row["last_error"] = clean_error_text(row.get("last_error"))
    return row
