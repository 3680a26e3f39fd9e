"""A mutation drops the snapshots BEFORE its answer leaves: a client that reads right after the
answer (the dashboard refetches after each change) never gets the pre-change body."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from atp.api.snapshots import InvalidateOnMutation, SnapshotCache


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _cached_at_each_message(method: str) -> list[tuple[str, bool]]:
    cache = SnapshotCache()
    cache.get("dashboard", lambda: b"before the change")
    seen: list[tuple[str, bool]] = []

    async def client_side(message: Message) -> None:
        seen.append((message["type"], cache.fresh("dashboard") is not None))

    async def no_body() -> Message:
        return {"type": "http.request", "body": b""}

    app = InvalidateOnMutation(_answer, cache=cache)
    asyncio.run(app({"type": "http", "method": method, "path": "/x"}, no_body, client_side))
    return seen


def test_a_mutation_drops_the_snapshot_before_its_response_starts() -> None:
    assert _cached_at_each_message("POST") == [
        ("http.response.start", False),
        ("http.response.body", False),
    ]


def test_a_read_keeps_the_snapshot() -> None:
    assert _cached_at_each_message("GET") == [
        ("http.response.start", True),
        ("http.response.body", True),
    ]
