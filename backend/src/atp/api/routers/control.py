"""`/api/control/*`: signal monitor status, pause/resume, and the dry-run evaluation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.monitor import service
from atp.ops.config_trail import ChangeSource
from atp.runtime.context import AppContext
from atp.watchlist.fields import InvalidValueError

router = APIRouter(prefix="/api/control", tags=["control"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ContextDep = Annotated[AppContext, Depends(get_context)]


class EvaluateRequest(BaseModel):
    symbol: str = Field(min_length=1, max_length=32, examples=["BTC_USDT"])


@router.get("/status")
def status(session: SessionDep, context: ContextDep) -> dict[str, Any]:
    return service.monitor_status(session, context.settings)


@router.post("/start-signal-monitor")
def start_signal_monitor(session: SessionDep, context: ContextDep) -> dict[str, Any]:
    """Clear the persisted pause; the leader resumes within one interval."""
    return service.pause_monitor(
        session, context.settings, paused=False, source=ChangeSource.API, actor="api"
    )


@router.post("/stop-signal-monitor")
def stop_signal_monitor(session: SessionDep, context: ContextDep) -> dict[str, Any]:
    """Persist a pause; the leader stops evaluating within one interval (and says so)."""
    return service.pause_monitor(
        session, context.settings, paused=True, source=ChangeSource.API, actor="api"
    )


@router.post("/evaluate-signal")
def evaluate_signal(
    body: EvaluateRequest, session: SessionDep, context: ContextDep
) -> dict[str, Any]:
    """Evaluate one symbol now: every condition and every gate. Sends and stores nothing."""
    try:
        return service.evaluate_signal(session, context.settings, body.symbol)
    except InvalidValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except service.UnknownSymbolError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
