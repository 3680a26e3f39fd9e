"""Gapped stops: a fired STOP_LIMIT whose LIMIT order rests unfilled below the market.

The first protection step is an OCO whose stop leg is a STOP_LIMIT with limit = trigger (spec
§9.4, legacy practice). When the price gaps through the stop, the trigger fires and the order
it creates - a spot LIMIT SELL at the limit (spec §9.2, §9.6) - rests unfilled above a market
that is already lower: the stop leg is still "open", yet nothing protects the position.

How it is seen through the broker port, on every guardian pass:
- the stop leg (a trigger order in the open-order snapshot) has `child_order_id` set: it fired.
  On Crypto.com that is the spot child; on the paper broker the triggered order is its own
  resulting order (its own id);
- that order is still in the snapshot and not terminal: (part of) it is unfilled;
- the `market_prices` last price, fresh (ORDERS_GAPPED_STOP_PRICE_MAX_AGE_SECONDS), is beyond
  its limit (below it for a SELL): it cannot fill at this price.
All three hold, for a PROTECTED intent whose stop-loss leg it is, on consecutive passes for
ORDERS_GAPPED_STOP_SECONDS or more: the stop gapped. Anything else (the order filled, the price
came back, no fresh price) restarts the clock. The clock lives in memory: after a restart the
grace period starts again, which only delays the decision by one grace period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.market.freshness import check_ticker
from atp.market.models import MarketPrice
from atp.orders import states
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.ports import OrderState
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GappedStop:
    intent_id: int
    symbol: str
    leg: OrderState  # the fired stop-loss leg
    resting: OrderState  # the order its firing created, still unfilled (paper: the leg itself)
    limit: Decimal
    price: Decimal  # the fresh last price beyond the limit
    since: datetime  # first pass that saw the gap

    def describe(self, now: datetime) -> str:
        """One line for the alert and the intent: the prices and how long it has rested."""
        unfilled = self.resting.quantity - self.resting.cumulative_quantity
        return (
            f"stop gapped: trigger {_plain(self.leg.trigger_price)} fired, its LIMIT "
            f"{self.resting.side} of {_plain(unfilled)} at {_plain(self.limit)} rests unfilled "
            f"while the last price is {_plain(self.price)} "
            f"(for {(now - self.since).total_seconds():.0f} s)"
        )


def latest_price(session: Session, symbol: str, now: datetime, max_age_s: float) -> Decimal | None:
    """`market_prices.last` while both its fetch and exchange times are recent, else None."""
    row = session.get(MarketPrice, symbol)
    if row is None:
        return None
    verdict = check_ticker(
        symbol=symbol,
        last=row.last,
        fetched_at=row.fetched_at,
        exchange_ts=row.exchange_ts,
        now=now,
        limit_s=max_age_s,
    )
    return row.last if verdict.fresh else None


def beyond_limit(side: str, limit: Decimal, price: Decimal) -> bool:
    """A LIMIT order at `limit` cannot trade at `price`: a SELL above it, a BUY below it."""
    return price < limit if side.upper() == "SELL" else price > limit


class GappedStopWatch:
    """Remembers since when each fired stop has rested beyond the price (one per worker)."""

    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt
        self._since: dict[str, datetime] = {}  # by the stop leg's order id

    def due(self, session: Session, open_orders: list[OrderState]) -> list[GappedStop]:
        """The gapped stops whose grace period is over (the clock is updated for all)."""
        now = self.rt.now()
        grace = timedelta(seconds=self.rt.settings.orders_gapped_stop_seconds)
        by_id = {order.order_id: order for order in open_orders}
        watching: dict[str, datetime] = {}
        due: list[GappedStop] = []
        for leg in open_orders:
            gap = self._gap(session, leg, by_id, now)
            if gap is None:
                continue
            watching[leg.order_id] = gap.since
            if now - gap.since >= grace:
                due.append(gap)
            else:
                log.warning(
                    "[GUARDIAN] intent %s %s %s", gap.intent_id, gap.symbol, gap.describe(now)
                )
        self._since = watching
        return due

    def _gap(
        self, session: Session, leg: OrderState, by_id: dict[str, OrderState], now: datetime
    ) -> GappedStop | None:
        if not leg.kind.is_trigger or leg.child_order_id is None or leg.status.is_terminal:
            return None
        resting = by_id.get(leg.child_order_id)
        if resting is None or resting.status.is_terminal:
            return None  # filled (the sync books it) or not listed yet: nothing rests
        limit = resting.limit_price or leg.limit_price
        if limit is None:
            return None  # a STOP_LOSS fires a MARKET order: it does not rest
        intent_id = _protected_intent(session, leg.order_id)
        if intent_id is None:
            return None
        max_age = self.rt.settings.orders_gapped_stop_price_max_age_seconds
        price = latest_price(session, leg.symbol, now, max_age)
        if price is None:
            log.warning(
                "[GUARDIAN] stop %s %s fired and rests unfilled, but no fresh price to judge it",
                leg.order_id,
                leg.symbol,
            )
            return None
        if not beyond_limit(resting.side, limit, price):
            return None
        since = self._since.get(leg.order_id, now)
        return GappedStop(intent_id, leg.symbol, leg, resting, limit, price, since)


def _protected_intent(session: Session, stop_order_id: str) -> int | None:
    """The PROTECTED intent whose stop-loss leg this exchange order is."""
    return session.scalar(
        select(OrderIntent.id)
        .join(ExchangeOrder, ExchangeOrder.intent_id == OrderIntent.id)
        .where(
            ExchangeOrder.exchange_order_id == stop_order_id,
            ExchangeOrder.order_role == states.STOP_LOSS,
            OrderIntent.status == states.PROTECTED,
        )
    )


def _plain(value: Decimal | None) -> str:
    return "-" if value is None else format(value.normalize(), "f")
