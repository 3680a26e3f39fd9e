"""Read-only views of orders, positions and P&L: what the operator's money is doing.

The CLI (`atp orders`, `atp positions`, `atp status`) calls these; the REST API and Telegram are
meant to call the same functions, so every surface shows the same numbers. Each function only
reads (no flush, no commit) and returns plain frozen dataclasses; `to_jsonable` turns them into
JSON-ready values (Decimal as text so no digit is lost, datetimes as ISO 8601 UTC).

Numbers come from the tables the order worker keeps: `positions` (average cost, realised P&L and
fees of the current round trip, protection status), `fills` (the day's realised P&L),
`exchange_orders` (the order mirror) and `market_prices.last` (the mark).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.core.pnl import unrealised
from atp.market.models import MarketPrice
from atp.orders import states
from atp.orders.models import ExchangeOrder, OrderIntent, Position
from atp.orders.positions import ProtectionStatus, fill_totals, open_positions, position_state

# Intents still moving through the flow or holding a position (the rest are history).
ACTIVE_INTENT_STATES = (*states.WORKING_STATES, states.PROTECTED, states.UNPROTECTED)
MAX_HISTORY_LIMIT = 500


@dataclass(frozen=True)
class OrderView:
    id: int  # our row id: the history cursor
    exchange_order_id: str
    client_oid: str | None
    symbol: str
    side: str
    role: str | None  # ENTRY / STOP_LOSS / TAKE_PROFIT / FLATTEN; None for a foreign order
    order_type: str
    status: str
    quantity: Decimal
    filled_quantity: Decimal | None
    limit_price: Decimal | None
    trigger_price: Decimal | None
    avg_price: Decimal | None
    list_id: str | None  # both legs of one OCO share it
    intent_id: int | None
    intent_status: str | None
    reject_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class IntentView:
    id: int
    symbol: str
    side: str
    status: str
    amount_usd: Decimal | None
    filled_quantity: Decimal | None
    avg_fill_price: Decimal | None
    sl_price: Decimal | None  # the placed stop once protection is confirmed, else the announced
    tp_price: Decimal | None
    protection_mode: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OpenOrdersView:
    orders: list[OrderView]  # exchange orders still OPEN (entries and protection legs)
    intents: list[IntentView]  # intents in flight or holding a position


@dataclass(frozen=True)
class PositionView:
    symbol: str
    quantity: Decimal  # signed: < 0 is short
    avg_entry_price: Decimal
    mark: Decimal | None  # market_prices.last; None when there is no price yet
    mark_age_s: float | None  # age of the older of the exchange's stamp and our fetch
    unrealised_pnl: Decimal | None  # (mark - average entry) x quantity, before closing fees
    realised_pnl: Decimal  # this round trip, net of valued fees
    fees_paid: Decimal
    protection_status: str  # covered / naked / flattening
    stop_prices: list[Decimal]  # triggers of the symbol's OPEN stop-loss orders
    stop_quantity: Decimal  # what those stops still cover
    opened_at: datetime | None


@dataclass(frozen=True)
class PositionsView:
    positions: list[PositionView]
    unrealised_total: Decimal  # over positions with a mark
    realised_total: Decimal
    unmarked: list[str]  # symbols without a price: not in unrealised_total
    naked: list[str]


@dataclass(frozen=True)
class OrderHistoryPage:
    orders: list[OrderView]  # newest first
    next_before_id: int | None  # pass as before_id for the next (older) page; None: no more


# A new entry is naked until its OCO is confirmed (about one sync pass); longer is an incident.
NAKED_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class TradingSummary:
    open_positions: int
    naked: list[str]
    # Naked for longer than a fill-to-protection round takes: an incident, not a new entry.
    naked_overdue: list[str]
    flattening: list[str]
    day_start: datetime  # UTC start of "today" in the zone asked for
    realised_today: Decimal  # fill ledger, net of valued fees
    fees_today: Decimal
    unvalued_fees_today: int  # fees in a currency the ledger cannot value (e.g. CRO)
    active_intents: dict[str, int]  # by status, however old
    intents_today: dict[str, int]  # created today, by status


def open_orders_view(session: Session) -> OpenOrdersView:
    """Working exchange orders with their intent, and the intents not finished yet."""
    rows = session.execute(
        _orders_query().where(ExchangeOrder.status == states.OPEN).order_by(ExchangeOrder.id)
    ).all()
    intents = session.scalars(
        select(OrderIntent)
        .where(OrderIntent.status.in_(ACTIVE_INTENT_STATES))
        .order_by(OrderIntent.id)
    )
    return OpenOrdersView(
        orders=[_order_view(order, status) for order, status in rows],
        intents=[_intent_view(intent) for intent in intents],
    )


def order_history_view(
    session: Session, *, limit: int = 50, before_id: int | None = None
) -> OrderHistoryPage:
    """Exchange orders of every status, newest first, `limit` per page.

    The cursor is our row id: rows written after the first page get larger ids, so paging on
    never repeats or skips a row."""
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_HISTORY_LIMIT}, not {limit}")
    query = _orders_query().order_by(ExchangeOrder.id.desc()).limit(limit + 1)
    if before_id is not None:
        query = query.where(ExchangeOrder.id < before_id)
    rows = session.execute(query).all()
    page = [_order_view(order, status) for order, status in rows[:limit]]
    more = len(rows) > limit
    return OrderHistoryPage(page, page[-1].id if more else None)


def positions_view(session: Session, now: datetime) -> PositionsView:
    """Each open position valued at its mark, with its protection."""
    _require_aware(now)
    positions = open_positions(session)
    symbols = [p.symbol for p in positions]
    marks = {m.symbol: m for m in session.scalars(_in(MarketPrice, MarketPrice.symbol, symbols))}
    stops = _open_stops(session, symbols)
    views = [
        _position_view(p, marks.get(p.symbol), stops.get(p.symbol, []), now) for p in positions
    ]
    return PositionsView(
        positions=views,
        unrealised_total=sum((v.unrealised_pnl or Decimal(0) for v in views), Decimal(0)),
        realised_total=sum((v.realised_pnl for v in views), Decimal(0)),
        unmarked=[v.symbol for v in views if v.mark is None],
        naked=[v.symbol for v in views if v.protection_status == ProtectionStatus.NAKED],
    )


def trading_summary(session: Session, now: datetime, zone: tzinfo = UTC) -> TradingSummary:
    """Counts for `atp status`: positions, naked ones, today's realised P&L, intents."""
    _require_aware(now)
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    totals = fill_totals(session, start, start + timedelta(days=1))
    positions = open_positions(session)
    naked = [p for p in positions if p.protection_status == ProtectionStatus.NAKED]
    by_status = select(OrderIntent.status, func.count()).group_by(OrderIntent.status)
    active = by_status.where(OrderIntent.status.in_(ACTIVE_INTENT_STATES))
    today = by_status.where(OrderIntent.created_at >= start)
    return TradingSummary(
        open_positions=len(positions),
        naked=[p.symbol for p in naked],
        naked_overdue=[
            p.symbol for p in naked if p.opened_at is None or now - p.opened_at > NAKED_GRACE
        ],
        flattening=[
            p.symbol for p in positions if p.protection_status == ProtectionStatus.FLATTENING
        ],
        day_start=start,
        realised_today=totals.realised_pnl,
        fees_today=totals.fees_quote,
        unvalued_fees_today=totals.unvalued_fees,
        active_intents={status: int(n) for status, n in session.execute(active).all()},
        intents_today={status: int(n) for status, n in session.execute(today).all()},
    )


