"""Is a symbol's market data fresh enough to decide on for timeframe T? One rule, one place.

Rule (documented in docs/market-data.md). For a timeframe of duration d:

1. The newest stored candle must have opened no more than `2*d + 60 s` ago
   (`freshness_limit_s`): the still-open candle plus one full period of slack for the
   exchange to publish the next one.
2. That candle must have been fetched no more than `min(d, 15 min) + 60 s` ago
   (`fetch_limit_s`): a failed fetch never rewrites `fetched_at`, so the age keeps growing
   until the data is refused.

The monitor refuses decisions on stale data (`MARKET_DATA_STALE`); health and audit read the
same answer. `check_freshness` is pure; `load_freshness` reads the database in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from atp.core.timeframes import Timeframe, duration_s, parse_timeframe
from atp.market.models import MarketCandle

GRACE_S = 60.0
FETCH_AGE_CAP_S = 15 * 60.0

NO_CANDLES = "NO_CANDLES"
NEVER_FETCHED = "NEVER_FETCHED"
CANDLE_TOO_OLD = "CANDLE_TOO_OLD"
FETCH_TOO_OLD = "FETCH_TOO_OLD"


@dataclass(frozen=True)
class Freshness:
    """The verdict with the numbers behind it: `age_s` was compared with `limit_s`."""

    fresh: bool
    age_s: float | None
    limit_s: float
    reason: str | None
    symbol: str = ""
    timeframe: str = ""

    def log_fields(self) -> str:
        age = "none" if self.age_s is None else f"{self.age_s:.0f}"
        text = f"symbol={self.symbol} timeframe={self.timeframe} age_s={age} limit_s={self.limit_s:.0f}"
        return text + (f" reason={self.reason}" if self.reason else "")


def _timeframe(value: Timeframe | str) -> Timeframe:
    return value if isinstance(value, Timeframe) else parse_timeframe(value)


def freshness_limit_s(timeframe: Timeframe | str) -> float:
    """Oldest acceptable open time of the newest candle, in seconds before now."""
    return 2 * duration_s(_timeframe(timeframe)) + GRACE_S


def fetch_limit_s(timeframe: Timeframe | str) -> float:
    """Oldest acceptable successful fetch of that candle, in seconds before now."""
    return min(float(duration_s(_timeframe(timeframe))), FETCH_AGE_CAP_S) + GRACE_S


def check_freshness(
    *,
    symbol: str,
    timeframe: Timeframe | str,
    last_candle_open: datetime | None,
    fetched_at: datetime | None,
    now: datetime,
) -> Freshness:
    tf = _timeframe(timeframe)
    candle_limit = freshness_limit_s(tf)
    names = {"symbol": symbol, "timeframe": tf.value}
    if last_candle_open is None:
        return Freshness(False, None, candle_limit, NO_CANDLES, **names)
    candle_age = (now - last_candle_open).total_seconds()
    if candle_age > candle_limit:
        return Freshness(False, candle_age, candle_limit, CANDLE_TOO_OLD, **names)
    fetch_limit = fetch_limit_s(tf)
    if fetched_at is None:
        return Freshness(False, None, fetch_limit, NEVER_FETCHED, **names)
    fetch_age = (now - fetched_at).total_seconds()
    if fetch_age > fetch_limit:
        return Freshness(False, fetch_age, fetch_limit, FETCH_TOO_OLD, **names)
    return Freshness(True, candle_age, candle_limit, None, **names)


def load_freshness(
    session: Session, symbols: Iterable[str], timeframe: Timeframe | str, now: datetime
) -> dict[str, Freshness]:
    """Freshness of every symbol for one timeframe (symbols without candles: NO_CANDLES)."""
    tf = _timeframe(timeframe)
    wanted = sorted(set(symbols))
    newest = newest_candles(session, wanted, tf)
    result: dict[str, Freshness] = {}
    for symbol in wanted:
        open_time, fetched_at = newest.get(symbol, (None, None))
        result[symbol] = check_freshness(
            symbol=symbol, timeframe=tf, last_candle_open=open_time, fetched_at=fetched_at, now=now
        )
    return result


def newest_candles(
    session: Session, symbols: list[str], timeframe: Timeframe
) -> dict[str, tuple[datetime, datetime]]:
    """{symbol: (open_time, fetched_at)} of the newest stored candle per symbol."""
    if not symbols:
        return {}
    candle = MarketCandle.__table__
    latest = (
        select(candle.c.symbol, func.max(candle.c.open_time).label("open_time"))
        .where(candle.c.timeframe == timeframe.value, candle.c.symbol.in_(symbols))
        .group_by(candle.c.symbol)
        .subquery()
    )
    stmt = select(candle.c.symbol, candle.c.open_time, candle.c.fetched_at).join(
        latest,
        and_(
            candle.c.symbol == latest.c.symbol,
            candle.c.open_time == latest.c.open_time,
            candle.c.timeframe == timeframe.value,
        ),
    )
    return {row.symbol: (row.open_time, row.fetched_at) for row in session.execute(stmt)}
