"""`GET /api/telegram/messages`: filters (status, symbol, reason prefix, since/until), newest
first, stable cursor pages, clear 422s, cleaned errors. SQLite and PostgreSQL."""

# ruff: noqa: F401, F811 - the shared fixtures are imported by name, then requested as arguments
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from atp.db.session import unit_of_work
from atp.runtime.context import AppContext
from tests.integration.api_read_support import add_message, client, context

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PATH = "/api/telegram/messages"


def seed(sessions: sessionmaker[Session]) -> None:
    """Six rows, one a minute from T0: ids 1..6 in time order."""
    rows = [
        ("sent-btc", "SENT", "BTC_USDT", None),
        ("throttled-btc", "BLOCKED", "BTC_USDT", "THROTTLED_TIME"),
        ("throttled-eth", "BLOCKED", "ETH_USDT", "THROTTLED_PRICE"),
        ("disabled-eth", "BLOCKED", "ETH_USDT", "TELEGRAM_DISABLED:token_missing"),
        ("failed-eth", "FAILED", "ETH_USDT", "HTTP_400"),
        ("percent", "BLOCKED", None, "50%_OFF"),
    ]
    with unit_of_work(sessions) as s:
        for i, (key, status, symbol, reason) in enumerate(rows):
            extra = {"last_error": "Bad Request\nhttps://api.telegram.org/bot123:SECRET/x"}
            add_message(
                s,
                key,
                at=T0 + timedelta(minutes=i),
                status=status,
                symbol=symbol,
                reason=reason,
                **(extra if status == "FAILED" else {}),
            )


async def keys(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(PATH, params=params)
    assert response.status_code == 200, response.text
    return [m["text"].removeprefix("<b>").removesuffix("</b>") for m in response.json()["items"]]


async def test_newest_first_with_every_filter(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    assert await keys(client) == [
        "percent",
        "failed-eth",
        "disabled-eth",
        "throttled-eth",
        "throttled-btc",
        "sent-btc",
    ]
    assert await keys(client, status="SENT") == ["sent-btc"]
    assert await keys(client, symbol="eth_usdt") == ["failed-eth", "disabled-eth", "throttled-eth"]
    assert await keys(client, reason="THROTTLED") == ["throttled-eth", "throttled-btc"]
    assert await keys(client, reason="THROTTLED", symbol="BTC_USDT") == ["throttled-btc"]
    assert await keys(client, reason="TELEGRAM_DISABLED") == ["disabled-eth"]
    assert await keys(client, reason="50%") == ["percent"]  # a literal %, not a wildcard
    assert await keys(client, reason="5_%") == []
    window = {"since": (T0 + timedelta(minutes=1)).isoformat(), "until": "2026-05-01T12:03:00Z"}
    assert await keys(client, **window) == ["throttled-eth", "throttled-btc"]


async def test_rows_carry_status_reason_and_a_cleaned_error(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    body = (await client.get(PATH, params={"status": "FAILED"})).json()
    (row,) = body["items"]
    assert row["symbol"] == "ETH_USDT" and row["reason_code"] == "HTTP_400"
    assert row["kind"] == "ALERT" and row["sent_at"] is None
    assert row["last_error"] == "Bad Request"  # only the first line: no URL, no token
    assert datetime.fromisoformat(row["created_at"]) == T0 + timedelta(minutes=4)


async def test_pages_are_stable_while_messages_arrive(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    seed(context.sessions)
    first = await client.get(PATH, params={"limit": 3, "status": "BLOCKED"})
    assert [m["id"] for m in first.json()["items"]] == [6, 4, 3]
    with unit_of_work(context.sessions) as s:  # a new row between two page reads
        add_message(s, "late", at=T0 + timedelta(hours=1), status="BLOCKED")
    params = {"limit": 3, "status": "BLOCKED", "cursor": first.json()["next_cursor"]}
    second = (await client.get(PATH, params=params)).json()
    assert [m["id"] for m in second["items"]] == [2] and second["next_cursor"] is None

    ids: list[int] = []
    cursor = None
    while True:
        page = (
            await client.get(PATH, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        ).json()
        ids += [m["id"] for m in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert ids == [7, 6, 5, 4, 3, 2, 1]


async def test_bad_filters_are_a_clear_422(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "NOPE"}, "status"),
        ({"symbol": "not a symbol!"}, "invalid symbol"),
        ({"since": "2026-05-01T12:00:00"}, "time zone"),
        ({"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}, "before"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "!!"}, "invalid cursor"),
        ({"limit": 501}, "limit"),
    ]
    for params, words in cases:
        response = await client.get(PATH, params=params)
        assert response.status_code == 422, params
        assert words in response.text, (params, response.text)
