"""`load_candles` / `load_freshness` read back exactly what was stored, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
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


def test_load_candles_for_many_symbols_returns_each_newest_window(
    sessions: sessionmaker[Session],
) -> None:
    """The multi-symbol paths (binary COPY on PostgreSQL, per-symbol scans on SQLite) keep every
    symbol's rows apart, newest `limit`, oldest first. Speed is measured in bench/, not here."""
    fetched = T0 + timedelta(days=3)
    symbols = [f"S{i:03d}_USDT" for i in range(120)]
    for index, symbol in enumerate(symbols[:-1]):  # the last symbol has no candles at all
        _store(sessions, symbol, Timeframe.H1, 30 + index % 7, fetched)
    with sessions() as s:
        arrays = repo.load_candles(s, symbols, "1h", 25)
    assert set(arrays) == set(symbols) and len(arrays[symbols[-1]]) == 0
    step = 3_600_000
    start = int(T0.timestamp() * 1000)
    for index, symbol in enumerate(symbols[:-1]):
        stored = 30 + index % 7
        got = arrays[symbol]
        assert len(got) == 25
        first = stored - 25
        assert got.open_time.tolist() == [start + (first + i) * step for i in range(25)]
        assert got.close.tolist() == [100 + first + i + 0.75 for i in range(25)]
