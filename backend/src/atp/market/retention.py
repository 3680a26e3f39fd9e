"""Bounded candle storage: keep the newest N candles per (symbol, timeframe), drop the rest.

Each key is pruned with an index-ordered lookup of its N-th newest open time, so the cost is
proportional to the number of keys, not to the table size.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from atp.market.models import MarketCandle

CandleKey = tuple[str, str]  # (symbol, timeframe value)


def prune_candles(
    session: Session,
    *,
    keep: int,
    keys: Collection[CandleKey] | None = None,
    skip: Collection[CandleKey] = (),
) -> int:
    """Delete candles older than the newest `keep` of their (symbol, timeframe). Returns rows deleted.

    `keys` limits the work to those keys (the updater prunes each symbol as it writes it);
    by default every stored key is pruned except those in `skip`.
    """
    if keep < 1:
        raise ValueError("keep must be >= 1")
    c = MarketCandle.__table__.c
    if keys is None:
        keys = [(s, tf) for s, tf in session.execute(select(c.symbol, c.timeframe).distinct())]
    deleted = 0
    for symbol, timeframe in keys:
        if (symbol, timeframe) in skip:
            continue
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
