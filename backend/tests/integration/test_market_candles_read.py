"""`load_candles` / `load_freshness` read back exactly what was stored, fast, on both backends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from atp.core.timeframes import Timeframe
from atp.market import repo
from atp.market.freshness import load_freshness
from atp.market.ports import Candle

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _store(
    sessions: sessionmaker[Session], symbol: str, tf: Timeframe, n: int, fetched_at: datetime
) -> list[Candle]:
    step = int(timedelta(hours=1).total_seconds() * 1000)
    start = int(T0.timestamp() * 1000)
    candles = [
        Candle(
            start + i * step,
            Decimal(f"{100 + i}.125"),
            Decimal(f"{101 + i}.5"),
            Decimal(f"{99 + i}.25"),
            Decimal(f"{100 + i}.75"),
            Decimal("12.000000000000000001"),
        )
        for i in range(n)
    ]
    with sessions.begin() as s:
        repo.upsert_candle_rows(
            s, repo.candle_rows(symbol, tf, candles, fetched_at=fetched_at, source="t")
        )
    return candles


def test_load_candles_returns_newest_oldest_first(sessions: sessionmaker[Session]) -> None:
    _store(sessions, "BTC_USDT", Timeframe.H1, 50, T0)
    _store(sessions, "ETH_USDT", Timeframe.H1, 5, T0)
    _store(sessions, "BTC_USDT", Timeframe.D1, 7, T0)
    with sessions() as s:
        arrays = repo.load_candles(s, ["BTC_USDT", "ETH_USDT", "XRP_USDT"], "1h", 20)
    btc = arrays["BTC_USDT"]
    assert len(btc) == 20 and len(arrays["ETH_USDT"]) == 5 and len(arrays["XRP_USDT"]) == 0
    assert btc.open_time.dtype == np.int64 and btc.close.dtype == np.float64
    expected_first = int((T0 + timedelta(hours=30)).timestamp() * 1000)
    assert btc.open_time[0] == expected_first and np.all(np.diff(btc.open_time) == 3_600_000)
    assert btc.open[0] == 130.125 and btc.high[-1] == 150.5 and btc.low[0] == 129.25
    assert btc.close[-1] == 149.75 and btc.volume[0] == pytest.approx(12.0)


def test_load_freshness_uses_the_newest_candle_and_its_fetch_time(
    sessions: sessionmaker[Session],
) -> None:
    fetched = T0 + timedelta(hours=49, minutes=30)
    _store(sessions, "BTC_USDT", Timeframe.H1, 50, fetched)  # newest opens at T0 + 49h
    with sessions() as s:
        now = fetched + timedelta(minutes=5)
        verdict = load_freshness(s, ["BTC_USDT", "ETH_USDT"], Timeframe.H1, now)
        assert verdict["BTC_USDT"].fresh and verdict["BTC_USDT"].age_s == 35 * 60
        assert verdict["ETH_USDT"].reason == "NO_CANDLES"
        later = load_freshness(s, ["BTC_USDT"], "1h", fetched + timedelta(minutes=20))["BTC_USDT"]
        assert not later.fresh and later.reason == "FETCH_TOO_OLD" and later.limit_s == 960


@pytest.mark.slow
def test_load_candles_500_symbols_x_300_is_fast_on_postgres(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("performance target is for PostgreSQL")
    with sessions.begin() as s:  # 500 symbols x 400 candles, generated in SQL to keep setup fast
        s.execute(
            text("""
            INSERT INTO market_candles (symbol, timeframe, open_time, open, high, low, close, volume, fetched_at, source)
            SELECT 'S' || lpad(sym::text, 3, '0') || '_USDT', '1h',
                   timestamptz '2026-01-01' + make_interval(hours => i),
                   100 + i * 0.01, 101 + i * 0.01, 99 + i * 0.01, 100.5 + i * 0.01, 1000, now(), 'bench'
            FROM generate_series(1, 500) AS sym, generate_series(1, 400) AS i
        """)
        )
        s.execute(text("ANALYZE market_candles"))
    symbols = [f"S{i:03d}_USDT" for i in range(1, 501)]
    timings = []
    for _ in range(3):
        with sessions() as s:
            started = time.perf_counter()
            arrays = repo.load_candles(s, symbols, "1h", 300)
            timings.append(time.perf_counter() - started)
    assert all(len(a) == 300 for a in arrays.values()) and len(arrays) == 500
    assert arrays["S001_USDT"].close[-1] == pytest.approx(100.5 + 400 * 0.01)
    # Target on an idle 2-core host: ~0.25 s (see docs/performance.md). The bound is generous
    # because CI shares the CPU with other jobs; it still catches an O(rows) Python loop.
    assert min(timings) < 1.0, timings
