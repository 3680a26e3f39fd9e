"""Shared wiring for market tests: a fake exchange + real client + updater on a test clock."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.adapters.cryptocom.market_data import CryptoComMarketData
from atp.adapters.cryptocom.public import CryptoComPublicClient
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy
from atp.market.models import MarketCandle, MarketDataStatus
from atp.market.updater import MarketUpdater
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem
from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.market_clock import TestClock

FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)


def make_client(
    fake: FakeExchange,
    clock: TestClock | None = None,
    *,
    timeout_s: float = 2.0,
    retry: RetryPolicy = FAST_RETRY,
    **limiter: Any,
) -> CryptoComPublicClient:
    transport = CryptoComTransport(
        fake.base_url,
        timeout_s=timeout_s,
        retry=retry,
        limiter=MethodRateLimiter(**limiter),
        rng=random.Random(7),
    )
    if clock is None:
        return CryptoComPublicClient(transport)
    return CryptoComPublicClient(transport, clock_ms=clock.ms)


def make_source(fake: FakeExchange, clock: TestClock, **kwargs: Any) -> CryptoComMarketData:
    return CryptoComMarketData(make_client(fake, clock, **kwargs), now=clock.now)


def make_updater(
    fake: FakeExchange,
    clock: TestClock,
    sessions: sessionmaker[Session],
    settings: Settings,
    **kwargs: Any,
) -> MarketUpdater:
    return MarketUpdater(make_source(fake, clock, **kwargs), sessions, settings)


def add_watchlist(
    sessions: sessionmaker[Session], symbols: Iterable[str], preset: str | None = None
) -> None:
    with sessions.begin() as session:
        for symbol in symbols:
            session.add(WatchlistItem(symbol=symbol, exchange="CRYPTO_COM", preset=preset))


def candle_counts(sessions: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with sessions() as s:
        rows = s.execute(
            select(MarketCandle.symbol, MarketCandle.timeframe, func.count()).group_by(
                MarketCandle.symbol, MarketCandle.timeframe
            )
        ).all()
    return {(sym, tf): n for sym, tf, n in rows}


def statuses(sessions: sessionmaker[Session]) -> dict[str, MarketDataStatus]:
    with sessions() as s:
        return {row.symbol: row for row in s.scalars(select(MarketDataStatus))}
