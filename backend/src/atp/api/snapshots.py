"""Short-lived snapshots of expensive read responses (the dashboard's first paint).

The dashboard is polled every few seconds by every open browser, while what it shows changes at
most once per monitor cycle or on an operator's change. So the serialised body is kept for
SNAPSHOT_TTL_S and rebuilt by ONE request when it expires, while the others are still served the
last body (no request queues behind a rebuild, and no two rebuild at once). Any mutation through this API drops every snapshot of this process
at once, so an operator's own change is never hidden; a change made elsewhere (CLI, Telegram,
another API worker) shows within the TTL.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SNAPSHOT_TTL_S = 5.0
MAX_STALE_FACTOR = 3  # an expired snapshot is served only while a rebuild runs, up to 15 s old
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Snapshot:
    """A built body, its gzip form (compressed once per build, not per request) and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Snapshot:
        digest = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"')


class SnapshotCache:
    def __init__(
        self, ttl_s: float = SNAPSHOT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()  # guards the entries and the generation
        self._build_lock = threading.Lock()  # one build at a time
        self._entries: dict[str, tuple[float, Snapshot]] = {}  # key -> (built_at, snapshot)
        self._generation = 0

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def fresh(self, key: str) -> tuple[Snapshot, float] | None:
        """The entry if it is younger than the TTL: the hit path, cheap enough for the event loop."""
        entry = self._entry(key)
        return entry if entry is not None and entry[1] < self.ttl_s else None

    def get(self, key: str, build: Callable[[], bytes]) -> tuple[Snapshot, float]:
        """(snapshot, age in seconds).

        Fresh: served as is. Expired but younger than MAX_STALE_FACTOR x TTL: ONE request
        rebuilds while the others keep getting the last body (no request waits behind the
        build). Missing (first request, or dropped by a mutation) or too old: requests wait for
        one build, so a change made through the API is always seen by the next read."""
        entry = self._entry(key)
        if entry is not None and entry[1] < self.ttl_s:
            return entry
        if entry is not None and entry[1] < self.ttl_s * MAX_STALE_FACTOR:
            if not self._build_lock.acquire(blocking=False):
                return entry  # another request is rebuilding it right now
            try:
                return self._build(key, build)
            finally:
                self._build_lock.release()
        with self._build_lock:
            entry = self._entry(key)  # built by the request we waited for
            if entry is not None and entry[1] < self.ttl_s:
                return entry
            return self._build(key, build)

    def _build(self, key: str, build: Callable[[], bytes]) -> tuple[Snapshot, float]:
        with self._lock:
            generation = self._generation
        snapshot = Snapshot.of(build())
        with self._lock:
            if generation == self._generation:  # no mutation raced the build
                self._entries[key] = (self._clock(), snapshot)
        return snapshot, 0.0

    def _entry(self, key: str) -> tuple[Snapshot, float] | None:
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else (entry[1], self._clock() - entry[0])


class InvalidateOnMutation:
    """ASGI middleware: after any state-changing request, drop the snapshots.

    Dropped when the response STARTS (the route's unit of work has committed by then: sessions
    end before the response, atp.api.deps), so a client that reads right after the answer
    (the dashboard refetches after each change) never gets the pre-change snapshot; and again
    at the end, for a request that fails before answering."""

    def __init__(self, app: ASGIApp, *, cache: SnapshotCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return

        async def send_after_dropping(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.cache.invalidate()
            await send(message)

        try:
            await self.app(scope, receive, send_after_dropping)
        finally:
            self.cache.invalidate()
