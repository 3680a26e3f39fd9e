"""The data-health view: a failing symbol shows ERROR with its reason; healthy ones are fresh."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.api.app import create_app
from atp.market.health import data_health
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_exchange import FakeExchange, Fault
from tests.fakes.market_clock import TestClock
from tests.integration.market_support import add_watchlist, make_updater

SYMBOLS = ["BTC_USDT", "ETH_USDT"]
TIMEFRAMES = ["5m", "1h", "1D"]


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def fake(clock: TestClock) -> Iterator[FakeExchange]:
    with FakeExchange(clock_ms=clock.ms, symbols=SYMBOLS) as server:
        yield server


async def test_failing_symbol_is_visible_with_its_reason(
    fake: FakeExchange, clock: TestClock, sessions: sessionmaker[Session], settings: Settings
) -> None:
    add_watchlist(sessions, [*SYMBOLS, "NEW_USDT"])
    fake.inject(
        Fault(
            "incomplete",
            method="public/get-candlestick",
            symbol="ETH_USDT",
            times=None,
            drop_field="h",
        )
    )
    await make_updater(fake, clock, sessions, settings).run_pass()
    with sessions() as session:
        rows = {r.symbol: r for r in data_health(session, timeframes=TIMEFRAMES, now=clock.now())}
    assert rows["BTC_USDT"].healthy and rows["BTC_USDT"].status == "OK"
    assert all(f.fresh for f in rows["BTC_USDT"].freshness.values())
    eth = rows["ETH_USDT"]
    assert not eth.healthy and eth.status == "ERROR" and "MALFORMED" in (eth.last_error or "")
    assert {f.reason for f in eth.freshness.values()} == {"NO_CANDLES"}
    assert rows["NEW_USDT"].status == "ERROR"  # not an instrument on the exchange

    clock.advance(minutes=30)  # nothing fetched since: the 5m data is stale now, says why
    with sessions() as session:
        btc = {r.symbol: r for r in data_health(session, timeframes=TIMEFRAMES, now=clock.now())}
    assert not btc["BTC_USDT"].healthy and not btc["BTC_USDT"].freshness["5m"].fresh

    transport = httpx.ASGITransport(app=create_app(AppContext(settings=settings)))
    async with httpx.AsyncClient(transport=transport, base_url="http://atp") as client:
        body = (await client.get("/api/market/health")).json()
    by_symbol = {row["symbol"]: row for row in body["symbols"]}
    assert body["healthy"] is False and set(by_symbol) == {*SYMBOLS, "NEW_USDT"}
    assert by_symbol["ETH_USDT"]["status"] == "ERROR"
    assert "MALFORMED" in by_symbol["ETH_USDT"]["last_error"]
