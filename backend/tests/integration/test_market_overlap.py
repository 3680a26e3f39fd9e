"""Writes overlap fetching: each symbol is committed as soon as it is complete, yet a symbol
that fails (at the exchange or in the database) still writes nothing of its own, and the pass's
statuses, heartbeat and report stay exact. SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.cryptocom.market_data import CryptoComMarketData
from atp.core.timeframes import Timeframe
from atp.market import repo
from atp.market.models import MarketPrice
from atp.market.ports import Candle, InstrumentInfo, RowsWithErrors, Ticker
from atp.market.updater import MarketUpdater, SymbolOutcome
from atp.market.writer import SymbolWriter
from atp.ops.models import ServiceHeartbeat
from atp.settings import Settings
from tests.fakes.fake_exchange import FakeExchange, Fault
from tests.fakes.market_clock import TestClock
from tests.integration.market_support import (
    add_watchlist,
    candle_counts,
    make_source,
    make_updater,
    statuses,
)

CANDLES = "public/get-candlestick"
SYMBOLS = ["BTC_USDT", "ETH_USDT", "SOL_USDT"]
OTHERS = ["BTC_USDT", "SOL_USDT"]
FULL = {(s, tf): 300 for s in OTHERS for tf in ("5m", "1h", "1D")}


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def fake(clock: TestClock) -> Iterator[FakeExchange]:
    with FakeExchange(clock_ms=clock.ms, symbols=SYMBOLS) as server:
        yield server


class HookedSource:
    """The real client, except that fetching `hooked` (symbol, timeframe) runs `before` first."""

    def __init__(
        self,
        inner: CryptoComMarketData,
        hooked: tuple[str, str],
        before: Callable[[], Awaitable[None]],
    ) -> None:
        self.inner = inner
        self.hooked = hooked
        self.before = before
        self.source_name = inner.source_name
        self.completed: list[tuple[str, str]] = []

    def now(self) -> datetime:
        return self.inner.now()

    async def fetch_instruments(self, symbols: Sequence[str]) -> RowsWithErrors[InstrumentInfo]:
        return await self.inner.fetch_instruments(symbols)

    async def fetch_tickers(self, symbols: Sequence[str]) -> RowsWithErrors[Ticker]:
        return await self.inner.fetch_tickers(symbols)

    async def fetch_candles(
        self, symbol: str, timeframe: Timeframe, *, count: int, start_ms: int | None = None
    ) -> list[Candle]:
        if (symbol, timeframe.value) == self.hooked:
            await self.before()
        candles = await self.inner.fetch_candles(symbol, timeframe, count=count, start_ms=start_ms)
        self.completed.append((symbol, timeframe.value))
        return candles

    async def aclose(self) -> None:
        await self.inner.aclose()


def committed_prices(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as s:
        return set(s.scalars(select(MarketPrice.symbol)))


def heartbeat(sessions: sessionmaker[Session]) -> ServiceHeartbeat:
    with sessions() as s:
        return s.scalars(select(ServiceHeartbeat).where(ServiceHeartbeat.service == "market")).one()


async def test_others_are_committed_while_a_failing_symbol_is_still_fetching(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, SYMBOLS)
    observed: dict[str, object] = {}

    async def wait_for_the_others_then_fail() -> None:
        # ETH's 5m and 1h candles are in memory; BTC and SOL must already be in the database.
        for _ in range(500):
            done = {tf for sym, tf in source.completed if sym == "ETH_USDT"}
            counts = await asyncio.to_thread(candle_counts, sessions)
            if done == {"5m", "1h"} and counts == FULL:
                observed["prices"] = await asyncio.to_thread(committed_prices, sessions)
                break
            await asyncio.sleep(0.01)
        observed["counts"] = counts
        fake.inject(Fault("server_error", method=CANDLES, symbol="ETH_USDT", times=None))

    source = HookedSource(
        make_source(fake, clock), ("ETH_USDT", "1D"), wait_for_the_others_then_fail
    )
    report = await MarketUpdater(source, sessions, settings).run_pass()

    assert observed["counts"] == FULL, "nothing was written while ETH was still fetching"
    assert observed["prices"] == set(OTHERS)
    assert report.ok == 2 and set(report.errors) == {"ETH_USDT"}
    assert report.errors["ETH_USDT"].startswith("candles 1D: UNAVAILABLE")
    assert report.candles_written == 1800 and report.backfills == 8
    assert candle_counts(sessions) == FULL  # nothing of ETH, though 2 of its 3 fetches succeeded
    assert committed_prices(sessions) == set(OTHERS)
    rows = statuses(sessions)
    assert rows["ETH_USDT"].status == "ERROR" and rows["ETH_USDT"].last_success_at is None
    assert {rows[s].status for s in OTHERS} == {"OK"}
    assert all(rows[s].last_success_at == clock.now() for s in OTHERS)
    beat = heartbeat(sessions)
    assert beat.items == 2 and beat.errors == 1 and beat.cycle == 1
    assert (beat.last_error or "").startswith("ETH_USDT: candles 1D")
    assert beat.details is not None and beat.details["candles_written"] == 1800


@pytest.fixture
def reject_eth_candles(engine: Engine) -> Iterator[None]:
    """A trigger that makes the database itself refuse ETH_USDT candles (both dialects)."""
    if engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION reject_eth() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.symbol = 'ETH_USDT' THEN RAISE EXCEPTION 'ETH refused by test trigger'; "
            "END IF; RETURN NEW; END $$",
            "CREATE TRIGGER reject_eth BEFORE INSERT ON market_candles "
            "FOR EACH ROW EXECUTE FUNCTION reject_eth()",
        ]
        drop = ["DROP TRIGGER IF EXISTS reject_eth ON market_candles", "DROP FUNCTION reject_eth()"]
    else:
        create = [
            "CREATE TRIGGER reject_eth BEFORE INSERT ON market_candles "
            "WHEN NEW.symbol = 'ETH_USDT' BEGIN SELECT RAISE(ABORT, 'ETH refused'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS reject_eth"]
    with engine.begin() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)


@pytest.mark.usefixtures("reject_eth_candles")
async def test_a_symbol_the_database_refuses_costs_only_itself(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, SYMBOLS)
    report = await make_updater(fake, clock, sessions, settings).run_pass()
    assert report.ok == 2 and set(report.errors) == {"ETH_USDT"}
    assert report.errors["ETH_USDT"].startswith("WRITE_FAILED: ")
    assert report.candles_written == 1800
    assert candle_counts(sessions) == FULL
    assert committed_prices(sessions) == set(OTHERS)  # its ticker went down with its candles
    rows = statuses(sessions)
    assert rows["ETH_USDT"].status == "ERROR" and rows["ETH_USDT"].consecutive_failures == 1
    assert "WRITE_FAILED" in (rows["ETH_USDT"].last_error or "")
    beat = heartbeat(sessions)
    assert beat.items == 2 and beat.errors == 1


def outcome(symbol: str, now: datetime) -> SymbolOutcome:
    price = Decimal("100")
    candles = [
        Candle(1_772_000_000_000 + i * 300_000, price, price, price, price, Decimal("1"))
        for i in range(5)
    ]
    ticker = Ticker(symbol, price, price, price, price, price, price, price, Decimal(0), 1)
    return SymbolOutcome(symbol, ticker, {Timeframe("5m"): candles}, fetched_at=now)


@pytest.mark.usefixtures("reject_eth_candles")
async def test_a_refused_symbol_in_a_shared_transaction_is_retried_apart(
    sessions: sessionmaker[Session],
) -> None:
    writer = SymbolWriter(sessions, source="test", stored={}, prune_keep=None)
    gate = threading.Event()
    blocked = asyncio.ensure_future(writer.run(gate.wait))  # the writer "falls behind"
    outcomes = [outcome(s, datetime.now(UTC)) for s in SYMBOLS]
    writes = [asyncio.ensure_future(writer.write(o)) for o in outcomes]
    await asyncio.sleep(0)  # every write is queued behind the gate: one shared transaction
    gate.set()
    await blocked
    await asyncio.gather(*writes)
    writer.close()
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert (outcomes[1].error or "").startswith("WRITE_FAILED: ")
    assert writer.candles_written == 10
    assert writer.written_keys == {("BTC_USDT", "5m"), ("SOL_USDT", "5m")}
    assert candle_counts(sessions) == {("BTC_USDT", "5m"): 5, ("SOL_USDT", "5m"): 5}
    assert committed_prices(sessions) == set(OTHERS)


async def test_an_unexpected_error_fails_the_pass_and_stops_the_other_symbols(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, SYMBOLS)

    async def crash() -> None:
        raise RuntimeError("bug in the fetch path")

    source = HookedSource(make_source(fake, clock), ("ETH_USDT", "1h"), crash)
    with pytest.raises(RuntimeError, match="bug in the fetch path"):
        await MarketUpdater(source, sessions, settings).run_pass()
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert pending == []  # no symbol keeps fetching (or writing) after the pass gave up
    beat = heartbeat(sessions)
    assert beat.errors == 1 and beat.items == 0
    assert (beat.last_error or "").startswith("pass failed: RuntimeError: bug in the fetch path")
    assert "ETH_USDT" not in {sym for sym, _ in candle_counts(sessions)}


async def test_retention_still_covers_symbols_the_pass_did_not_write(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, ["BTC_USDT"])
    old = [
        Candle(1_700_000_000_000 + i * 300_000, *(Decimal("5"),) * 4, Decimal("1"))
        for i in range(310)
    ]
    with sessions.begin() as s:  # a symbol no longer tracked, above the retention limit
        repo.upsert_candles(s, [("OLD_USDT", Timeframe("5m"), old, clock.now())], source="t")
    settings = settings.model_copy(
        update={
            "market_timeframes": "5m",
            "market_max_candles_per_timeframe": 300,
            "market_retention_interval_seconds": 0.001,
        }
    )
    report = await make_updater(fake, clock, sessions, settings).run_pass()
    assert report.pruned == 10
    assert candle_counts(sessions) == {("OLD_USDT", "5m"): 300, ("BTC_USDT", "5m"): 300}
