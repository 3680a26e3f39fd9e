"""Liveness, readiness, per-component system health and /api/config through the real app
(httpx ASGI transport) against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.settings import Settings
from tests.integration.health_support import (
    add_message,
    add_position,
    api_client,
    health_settings,
    production_telegram,
    seed_market,
    set_switch,
    sync_beat,
)
from tests.integration.monitor_support import write_leader_beat


async def _system(settings: Settings) -> dict[str, Any]:
    async with api_client(settings) as (client, _):
        response = await client.get("/api/health/system")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: c["status"] for name, c in body["components"].items()}


async def test_liveness_on_both_paths_without_a_database(tmp_path: Path) -> None:
    # A database URL nothing listens on: liveness must not touch it.
    dead = Settings(_env_file=None, database_url="postgresql://u:p@127.0.0.1:1/none")
    async with api_client(dead) as (client, _):
        for path in ("/health", "/api/health"):
            response = await client.get(path)
            assert response.status_code == 200 and response.json()["status"] == "ok"
        ready = await client.get("/api/health/ready")
        system = await client.get("/api/health/system")
    assert system.status_code == 200 and system.json()["status"] == "FAIL"
    components = system.json()["components"]
    assert components["database"]["message"].startswith("database unreachable: ")
    assert components["monitor"]["status"] == "FAIL" and len(components) == 9
    assert ":p@" not in system.text
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False and body["reason"].startswith("database unreachable: ")
    assert "Traceback" not in ready.text and ":p@" not in ready.text


async def test_ready_at_head_then_503_when_behind(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    async with api_client(health_settings(settings)) as (client, _):
        ok = await client.get("/api/health/ready")
        assert ok.status_code == 200 and ok.json()["ready"] is True
        head = ok.json()["head"]
        with sessions.begin() as s:
            s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        try:
            behind = await client.get("/api/health/ready")
        finally:
            with sessions.begin() as s:
                s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert behind.status_code == 503
    assert behind.json()["revision"] == "0001"
    assert "schema not at head (current=0001" in behind.json()["reason"]
    assert "SELECT" not in behind.text and "Traceback" not in behind.text


async def test_unmigrated_database_is_not_ready_and_every_component_fails(
    tmp_path: Path,
) -> None:
    empty = Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", data_dir=tmp_path
    )
    async with api_client(empty) as (client, _):
        ready = await client.get("/api/health/ready")
        system = await client.get("/api/health/system")
    assert ready.status_code == 503
    assert ready.json()["revision"] is None and "current=none" in ready.json()["reason"]
    assert system.status_code == 200
    body = system.json()
    assert body["status"] == "FAIL"
    assert body["components"]["database"]["status"] == "FAIL"
    assert "atp migrate" in body["components"]["database"]["message"]
    assert body["components"]["monitor"]["status"] == "FAIL"
    assert "SELECT" not in system.text and "[SQL" not in system.text


async def test_every_component_passes_on_a_healthy_system(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    seed_market(sessions, ["BTC_USDT", "ETH_USDT"])
    write_leader_beat(sessions)
    sync_beat(sessions)
    add_message(sessions, "sent-1", "SENT", age_s=30)
    add_position(sessions, "ETH_USDT", "covered", age_s=600)
    body = await _system(production_telegram(settings))
    assert _statuses(body) == {
        "database": "PASS",
        "market_data": "PASS",
        "monitor": "PASS",
        "alert_sender": "PASS",
        "telegram": "PASS",
        "exchange_auth": "PASS",
        "order_sync": "PASS",
        "positions": "PASS",
        "trading": "PASS",
    }, body
    assert body["status"] == "PASS"
    components = body["components"]
    assert components["monitor"]["evidence"]["leader"] == "beat-test"
    assert components["monitor"]["evidence"]["heartbeat_age_s"] < 5
    assert components["market_data"]["evidence"]["unhealthy"] == []
    assert set(components["market_data"]["evidence"]["symbols"]) == {"BTC_USDT", "ETH_USDT"}
    assert components["order_sync"]["evidence"]["last_cycle_ms"] == 12
    assert components["positions"]["evidence"]["open_positions"] == 1


async def test_every_failure_is_named_with_evidence(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    seed_market(sessions, ["BTC_USDT"], age_h=24)  # stale
    write_leader_beat(sessions, at=utcnow() - timedelta(minutes=10))  # a dead leader
    sync_beat(sessions, age_s=600, auth="failing", error="40101 Authentication failure")
    add_message(sessions, "queued-1", "PENDING", age_s=900)  # sender not draining
    add_position(sessions, "BTC_USDT", "naked", age_s=300)  # naked past the grace
    set_switch(sessions, "KILL_SWITCH", "true")
    no_token = health_settings(settings, environment="production")  # blocked, not console
    body = await _system(no_token)
    assert _statuses(body) == {
        "database": "PASS",
        "market_data": "FAIL",
        "monitor": "FAIL",
        "alert_sender": "FAIL",
        "telegram": "FAIL",
        "exchange_auth": "FAIL",
        "order_sync": "FAIL",
        "positions": "FAIL",
        "trading": "WARN",
    }, body
    assert body["status"] == "FAIL"
    c = body["components"]
    assert c["market_data"]["evidence"]["symbols"]["BTC_USDT"]["stale"]["1h"]["reason"] == (
        "CANDLE_TOO_OLD"
    )
    assert c["monitor"]["evidence"]["heartbeat_age_s"] > 500
    assert c["alert_sender"]["evidence"]["pending"] == 1
    assert c["alert_sender"]["evidence"]["oldest_pending_age_s"] >= 900
    assert c["alert_sender"]["message"].startswith("ALERTS_UNDELIVERED")
    assert "token_missing" in c["telegram"]["evidence"]["reasons"]
    assert "40101" in c["exchange_auth"]["message"]
    assert c["order_sync"]["evidence"]["heartbeat_age_s"] >= 600
    assert c["positions"]["evidence"]["naked_overdue"] == ["BTC_USDT"]
    assert c["trading"]["evidence"]["kill_switch"] is True


async def test_degraded_but_not_failed_states_warn(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    """Demo defaults: console delivery, paused monitor, no order worker yet, a fresh entry."""
    seed_market(sessions, ["BTC_USDT"])
    write_leader_beat(sessions, state="paused")
    add_position(sessions, "BTC_USDT", "naked", age_s=5)  # within the protection grace
    body = await _system(health_settings(settings))  # environment=test: console
    statuses = _statuses(body)
    assert statuses["telegram"] == "WARN"
    assert body["components"]["telegram"]["evidence"]["notifier"] == "console"
    assert statuses["monitor"] == "WARN" and "paused" in body["components"]["monitor"]["message"]
    assert statuses["order_sync"] == "WARN"  # paper mode, `atp sync` never started
    assert statuses["exchange_auth"] == "WARN"  # not observed
    assert statuses["positions"] == "WARN"
    assert body["status"] == "WARN"


async def test_alerts_failing_and_missing_order_worker_in_live_mode_fail(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    add_message(sessions, "failed-1", "FAILED", age_s=60)
    body = await _system(health_settings(settings, trading_mode="live"))
    c = body["components"]
    assert c["alert_sender"]["status"] == "FAIL"
    assert c["alert_sender"]["message"].startswith("ALERTS_FAILING")
    assert "bot was blocked" in c["alert_sender"]["evidence"]["failing"]
    assert c["order_sync"]["status"] == "FAIL"  # live money and nobody places/protects orders
    assert c["monitor"]["status"] == "FAIL"  # no leader heartbeat at all
    assert c["market_data"]["status"] == "WARN"  # empty watchlist
    assert c["trading"]["status"] == "WARN"  # live mode with LIVE_TRADING off
    assert body["status"] == "FAIL"


async def test_config_masks_every_secret(settings: Settings) -> None:
    secrets = {
        "exchange_api_key": "fake-exchange-key-6c1d0e",
        "exchange_api_secret": "fake-exchange-secret-93ab7f",
        "api_token": "fake-api-token-value-5521aa",
        "db_password": "fake-db-password-77e1",
        "bot": "987654321:AAHfakeBotSecretPartValue0000000000",
    }
    configured = health_settings(
        settings,
        exchange_api_key=SecretStr(secrets["exchange_api_key"]),
        exchange_api_secret=SecretStr(secrets["exchange_api_secret"]),
        api_token=SecretStr(secrets["api_token"]),
        telegram_bot_token=secrets["bot"],
        database_url=f"postgresql://atp:{secrets['db_password']}@127.0.0.1:1/atp",
        git_sha="0123abcd",
    )
    async with api_client(configured) as (client, _):
        response = await client.get("/api/config")
    assert response.status_code == 200
    for secret in (*secrets.values(), secrets["bot"].split(":")[1]):
        assert secret not in response.text, secret
    body = response.json()
    assert body["git_sha"] == "0123abcd" and body["build_time"] == "unknown"
    shown = body["settings"]
    assert shown["EXCHANGE_API_KEY"] == "set" and shown["EXCHANGE_API_SECRET"] == "set"
    assert shown["ATP_API_TOKEN"] == "set" and shown["TELEGRAM_BOT_TOKEN"] == "set"
    assert shown["DATABASE_URL"] == "postgresql://atp:***@127.0.0.1:1/atp"
    assert shown["EFFECTIVE_DATABASE_URL"] == "postgresql://atp:***@127.0.0.1:1/atp"
    assert shown["MARKET_TIMEFRAMES"] == "1h" and shown["TRADING_MODE"] == "paper"
    assert shown["PAPER_FEE_RATE"] == "0.0025"  # decimals as text
    assert "TELEGRAM_BOT_TOKEN_AWS" not in shown  # legacy alias folded into the new name


async def test_config_says_unset_for_missing_secrets(settings: Settings) -> None:
    async with api_client(health_settings(settings, api_token=SecretStr(""))) as (client, _):
        shown = (await client.get("/api/config")).json()["settings"]
    assert shown["EXCHANGE_API_KEY"] == "unset" and shown["ATP_API_TOKEN"] == "unset"
    assert shown["TELEGRAM_BOT_TOKEN"] == "unset"


async def test_routes_are_documented_with_typed_models(settings: Settings) -> None:
    async with api_client(health_settings(settings)) as (client, _):
        schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/health", "/api/health", "/api/health/ready", "/api/health/system"):
        assert "get" in paths[path], path
    assert "/api/config" in paths and "/metrics" in paths
    ready = paths["/api/health/ready"]["get"]["responses"]
    assert {"200", "503"} <= set(ready)
    models = schema["components"]["schemas"]
    assert {"SystemHealthResponse", "ComponentHealth", "ConfigResponse", "ReadyResponse"} <= set(
        models
    )
    assert models["ComponentHealth"]["properties"]["status"]["enum"] == ["PASS", "WARN", "FAIL"]


@pytest.mark.parametrize("state", ["disabled", "degraded"])
async def test_an_alive_leader_that_does_not_evaluate_fails(
    settings: Settings, sessions: sessionmaker[Session], state: str
) -> None:
    write_leader_beat(sessions, state=state)
    body = await _system(health_settings(settings))
    monitor = body["components"]["monitor"]
    assert monitor["status"] == "FAIL" and f"state={state}" in monitor["message"]
