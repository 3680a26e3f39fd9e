"""Presets, trading settings and the config-change trail through the real app and database:
versioned and audited edits, the registry's bounds, refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from atp.monitor.switches import load_switches
from atp.ops.models import ConfigChange
from atp.signals.presets import seed_presets
from tests.integration.api_config_support import (
    anonymous,
    client,
    collect_pages,
    context,
    snapshot,
    trail,
)

__all__ = ["anonymous", "client", "context"]  # fixtures


@pytest.fixture(autouse=True)
def _presets(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed_presets(session)


# --- presets ------------------------------------------------------------------------------


async def test_presets_list_and_read(client: httpx.AsyncClient) -> None:
    pages = await collect_pages(client, "/api/presets", limit=2)
    keys = [p["key"] for page in pages for p in page]
    assert len(keys) == len(set(keys)) >= 3 and "swing:conservative" in keys
    assert all(len(page) <= 2 for page in pages)

    one = (await client.get("/api/presets/SWING:conservative")).json()
    assert one["key"] == "swing:conservative" and one["version"] == 1 and one["is_builtin"]
    params = one["params"]
    assert params["timeframe"] and isinstance(params["rsi_buy_below"], float)
    assert isinstance(params["cooldown_minutes"], str)  # Decimal as a string
    missing = await client.get("/api/presets/swing:nope")
    assert missing.status_code == 404 and "unknown preset" in missing.json()["detail"]


async def test_preset_update_is_versioned_and_audited(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    response = await client.put(
        "/api/presets/swing:aggressive",
        json={"params": {"rsi_buy_below": 33, "cooldown_minutes": "45"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["preset"]["version"] == 2
    assert body["preset"]["params"]["rsi_buy_below"] == 33.0
    assert body["changed"]["cooldown_minutes"]["new"] == "45"
    rows = [r for r in trail(sessions, "preset") if r.source == "api"]
    assert sorted((r.entity_key, r.field, r.actor) for r in rows) == [
        ("swing:aggressive", "cooldown_minutes", "api"),
        ("swing:aggressive", "rsi_buy_below", "api"),
        ("swing:aggressive", "version", "api"),
    ]
    same = (
        await client.put("/api/presets/swing:aggressive", json={"params": {"rsi_buy_below": 33}})
    ).json()
    assert same["changed"] == {} and same["preset"]["version"] == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("swing:aggressive", {"params": {"rsi_buy_below": 150}}, 422, "rsi_buy_below"),
        ("swing:aggressive", {"params": {"rsi_bye_below": 30}}, 422, "rsi_bye_below"),
        ("swing:aggressive", {"params": {"sl_method": "guess"}}, 422, "sl_method"),
        ("swing:aggressive", {"params": {}}, 422, "nothing to set"),
        ("swing:aggressive", {"values": {"rsi_buy_below": 30}}, 422, "Field required"),
        ("swing:nope", {"params": {"rsi_buy_below": 30}}, 404, "unknown preset"),
    ],
)
async def test_preset_update_refusals_change_nothing(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    path: str,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    before = snapshot(sessions)
    response = await client.put(f"/api/presets/{path}", json=body)
    assert response.status_code == status, response.text
    assert message in str(response.json()["detail"])
    assert snapshot(sessions) == before


async def test_preset_create(client: httpx.AsyncClient, sessions: sessionmaker[Session]) -> None:
    response = await client.post(
        "/api/presets",
        json={
            "key": "Swing:Custom",
            "base": "swing:conservative",
            "params": {"rsi_buy_below": 25},
            "description": "tighter entries",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["key"] == "swing:custom" and body["version"] == 1 and not body["is_builtin"]
    assert body["params"]["rsi_buy_below"] == 25.0 and body["description"] == "tighter entries"
    created = [r for r in trail(sessions, "preset") if r.field == "*created"]
    assert [(r.entity_key, r.source, r.new_value["base"]) for r in created] == [
        ("swing:custom", "api", "swing:conservative")
    ]
    assert (await client.get("/api/presets/swing:custom")).status_code == 200

    before = snapshot(sessions)
    refusals = [
        ({"key": "swing:custom", "base": "swing:conservative"}, 409, "already exists"),
        ({"key": "swing:other", "base": "swing:nope"}, 422, "unknown preset"),
        ({"key": "nocolon", "base": "swing:conservative"}, 422, ""),
        (
            {"key": "swing:x2", "base": "swing:conservative", "params": {"rsi_period": 0}},
            422,
            "rsi_period",
        ),
        ({"key": "swing:x3", "base": "swing:conservative", "risk": "high"}, 422, "Extra"),
    ]
    for body_in, status, message in refusals:
        refused = await client.post("/api/presets", json=body_in)
        assert refused.status_code == status, (body_in, refused.text)
        assert message in str(refused.json()["detail"])
    assert snapshot(sessions) == before


# --- trading settings ---------------------------------------------------------------------


async def test_settings_read_and_write(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    body = (await client.get("/api/trading/settings")).json()
    by_key = {s["key"]: s for s in body["settings"]}
    assert by_key["KILL_SWITCH"] == {
        **by_key["KILL_SWITCH"],
        "value": "false",
        "is_default": True,
        "updated_by": None,
    }
    assert by_key["MAX_USD_PER_ORDER"]["value"] == "100"

    on = await client.put("/api/trading/settings/kill_switch", json={"value": True})
    assert on.status_code == 200, on.text
    assert on.json() == {
        "setting": {**on.json()["setting"], "key": "KILL_SWITCH", "value": "true"},
        "changed": True,
        "old": None,
        "new": "true",
    }
    assert on.json()["setting"]["updated_by"] == "api"
    cap = await client.put("/api/trading/settings/MAX_USD_PER_ORDER", json={"value": "250.50"})
    assert cap.json()["new"] == "250.50"
    same = (await client.put("/api/trading/settings/KILL_SWITCH", json={"value": "on"})).json()
    assert same["changed"] is False and same["old"] == "true"

    with sessions() as session:
        switches = load_switches(session)  # what the order gates read
    assert switches.kill_switch is True and str(switches.max_usd_per_order) == "250.50"
    rows = trail(sessions, "setting")
    assert [(r.entity_key, r.old_value, r.new_value, r.source) for r in rows] == [
        ("KILL_SWITCH", None, "true", "api"),
        ("MAX_USD_PER_ORDER", None, "250.50", "api"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "status", "message"),
    [
        ("MAX_USD_PER_ORDER", "-5", 422, "must be > 0"),
        ("MAX_USD_PER_ORDER", 0, 422, "must be > 0"),
        ("MAX_USD_PER_ORDER", "100001", 422, "at most 100000"),
        ("MAX_USD_PER_ORDER", "10.123", 422, "at most 2 decimals"),
        ("MAX_OPEN_ORDERS_TOTAL", 5000, 422, "at most 500"),
        ("LIVE_TRADING", "maybe", 422, "expected on/off"),
        ("LIVE_TRADING", None, 422, "value"),
        ("NO_SUCH_SWITCH", True, 404, "unknown setting"),
    ],
)
async def test_setting_refusals_change_nothing(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    key: str,
    value: Any,
    status: int,
    message: str,
) -> None:
    before = snapshot(sessions)
    response = await client.put(f"/api/trading/settings/{key}", json={"value": value})
    assert response.status_code == status, response.text
    assert message in str(response.json()["detail"])
    assert snapshot(sessions) == before


# --- config-change trail ------------------------------------------------------------------


async def test_config_changes_filters_and_pages(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    for value in ("true", "false", "true"):
        await client.put("/api/trading/settings/MONITOR_PAUSED", json={"value": value})
    await client.post("/api/watchlist", json={"symbol": "BTC_USDT"})

    api_rows = (await client.get("/api/config-changes", params={"source": "api"})).json()
    assert [(r["entity"], r["field"]) for r in api_rows["items"]] == [
        ("watchlist", "*added"),
        ("setting", "value"),
        ("setting", "value"),
        ("setting", "value"),
    ]
    settings_only = (await client.get("/api/config-changes", params={"entity": "setting"})).json()
    assert [r["new_value"] for r in settings_only["items"]] == ["true", "false", "true"]
    seeded = (await client.get("/api/config-changes", params={"source": "system"})).json()
    assert seeded["items"] and all(r["field"] == "*seeded" for r in seeded["items"])

    # `since`: age the seed rows, then ask for the last hour only
    with sessions.begin() as session:
        session.execute(
            update(ConfigChange)
            .where(ConfigChange.source == "system")
            .values(changed_at=datetime.now(UTC) - timedelta(days=2))
        )
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    recent = (await client.get("/api/config-changes", params={"since": since})).json()
    assert {r["source"] for r in recent["items"]} == {"api"} and len(recent["items"]) == 4

    pages = await collect_pages(client, "/api/config-changes", limit=3)
    ids = [r["id"] for page in pages for r in page]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)) == len(trail(sessions))

    naive = await client.get("/api/config-changes", params={"since": "2030-01-01T00:00:00"})
    assert naive.status_code == 422 and "time zone" in str(naive.json()["detail"])
    assert (await client.get("/api/config-changes", params={"source": "x"})).status_code == 422


async def test_mutations_need_the_token(
    anonymous: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    before = snapshot(sessions)
    attempts = [
        anonymous.put("/api/trading/settings/KILL_SWITCH", json={"value": True}),
        anonymous.put("/api/presets/swing:aggressive", json={"params": {"rsi_buy_below": 20}}),
        anonymous.post("/api/presets", json={"key": "swing:x", "base": "swing:conservative"}),
    ]
    for attempt in attempts:
        assert (await attempt).status_code == 401
    assert snapshot(sessions) == before
    assert (await anonymous.get("/api/trading/settings")).status_code == 200
