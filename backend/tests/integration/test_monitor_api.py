"""Control endpoints through the real app (httpx ASGI transport) against a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.api.app import create_app
from atp.db.base import utcnow
from atp.monitor.worker import MonitorWorker
from atp.ops.models import ConfigChange
from atp.orders.models import OrderIntent
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import SignalThrottleState, WatchlistSignalState
from tests.integration.monitor_support import seed_world, write_leader_beat

API_TOKEN = "monitor-api-test-token-0123456789"


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    update = {"monitor_instance_id": "api-test", "api_token": SecretStr(API_TOKEN)}
    ctx = AppContext(settings=settings.model_copy(update=update))
    yield ctx
    ctx.close()


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(context))
    auth = {"Authorization": f"Bearer {API_TOKEN}"}  # mutations need it (test_api_auth.py)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=auth) as c:
        yield c


async def test_health_is_liveness(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_status_follows_the_heartbeat(client: httpx.AsyncClient, context: AppContext) -> None:
    body = (await client.get("/api/control/status")).json()
    assert body["signal_monitor_running"] is False and body["leader"] is None

    worker = MonitorWorker(context)
    try:
        worker.tick()
        body = (await client.get("/api/control/status")).json()
        assert body["signal_monitor_running"] is True
        assert body["state"] == "running"
        assert body["leader"]["instance_id"] == "api-test"
        assert 0 <= body["heartbeat_age_s"] < 5 and 0 <= body["last_cycle_age_s"] < 5
        assert {b["code"] for b in body["blockers"]} >= {"NO_ALERT_SYMBOLS"}
    finally:
        worker.shutdown()
    body = (await client.get("/api/control/status")).json()
    assert body["signal_monitor_running"] is False  # a stopped instance is not a leader


async def test_status_says_not_running_when_the_heartbeat_is_old(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    worker = MonitorWorker(context)
    try:
        worker.tick()
    finally:
        worker.elector.release()  # simulate a crash: no "stopped" beat is written
    from datetime import timedelta

    from atp.monitor import service

    with context.sessions() as s:
        later = utcnow() + timedelta(seconds=3 * context.settings.monitor_interval_seconds)
        body = service.monitor_status(s, context.settings, now=later)
    assert body["signal_monitor_running"] is False and body["state"] == "not_running"
    assert body["leader"]["alive"] is False


async def test_stop_and_start_persist_the_pause_with_a_trail(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    response = await client.post("/api/control/stop-signal-monitor")
    assert response.status_code == 200 and response.json()["paused"] is True
    assert (await client.post("/api/control/stop-signal-monitor")).json()["changed"] is False
    worker = MonitorWorker(context)
    try:
        assert worker.tick() == "paused"
        body = (await client.get("/api/control/status")).json()
        assert body["paused"] is True and body["signal_monitor_running"] is False
        assert body["state"] == "paused"
        assert (await client.post("/api/control/start-signal-monitor")).json()["paused"] is False
        assert worker.tick() == "running"
    finally:
        worker.shutdown()
    with context.sessions() as s:
        trail = s.execute(
            select(ConfigChange.source, ConfigChange.entity_key, ConfigChange.new_value).order_by(
                ConfigChange.id
            )
        ).all()
    assert [tuple(t) for t in trail] == [
        ("api", "MONITOR_PAUSED", "true"),
        ("api", "MONITOR_PAUSED", "false"),
    ]


def _counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    with sessions() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (
                WatchlistSignalState,
                TelegramMessage,
                SignalThrottleState,
                OrderIntent,
                ConfigChange,
            )
        )


async def test_evaluate_signal_explains_and_stores_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    sessions = context.sessions
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=utcnow())
    write_leader_beat(sessions)  # a running monitor: no global cause
    before = _counts(sessions)
    response = await client.post("/api/control/evaluate-signal", json={"symbol": "btc_usdt"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["side"] == "BUY"
    assert {c["name"] for c in body["conditions"]} >= {"rsi_below", "rsi_above"}
    assert [g["gate"] for g in body["alert_gates"]] == [
        "MARKET_DATA_STALE",
        "NO_SIGNAL",
        "SIDE_DISABLED",
        "MUTED",
        "THROTTLED_TIME_GATE",
        "THROTTLED_PRICE_GATE",
        "TELEGRAM_DISABLED",
    ]
    assert [g["gate"] for g in body["trade_gates"]][:4] == [
        "KILL_SWITCH",
        "LIVE_TRADING_OFF",
        "ALERTS_NOT_DELIVERED",
        "TRADE_DISABLED",
    ]
    assert body["alert"] == {"would_send": True, "reason": None}
    assert body["trade"]["would_create_intent"] is False
    assert body["trade"]["reason"] == "TRADE_DISABLED"  # paper: LIVE_TRADING is not needed
    assert _counts(sessions) == before


async def test_evaluate_signal_errors(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/api/control/evaluate-signal", json={"symbol": "DOGE_USDT"})
    assert unknown.status_code == 404
    assert "not on the watchlist" in unknown.json()["detail"]
    malformed = await client.post("/api/control/evaluate-signal", json={"symbol": "not a symbol"})
    assert malformed.status_code == 422
    missing = await client.post("/api/control/evaluate-signal", json={})
    assert missing.status_code == 422


async def test_last_error_carries_no_sql_parameters(
    client: httpx.AsyncClient, context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cycle failing inside SQLAlchemy: the status says what failed, never the statement,
    its parameters (prices, chat ids, tokens) or a connection URL's password."""
    from sqlalchemy.exc import IntegrityError

    from atp.monitor import worker as worker_module

    def failing_cycle(*_args: object, **_kwargs: object) -> None:
        raise IntegrityError(
            "INSERT INTO telegram_messages (chat_id, text) VALUES (?, ?)",
            ("-100123456", "secret-param-value"),
            Exception(
                "UNIQUE constraint failed: telegram_messages.dedupe_key\n"
                "DETAIL: Key (dedupe_key)=(secret-key-value) already exists."
            ),
        )

    monkeypatch.setattr(worker_module, "run_cycle", failing_cycle)
    worker = MonitorWorker(context)
    try:
        worker.tick()
        body = (await client.get("/api/control/status")).json()
    finally:
        worker.shutdown()
    last_error = body["leader"]["last_error"]
    assert last_error.startswith("IntegrityError: ")
    assert "UNIQUE constraint failed" in last_error
    for leaked in ("INSERT", "[SQL", "parameters", "secret-param", "secret-key", "-100123456"):
        assert leaked not in last_error, last_error
    assert "\n" not in last_error
