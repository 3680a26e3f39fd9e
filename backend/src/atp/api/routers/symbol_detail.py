"""Routes for one symbol in detail (the dashboard's symbol page) and the fill ledger. Read-only.

- `GET /api/market/markers`: past signals, alerts and orders of a symbol in a time range.
- `GET /api/signals/why`: the `atp why` answer (the same service function as
  `POST /api/control/evaluate-signal`; it stores nothing, so reading it needs no token).
- `GET /api/signals/throttle`: the symbol's alert throttle per side.
- `GET /api/orders/fills`: every fill with its realised P&L, newest first, paged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from atp.api.schemas.common import NOT_FOUND, finite, not_found, refuse
from atp.api.schemas.symbol_detail import (
    FillOut,
    MarkerOut,
    MarkersOut,
    ThrottleOut,
    WhyOut,
)
from atp.db.base import utcnow
from atp.monitor import service as monitor_service
from atp.orders.fill_pages import fill_page
from atp.runtime.context import AppContext
from atp.signals.markers import chart_markers
from atp.signals.presets import PresetResolutionError
from atp.signals.throttle_view import SymbolNotListedError, throttle_view
from atp.watchlist.fields import InvalidValueError, normalise_symbol

router = APIRouter(prefix="/api", tags=["symbol"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ContextDep = Annotated[AppContext, Depends(get_context)]
SymbolQuery = Annotated[str, Query(max_length=32, examples=["BTC_USDT"])]
MAX_MARKERS = 500
DEFAULT_MARKER_WINDOW = timedelta(days=30)


def _symbol(raw: str) -> str:
    try:
        return normalise_symbol(raw)
    except InvalidValueError as exc:
        refuse(str(exc), loc=("query", "symbol"))


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        refuse(f"{name}: give a time zone, e.g. 2025-01-31T12:00:00Z", loc=("query", name))


@router.get("/market/markers", response_model=MarkersOut, tags=["market"])
def get_markers(
    session: SessionDep,
    symbol: SymbolQuery,
    since: Annotated[
        datetime | None, Query(description="from (with zone); default 30 days")
    ] = None,
    until: Annotated[datetime | None, Query(description="before (with zone); default now")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_MARKERS, description="per kind, newest")] = 200,
) -> MarkersOut:
    """Past signals (blocked BUY/SELL), alerts and orders of a symbol, oldest first."""
    _aware(since, "since")
    _aware(until, "until")
    end = until or utcnow()
    start = since or end - DEFAULT_MARKER_WINDOW
    if start >= end:
        refuse("since must be before until", loc=("query", "since"))
    window = chart_markers(session, _symbol(symbol), since=start, until=end, limit=limit)
    return MarkersOut(
        symbol=_symbol(symbol),
        since=start,
        until=end,
        truncated=window.truncated,
        markers=[MarkerOut.model_validate(m) for m in window.markers],
    )


@router.get("/signals/why", response_model=WhyOut, responses=NOT_FOUND)
def get_why(session: SessionDep, context: ContextDep, symbol: SymbolQuery) -> WhyOut:
    """Evaluate one symbol now: every condition and every gate. Sends and stores nothing."""
    try:
        result = monitor_service.evaluate_signal(session, context.settings, symbol)
    except InvalidValueError as exc:
        refuse(str(exc), loc=("query", "symbol"))
    except monitor_service.UnknownSymbolError as exc:
        not_found(str(exc))
    return WhyOut.model_validate({**result, "indicators": _finite(result.get("indicators"))})


def _finite(values: dict[str, Any] | None) -> dict[str, Any]:
    return {
        k: finite(float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in (values or {}).items()
    }


@router.get("/signals/throttle", response_model=ThrottleOut, responses=NOT_FOUND)
def get_throttle(session: SessionDep, symbol: SymbolQuery) -> ThrottleOut:
    """The symbol's alert throttle per side: last sent alert, cooldown end, verdict now."""
    try:
        view = throttle_view(session, _symbol(symbol), utcnow())
    except SymbolNotListedError as exc:
        not_found(str(exc))
    except PresetResolutionError as exc:
        refuse(str(exc), loc=("query", "symbol"))
    return ThrottleOut.model_validate(view)


@router.get("/orders/fills", response_model=Page[FillOut], tags=["orders"])
def get_fills(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    symbol: Annotated[str | None, Query(max_length=32, examples=["BTC_USDT"])] = None,
) -> Page[FillOut]:
    """Every fill with its realised P&L (net of valued fees), newest first."""
    page = fill_page(
        session,
        symbol=None if symbol is None else _symbol(symbol),
        before_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(
        items=[FillOut.model_validate(f) for f in page.items],
        next_cursor=None if page.next_before_id is None else encode_cursor(page.next_before_id),
    )
