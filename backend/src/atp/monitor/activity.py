"""Order activity the trade limits need, read from `order_intents` in a few grouped queries.

Until the orders issue lands a position model, an "open order" is an order intent whose status is
not terminal, counted per base currency (BTC_USDT and BTC_USD share BTC), and every intent counts
as an order for the spacing and per-day limits (an intent is an order attempt; a failing exchange
must not turn into a retry storm). An intent that ended before it was ever taken to the exchange
(EXPIRED while pending, CANCELLED because its alert was never delivered) was no attempt and counts
for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.orders.models import OrderIntent

TERMINAL_INTENT_STATUSES = frozenset(
    {"BLOCKED", "FAILED", "REJECTED", "CANCELLED", "CANCELED", "CLOSED", "EXPIRED"}
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
    open_rows = session.execute(
        select(OrderIntent.symbol, func.count())
        .where(OrderIntent.status.not_in(TERMINAL_INTENT_STATUSES))
        .group_by(OrderIntent.symbol)
    )
    for symbol, count in open_rows:
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


def _aware(value: datetime | str) -> datetime:
    # func.max() loses the column type on SQLite and hands back text or a naive datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
