"""`MarketUpdater` passes against the fake exchange and a real database (SQLite + PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.market.freshness import load_freshness
from atp.market.models import Instrument, MarketCandle, MarketPrice
from atp.ops.models import ServiceHeartbeat
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from tests.fakes.fake_exchange import FakeExchange, Fault
from tests.fakes.market_clock import TestClock
from tests.integration.market_support import (
    add_watchlist,
    candle_counts,
    make_updater,
    statuses,
)

CANDLES = "public/get-candlestick"
SYMBOLS = ["BTC_USDT", "ETH_USDT", "SOL_USDT"]


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def fake(clock: TestClock):
    with FakeExchange(clock_ms=clock.ms, symbols=[*SYMBOLS, "DOGE_USDT"]) as server:
        yield server


async def test_backfill_then_incremental_refresh(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, SYMBOLS)
    updater = make_updater(fake, clock, sessions, settings)
    report = await updater.run_pass()
    assert report.ok == 3 and not report.errors and report.backfills == 9
    counts = candle_counts(sessions)
    assert counts == {(s, tf): 300 for s in SYMBOLS for tf in ("5m", "1h", "1D")}
    with sessions() as s:
        price = s.get(MarketPrice, "BTC_USDT")
        assert price is not None and price.ask is not None and price.ask > price.bid  # type: ignore[operator]
        assert price.exchange_ts == clock.now() and price.fetched_at == clock.now()
        assert s.scalar(select(func.count()).select_from(Instrument)) == 4
    first_requests = len(fake.requests(CANDLES))

    clock.advance(minutes=12)  # two new 5m candles, the open 1h and 1D candles changed
    report = await updater.run_pass()
    assert report.ok == 3 and report.backfills == 0
    incremental = fake.requests(CANDLES)[first_requests:]
    assert len(incremental) == 9 and all("start_ts" in r.query for r in incremental)
    assert all(int(r.query["count"]) <= 5 for r in incremental)
    counts = candle_counts(sessions)
    assert counts[("BTC_USDT", "5m")] == 302 and counts[("BTC_USDT", "1h")] in (300, 301)
    with sessions() as s:
        newest = s.scalars(
            select(MarketCandle)
            .where(MarketCandle.symbol == "BTC_USDT", MarketCandle.timeframe == "1D")
            .order_by(MarketCandle.open_time.desc())
        ).first()
        assert (
            newest is not None and newest.fetched_at == clock.now()
        )  # still-open candle refreshed
    fresh = statuses(sessions)
    assert {s.status for s in fresh.values()} == {"OK"}


async def test_one_failing_symbol_writes_nothing_and_blocks_nobody(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, [*SYMBOLS, "NOPE_USDT"])
    fake.inject(Fault("server_error", method=CANDLES, symbol="ETH_USDT", times=None))
    fake.inject(Fault("incomplete", method=CANDLES, symbol="SOL_USDT", times=None, drop_field="h"))
    report = await make_updater(fake, clock, sessions, settings).run_pass()
    assert report.ok == 1 and set(report.errors) == {"ETH_USDT", "SOL_USDT", "NOPE_USDT"}
    counts = candle_counts(sessions)
    assert {sym for sym, _ in counts} == {"BTC_USDT"}
    with sessions() as s:
        assert s.get(MarketPrice, "ETH_USDT") is None and s.get(MarketPrice, "SOL_USDT") is None
    rows = statuses(sessions)
    assert rows["ETH_USDT"].status == "ERROR" and "UNAVAILABLE" in (
        rows["ETH_USDT"].last_error or ""
    )
    assert "MALFORMED" in (rows["SOL_USDT"].last_error or "")
    assert "INVALID_INSTRUMENT" in (rows["NOPE_USDT"].last_error or "")
    assert rows["ETH_USDT"].last_success_at is None and rows["ETH_USDT"].consecutive_failures == 1
    assert rows["BTC_USDT"].status == "OK"


async def test_failed_fetch_leaves_the_age_growing_and_logs_stale_once(
    fake: FakeExchange,
    clock: TestClock,
    sessions: sessionmaker[Session],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_watchlist(sessions, ["BTC_USDT", "ETH_USDT"])
    updater = make_updater(fake, clock, sessions, settings)
    await updater.run_pass()
    first_fetch = clock.now()
    with sessions() as s:
        assert all(f.fresh for f in load_freshness(s, ["BTC_USDT"], "5m", clock.now()).values())

    fake.inject(Fault("rate_limit", method=CANDLES, symbol="BTC_USDT", times=None))
    caplog.set_level(logging.INFO, logger="atp.market")
    for minutes in (3, 10, 10):
        clock.advance(minutes=minutes)
        await updater.run_pass()
    with sessions() as s:
        verdict = load_freshness(s, ["BTC_USDT", "ETH_USDT"], "5m", clock.now())
        btc_price = s.get(MarketPrice, "BTC_USDT")
    assert btc_price is not None and btc_price.fetched_at == first_fetch  # never rewritten
    assert not verdict["BTC_USDT"].fresh and verdict["ETH_USDT"].fresh
    newest_open = first_fetch.replace(second=0, microsecond=0) - timedelta(
        minutes=first_fetch.minute % 5
    )
    assert verdict["BTC_USDT"].reason == "CANDLE_TOO_OLD"
    assert verdict["BTC_USDT"].age_s == pytest.approx((clock.now() - newest_open).total_seconds())
    stale_lines = [
        r.getMessage() for r in caplog.records if "[MARKET_DATA_STALE]" in r.getMessage()
    ]
    assert len(stale_lines) == 1 and "symbol=BTC_USDT" in stale_lines[0]
    assert "age_s=" in stale_lines[0] and "limit_s=" in stale_lines[0]
    row = statuses(sessions)["BTC_USDT"]
    assert row.status == "ERROR" and row.stale_since is not None and row.consecutive_failures == 3

    fake.clear_faults()
    clock.advance(minutes=1)
    await updater.run_pass()
    fresh_lines = [
        r.getMessage() for r in caplog.records if "[MARKET_DATA_FRESH]" in r.getMessage()
    ]
    assert len(fresh_lines) == 1 and "symbol=BTC_USDT" in fresh_lines[0]
    row = statuses(sessions)["BTC_USDT"]
    assert row.status == "OK" and row.stale_since is None


async def test_ticker_failure_marks_every_symbol_errored_and_writes_nothing(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, SYMBOLS)
    fake.inject(Fault("malformed", method="public/get-tickers", times=None))
    report = await make_updater(fake, clock, sessions, settings).run_pass()
    assert report.ok == 0 and len(report.errors) == 3
    assert candle_counts(sessions) == {}
    assert all("ticker: MALFORMED" in (r.last_error or "") for r in statuses(sessions).values())


async def test_heartbeat_each_pass_and_preset_timeframes(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions.begin() as s:
        s.add(
            StrategyPreset(key="scalp:test", strategy="scalp", risk="x", params={"timeframe": "4h"})
        )
        s.add(StrategyPreset(key="bad:test", strategy="bad", risk="x", params={"timeframe": "1d"}))
    add_watchlist(sessions, ["BTC_USDT"], preset="scalp:test")
    add_watchlist(sessions, ["ETH_USDT"], preset="bad:test")
    settings = settings.model_copy(
        update={"market_timeframes": "1h", "market_extra_symbols": "DOGE_USDT"}
    )
    updater = make_updater(fake, clock, sessions, settings)
    await updater.run_pass()
    clock.advance(seconds=30)
    await updater.run_pass()
    assert set(candle_counts(sessions)) == {
        (s, tf) for s in ("BTC_USDT", "ETH_USDT", "DOGE_USDT") for tf in ("1h", "4h")
    }
    with sessions() as s:
        beat = s.scalars(select(ServiceHeartbeat).where(ServiceHeartbeat.service == "market")).one()
    assert beat.cycle == 2 and beat.items == 3 and beat.errors == 0
    assert beat.details is not None and beat.details["source"] == "cryptocom"


async def test_candles_are_pruned_to_the_configured_maximum(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, ["BTC_USDT"])
    settings = settings.model_copy(
        update={
            "market_timeframes": "5m",
            "market_max_candles_per_timeframe": 300,
            "market_retention_interval_seconds": 0.001,
        }
    )
    updater = make_updater(fake, clock, sessions, settings)
    await updater.run_pass()
    clock.advance(minutes=50)
    report = await updater.run_pass()
    assert report.pruned == 10
    assert candle_counts(sessions) == {("BTC_USDT", "5m"): 300}
    with sessions() as s:
        oldest = s.scalar(select(func.min(MarketCandle.open_time)))
        newest = s.scalar(select(func.max(MarketCandle.open_time)))
    assert oldest is not None and newest is not None
    assert newest - oldest == timedelta(minutes=5 * 299)


async def test_candles_are_stamped_with_the_time_their_request_was_sent(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """A request sent before a candle's close may return the forming candle: the stamp must be
    the send time, or a slow response would make a partial candle look closed."""
    add_watchlist(sessions, ["BTC_USDT"])
    updater = make_updater(fake, clock, sessions, settings)
    sent_at = clock.now()
    fetch = updater.source.fetch_candles

    async def slow_fetch(*args: object, **kwargs: object) -> object:
        result = await fetch(*args, **kwargs)  # type: ignore[arg-type]
        clock.advance(minutes=3)  # the response arrives after the 5m candle has closed
        return result

    updater.source.fetch_candles = slow_fetch  # type: ignore[method-assign]
    report = await updater.run_pass()
    assert report.ok == 1
    with sessions() as s:
        stamps = set(s.scalars(select(MarketCandle.fetched_at)))
    assert stamps == {sent_at}
