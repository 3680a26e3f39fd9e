"""Routes: `GET /api/dashboard`, everything the dashboard's first paint needs in one response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.api.schemas_orders import DashboardOut
from atp.ops.dashboard import dashboard_state
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api", tags=["dashboard"])


@router.get("/dashboard", response_model=DashboardOut)
def dashboard(
    session: Annotated[Session, Depends(get_session)],
    context: Annotated[AppContext, Depends(get_context)],
) -> DashboardOut:
    """Global status (PASS/WARN/FAIL with reasons), blockers with their fix, monitor, Telegram,
    switches, today's counts and every watchlist row with its signal state, price and last
    alert. A fixed number of queries whatever the watchlist size."""
    return DashboardOut.model_validate(dashboard_state(session, context.settings))
