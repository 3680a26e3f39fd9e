"""Routes: the monitor's latest decision per symbol, and candles with indicators for charts.

Read-only views from `atp.signals.views` (one query each; the chart computes the indicators
with the same functions the monitor uses, over the symbol's effective preset).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from atp.api.deps import get_session
from atp.api.pagination import Cursor, Limit, Page, decode_cursor, next_cursor
from atp.api.schemas.common import refuse
from atp.api.schemas.signals import CandlesOut, SignalSide, SignalStateOut
from atp.signals.views import chart_series, page_signal_states
from atp.watchlist.fields import InvalidValueError, normalise_symbol

router = APIRouter(prefix="/api", tags=["signals"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
MAX_CHART_CANDLES = 1000


def _symbol(raw: str) -> str:
    try:
        return normalise_symbol(raw)
    except InvalidValueError as exc:
        refuse(str(exc), loc=("query", "symbol"))


@router.get("/signals", response_model=Page[SignalStateOut])
def list_signals(
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    symbol: Annotated[str | None, Query(max_length=32, examples=["BTC_USDT"])] = None,
    side: Annotated[SignalSide | None, Query(description="signal side")] = None,
    alert_status: Annotated[
        str | None, Query(max_length=32, description="e.g. QUEUED, BLOCKED")
    ] = None,
) -> Page[SignalStateOut]:
    """Latest evaluation per symbol with every condition (newest watchlist rows first)."""
    rows = page_signal_states(
        session,
        symbol=None if symbol is None else _symbol(symbol),
        side=side,
        alert_status=alert_status,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    return Page(
        items=[SignalStateOut.of(r) for r in rows[:limit]],
        next_cursor=next_cursor([r.item_id for r in rows], limit),
    )


@router.get("/market/candles", response_model=CandlesOut, tags=["market"])
def get_candles(
    session: SessionDep,
    symbol: Annotated[str, Query(max_length=32, examples=["BTC_USDT"])],
    timeframe: Annotated[
        str | None, Query(max_length=8, description="default: the preset's, e.g. 1h, 1D")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CHART_CANDLES, description="newest candles")] = 300,
) -> CandlesOut:
    """A symbol's newest candles with RSI, EMA10, MA50, MA200, volume ratio and ATR, computed
    with its effective preset (a window for charts, oldest first; not a paged list)."""
    try:
        chart = chart_series(session, _symbol(symbol), timeframe=timeframe, limit=limit)
    except ValueError as exc:  # unknown timeframe, unresolvable preset
        refuse(str(exc), loc=("query",))
    return CandlesOut.of(chart)
