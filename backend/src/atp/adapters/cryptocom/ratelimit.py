"""Client-side token buckets with the documented per-method limits (spec §11).

Requests wait for a token instead of sleeping a fixed time, so a pass runs as fast as the
exchange allows and no faster. A 429 pauses the method's bucket for everyone (`penalize`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """`count` requests per `per_seconds`, per method."""

    count: int
    per_seconds: float

    @property
    def rate_per_second(self) -> float:
        return self.count / self.per_seconds


PUBLIC_LIMIT = RateLimit(100, 1.0)
PRIVATE_DEFAULT_LIMIT = RateLimit(3, 0.1)
# Private methods with their own documented limit; the rest share PRIVATE_DEFAULT_LIMIT each.
DOCUMENTED_LIMITS: dict[str, RateLimit] = {
    "private/create-order": RateLimit(15, 0.1),
    "private/cancel-order": RateLimit(15, 0.1),
    "private/cancel-all-orders": RateLimit(15, 0.1),
    "private/get-order-detail": RateLimit(30, 0.1),
    "private/get-trades": RateLimit(1, 1.0),
    "private/get-order-history": RateLimit(1, 1.0),
}


def documented_limit(method: str) -> RateLimit:
    if method.startswith("public/"):
        return PUBLIC_LIMIT
    return DOCUMENTED_LIMITS.get(method, PRIVATE_DEFAULT_LIMIT)


class TokenBucket:
    """An asyncio token bucket; waiters are served in arrival order."""

    def __init__(
        self, rate_per_second: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate_per_second <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate_per_second
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Take one token, waiting as long as needed. Returns the seconds waited."""
        started = self._clock()
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if self._tokens >= 1:
                    self._tokens -= 1
                    return self._clock() - started
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def penalize(self, seconds: float) -> None:
        """The server said slow down: nobody gets a token for `seconds`, then no burst."""
        now = self._clock()
        self._paused_until = max(self._paused_until, now + seconds)
        self._tokens = 0.0
        self._stamp = max(self._stamp, now)

    def _refill(self, now: float) -> None:
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._stamp = now


# Private buckets in strict mode run at this share of the documented rate, so network jitter
# cannot squeeze `count + 1` requests into one server-side window.
PRIVATE_RATE_SAFETY = 0.9


def strict_bucket_shape(limit: RateLimit, safety: float = PRIVATE_RATE_SAFETY) -> tuple[float, int]:
    """(rate, capacity) such that no window of `per_seconds` ever holds more than `count` grants.

    A bucket of capacity c and rate r grants at most c + ceil(r * W) - 1 requests in any
    half-open window of length W; capacity 1 and r * W = safety * count (< count) keeps that
    <= count while spacing requests evenly (1.11 s apart for the 1/s history endpoints).
    """
    return safety * limit.rate_per_second, 1


class MethodRateLimiter:
    """One bucket per method, created on first use from the documented limits.

    `max_burst` caps each bucket's capacity below the documented count: the exchange's window
    semantics are not documented, so a full-second burst could still earn a 429.
    `strict_private=True` (the signed client) shapes every `private/*` bucket with
    `strict_bucket_shape`, so normal operation never meets 42901 whatever window the exchange
    uses; public buckets are unchanged.
    """

    def __init__(
        self,
        *,
        overrides: Mapping[str, RateLimit] | None = None,
        max_burst: int | None = 10,
        strict_private: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._max_burst = max_burst
        self._strict_private = strict_private
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def limit_for(self, method: str) -> RateLimit:
        return self._overrides.get(method) or documented_limit(method)

    def bucket(self, method: str) -> TokenBucket:
        bucket = self._buckets.get(method)
        if bucket is None:
            limit = self.limit_for(method)
            if self._strict_private and method.startswith("private/"):
                rate, capacity = strict_bucket_shape(limit)
            elif self._max_burst is None:
                rate, capacity = limit.rate_per_second, limit.count
            else:
                rate, capacity = limit.rate_per_second, min(limit.count, self._max_burst)
            bucket = TokenBucket(rate, max(1, capacity), self._clock)
            self._buckets[method] = bucket
        return bucket

    async def acquire(self, method: str) -> float:
        return await self.bucket(method).acquire()
