"""`MarketData` port implemented with the Crypto.com public client."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from atp.adapters.cryptocom.errors import ExchangeError
from atp.adapters.cryptocom.public import CryptoComPublicClient
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter, RateLimit
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy, TransportStats
from atp.core.timeframes import Timeframe
from atp.market.errors import MarketDataError
from atp.market.ports import Candle, InstrumentInfo, RowsWithErrors, Ticker
from atp.settings import Settings


class CryptoComMarketData:
    """Adapter: exchange errors become `MarketDataError(reason)` the updater can record."""

    source_name = "cryptocom"

    def __init__(
        self, client: CryptoComPublicClient, *, now: Callable[[], datetime] | None = None
    ) -> None:
        self.client = client
        self._now = now or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(
        cls, settings: Settings, *, rng: random.Random | None = None
    ) -> CryptoComMarketData:
        public_rate = settings.market_public_rate_per_second
        limiter = MethodRateLimiter(
            overrides={
                name: RateLimit(max(1, round(public_rate)), 1.0)
                for name in (
                    "public/get-instruments",
                    "public/get-tickers",
                    "public/get-candlestick",
                )
            },
            max_burst=settings.market_rate_burst,
        )
        transport = CryptoComTransport(
            settings.cryptocom_base_url,
            timeout_s=settings.market_http_timeout_seconds,
            retry=RetryPolicy(
                attempts=settings.market_http_attempts,
                base_delay_s=settings.market_retry_base_delay_seconds,
            ),
            limiter=limiter,
            max_concurrency=settings.market_max_concurrency,
            rng=rng,
        )
        return cls(CryptoComPublicClient(transport))

    @property
    def stats(self) -> TransportStats:
        return self.client.transport.stats

    def now(self) -> datetime:
        return self._now()

    async def fetch_instruments(self, symbols: Sequence[str]) -> RowsWithErrors[InstrumentInfo]:
        # The exchange ignores filters and returns every instrument (spec §7.1); keep them all.
        try:
            return await self.client.get_instruments()
        except ExchangeError as exc:
            raise _as_market_error(exc) from exc

    async def fetch_tickers(self, symbols: Sequence[str]) -> RowsWithErrors[Ticker]:
        # One request for all tickers beats one per symbol; the updater picks its symbols.
        try:
            return await self.client.get_tickers()
        except ExchangeError as exc:
            raise _as_market_error(exc) from exc

    async def fetch_candles(
        self, symbol: str, timeframe: Timeframe, *, count: int, start_ms: int | None = None
    ) -> list[Candle]:
        try:
            return await self.client.get_candle_history(
                symbol, timeframe, count=count, start_ms=start_ms
            )
        except ExchangeError as exc:
            raise _as_market_error(exc) from exc

    async def aclose(self) -> None:
        await self.client.transport.aclose()


def _as_market_error(exc: ExchangeError) -> MarketDataError:
    error = MarketDataError(exc.reason, exc.describe())
    error.retryable = exc.retryable
    return error
