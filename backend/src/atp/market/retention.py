"""Bounded candle storage: keep the newest N candles per (symbol, timeframe), drop the rest.

Each key is pruned with an index-ordered lookup of its N-th newest open time, so the cost is
proportional to the number of keys, not to the table size.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from atp.market.models import MarketCandle


def prune_candles(session: Session, *, keep: int) -> int:
    """Delete candles older than the newest `keep` of their (symbol, timeframe). Returns rows deleted."""
    if keep < 1:
        raise ValueError("keep must be >= 1")
    c = MarketCandle.__table__.c
    keys = session.execute(select(c.symbol, c.timeframe).distinct()).all()
    deleted = 0
    for symbol, timeframe in keys:
        cutoff = session.execute(
            select(c.open_time)
            .where(c.symbol == symbol, c.timeframe == timeframe)
            .order_by(c.open_time.desc())
            .offset(keep - 1)
            .limit(1)
        ).scalar_one_or_none()
        if cutoff is None:
            continue
        result = session.execute(
            delete(MarketCandle).where(
                c.symbol == symbol, c.timeframe == timeframe, c.open_time < cutoff
            )
        )
        deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted
