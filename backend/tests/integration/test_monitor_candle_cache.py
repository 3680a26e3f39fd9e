"""The monitor's candle cache returns exactly what a fresh full read returns, on both databases.

Every step writes through the updater's own bulk upsert (`atp.market.repo.upsert_candles`) and
then compares the cache with `load_candles` + `load_freshness` (the market area's full read):
still-open candle rewritten, new candle, a gap and its later fill, symbols added and removed,
retention pruning into the window, clock skew below the watermark, a late insert far below it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from atp.core.timeframes import Timeframe
from atp.market import repo
from atp.market.candles_read import load_candles
from atp.market.freshness import load_freshness
from atp.market.models import MarketCandle
from atp.market.ports import Candle
from atp.market.retention import prune_candles
from atp.monitor.candle_cache import CandleCache, MarketWindow, same_arrays
from atp.monitor.cycle import run_cycle
from atp.settings import Settings
from tests.integration.monitor_support import NOW, seed_world, set_ticker

TF = "1h"
HOUR = timedelta(hours=1)
LIMIT = 20
T0 = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)
OPEN0 = T0.replace(minute=0, second=0)  # the candle in progress at T0


def _candle(opened: datetime, price: float) -> Candle:
    value = Decimal(f"{price:.7f}")
    return Candle(
        open_time_ms=int(opened.timestamp() * 1000),
        open=value,
        high=value + Decimal("0.1234567"),
        low=value - Decimal("0.0987654"),
        close=value + Decimal("0.0101"),
        volume=Decimal(f"{price * 3.3:.4f}"),
    )


def _write(
    sessions: sessionmaker[Session],
    symbol: str,
    opens: list[datetime],
    fetched_at: datetime,
    price: float = 100.0,
) -> None:
    candles = [_candle(opened, price + i * 0.37) for i, opened in enumerate(opens)]
    with sessions.begin() as s:
        repo.upsert_candles(s, [(symbol, Timeframe(TF), candles, fetched_at)], source="test")


def _hours(newest: datetime, count: int) -> list[datetime]:
    return [newest - HOUR * (count - 1 - i) for i in range(count)]


def _check(
    sessions: sessionmaker[Session],
    cache: CandleCache,
    symbols: list[str],
    now: datetime,
    limit: int = LIMIT,
) -> MarketWindow:
    cache.start_cycle([TF])
    with sessions() as s:
        got = cache.read(s, symbols, TF, limit, now)
    with sessions() as s:
        want = load_candles(s, symbols, TF, limit)
        fresh = load_freshness(s, symbols, TF, now)
    assert sorted(got.candles) == sorted(symbols)
    for symbol in symbols:
        assert same_arrays(got.candles[symbol], want[symbol]), symbol
        assert got.freshness[symbol] == fresh[symbol], symbol
    return got


def test_cache_equals_full_read_through_updater_passes(sessions: sessionmaker[Session]) -> None:
    cache = CandleCache(overlap_s=300, refresh_cycles=None)
    _write(sessions, "AAA_USDT", _hours(OPEN0, 30), T0)  # more than the window
    _write(sessions, "BBB_USDT", _hours(OPEN0, 10), T0 - timedelta(seconds=5), price=5.0)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "CCC_USDT"], T0)  # CCC: no candles
    assert cache.stats.loaded == 3

    # Pass 1: the open candle is rewritten, BBB also gets the next one.
    t1 = T0 + timedelta(seconds=30)
    _write(sessions, "AAA_USDT", [OPEN0], t1, price=101.5)
    _write(sessions, "BBB_USDT", [OPEN0, OPEN0 + HOUR], t1, price=6.0)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "CCC_USDT"], t1)
    assert cache.stats.loaded == 0 and cache.stats.reloaded == 0
    assert cache.stats.changed_rows >= 3

    # Pass 2: AAA jumps three hours (a gap); BBB's fetch fails, so its data only ages.
    t2 = T0 + 3 * HOUR
    _write(sessions, "AAA_USDT", [OPEN0 + 3 * HOUR], t2, price=99.0)
    window = _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "CCC_USDT"], t2)
    assert cache.stats.loaded == 0
    assert window.freshness["AAA_USDT"].fresh and not window.freshness["BBB_USDT"].fresh

    # Pass 3: DDD joins the watchlist, CCC leaves it.
    _write(sessions, "DDD_USDT", _hours(OPEN0 + 3 * HOUR, 25), t2, price=0.05)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "DDD_USDT"], t2)
    assert cache.stats.loaded == 1

    # Pass 4: the gap is filled later with the two missing candles.
    t4 = t2 + timedelta(seconds=30)
    _write(sessions, "AAA_USDT", [OPEN0 + HOUR, OPEN0 + 2 * HOUR], t4, price=100.2)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "DDD_USDT"], t4)
    assert cache.stats.loaded == 0 and cache.stats.reloaded == 0

    # Pass 5: retention keeps fewer candles than the window: pruned windows are read again.
    with sessions.begin() as s:
        assert prune_candles(s, keep=15) > 0
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "DDD_USDT"], t4)
    assert cache.stats.reloaded == 2  # AAA and DDD held 20; BBB (11 rows) was not touched

    # Pass 6: a writer whose clock is a minute behind (inside the overlap).
    _write(sessions, "AAA_USDT", [OPEN0 + 3 * HOUR], t4 - timedelta(seconds=60), price=97.0)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "DDD_USDT"], t4)
    assert cache.stats.reloaded == 0

    # Pass 7: a row inserted with a fetched_at far below the watermark: the count catches it.
    _write(sessions, "BBB_USDT", [OPEN0 + 2 * HOUR], T0 - timedelta(days=1), price=7.0)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "DDD_USDT"], t4)
    assert cache.stats.reloaded == 1

    # Pass 8: CCC comes back with data; the window grows (a preset needing more candles).
    _write(sessions, "CCC_USDT", _hours(OPEN0 + 3 * HOUR, 40), t4, price=3.0)
    _check(sessions, cache, ["AAA_USDT", "BBB_USDT", "CCC_USDT", "DDD_USDT"], t4, limit=30)


def test_full_rereads_repair_an_update_the_watermark_missed(
    sessions: sessionmaker[Session],
) -> None:
    """An update under the watermark is invisible to the delta; the rolling re-read fixes it."""
    cache = CandleCache(overlap_s=0, refresh_cycles=1)
    _write(sessions, "AAA_USDT", _hours(OPEN0, 25), T0)
    _check(sessions, cache, ["AAA_USDT"], T0)
    with sessions.begin() as s:  # same row count, new value, old fetched_at
        s.execute(
            update(MarketCandle)
            .where(MarketCandle.symbol == "AAA_USDT", MarketCandle.open_time == OPEN0 - HOUR)
            .values(close=Decimal("1.5"), fetched_at=T0 - timedelta(days=2))
        )
    _check(sessions, cache, ["AAA_USDT"], T0 + timedelta(seconds=30))
    assert cache.stats.drift == 1 and cache.stats.loaded == 1


def test_steady_state_reads_only_changed_rows(sessions: sessionmaker[Session]) -> None:
    cache = CandleCache()
    symbols = [f"S{i:02d}_USDT" for i in range(12)]
    for i, symbol in enumerate(symbols):  # history fetched long ago, the open candle just now
        _write(sessions, symbol, _hours(OPEN0, 30), T0 - timedelta(days=1), price=10.0 + i)
        _write(sessions, symbol, [OPEN0], T0, price=10.5 + i)
    _check(sessions, cache, symbols, T0)
    for step in range(1, 4):
        now = T0 + timedelta(seconds=30 * step)
        for i, symbol in enumerate(symbols):
            _write(sessions, symbol, [OPEN0], now, price=11.0 + i + step)
        window = _check(sessions, cache, symbols, now)
        assert cache.stats.loaded <= 1  # only the rolling re-read
        assert cache.stats.changed_rows <= 2 * len(symbols)  # the open candle (+ overlap)
        closes = [float(window.candles[s].close[-1]) for s in symbols]
        assert np.allclose(closes, [11.0 + i + step + 0.0101 for i in range(12)])


def test_cycles_with_the_cache_decide_like_cycles_without(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    """Through `run_cycle`: incremental reads after the first, same evaluation as a full read."""
    symbols = {f"S{i:02d}_USDT": {"preset": ("test:buy", "test:none")[i % 2]} for i in range(6)}
    seed_world(sessions, symbols)
    cache = CandleCache()
    first = run_cycle(sessions, settings, now=NOW, cache=cache)
    assert first.candle_cache["loaded"] == 6
    newest = NOW.replace(minute=0, second=0, microsecond=0)
    for step in range(1, 4):  # the updater rewrites the open candle, then a new one opens
        now = NOW + timedelta(minutes=25 * step)
        opened = now.replace(minute=0, second=0, microsecond=0)
        # Like the updater: from the newest stored candle on (re-fetched once it has closed).
        opens = sorted({newest, opened})
        newest = opened
        with sessions.begin() as s:
            for symbol in symbols:
                set_ticker(s, symbol, "100", at=now - timedelta(seconds=3))
        for i, symbol in enumerate(symbols):
            _write(sessions, symbol, opens, now - timedelta(seconds=3), price=100.0 + i)
        cached = run_cycle(sessions, settings, now=now, cache=cache)
        assert cached.candle_cache["loaded"] <= 1 and cached.candle_cache["changed_rows"] >= 6
        uncached = run_cycle(sessions, settings, now=now)
        assert uncached.candle_cache["loaded"] == 6
        for a, b in zip(cached.decisions, uncached.decisions, strict=True):
            assert (a.symbol, a.side, a.decision_reason, a.price) == (
                b.symbol,
                b.side,
                b.decision_reason,
                b.price,
            )
            assert a.indicators == b.indicators and a.conditions == b.conditions
            assert a.alert_outcome()[1] != "MARKET_DATA_STALE"
