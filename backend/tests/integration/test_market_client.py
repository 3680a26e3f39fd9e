"""The public client against the fake exchange: contract parsing, validation and every fault."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest

from atp.adapters.cryptocom.errors import (
    ExchangeMalformedError,
    ExchangeRateLimitedError,
    ExchangeRejectedError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
)
from atp.adapters.cryptocom.ratelimit import RateLimit
from atp.core.timeframes import Timeframe, duration_ms
from tests.fakes.fake_exchange import FakeExchange, Fault
from tests.fakes.market_clock import TestClock
from tests.integration.market_support import make_client

CANDLES = "public/get-candlestick"


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
def fake(clock: TestClock):
    with FakeExchange(clock_ms=clock.ms) as server:
        yield server


async def test_instruments_tickers_and_candles_follow_the_contract(
    fake: FakeExchange, clock: TestClock
) -> None:
    client = make_client(fake, clock)
    instruments = await client.get_instruments()
    btc = instruments.rows["BTC_USDT"]
    assert btc.inst_type == "CCY_PAIR" and isinstance(btc.price_tick_size, Decimal)
    assert btc.margin_buy_enabled and not btc.margin_sell_enabled
    fake.market.set_ticker("BTC_USDT", a="100.5", b="100.1", k="100.9", t=clock.ms())
    ticker = (await client.get_tickers()).rows["BTC_USDT"]
    # `a` is the last trade, `k` the ask (the legacy bot read `a` as the ask)
    assert (ticker.last, ticker.bid, ticker.ask) == (
        Decimal("100.5"),
        Decimal("100.1"),
        Decimal("100.9"),
    )
    assert ticker.exchange_ts_ms == clock.ms()
    candles = await client.get_candlestick("BTC_USDT", Timeframe.H1, count=10)
    assert len(candles) == 10 and all(isinstance(c.close, Decimal) for c in candles)
    assert [c.open_time_ms for c in candles] == sorted(c.open_time_ms for c in candles)
    assert candles[-1].open_time_ms == clock.ms() - clock.ms() % duration_ms(Timeframe.H1)
    await client.transport.aclose()


async def test_codes_and_timestamps_as_strings_are_accepted(clock: TestClock) -> None:
    with FakeExchange(clock_ms=clock.ms, codes_as_strings=True) as fake:
        client = make_client(fake, clock)
        assert (await client.get_tickers()).rows["ETH_USDT"].exchange_ts_ms == clock.ms()
        assert len(await client.get_candlestick("ETH_USDT", Timeframe.D1, count=3)) == 3
        await client.transport.aclose()


async def test_backfill_pages_backwards_without_gaps_or_duplicates(
    fake: FakeExchange, clock: TestClock
) -> None:
    client = make_client(fake, clock)
    candles = await client.get_candle_history("SOL_USDT", Timeframe.M5, count=700)
    opens = [c.open_time_ms for c in candles]
    step = duration_ms(Timeframe.M5)
    assert len(opens) == 700 and all(b - a == step for a, b in itertools.pairwise(opens))
    pages = fake.requests(CANDLES)
    assert [int(p.query["count"]) for p in pages] == [300, 300, 100]
    assert all("start_ts" in p.query and "end_ts" in p.query for p in pages)
    since = opens[-3]
    newest = await client.get_candle_history("SOL_USDT", Timeframe.M5, count=10, start_ms=since)
    assert [c.open_time_ms for c in newest] == opens[-3:]
    await client.transport.aclose()


async def test_young_listing_stops_paging_when_history_runs_out(
    fake: FakeExchange, clock: TestClock
) -> None:
    fake.market.listed_at_ms["ADA_USDT"] = clock.ms() - 40 * duration_ms(Timeframe.D1)
    client = make_client(fake, clock)
    candles = await client.get_candle_history("ADA_USDT", Timeframe.D1, count=300)
    assert 40 <= len(candles) <= 41 and len(fake.requests(CANDLES)) == 1
    await client.transport.aclose()


async def test_exchange_validation_errors_are_not_retried(fake: FakeExchange) -> None:
    client = make_client(fake)
    transport = client.transport
    cases = [
        ({"instrument_name": "BTC_USDT", "timeframe": "1d", "count": 5}, 40003),
        ({"instrument_name": "BTC_USDT", "timeframe": "1h", "count": 0}, 40004),
        ({"instrument_name": "BTC_USDT", "timeframe": "1h", "count": "ten"}, 40003),
        ({"instrument_name": "btc_usdt", "timeframe": "1h"}, 209),
        ({"timeframe": "1h"}, 40004),
    ]
    for params, code in cases:
        before = len(fake.requests(CANDLES))
        with pytest.raises(ExchangeRejectedError) as info:
            await transport.get_public(CANDLES, params)
        assert info.value.code == code and not info.value.retryable
        assert len(fake.requests(CANDLES)) == before + 1  # exactly one attempt
    capped = await transport.get_public(
        CANDLES, {"instrument_name": "BTC_USDT", "timeframe": "1h", "count": 500}
    )
    assert len(capped["data"]) == 300
    legacy_alias = await transport.get_public(
        CANDLES, {"instrument_name": "BTC_USDT", "timeframe": "H1", "count": 2}
    )
    assert len(legacy_alias["data"]) == 2
    await transport.aclose()


async def test_public_method_via_post_is_refused(fake: FakeExchange) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        response = await http.post(f"{fake.base_url}/{CANDLES}", json={"method": CANDLES})
    assert response.json()["code"] == 50001


@pytest.mark.parametrize(
    "fault",
    [
        Fault("rate_limit", method=CANDLES, times=2),
        Fault("server_error", method=CANDLES, times=2, status=500, code=50001),
        Fault("html_error", method=CANDLES, times=2, status=502),
        Fault("error_code", method=CANDLES, times=1, status=500, code=9010001),
        Fault("slow", method=CANDLES, times=1, delay_s=0.6),
    ],
    ids=["429-42901", "500-50001", "502-html", "maintenance", "timeout"],
)
async def test_transient_faults_are_retried_until_success(fake: FakeExchange, fault: Fault) -> None:
    client = make_client(fake, timeout_s=0.3)
    fake.inject(fault)
    candles = await client.get_candlestick("ETH_USDT", Timeframe.H1, count=5)
    assert len(candles) == 5
    assert fault.hits == fault.times
    assert client.transport.stats.retries[CANDLES] == fault.times
    await client.transport.aclose()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("rate_limit", method=CANDLES, times=None), ExchangeRateLimitedError),
        (Fault("server_error", method=CANDLES, times=None), ExchangeUnavailableError),
        (Fault("slow", method=CANDLES, times=None, delay_s=0.5), ExchangeTimeoutError),
    ],
    ids=["429", "5xx", "timeout"],
)
async def test_persistent_faults_give_up_after_the_retry_budget(
    fake: FakeExchange, fault: Fault, error: type
) -> None:
    client = make_client(fake, timeout_s=0.2)
    fake.inject(fault)
    with pytest.raises(error) as info:
        await client.get_candlestick("ETH_USDT", Timeframe.H1, count=5)
    assert info.value.retryable
    assert fault.hits == 4  # RetryPolicy.attempts
    await client.transport.aclose()


@pytest.mark.parametrize(
    "fault",
    [
        Fault("malformed", method=CANDLES, times=None),
        Fault("incomplete", method=CANDLES, times=None, drop_field="c"),
    ],
    ids=["truncated-json", "row-missing-close"],
)
async def test_malformed_answers_fail_fast(fake: FakeExchange, fault: Fault) -> None:
    client = make_client(fake)
    fake.inject(fault)
    with pytest.raises(ExchangeMalformedError):
        await client.get_candlestick("ETH_USDT", Timeframe.H1, count=5)
    assert fault.hits == 1
    await client.transport.aclose()


async def test_incomplete_ticker_row_costs_only_its_symbol(fake: FakeExchange) -> None:
    client = make_client(fake)
    fake.inject(Fault("incomplete", method="public/get-tickers", drop_field="t"))
    tickers = await client.get_tickers()
    assert "BTC_USDT" in tickers.errors and "t is missing" in tickers.errors["BTC_USDT"]
    assert set(tickers.rows) == {"ETH_USDT", "SOL_USDT", "DOGE_USDT", "ADA_USDT"}
    await client.transport.aclose()


async def test_client_paces_requests_with_the_token_bucket(fake: FakeExchange) -> None:
    # 40 requests at 100/s with a burst of 10 need at least (40 - 10) / 100 = 0.3 s, and the
    # fake (which enforces 100/s per method) never has to say 429.
    client = make_client(fake)
    started = time.monotonic()
    import asyncio

    await asyncio.gather(
        *(client.get_candlestick("BTC_USDT", Timeframe.M1, count=1) for _ in range(40))
    )
    elapsed = time.monotonic() - started
    assert elapsed >= 0.28
    assert all(r.status == 200 for r in fake.requests(CANDLES))
    await client.transport.aclose()


async def test_server_rate_limit_is_enforced_and_survived(fake: FakeExchange) -> None:
    # The fake's candle limit is lowered to 20/s; a client configured far too fast trips it,
    # and backoff (which also pauses the client bucket) still completes every request.
    import asyncio
    from dataclasses import replace

    fake.methods[CANDLES] = replace(fake.methods[CANDLES], limit=(20, 1.0))
    client = make_client(fake, overrides={CANDLES: RateLimit(200, 1.0)}, max_burst=50)
    client.transport.retry = type(client.transport.retry)(
        attempts=10, base_delay_s=0.05, max_delay_s=0.3
    )
    results = await asyncio.gather(
        *(client.get_candlestick("BTC_USDT", Timeframe.M1, count=1) for _ in range(30))
    )
    assert len(results) == 30
    assert any(r.status == 429 for r in fake.requests(CANDLES))
    assert client.transport.stats.rate_limited > 0
    await client.transport.aclose()