def to_jsonable(value: Any) -> Any:
    """Dataclasses, lists and dicts with Decimal as plain text and datetimes as ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def plain(value: Decimal) -> str:
    """`2000.000000000000000000` (as stored) -> `2000`; never an exponent."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


# --- helpers ---------------------------------------------------------------------------------


def _orders_query() -> Any:
    return select(ExchangeOrder, OrderIntent.status).outerjoin(
        OrderIntent, OrderIntent.id == ExchangeOrder.intent_id
    )


def _in(model: Any, column: Any, values: Sequence[str]) -> Any:
    return select(model).where(column.in_(list(values)))


def _order_view(row: ExchangeOrder, intent_status: str | None) -> OrderView:
    return OrderView(
        id=row.id,
        exchange_order_id=row.exchange_order_id,
        client_oid=row.client_oid,
        symbol=row.symbol,
        side=row.side,
        role=row.order_role,
        order_type=row.order_type,
        status=row.status,
        quantity=row.quantity,
        filled_quantity=row.cumulative_quantity,
        limit_price=row.price,
        trigger_price=row.ref_price,
        avg_price=row.avg_price,
        list_id=row.list_id,
        intent_id=row.intent_id,
        intent_status=intent_status,
        reject_reason=row.reject_reason,
        created_at=row.exchange_create_time or row.created_at,
    )


def _intent_view(row: OrderIntent) -> IntentView:
    return IntentView(
        id=row.id,
        symbol=row.symbol,
        side=row.side,
        status=row.status,
        amount_usd=row.amount_usd,
        filled_quantity=row.filled_quantity,
        avg_fill_price=row.avg_fill_price,
        sl_price=row.sl_placed_price or row.sl_price,
        tp_price=row.tp_placed_price or row.tp_price,
        protection_mode=row.protection_mode,
        reason=row.block_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _open_stops(session: Session, symbols: Sequence[str]) -> dict[str, list[ExchangeOrder]]:
    rows = session.scalars(
        _in(ExchangeOrder, ExchangeOrder.symbol, symbols)
        .where(
            ExchangeOrder.status == states.OPEN,
            ExchangeOrder.order_role == states.STOP_LOSS,
        )
        .order_by(ExchangeOrder.id)
    )
    stops: dict[str, list[ExchangeOrder]] = {}
    for row in rows:
        stops.setdefault(row.symbol, []).append(row)
    return stops


def _position_view(
    row: Position, price: MarketPrice | None, stops: list[ExchangeOrder], now: datetime
) -> PositionView:
    mark = None if price is None or not price.last or price.last <= 0 else price.last
    age = None
    if mark is not None and price is not None:
        age = (now - min(price.exchange_ts, price.fetched_at)).total_seconds()
    return PositionView(
        symbol=row.symbol,
        quantity=row.quantity,
        avg_entry_price=row.avg_entry_price,
        mark=mark,
        mark_age_s=age,
        unrealised_pnl=None if mark is None else unrealised(position_state(row), mark),
        realised_pnl=row.realised_pnl,
        fees_paid=row.fees_paid,
        protection_status=row.protection_status,
        stop_prices=sorted({p for s in stops if (p := s.ref_price or s.price) is not None}),
        stop_quantity=sum(
            (s.quantity - (s.cumulative_quantity or Decimal(0)) for s in stops), Decimal(0)
        ),
        opened_at=row.opened_at,
    )


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
