"""The product's Crypto.com broker wired to the strict fake exchange (real HTTP on 127.0.0.1).

The fake and the client share one `TestClock` (nonces, trade times, the `fills` window), so a
test moves time explicitly. The client's private buckets run in strict mode as in production;
only the two 1/s endpoints (trades, order history) get a test rate unless `real_limits` is set,
in which case the fake enforces its own per-key buckets too and no override is applied.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from atp.adapters.cryptocom.broker import CryptoComBroker
from atp.adapters.cryptocom.private import CryptoComPrivateClient
from atp.adapters.cryptocom.public import CryptoComPublicClient
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter, RateLimit
from atp.adapters.cryptocom.transport import CryptoComTransport, RetryPolicy
from atp.orders.ports import MarketEntry, ProtectionOco
from tests.fakes.fake_exchange import FakeExchange
from tests.fakes.fake_exchange_private import DEFAULT_API_KEY, DEFAULT_API_SECRET
from tests.fakes.market_clock import TestClock

ETH = "ETH_USD"
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)
FAST_HISTORY = {
    "private/get-trades": RateLimit(1000, 1.0),
    "private/get-order-history": RateLimit(1000, 1.0),
}


@dataclass
class BrokerOnFake:
    fake: FakeExchange
    broker: CryptoComBroker
    clock: TestClock

    def orders_for(self, client_oid: str) -> int:
        """How many orders the fake holds for `client_oid` (plain and advanced)."""
        return sum(1 for o in self.fake.private.orders() if o.client_oid == client_oid)

    def codes(self, method: str) -> list[int | None]:
        return [request.code for request in self.fake.requests(method)]


def make_broker(
    fake: FakeExchange,
    clock_ms: Callable[[], int],
    clock: TestClock,
    *,
    secret: str = DEFAULT_API_SECRET,
    real_limits: bool = False,
    timeout_s: float = 2.0,
) -> CryptoComBroker:
    overrides = {} if real_limits else FAST_HISTORY
    transport = CryptoComTransport(
        fake.base_url,
        timeout_s=timeout_s,
        retry=FAST_RETRY,
        limiter=MethodRateLimiter(strict_private=True, overrides=overrides),
        rng=random.Random(7),
    )
    private = CryptoComPrivateClient(
        transport, api_key=DEFAULT_API_KEY, api_secret=secret, clock_ms=clock_ms
    )
    return CryptoComBroker(private, CryptoComPublicClient(transport), now=clock.now)


@asynccontextmanager
async def broker_on_fake(
    *,
    secret: str = DEFAULT_API_SECRET,
    real_limits: bool = False,
    timeout_s: float = 2.0,
    clock_ms: Callable[[], int] | None = None,
    codes_as_strings: bool = False,
) -> AsyncIterator[BrokerOnFake]:
    """ETH_USD with tick 0.01 / 0.0001, 10,000 USD and no ETH, last = mark = 2500."""
    clock = TestClock()
    fake = FakeExchange(
        symbols=[ETH, "BTC_USD"], clock_ms=clock.ms, codes_as_strings=codes_as_strings
    )
    fake.enforce_rate_limits = real_limits
    with fake:
        fake.private.set_instrument(ETH, price_tick="0.01", qty_tick="0.0001")
        fake.private.set_balance("USD", Decimal("10000"))
        fake.private.set_price(ETH, last=Decimal("2500"))
        broker = make_broker(
            fake,
            clock_ms or clock.ms,
            clock,
            secret=secret,
            real_limits=real_limits,
            timeout_s=timeout_s,
        )
        try:
            yield BrokerOnFake(fake, broker, clock)
        finally:
            await broker.aclose()


def buy(
    client_oid: str, *, notional: str | None = None, quantity: str | None = None
) -> MarketEntry:
    return MarketEntry(
        client_oid=client_oid,
        symbol=ETH,
        side="BUY",
        notional=None if notional is None else Decimal(notional),
        quantity=None if quantity is None else Decimal(quantity),
    )


def long_oco(
    quantity: str,
    *,
    tp: str = "2700.00",
    sl: str = "2400.00",
    sl_limit: str | None = None,
    tag: str = "1",
) -> ProtectionOco:
    return ProtectionOco(
        symbol=ETH,
        side="SELL",
        quantity=Decimal(quantity),
        tp_price=Decimal(tp),
        sl_trigger=Decimal(sl),
        tp_client_oid=f"tp-{tag}",
        sl_client_oid=f"sl-{tag}",
        sl_limit_price=None if sl_limit is None else Decimal(sl_limit),
    )
