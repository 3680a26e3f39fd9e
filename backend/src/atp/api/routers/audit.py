"""Routes: audit (see the module's functions; thin: parse, one unit of work, call a service).

`GET /api/health/audit` is the audit summary in dry mode (never calls the exchange, not stored:
a monitoring probe must not grow `audit_runs`); `GET /api/audit/runs` lists stored runs
(`atp audit` and the cron script), newest first, with cursor pagination.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from atp.ops.models import AuditRun
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api", tags=["audit"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ContextDep = Annotated[AppContext, Depends(get_context)]


class CheckOut(BaseModel):
    name: str
    status: str  # PASS / WARN / FAIL
    summary: str
    code: str | None
    evidence: dict[str, Any]
    fix: str | None


class VerdictOut(BaseModel):
    status: str
    cause: str | None  # the reason exactly as `atp why` names it
    code: str | None  # the cause without its detail suffix
    evidence: dict[str, Any]
    fix: str | None
    source: str | None


class SymbolOut(BaseModel):
    symbol: str
    config: dict[str, Any]
    last_decision: dict[str, Any] | None
    alert: VerdictOut
    trade: VerdictOut
    window: dict[str, Any]


class GlobalCauseOut(BaseModel):
    code: str
    message: str
    blocks: str | None
    since: str | None


class RootCauseOut(BaseModel):
    code: str
    kind: str
    count: int
    symbols: list[str]
    fix: str | None


class AuditSummary(BaseModel):
    global_status: str
    generated_at: datetime
    since: datetime
    since_hours: float
    mode: str
    source: str
    run_id: int | None
    checks: list[CheckOut]
    global_causes: list[GlobalCauseOut]
    symbols: list[SymbolOut]
    root_causes: list[RootCauseOut]
    notes: list[str]


class AuditRunOut(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    global_status: str
    source: str
    mode: str | None
    since_hours: float | None
    root_causes: list[RootCauseOut]
    symbols_checked: int = Field(description="symbols the run looked at")
    blocked_symbols: int = Field(description="symbols whose alert or trade was BLOCKED")


class AuditRunDetail(AuditRunOut):
    summary: dict[str, Any] | None
    report_markdown: str | None


@router.get("/health/audit", response_model=AuditSummary)
def audit_summary(
    context: ContextDep,
    since_hours: Annotated[float, Query(gt=0, le=24 * 366)] = 24.0,
    symbols: Annotated[str | None, Query(description="comma list, e.g. ETH_USDT,BTC_USD")] = None,
) -> dict[str, Any]:
    """The audit in dry mode: global checks, first cause per symbol, ranked causes."""
    from atp.audit.service import parse_symbols, run_audit
    from atp.audit.types import AuditCannotRun
    from atp.watchlist.fields import InvalidValueError

    try:
        wanted = parse_symbols(symbols)
    except InvalidValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    try:
        result = run_audit(
            context.sessions,
            context.settings,
            since_hours=since_hours,
            symbols=wanted,
            source="api",
            store=False,
        )
    except AuditCannotRun as exc:
        raise HTTPException(status_code=503, detail=f"audit cannot run: {exc}") from None
    return result.to_dict()


@router.get("/audit/runs", response_model=Page[AuditRunOut])
def audit_runs(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """Stored audit runs, newest first (the trend of global status and root causes)."""
    before = decode_cursor(cursor)
    stmt = select(AuditRun).order_by(AuditRun.id.desc()).limit(limit + 1)
    if before is not None:
        stmt = stmt.where(AuditRun.id < before)
    rows = list(session.scalars(stmt))
    return {
        "items": [_run(row) for row in rows[:limit]],
        "next_cursor": next_cursor([r.id for r in rows], limit),
    }


@router.get("/audit/runs/{run_id}", response_model=AuditRunDetail)
def audit_run(
    run_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="the run's id")],
    session: SessionDep,
) -> dict[str, Any]:
    row = session.get(AuditRun, run_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"audit run {run_id} not found")
    return {**_run(row), "summary": row.summary, "report_markdown": row.report_markdown}


def _run(row: AuditRun) -> dict[str, Any]:
    summary = row.summary or {}
    return {
        "id": row.id,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "global_status": row.global_status,
        "source": row.source,
        "mode": summary.get("mode"),
        "since_hours": summary.get("since_hours"),
        "root_causes": summary.get("root_causes") or [],
        "symbols_checked": len(summary.get("symbols") or []),
        "blocked_symbols": sum(_blocked(s) for s in summary.get("symbols") or []),
    }


def _blocked(symbol: dict[str, Any]) -> bool:
    """A stored per-symbol verdict (`SymbolAudit.to_dict`) that names a blocking cause."""
    return any((symbol.get(side) or {}).get("status") == "BLOCKED" for side in ("alert", "trade"))
