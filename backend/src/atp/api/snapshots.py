"""Short-lived snapshots of expensive read responses (the dashboard's first paint).

The dashboard is polled every few seconds by every open browser, while what it shows changes at
most once per monitor cycle or on an operator's change. So the serialised body is kept for
SNAPSHOT_TTL_S and rebuilt by ONE request when it expires (the others wait for that build rather
than all querying at once). Any mutation through this API drops every snapshot of this process
at once, so an operator's own change is never hidden; a change made elsewhere (CLI, Telegram,
another API worker) shows within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

SNAPSHOT_TTL_S = 2.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SnapshotCache:
    def __init__(
        self, ttl_s: float = SNAPSHOT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()  # guards the entries and the generation
        self._build_lock = threading.Lock()  # one build at a time
        self._entries: dict[str, tuple[float, bytes]] = {}  # key -> (built_at, body)
        self._generation = 0

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, key: str, build: Callable[[], bytes]) -> tuple[bytes, float]:
        """(body, age in seconds). One build per expiry: concurrent requests wait for it."""
        hit = self._fresh(key)
        if hit is not None:
            return hit
        with self._build_lock:
            hit = self._fresh(key)  # built by the request we waited for
            if hit is not None:
                return hit
            with self._lock:
                generation = self._generation
            body = build()
            with self._lock:
                if generation == self._generation:  # no mutation raced the build
                    self._entries[key] = (self._clock(), body)
            return body, 0.0

    def _fresh(self, key: str) -> tuple[bytes, float] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            age = self._clock() - entry[0]
            return (entry[1], age) if age < self.ttl_s else None


class InvalidateOnMutation:
    """ASGI middleware: after any state-changing request, drop the snapshots."""

    def __init__(self, app: ASGIApp, *, cache: SnapshotCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
                self.cache.invalidate()
