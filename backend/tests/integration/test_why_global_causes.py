"""`atp why` and `POST /api/control/evaluate-signal` name a global cause before the symbol's gates.

A symbol whose own gates all pass still gets no alert when the monitor is paused, not running,
stale, or a global blocker stops alerts: the answer says so first, with the blocker code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from atp.alerts.models import TelegramMessage
from atp.api.app import create_app
from atp.db.base import utcnow
from atp.monitor.switches import set_paused
from atp.monitor.worker import MonitorWorker
from atp.ops.config_trail import ChangeSource
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.monitor_support import seed_world, write_leader_beat
from tests.integration.test_watchlist_cli import run

TOKEN = "why-test-token-" + "y" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    ctx = AppContext(
        settings=settings.model_copy(
            update={"monitor_instance_id": "why-test", "api_token": SecretStr(TOKEN)}
        )
    )
    yield ctx
    ctx.close()


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8002") as c:
        yield c


async def _evaluate(client: httpx.AsyncClient, symbol: str = "BTC_USDT") -> dict[str, Any]:
    response = await client.post(
        "/api/control/evaluate-signal", json={"symbol": symbol}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _why(settings: Settings, symbol: str = "BTC_USDT") -> list[str]:
    code, out = run(settings, "why", symbol)
    assert code == 0, out
    return out.splitlines()


def _paused_leader(context: AppContext) -> None:
    """The pause switch set, and a real worker tick that obeys it (heartbeat + blocker rows)."""
    with context.sessions.begin() as s:
        set_paused(s, paused=True, source=ChangeSource.CLI, actor="test")
    worker = MonitorWorker(context)
    try:
        assert worker.tick() == "paused"
    finally:
        worker.elector.release()  # leave the paused heartbeat as a live leader wrote it


async def test_paused_monitor_is_named_first_by_why_and_the_api(
    client: httpx.AsyncClient, context: AppContext, settings: Settings
) -> None:
    seed_world(context.sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=utcnow())
    _paused_leader(context)

    body = await _evaluate(client)
    assert body["side"] == "BUY"  # the symbol's own gates would let it through...
    assert body["global_causes"][0]["code"] == "MONITOR_PAUSED"
    assert body["alert"] == {"would_send": False, "reason": "MONITOR_PAUSED"}
    assert body["trade"] == {"would_create_intent": False, "reason": "MONITOR_PAUSED"}

    lines = _why(settings)
    assert lines[0].startswith("[GLOBAL_BLOCKER] MONITOR_PAUSED: ")
    symbol_line = next(i for i, line in enumerate(lines) if line.startswith("BTC_USDT test:buy"))
    assert all(line.startswith("[GLOBAL_BLOCKER] ") for line in lines[:symbol_line])
    assert "alert: none (MONITOR_PAUSED)" in lines
    assert "trade: none (MONITOR_PAUSED)" in lines
    assert "alert: would send" not in lines


async def test_no_heartbeat_or_a_stale_one_means_the_monitor_is_not_running(
    client: httpx.AsyncClient, context: AppContext, settings: Settings
) -> None:
    sessions = context.sessions
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=utcnow())

    body = await _evaluate(client)
    assert [c["code"] for c in body["global_causes"]][:1] == ["MONITOR_NOT_RUNNING"]
    assert body["alert"] == {"would_send": False, "reason": "MONITOR_NOT_RUNNING"}
    assert _why(settings)[0].startswith("[GLOBAL_BLOCKER] MONITOR_NOT_RUNNING: ")
    _, out = run(settings, "status")  # the same code on the operator's status screen
    assert "  [GLOBAL_BLOCKER] MONITOR_NOT_RUNNING: " in out, out

    write_leader_beat(sessions, at=utcnow() - timedelta(minutes=10))  # a crashed leader
    body = await _evaluate(client)
    assert body["global_causes"][0]["code"] == "MONITOR_HEARTBEAT_STALE"
    assert body["alert"]["reason"] == "MONITOR_HEARTBEAT_STALE"
    assert "alert: none (MONITOR_HEARTBEAT_STALE)" in _why(settings)

    write_leader_beat(sessions)  # the leader beats again: nothing global left
    body = await _evaluate(client)
    assert body["global_causes"] == []
    assert body["alert"] == {"would_send": True, "reason": None}


async def test_an_active_failed_alerts_blocker_is_named(
    client: httpx.AsyncClient, context: AppContext, settings: Settings
) -> None:
    sessions = context.sessions
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}}, now=utcnow())
    with sessions.begin() as s:
        s.add(_failed_message("Forbidden: bot was kicked from the group chat"))
    worker = MonitorWorker(context)
    try:
        worker.tick()  # a real tick stores ALERTS_FAILING and a live heartbeat
    finally:
        worker.elector.release()
    body = await _evaluate(client)
    codes = [c["code"] for c in body["global_causes"]]
    assert "ALERTS_FAILING" in codes and "MONITOR_NOT_RUNNING" not in codes
    assert body["alert"] == {"would_send": False, "reason": "ALERTS_FAILING"}
    # Telegram "not configured" while alerts go to the console is named, but does not decide.
    telegram = next(c for c in body["global_causes"] if c["code"] == "TELEGRAM_NOT_CONFIGURED")
    assert telegram["blocks"] is None
    lines = _why(settings)
    assert any(line.startswith("[GLOBAL_BLOCKER] ALERTS_FAILING: 1 message(s)") for line in lines)
    assert "bot was kicked" in "\n".join(lines)
    assert "alert: none (ALERTS_FAILING)" in lines


def _failed_message(error: str) -> TelegramMessage:
    now = utcnow()
    return TelegramMessage(
        idempotency_key="why-test:failed",
        kind="ALERT",
        symbol="BTC_USDT",
        side="BUY",
        status="FAILED",
        reason_code="TELEGRAM_FORBIDDEN",
        reason_message=error,
        last_error=error,
        text="BUY BTC_USDT",
        attempts=1,
        created_at=now,
        updated_at=now,
    )
