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

Two more rules decide what the monitor may use (both pure, documented in docs/monitor.md):

- `closed_candles`: a candle is decided on only once it has closed by the clock AND its stored
  snapshot was fetched at or after its close (`fetched_at >= open + duration`); a row fetched
  while the candle was forming holds partial OHLCV (after an updater stall it stays that way).
- `check_ticker`: the price for the alert, the throttle and SL/TP is the ticker's last trade,
  only while both its own fetch time and the exchange's timestamp are within a short limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.timeframes import Timeframe, close_ms, duration_ms, duration_s, parse_timeframe
from atp.market.models import MarketCandle

GRACE_S = 60.0
FETCH_AGE_CAP_S = 15 * 60.0

NO_CANDLES = "NO_CANDLES"
NEVER_FETCHED = "NEVER_FETCHED"
CANDLE_TOO_OLD = "CANDLE_TOO_OLD"
FETCH_TOO_OLD = "FETCH_TOO_OLD"
FETCHED_BEFORE_CLOSE = "FETCHED_BEFORE_CLOSE"
NO_TICKER = "NO_TICKER"
NO_TICKER_PRICE = "NO_TICKER_PRICE"
TICKER_TOO_OLD = "TICKER_TOO_OLD"


@dataclass(frozen=True)
class Freshness:
    """The verdict with the numbers behind it: `age_s` was compared with `limit_s`."""

    fresh: bool
    age_s: float | None
    limit_s: float
    reason: str | None
    symbol: str = ""
    timeframe: str = ""  # "ticker" for a ticker verdict
    detail: str = ""  # evidence beyond age/limit (e.g. open, fetch and close time of a candle)

    def log_fields(self) -> str:
        age = "none" if self.age_s is None else f"{self.age_s:.0f}"
        text = f"symbol={self.symbol} timeframe={self.timeframe} age_s={age} limit_s={self.limit_s:.0f}"
        text += f" reason={self.reason}" if self.reason else ""
        return text + (f" ({self.detail})" if self.detail else "")


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


@dataclass(frozen=True)
class ClosedCandles:
    """The candles to decide on and the verdict on them."""

    candles: CandleArrays
    freshness: Freshness


def closed_candles(
    series: CandleArrays, timeframe: Timeframe | str, now: datetime, verdict: Freshness
) -> ClosedCandles:
    """Closed candles only: closed by the clock, and the newest one fetched after its close.

    `verdict` is `check_freshness` on the newest stored candle (the updater keeps up). If the
    newest closed candle was fetched before its close it is dropped; the one before it is then
    decided on only if it was itself fetched after its close and is within
    `freshness_limit_s`, else the answer is stale (`FETCHED_BEFORE_CLOSE`) with the evidence.
    Older candles need no check: each updater pass re-fetches from the newest stored candle on,
    so only the newest closed one can still hold a snapshot taken while it was forming.
    """
    tf = _timeframe(timeframe)
    now_ms = _ms(now)
    closes = _close_times(series.open_time, tf)
    closed = int(np.searchsorted(closes, now_ms, side="right"))  # candles with close <= now
    kept = series.slice(0, closed)
    if not verdict.fresh or closed == 0:
        return ClosedCandles(kept, verdict)
    fetched = series.fetched_at
    if fetched is None:
        raise ValueError("closed_candles needs each candle's fetch time")
    last = closed - 1
    if fetched[last] >= closes[last]:
        return ClosedCandles(kept, verdict)
    evidence = _partial_evidence(series, closes, last)
    earlier = series.slice(0, last)
    previous_ok = last > 0 and fetched[last - 1] >= closes[last - 1]
    limit = freshness_limit_s(tf)
    age = (now_ms - int(series.open_time[last - 1])) / 1000 if previous_ok else None
    if age is not None and age <= limit:
        detail = f"newest closed candle dropped ({evidence}); deciding on the one before it"
        return ClosedCandles(earlier, replace(verdict, age_s=age, limit_s=limit, detail=detail))
    stale = Freshness(
        False, age, limit, FETCHED_BEFORE_CLOSE, verdict.symbol, tf.value, detail=evidence
    )
    return ClosedCandles(earlier, stale)


def _close_times(open_ms: np.ndarray, tf: Timeframe) -> np.ndarray:
    if tf is Timeframe.MONTH:
        return np.asarray([close_ms(int(t), tf) for t in open_ms], dtype=np.int64)
    return open_ms + duration_ms(tf)


def _partial_evidence(series: CandleArrays, closes: np.ndarray, index: int) -> str:
    assert series.fetched_at is not None
    opened, fetched = int(series.open_time[index]), int(series.fetched_at[index])
    return (
        f"candle open={_iso(opened)} fetched_at={_iso(fetched)} close={_iso(int(closes[index]))}:"
        f" fetched {(int(closes[index]) - fetched) / 1000:.0f} s before its close"
    )


def check_ticker(
    *,
    symbol: str,
    last: Decimal | None,
    fetched_at: datetime | None,
    exchange_ts: datetime | None,
    now: datetime,
    limit_s: float,
) -> Freshness:
    """Is the ticker's last price usable? Both its fetch time and exchange time must be recent.

    The older of the two counts: a fresh fetch of an exchange snapshot that stopped updating is
    as stale as an old fetch.
    """
    names = {"symbol": symbol, "timeframe": "ticker"}
    if fetched_at is None or exchange_ts is None:
        return Freshness(False, None, limit_s, NO_TICKER, **names, detail="no ticker stored")
    if last is None or last <= 0:
        return Freshness(False, None, limit_s, NO_TICKER_PRICE, **names, detail=f"last={last}")
    fetch_age = (now - fetched_at).total_seconds()
    exchange_age = (now - exchange_ts).total_seconds()
    age = max(fetch_age, exchange_age)
    detail = (
        f"ticker fetched_at={fetched_at.isoformat()} (age_s={fetch_age:.0f})"
        f" exchange_ts={exchange_ts.isoformat()} (age_s={exchange_age:.0f})"
    )
    if age > limit_s:
        return Freshness(False, age, limit_s, TICKER_TOO_OLD, **names, detail=detail)
    return Freshness(True, age, limit_s, None, **names, detail=detail)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()
