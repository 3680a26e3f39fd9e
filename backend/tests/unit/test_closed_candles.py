"""Closed candles only, a short-lived ticker price, and SL/TP levels kept in Decimal.

A candle is decided on only if it was fetched at or after its close: a snapshot taken while it
was forming holds partial OHLCV (the updater stalls, the row stays as it was). The cases are the
ones reproduced on 15m, 5m and 1h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from atp.core.candles import CandleArrays
from atp.core.timeframes import Timeframe, close_ms, duration_ms, parse_timeframe
from atp.market.freshness import (
    FETCHED_BEFORE_CLOSE,
    NO_TICKER,
    NO_TICKER_PRICE,
    TICKER_TOO_OLD,
    ClosedCandles,
    check_freshness,
    check_ticker,
    closed_candles,
)
from atp.monitor.decide import quantize_level

T = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _series(timeframe: str, newest_open: datetime, fetched: list[datetime]) -> CandleArrays:
    """len(fetched) candles ending at `newest_open`, candle i fetched at fetched[i]."""
    step = duration_ms(parse_timeframe(timeframe))
    count = len(fetched)
    opens = np.asarray([_ms(newest_open) - (count - 1 - i) * step for i in range(count)])
    values = np.linspace(1.0, 2.0, count)
    fetched_ms = np.asarray([_ms(f) for f in fetched], dtype=np.int64)
    return CandleArrays(opens, values, values, values, values, values, fetched_ms)


def _judge(timeframe: str, series: CandleArrays, now: datetime) -> ClosedCandles:
    newest = len(series) - 1
    assert series.fetched_at is not None
    verdict = check_freshness(
        symbol="BTC_USDT",
        timeframe=timeframe,
        last_candle_open=datetime.fromtimestamp(series.open_time[newest] / 1000, tz=UTC),
        fetched_at=datetime.fromtimestamp(series.fetched_at[newest] / 1000, tz=UTC),
        now=now,
    )
    return closed_candles(series, timeframe, now, verdict)


def _open_of(result: ClosedCandles, index: int = -1) -> datetime:
    return datetime.fromtimestamp(result.candles.open_time[index] / 1000, tz=UTC)


@pytest.mark.parametrize(("timeframe", "minutes"), [("15m", 15), ("5m", 5)])
def test_a_snapshot_fetched_seconds_after_the_open_is_never_decided_on(
    timeframe: str, minutes: int
) -> None:
    step = timedelta(minutes=minutes)
    snapshot = T + timedelta(seconds=5)  # history re-fetched then; the candle at T 5 s old
    series = _series(timeframe, T, [snapshot] * 4)
    # The updater stalled: T's candle has closed by the clock and was never fetched again.
    # Before: decided on as complete. Now: dropped, the complete candle before it is used.
    result = _judge(timeframe, series, T + step + timedelta(seconds=30))
    assert result.freshness.fresh and _open_of(result) == T - step
    assert "newest closed candle dropped" in result.freshness.detail
    # Once the candle before it is past the freshness limit too: stale, with the evidence.
    stale = _judge(timeframe, series, T + step + timedelta(seconds=62)).freshness
    assert not stale.fresh and stale.reason == FETCHED_BEFORE_CLOSE
    assert f"open={T.isoformat()}" in stale.detail
    assert f"fetched_at={snapshot.isoformat()}" in stale.detail
    assert f"close={(T + step).isoformat()}" in stale.detail


def test_an_hourly_snapshot_15_minutes_before_its_close_is_refused() -> None:
    hour = timedelta(hours=1)
    fetched = [T - timedelta(minutes=15)] * 3  # the 09:00 candle fetched at 09:45
    series = _series("1h", T - hour, fetched)
    # Before: accepted as complete by the clock (10:00:40 is past its close, fetch 15.7 min old).
    result = _judge("1h", series, T + timedelta(seconds=40))
    # The 09:00 candle is dropped; 08:00 was fetched after its close and is within the limit.
    assert result.freshness.fresh
    assert _open_of(result) == T - 2 * hour
    assert "newest closed candle dropped" in result.freshness.detail
    assert f"close={T.isoformat()}" in result.freshness.detail
    # A snapshot 10 minutes before the close, judged 2 minutes after it: 08:00 is too old.
    later = _series("1h", T - hour, [T - timedelta(minutes=10)] * 3)
    stale = _judge("1h", later, T + timedelta(minutes=2)).freshness
    assert not stale.fresh and stale.reason == FETCHED_BEFORE_CLOSE
    assert f"open={(T - hour).isoformat()}" in stale.detail


def test_a_candle_fetched_after_its_close_is_accepted() -> None:
    step = timedelta(minutes=15)
    fetched = [T + timedelta(seconds=2)] * 4  # the updater ran 2 s after T: T - 15m is final
    series = _series("15m", T, fetched)
    result = _judge("15m", series, T + timedelta(seconds=30))
    assert result.freshness.fresh and result.freshness.detail == ""
    assert _open_of(result) == T - step  # the candle still forming is not decided on
    exact = _series("15m", T - step, [T] * 3)  # fetched exactly at the close: complete
    assert _judge("15m", exact, T + timedelta(seconds=30)).freshness.fresh


def test_a_partial_candle_with_no_complete_one_before_it_is_stale() -> None:
    series = _series("5m", T, [T + timedelta(seconds=1)])
    result = _judge("5m", series, T + timedelta(minutes=6))
    assert result.freshness.reason == FETCHED_BEFORE_CLOSE and len(result.candles) == 0


def test_a_monthly_candle_closes_at_the_next_month() -> None:
    feb = datetime(2026, 2, 1, tzinfo=UTC)
    assert close_ms(_ms(feb), Timeframe.MONTH) == _ms(datetime(2026, 3, 1, tzinfo=UTC))
    dec = datetime(2025, 12, 1, tzinfo=UTC)
    assert close_ms(_ms(dec), Timeframe.MONTH) == _ms(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("fetch_age", "exchange_age", "fresh"),
    [(10, 20, True), (120, 5, False), (5, 120, False), (89, 90, True), (91, 0, False)],
)
def test_the_ticker_counts_its_older_timestamp(
    fetch_age: float, exchange_age: float, fresh: bool
) -> None:
    verdict = check_ticker(
        symbol="BTC_USDT",
        last=Decimal("100"),
        fetched_at=T - timedelta(seconds=fetch_age),
        exchange_ts=T - timedelta(seconds=exchange_age),
        now=T,
        limit_s=90,
    )
    assert verdict.fresh is fresh
    assert verdict.age_s == max(fetch_age, exchange_age)
    assert verdict.reason == (None if fresh else TICKER_TOO_OLD)
    assert "fetched_at=" in verdict.detail and "exchange_ts=" in verdict.detail


def test_a_missing_ticker_or_price_is_stale() -> None:
    missing = check_ticker(
        symbol="X_USD", last=None, fetched_at=None, exchange_ts=None, now=T, limit_s=90
    )
    assert (missing.fresh, missing.reason) == (False, NO_TICKER)
    no_trade = check_ticker(
        symbol="X_USD", last=None, fetched_at=T, exchange_ts=T, now=T, limit_s=90
    )
    assert (no_trade.fresh, no_trade.reason) == (False, NO_TICKER_PRICE)


def test_levels_are_quantised_in_decimal() -> None:
    level = Decimal("0.000012345678901") * (1 - Decimal("2.5") / 100)
    assert quantize_level(level) == Decimal("0.0000120370369285")
    assert quantize_level(Decimal("98.0000")) == Decimal("98.0000000000")
    assert quantize_level(Decimal("1E-30")) == Decimal(0)
    assert quantize_level(None) is None
