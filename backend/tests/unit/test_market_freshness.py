"""Timeframes, the freshness rule and CandleArrays: pure code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from atp.core.candles import CandleArrays
from atp.core.timeframes import (
    ALL_TIMEFRAMES,
    Timeframe,
    UnknownTimeframeError,
    duration_s,
    floor_open_ms,
    parse_timeframe,
)
from atp.market.freshness import check_freshness, fetch_limit_s, freshness_limit_s
from atp.market.plan import candle_request
from atp.market.repo import CandleState

NOW = datetime(2026, 3, 2, 12, 7, 30, tzinfo=UTC)


def test_timeframes_are_spelled_as_the_exchange_wants() -> None:
    assert [tf.value for tf in ALL_TIMEFRAMES] == [
        "1m",
        "5m",
        "15m",
        "30m",
        "1h",
        "2h",
        "4h",
        "12h",
        "1D",
        "7D",
        "14D",
        "1M",
    ]
    assert parse_timeframe("1D") is Timeframe.D1 and parse_timeframe("1M") is Timeframe.MONTH
    for wrong in ("1d", "2m", "8h", "3D", "D1", ""):
        with pytest.raises(UnknownTimeframeError):
            parse_timeframe(wrong)
    assert duration_s(Timeframe.M5) == 300 and duration_s(Timeframe.D7) == 7 * 86400


def test_floor_open_time_uses_calendar_months() -> None:
    ts = int(datetime(2026, 2, 17, 15, 4, tzinfo=UTC).timestamp() * 1000)
    assert floor_open_ms(ts, Timeframe.MONTH) == int(
        datetime(2026, 2, 1, tzinfo=UTC).timestamp() * 1000
    )
    assert floor_open_ms(ts, Timeframe.H4) == int(
        datetime(2026, 2, 17, 12, tzinfo=UTC).timestamp() * 1000
    )


def test_fresh_when_the_open_candle_is_current_and_recently_fetched() -> None:
    verdict = check_freshness(
        symbol="BTC_USDT",
        timeframe="5m",
        last_candle_open=NOW.replace(minute=5, second=0),
        fetched_at=NOW - timedelta(seconds=20),
        now=NOW,
    )
    assert verdict.fresh and verdict.reason is None
    assert verdict.age_s == 150 and verdict.limit_s == freshness_limit_s("5m") == 660


def test_no_candles_and_old_candles_are_stale() -> None:
    none = check_freshness(
        symbol="X_USDT", timeframe=Timeframe.H1, last_candle_open=None, fetched_at=None, now=NOW
    )
    assert not none.fresh and none.reason == "NO_CANDLES" and none.age_s is None
    old = check_freshness(
        symbol="X_USDT",
        timeframe="1h",
        last_candle_open=NOW - timedelta(hours=3),
        fetched_at=NOW,
        now=NOW,
    )
    assert not old.fresh and old.reason == "CANDLE_TOO_OLD" and old.age_s == 3 * 3600
    assert "symbol=X_USDT timeframe=1h age_s=10800 limit_s=7260" in old.log_fields()


def test_a_failing_fetch_leaves_the_age_growing_until_stale() -> None:
    fetched = NOW - timedelta(seconds=10)
    candle = NOW.replace(minute=5, second=0)
    verdicts = [
        check_freshness(
            symbol="A_USDT",
            timeframe="5m",
            last_candle_open=candle,
            fetched_at=fetched,
            now=NOW + timedelta(seconds=s),
        )
        for s in (0, 200, 400, 800)
    ]
    assert [v.fresh for v in verdicts] == [True, True, False, False]
    assert (
        verdicts[2].reason == "FETCH_TOO_OLD" and verdicts[2].limit_s == fetch_limit_s("5m") == 360
    )
    assert verdicts[3].reason == "CANDLE_TOO_OLD"
    ages = [v.age_s for v in verdicts]
    assert ages == sorted(ages)


def test_fetch_limit_is_capped_for_long_timeframes() -> None:
    assert fetch_limit_s("1D") == 960 and fetch_limit_s("1m") == 120
    assert freshness_limit_s(Timeframe.D1) == 2 * 86400 + 60


def test_candle_request_backfills_then_refreshes_incrementally() -> None:
    now_ms = int(NOW.timestamp() * 1000)
    assert candle_request(None, Timeframe.M5, now_ms=now_ms, backfill=300).count == 300
    young = CandleState(newest_open_ms=now_ms - 60_000, count=120)
    assert candle_request(young, Timeframe.M5, now_ms=now_ms, backfill=300).is_backfill
    full = CandleState(newest_open_ms=now_ms - 12 * 60_000, count=300)
    request = candle_request(full, Timeframe.M5, now_ms=now_ms, backfill=300)
    assert request.start_ms == full.newest_open_ms and request.count == 4
    stale = CandleState(newest_open_ms=now_ms - 400 * 300_000, count=300)
    assert candle_request(stale, Timeframe.M5, now_ms=now_ms, backfill=300).is_backfill


def test_candle_arrays_shape_rules() -> None:
    arrays = CandleArrays.from_rows([(1, 1.0, 2.0, 0.5, 1.5, 10.0), (2, 1.5, 2.5, 1.0, 2.0, 11.0)])
    assert len(arrays) == 2 and arrays.open_time.dtype == np.int64
    assert arrays.tail(1).close.tolist() == [2.0] and len(CandleArrays.empty()) == 0
    with pytest.raises(ValueError, match="different length"):
        CandleArrays(
            np.zeros(2, np.int64), np.zeros(1), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
        )
