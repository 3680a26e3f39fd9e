"""HTTP transport for Crypto.com v1: rate-limited, bounded, retrying reads.

Every request takes a token from its method's bucket, runs under a concurrency bound, and is
parsed by `envelope.parse_response`. Errors whose retry class allows it (429/42901, 5xx,
timeouts) are retried with exponential backoff and full jitter; others surface at once.
The private (signed) client reuses `call` with its own request builder and retry predicate.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from atp.adapters.cryptocom.envelope import parse_response
from atp.adapters.cryptocom.errors import (
    ExchangeError,
    ExchangeRateLimitedError,
    ExchangeTimeoutError,
    RetryClass,
)
from atp.adapters.cryptocom.ratelimit import MethodRateLimiter

log = logging.getLogger(__name__)

SendRequest = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` total tries; delay before retry n is uniform(cap/2, cap), cap = min(max, base * 2**n).

    The lower bound keeps a real pause after a 429 while the jitter still spreads retries.
    """

    attempts: int = 4
    base_delay_s: float = 0.25
    max_delay_s: float = 8.0

    def delay(self, retry_number: int, rng: random.Random) -> float:
        cap = min(self.max_delay_s, self.base_delay_s * (2**retry_number))
        return rng.uniform(cap / 2, cap)


@dataclass
class TransportStats:
    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def retry_reads(error: ExchangeError) -> bool:
    """Reads may be resent after throttles, outages and timeouts (reconcile = resend for reads)."""
    return error.retryable


class CryptoComTransport:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        limiter: MethodRateLimiter | None = None,
        max_concurrency: int = 16,
        rng: random.Random | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or MethodRateLimiter()
        self.stats = TransportStats()
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._rng = rng or random.Random()
        limits = httpx.Limits(
            max_connections=max_concurrency, max_keepalive_connections=max_concurrency
        )
        self._client = client or httpx.AsyncClient(timeout=timeout_s, limits=limits)

    async def aclose(self) -> None:
        await self._client.aclose()

    def url(self, method: str) -> str:
        return f"{self.base_url}/{method}"

    async def get_public(self, method: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET a public method (query-string parameters, no signature)."""
        query = {k: str(v) for k, v in (params or {}).items()}

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.get(self.url(method), params=query)

        return await self.call(method, send, should_retry=retry_reads)

    async def post_private(
        self,
        method: str,
        build_body: Callable[[], bytes],
        *,
        should_retry: Callable[[ExchangeError], bool],
        result_required: bool = True,
    ) -> Any:
        """POST a signed private method; `build_body` runs per attempt (fresh nonce and sig)."""
        headers = {"Content-Type": "application/json"}

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.post(self.url(method), content=build_body(), headers=headers)

        return await self.call(
            method, send, should_retry=should_retry, result_required=result_required
        )

    async def call(
        self,
        method: str,
        send: SendRequest,
        *,
        should_retry: Callable[[ExchangeError], bool] = retry_reads,
        result_required: bool = True,
    ) -> Any:
        """Send with rate limiting and retries; `send` is re-invoked per attempt (fresh nonce)."""
        attempt = 0
        while True:
            try:
                return await self._attempt(method, send, result_required)
            except ExchangeError as error:
                attempt += 1
                if attempt >= self.retry.attempts or not should_retry(error):
                    self.stats.failures[method] += 1
                    raise
                delay = self.retry.delay(attempt - 1, self._rng)
                if isinstance(error, ExchangeRateLimitedError):
                    self.stats.rate_limited += 1
                    self.limiter.bucket(method).penalize(delay)
                self.stats.retries[method] += 1
                log.debug("retrying %s in %.3fs after %s", method, delay, error)
                await asyncio.sleep(delay)

    async def _attempt(self, method: str, send: SendRequest, result_required: bool) -> Any:
        async with self._semaphore:
            await self.limiter.acquire(method)
            self.stats.requests[method] += 1
            try:
                response = await send(self._client)
            except httpx.TimeoutException as exc:
                raise _transport_error(method, "TIMEOUT", exc) from None
            except httpx.TransportError as exc:
                raise _transport_error(method, "CONNECTION", exc) from None
        return parse_response(
            method, response.status_code, response.content, result_required=result_required
        )


def _transport_error(method: str, reason: str, exc: Exception) -> ExchangeTimeoutError:
    return ExchangeTimeoutError(
        method=method,
        reason=reason,
        retry_class=RetryClass.BACKOFF,
        detail=exc.__class__.__name__,
    )
