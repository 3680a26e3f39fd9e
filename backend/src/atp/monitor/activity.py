"""Order activity the trade limits need, read from intents, fills and positions in grouped queries.

Open orders, per base currency (BTC_USDT and BTC_USD share BTC), are what holds or may soon hold
a position: every open position (atp.orders.positions: not closed) plus every working entry, an
intent that is not terminal and has no fill recorded yet (PENDING, SUBMITTING, SUBMITTED: the
time between the alert and the fill). Once its fill is recorded the intent is counted through its
position instead, so nothing is counted twice and nothing slips between the two.

Every intent counts as an order for the spacing and per-day limits (an intent is an order
attempt; a failing exchange must not turn into a retry storm). An intent that ended before it was
ever taken to the exchange (EXPIRED while pending, CANCELLED because its alert was never
delivered) was no attempt and counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from atp.orders.models import FillRecord, OrderIntent, Position

TERMINAL_INTENT_STATUSES = frozenset(
    {"BLOCKED", "FAILED", "REJECTED", "CANCELLED", "CANCELED", "CLOSED", "EXPIRED", "FLATTENED"}
)
# Set only from PENDING by atp.orders.intents: the intent never reached the exchange.
NEVER_ATTEMPTED_STATUSES = frozenset({"CANCELLED", "EXPIRED"})


def base_currency(symbol: str) -> str:
    """BTC for BTC_USDT / BTC_USD / BTCUSD-PERP."""
    if "_" in symbol:
        return symbol.split("_", 1)[0]
    if symbol.endswith("-PERP"):
        return symbol.removesuffix("-PERP").removesuffix("USD")
    return symbol


@dataclass
class OrderActivity:
    open_by_coin: dict[str, int] = field(default_factory=dict)
    open_total: int = 0
    last_order_at: dict[str, datetime] = field(default_factory=dict)
    orders_today: dict[str, int] = field(default_factory=dict)

    def record_new_order(self, symbol: str, at: datetime) -> None:
        """Count an intent created in this cycle so later symbols see the new totals."""
        coin = base_currency(symbol)
        self.open_by_coin[coin] = self.open_by_coin.get(coin, 0) + 1
        self.open_total += 1
        self.last_order_at[symbol] = at
        self.orders_today[symbol] = self.orders_today.get(symbol, 0) + 1


def load_activity(session: Session, now: datetime) -> OrderActivity:
    activity = OrderActivity()
    for symbol, count in [*_working_entries(session), *_open_positions(session)]:
        coin = base_currency(symbol)
        activity.open_by_coin[coin] = activity.open_by_coin.get(coin, 0) + int(count)
        activity.open_total += int(count)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = session.execute(
        select(
            OrderIntent.symbol,
            func.max(OrderIntent.created_at),
            func.count().filter(OrderIntent.created_at >= midnight),
        )
        .where(OrderIntent.status.not_in(NEVER_ATTEMPTED_STATUSES))
        .group_by(OrderIntent.symbol)
    )
    for symbol, last_at, today in recent:
        if last_at is not None:
            activity.last_order_at[symbol] = _aware(last_at)
        activity.orders_today[symbol] = int(today or 0)
    return activity


def _working_entries(session: Session) -> list[tuple[str, int]]:
    has_fill = exists().where(
        or_(FillRecord.intent_id == OrderIntent.id, FillRecord.client_oid == OrderIntent.client_oid)
    )
    rows = session.execute(
        select(OrderIntent.symbol, func.count())
        .where(OrderIntent.status.not_in(TERMINAL_INTENT_STATUSES), ~has_fill)
        .group_by(OrderIntent.symbol)
    )
    return [(symbol, int(count)) for symbol, count in rows]


def _open_positions(session: Session) -> list[tuple[str, int]]:
    rows = session.scalars(select(Position.symbol).where(Position.protection_status != "closed"))
    return [(symbol, 1) for symbol in rows]


def _aware(value: datetime | str) -> datetime:
    # func.max() loses the column type on SQLite and hands back text or a naive datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
