"""Where the paper broker gets prices and instrument rules from.

Prices: the latest trade per symbol, written by the market updater into `market_prices`; a
price older than the limit counts as missing (an order must not fill at a frozen price).
Rules: the `instruments` table; a symbol without a row (never fetched) gets a fallback derived
from its name and price, the same shape as the replay feed's instruments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.market.freshness import check_ticker
from atp.market.models import Instrument, MarketPrice
from atp.orders.ports import InstrumentRules

FALLBACK_QTY_TICK = Decimal("0.0001")


class PriceSource(Protocol):
    def latest_price(self, symbol: str) -> Decimal | None:
        """The latest usable price, or None when there is none or it is stale."""
        ...


class DbPriceSource:
    """`market_prices.last`, usable only while both its fetch and exchange times are recent."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_age_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._max_age = max_age_seconds
        self._clock = clock

    def latest_price(self, symbol: str) -> Decimal | None:
        with self._sessions() as session:
            row = session.get(MarketPrice, symbol)
        if row is None:
            return None
        verdict = check_ticker(
            symbol=symbol,
            last=row.last,
            fetched_at=row.fetched_at,
            exchange_ts=row.exchange_ts,
            now=self._clock(),
            limit_s=self._max_age,
        )
        return row.last if verdict.fresh else None


def load_rules(session: Session, symbol: str, price: Decimal | None) -> InstrumentRules | None:
    """The instrument's ticks from `instruments`, else the fallback; None for a bad symbol."""
    row = session.execute(
        select(Instrument).where(Instrument.symbol == symbol)
    ).scalar_one_or_none()
    if row is not None:
        return InstrumentRules(
            symbol=symbol,
            base=row.base_ccy,
            quote=row.quote_ccy,
            price_tick=row.price_tick_size,
            qty_tick=row.qty_tick_size,
        )
    return fallback_rules(symbol, price)


def fallback_rules(symbol: str, price: Decimal | None) -> InstrumentRules | None:
    """BASE_QUOTE split; price tick for about six significant digits (2..10 decimals, like the
    replay feed), quantity tick 0.0001. None when the name is not BASE_QUOTE."""
    base, sep, quote = symbol.partition("_")
    if not (sep and base.isalnum() and quote.isalnum()):
        return None
    places = 8 if price is None or price <= 0 else max(2, min(10, 5 - price.adjusted()))
    return InstrumentRules(
        symbol=symbol,
        base=base,
        quote=quote,
        price_tick=Decimal(1).scaleb(-places),
        qty_tick=FALLBACK_QTY_TICK,
    )
