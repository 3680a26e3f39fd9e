"""Watchlist routes through the real app and database: CRUD with soft delete and restore, flag
toggles, the same validation as `atp watchlist`, the trail with source=api, stable pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.signals.presets import seed_presets
from tests.integration.api_config_support import (
    anonymous,
    client,
    collect_pages,
    context,
    list_instruments,
    snapshot,
    trail,
)

__all__ = ["anonymous", "client", "context"]  # fixtures


@pytest.fixture(autouse=True)
def _presets(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed_presets(session)


async def _add(client: httpx.AsyncClient, symbol: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/watchlist", json={"symbol": symbol, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_add_read_and_list(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    list_instruments(sessions, "BTC_USDT", "ETH_USDT")
    added = await _add(
        client, "btc_usdt", alert_enabled=True, trade_amount_usd="50.5", preset="swing:aggressive"
    )
    assert added["listing"] == "listed" and added["warnings"] == []
    item = added["item"]
    assert item["symbol"] == "BTC_USDT" and item["alert_enabled"] is True
    assert item["trade_amount_usd"] == "50.5"  # Decimal as a string, no trailing zeros
    assert item["effective_preset"] == "swing:aggressive"

    await _add(client, "ETH_USDT")
    one = (await client.get("/api/watchlist/eth_usdt")).json()
    assert one["symbol"] == "ETH_USDT" and one["effective_preset"] == "swing:conservative"
    assert one["trade_amount_usd"] is None

    page = (await client.get("/api/watchlist")).json()
    assert [i["symbol"] for i in page["items"]] == ["ETH_USDT", "BTC_USDT"]  # newest first
    assert page["next_cursor"] is None
    alerting = (await client.get("/api/watchlist", params={"alert_enabled": "true"})).json()
    assert [i["symbol"] for i in alerting["items"]] == ["BTC_USDT"]
    trading = (await client.get("/api/watchlist", params={"trade_enabled": "true"})).json()
    assert trading["items"] == []

    rows = trail(sessions, "watchlist")
    assert [(r.source, r.actor, r.entity_key, r.field) for r in rows] == [
        ("api", "api", "BTC_USDT", "*added"),
        ("api", "api", "ETH_USDT", "*added"),
    ]
    assert rows[0].new_value["trade_amount_usd"] == "50.5"


async def test_add_refuses_a_symbol_missing_from_the_instrument_list(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    list_instruments(sessions, "BTC_USDT")
    before = snapshot(sessions)
    response = await client.post("/api/watchlist", json={"symbol": "BTX_USDT"})
    assert response.status_code == 422
    assert "not listed on the exchange" in response.json()["detail"][0]["msg"]
    assert snapshot(sessions) == before


async def test_add_without_an_instrument_list_says_unchecked(client: httpx.AsyncClient) -> None:
    added = await _add(client, "SOL_USDT", trade_amount_usd="250")
    assert added["listing"] == "unknown"
    assert "added unchecked" in added["warnings"][0]
    assert "above MAX_USD_PER_ORDER 100" in added["warnings"][1]


async def test_add_twice_is_a_conflict(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await _add(client, "BTC_USDT")
    before = snapshot(sessions)
    response = await client.post("/api/watchlist", json={"symbol": "BTC_USDT"})
    assert response.status_code == 409
    assert "already on the watchlist" in response.json()["detail"]
    assert snapshot(sessions) == before


async def test_patch_changes_fields_and_warns_above_the_order_cap(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await _add(client, "BTC_USDT", notes="keep")
    response = await client.patch(
        "/api/watchlist/btc_usdt",
        json={"trade_amount_usd": 250, "sl_percentage": "2.5", "trade_enabled": True},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changed"] == {
        "sl_percentage": {"old": None, "new": "2.5"},
        "trade_amount_usd": {"old": None, "new": "250"},
        "trade_enabled": {"old": False, "new": True},
    }
    assert body["item"]["trade_amount_usd"] == "250" and body["item"]["notes"] == "keep"
    assert len(body["warnings"]) == 1
    assert "above MAX_USD_PER_ORDER 100" in body["warnings"][0]

    rows = [r for r in trail(sessions, "watchlist") if not r.field.startswith("*")]
    assert sorted((r.field, r.source, r.new_value) for r in rows) == [
        ("sl_percentage", "api", "2.5"),
        ("trade_amount_usd", "api", "250"),
        ("trade_enabled", "api", True),
    ]

    cleared = (await client.patch("/api/watchlist/BTC_USDT", json={"notes": None})).json()
    assert cleared["changed"] == {"notes": {"old": "keep", "new": None}}
    assert cleared["warnings"] == []
    again = (await client.patch("/api/watchlist/BTC_USDT", json={"notes": None})).json()
    assert again["changed"] == {}


BAD_PATCHES = [
    ({"trade_amount_usd": 0}, "trade_amount_usd: must be greater than 0"),
    ({"trade_amount_usd": "-5"}, "trade_amount_usd: must be greater than 0"),
    ({"trade_amount_usd": "100001"}, "at most 100000 USD"),
    ({"trade_amount_usd": "abc"}, "decimal"),
    ({"sl_percentage": 100}, "sl_percentage: must be above 0 and below 100"),
    ({"tp_percentage": 0}, "tp_percentage: must be above 0 and below 100"),
    ({"min_price_change_pct": -1}, "min_price_change_pct: must not be negative"),
    ({"preset": "swing:nope"}, "unknown preset 'swing:nope'"),
    ({"overrides": {"rsi_buy_below": 500}}, "overrides:"),
    ({"colour": "red"}, "Extra inputs are not permitted"),
    ({}, "nothing to set"),
    # one bad field refuses the whole request: the good one is not applied either
    ({"alert_enabled": True, "tp_percentage": 150}, "tp_percentage"),
]


@pytest.mark.parametrize(("body", "message"), BAD_PATCHES)
async def test_patch_refusals_change_nothing(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], body: dict[str, Any], message: str
) -> None:
    await _add(client, "BTC_USDT")
    before = snapshot(sessions)
    response = await client.patch("/api/watchlist/BTC_USDT", json=body)
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])
    assert snapshot(sessions) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"symbol": "BTCUSDT"}, "invalid symbol 'BTCUSDT'"),
        ({"symbol": "BTC/USDT"}, "invalid symbol"),
        ({"symbol": "ETH_USDT", "trade_amount_usd": "0"}, "must be greater than 0"),
        ({"symbol": "ETH_USDT", "preset": "nope:nope"}, "unknown preset"),
        ({"symbol": "ETH_USDT", "leverage": 5}, "Extra inputs are not permitted"),
    ],
)
async def test_add_refusals_change_nothing(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], body: dict[str, Any], message: str
) -> None:
    before = snapshot(sessions)
    response = await client.post("/api/watchlist", json=body)
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])
    assert snapshot(sessions) == before


async def test_unknown_and_malformed_symbols_in_the_path(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    before = snapshot(sessions)
    assert (await client.get("/api/watchlist/DOGE_USDT")).status_code == 404
    assert (await client.patch("/api/watchlist/DOGE_USDT", json={"notes": "x"})).status_code == 404
    assert (await client.delete("/api/watchlist/DOGE_USDT")).status_code == 404
    assert (await client.post("/api/watchlist/DOGE_USDT/restore")).status_code == 404
    bad = await client.get("/api/watchlist/not-a-symbol")
    assert bad.status_code == 422 and "invalid symbol" in bad.json()["detail"][0]["msg"]
    assert snapshot(sessions) == before


async def test_flags_toggle_only_the_switches_sent(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await _add(client, "BTC_USDT", alert_enabled=True)
    response = await client.post(
        "/api/watchlist/BTC_USDT/flags", json={"alert_enabled": False, "trade_enabled": True}
    )
    assert response.status_code == 200, response.text
    item = response.json()["item"]
    assert (item["alert_enabled"], item["trade_enabled"], item["buy_alert_enabled"]) == (
        False,
        True,
        True,
    )
    fields = [(r.field, r.old_value, r.new_value, r.source) for r in trail(sessions, "watchlist")]
    assert ("alert_enabled", True, False, "api") in fields
    assert ("trade_enabled", False, True, "api") in fields

    before = snapshot(sessions)
    for body in ({}, {"alert_enabled": None}, {"trade_amount_usd": "5"}, {"alert_enabled": "x"}):
        refused = await client.post("/api/watchlist/BTC_USDT/flags", json=body)
        assert refused.status_code == 422, body
    assert snapshot(sessions) == before


async def test_soft_delete_and_restore(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await _add(client, "BTC_USDT", trade_amount_usd="40")
    deleted = await client.delete("/api/watchlist/BTC_USDT")
    assert deleted.status_code == 200 and deleted.json()["is_deleted"] is True
    assert deleted.json()["deleted_at"] is not None
    assert (await client.get("/api/watchlist/BTC_USDT")).status_code == 404
    hidden = (await client.get("/api/watchlist")).json()["items"]
    assert hidden == []
    shown = (await client.get("/api/watchlist", params={"include_deleted": True})).json()
    assert [i["symbol"] for i in shown["items"]] == ["BTC_USDT"]
    again = await client.post("/api/watchlist", json={"symbol": "BTC_USDT"})
    assert again.status_code == 409 and "restore" in again.json()["detail"]

    restored = await client.post("/api/watchlist/BTC_USDT/restore")
    assert restored.status_code == 200
    body = restored.json()
    assert body["is_deleted"] is False and body["trade_amount_usd"] == "40"  # settings kept
    assert (await client.post("/api/watchlist/BTC_USDT/restore")).status_code == 409

    deletes = [
        (r.old_value, r.new_value, r.source)
        for r in trail(sessions, "watchlist")
        if r.field == "is_deleted"
    ]
    assert deletes == [(False, True, "api"), (True, False, "api")]


async def test_pages_are_stable_while_rows_are_added(client: httpx.AsyncClient) -> None:
    for symbol in ("A1_USDT", "A2_USDT", "A3_USDT", "A4_USDT", "A5_USDT"):
        await _add(client, symbol)
    first = (await client.get("/api/watchlist", params={"limit": 2})).json()
    assert [i["symbol"] for i in first["items"]] == ["A5_USDT", "A4_USDT"]
    await _add(client, "A6_USDT")  # newer than every page: never shifts them
    second = (
        await client.get("/api/watchlist", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [i["symbol"] for i in second["items"]] == ["A3_USDT", "A2_USDT"]

    pages = await collect_pages(client, "/api/watchlist", limit=2)
    symbols = [i["symbol"] for page in pages for i in page]
    assert symbols == ["A6_USDT", "A5_USDT", "A4_USDT", "A3_USDT", "A2_USDT", "A1_USDT"]
    assert [len(p) for p in pages] == [2, 2, 2]

    bad = await client.get("/api/watchlist", params={"cursor": "garbage!"})
    assert bad.status_code == 422


async def test_mutations_need_the_token(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    await _add(client, "BTC_USDT")
    before = snapshot(sessions)
    attempts = [
        anonymous.post("/api/watchlist", json={"symbol": "ETH_USDT"}),
        anonymous.patch("/api/watchlist/BTC_USDT", json={"notes": "x"}),
        anonymous.post("/api/watchlist/BTC_USDT/flags", json={"alert_enabled": True}),
        anonymous.delete("/api/watchlist/BTC_USDT"),
        anonymous.post("/api/watchlist/BTC_USDT/restore"),
    ]
    for attempt in attempts:
        assert (await attempt).status_code == 401
    assert snapshot(sessions) == before
    assert (await anonymous.get("/api/watchlist/BTC_USDT")).status_code == 200  # reads stay open
