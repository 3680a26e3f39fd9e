"""Orders, positions, protection and balances as the REST API pages them.

Built on `atp.orders.views` (the numbers `atp orders` / `atp positions` print), so every surface
shows the same values. Open orders and positions are small bounded sets (the order limits cap
them), so they are read whole and paged in memory by row id, newest first, with the same cursor
semantics as the database-paged lists.

Balances: in paper mode they are the paper broker's own tables, read without its account lock
(a read never blocks the trader) and with reservations derived by the book's own rule. Live
balances are only ever read from the exchange by the order worker and are not stored, so the
API says they are unavailable instead of calling the exchange from a GET.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.adapters.paper.book import PaperBook
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.models import PaperBalanceRow, PaperOrderRow
from atp.adapters.paper.store import balances as paper_balances
from atp.orders import states
from atp.orders.models import ExchangeOrder, Position
from atp.orders.ports import OrderStatus
from atp.orders.positions import ProtectionStatus
from atp.orders.views import (
    NAKED_GRACE,
    IntentView,
    OrderView,
    PositionView,
    open_orders_view,
    positions_view,
)
from atp.settings import Settings

T = TypeVar("T")
LIVE_BALANCES_UNAVAILABLE = (
    "TRADING_MODE=live: balances are read from the exchange by the order worker and not "
    "stored; see them on the exchange (no exchange call is made from this read route)"
)


@dataclass(frozen=True)
class IdPage(Generic[T]):
    items: list[T]
    next_before_id: int | None  # None: this is the last page


@dataclass(frozen=True)
class OpenOrdersPage:
    orders: IdPage[OrderView]
    intents: list[IntentView]  # every intent in flight or holding a position


@dataclass(frozen=True)
class PositionRow:
    id: int  # the positions row id: the cursor
    position: PositionView


@dataclass(frozen=True)
class ProtectionRow:
    id: int
    symbol: str
    quantity: Decimal
    status: str  # covered / naked / flattening
    naked_overdue: bool  # naked for longer than a fill-to-protection round takes
    stop_prices: list[Decimal]
    stop_quantity: Decimal
    take_profit_prices: list[Decimal]
    take_profit_quantity: Decimal
    opened_at: datetime | None


@dataclass(frozen=True)
class BalanceRow:
    currency: str
    total: Decimal
    reserved: Decimal  # held back by open orders
    free: Decimal
    updated_at: datetime | None  # None: the paper account starts with it, not traded yet


@dataclass(frozen=True)
class BalancesSnapshot:
    source: str  # "paper" | "live"
    available: bool
    detail: str | None  # why not available
    balances: list[BalanceRow]


def page_by_id(
    items: Sequence[T], key: Callable[[T], int], limit: int, before_id: int | None
) -> IdPage[T]:
    """Newest first by id; only ids below `before_id` (the cursor) when one is given."""
    rows = sorted((i for i in items if before_id is None or key(i) < before_id), key=key)[::-1]
    page = rows[:limit]
    return IdPage(page, key(page[-1]) if len(rows) > limit else None)


def open_orders_page(session: Session, limit: int, before_id: int | None) -> OpenOrdersPage:
    view = open_orders_view(session)
    return OpenOrdersPage(page_by_id(view.orders, lambda o: o.id, limit, before_id), view.intents)


def positions_page(
    session: Session, now: datetime, limit: int, before_id: int | None
) -> IdPage[PositionRow]:
    views = positions_view(session, now).positions
    ids = _position_ids(session, [v.symbol for v in views])
    rows = [PositionRow(ids[v.symbol], v) for v in views if v.symbol in ids]
    return page_by_id(rows, lambda r: r.id, limit, before_id)


def protection_page(
    session: Session, now: datetime, limit: int, before_id: int | None
) -> IdPage[ProtectionRow]:
    """Per open position: its protection status with the stop and take-profit legs working."""
    page = positions_page(session, now, limit, before_id)
    take_profits = _open_take_profits(session, [p.position.symbol for p in page.items])
    rows = [_protection(p, take_profits.get(p.position.symbol, []), now) for p in page.items]
    return IdPage(rows, page.next_before_id)


def balances_snapshot(session: Session, settings: Settings) -> BalancesSnapshot:
    if settings.trading_mode != "paper":
        return BalancesSnapshot("live", False, LIVE_BALANCES_UNAVAILABLE, [])
    config = PaperConfig.from_settings(settings)
    stored = {row.currency: row for row in session.scalars(select(PaperBalanceRow))}
    totals = dict.fromkeys(config.quote_currencies, config.start_balance)
    totals.update({currency: row.total for currency, row in stored.items()})
    open_orders = session.scalars(
        select(PaperOrderRow).where(PaperOrderRow.status == OrderStatus.OPEN.value)
    ).all()
    book = PaperBook(config=config, balances=totals, open_orders=list(open_orders))
    rows = [
        BalanceRow(
            b.currency,
            b.total,
            b.reserved,
            b.free,
            stored[b.currency].updated_at if b.currency in stored else None,
        )
        for b in paper_balances(book)
    ]
    return BalancesSnapshot("paper", True, None, rows)


# --- helpers ---------------------------------------------------------------------------------


def _position_ids(session: Session, symbols: list[str]) -> dict[str, int]:
    if not symbols:
        return {}
    rows = session.execute(select(Position.symbol, Position.id).where(Position.symbol.in_(symbols)))
    return {symbol: int(pk) for symbol, pk in rows}


def _open_take_profits(session: Session, symbols: list[str]) -> dict[str, list[ExchangeOrder]]:
    if not symbols:
        return {}
    rows = session.scalars(
        select(ExchangeOrder)
        .where(
            ExchangeOrder.symbol.in_(symbols),
            ExchangeOrder.status == states.OPEN,
            ExchangeOrder.order_role == states.TAKE_PROFIT,
        )
        .order_by(ExchangeOrder.id)
    )
    out: dict[str, list[ExchangeOrder]] = {}
    for row in rows:
        out.setdefault(row.symbol, []).append(row)
    return out


def _protection(
    row: PositionRow, take_profits: list[ExchangeOrder], now: datetime
) -> ProtectionRow:
    p = row.position
    naked = p.protection_status == ProtectionStatus.NAKED
    return ProtectionRow(
        id=row.id,
        symbol=p.symbol,
        quantity=p.quantity,
        status=p.protection_status,
        naked_overdue=naked and (p.opened_at is None or now - p.opened_at > NAKED_GRACE),
        stop_prices=p.stop_prices,
        stop_quantity=p.stop_quantity,
        take_profit_prices=sorted(
            {price for t in take_profits if (price := t.ref_price or t.price) is not None}
        ),
        take_profit_quantity=sum(
            (t.quantity - (t.cumulative_quantity or Decimal(0)) for t in take_profits), Decimal(0)
        ),
        opened_at=p.opened_at,
    )
