"""The fill ledger as a page, newest first: the trade history with realised P&L.

Read-only. Every fill the order worker recorded (`fills`), with the role of its order (entry,
stop-loss, take-profit, flatten) so a reader sees which fill closed a round trip and what it
made. `realised_pnl` is the ledger's own number (net of valued fees), never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.orders.models import ExchangeOrder, FillRecord


@dataclass(frozen=True)
class FillView:
    id: int  # fills row id: the cursor
    trade_id: str
    exchange_order_id: str
    role: str | None  # ENTRY / STOP_LOSS / TAKE_PROFIT / FLATTEN; None: unknown or foreign
    intent_id: int | None
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    realised_pnl: Decimal  # net of the fee when it could be valued in the quote currency
    closed_position: bool
    traded_at: datetime


@dataclass(frozen=True)
class FillPage:
    items: list[FillView]
    next_before_id: int | None  # None: this is the last page


def fill_page(
    session: Session, *, symbol: str | None, before_id: int | None, limit: int
) -> FillPage:
    """Fills newest first (by row id, stable while new fills arrive)."""
    stmt = (
        select(FillRecord, ExchangeOrder.order_role)
        .outerjoin(ExchangeOrder, ExchangeOrder.exchange_order_id == FillRecord.order_id)
        .order_by(FillRecord.id.desc())
        .limit(limit + 1)
    )
    if symbol is not None:
        stmt = stmt.where(FillRecord.symbol == symbol)
    if before_id is not None:
        stmt = stmt.where(FillRecord.id < before_id)
    rows = list(session.execute(stmt))
    items = [_view(fill, role) for fill, role in rows[:limit]]
    more = len(rows) > limit
    return FillPage(items=items, next_before_id=items[-1].id if more and items else None)


def _view(row: FillRecord, role: str | None) -> FillView:
    return FillView(
        id=row.id,
        trade_id=row.trade_id,
        exchange_order_id=row.order_id,
        role=role,
        intent_id=row.intent_id,
        symbol=row.symbol,
        side=row.side,
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        fee_currency=row.fee_currency,
        realised_pnl=row.realised_pnl,
        closed_position=row.closed_position,
        traded_at=row.traded_at,
    )
