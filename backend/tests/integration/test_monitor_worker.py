"""The worker: leader rules in one process, heartbeat rows and log lines, blockers, pause, disable."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.monitor.heartbeat import SERVICE
from atp.monitor.leader import make_leader_lock
from atp.monitor.switches import set_paused
from atp.monitor.worker import MonitorWorker
from atp.ops.config_trail import ChangeSource
from atp.ops.models import GlobalBlocker, ServiceHeartbeat, TradingSetting
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from tests.integration.monitor_support import seed_world


def _worker(settings: Settings, instance: str, **changes: Any) -> MonitorWorker:
    merged = settings.model_copy(update={"monitor_instance_id": instance, **changes})
    return MonitorWorker(AppContext(settings=merged))


def _beat(sessions: sessionmaker[Session], instance: str) -> ServiceHeartbeat:
    with sessions() as s:
        row = s.get(ServiceHeartbeat, (SERVICE, instance))
        assert row is not None
        return row


def _active(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as s:
        return set(s.scalars(select(GlobalBlocker.code).where(GlobalBlocker.active.is_(True))))


def test_second_instance_is_a_standby_until_the_leader_releases(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})
    a, b = _worker(settings, "a"), _worker(settings, "b")
    try:
        assert a.tick() == "running"
        assert b.tick() == "standby"
        assert _beat(sessions, "b").role == "standby"
        assert _beat(sessions, "a").role == "leader" and _beat(sessions, "a").cycle == 1
        a.shutdown()
        assert _beat(sessions, "a").role == "stopped"
        assert b.tick() == "running"
        assert _beat(sessions, "b").role == "leader"
    finally:
        a.shutdown()
        b.shutdown()
        a.context.close()
        b.context.close()


def test_heartbeat_row_and_rate_limited_log_line(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}, "ETH_USDT": {"preset": "test:none"}})
    worker = _worker(settings, "hb")
    caplog.set_level(logging.INFO, logger="atp.monitor.heartbeat")
    try:
        worker.tick()
        worker.tick()
        lines = [r.getMessage() for r in caplog.records if "[HEARTBEAT]" in r.getMessage()]
        assert len(lines) == 1  # about every 5 minutes, not every cycle
        assert lines[0].startswith(
            "[HEARTBEAT] SignalMonitorService alive cycle=1 symbols=2 last_cycle_ms="
        )
        beat = _beat(sessions, "hb")
        assert (beat.cycle, beat.items, beat.errors) == (2, 2, 0)
        assert beat.last_cycle_ms is not None and beat.details["state"] == "running"
        worker.heartbeat.log_every_s = 1e-9
        worker.tick()
        lines = [r.getMessage() for r in caplog.records if "[HEARTBEAT]" in r.getMessage()]
        assert lines[-1].startswith("[HEARTBEAT] SignalMonitorService alive cycle=3 symbols=2")
    finally:
        worker.shutdown()
        worker.context.close()


def test_blockers_logged_when_they_appear_and_clear(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    worker = _worker(settings, "blk")
    caplog.set_level(logging.WARNING, logger="atp.monitor.blockers")
    try:
        worker.tick()  # empty watchlist
        assert "NO_ALERT_SYMBOLS" in _active(sessions)
        assert "TELEGRAM_NOT_CONFIGURED" in _active(sessions)
        worker.tick()
        appeared = [r.getMessage() for r in caplog.records if "NO_ALERT_SYMBOLS" in r.getMessage()]
        assert appeared == [
            "[GLOBAL_BLOCKER] NO_ALERT_SYMBOLS: no watchlist symbol has alert_enabled=true; "
            "nothing is evaluated"
        ]
        seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})
        with sessions.begin() as s:
            s.add(TradingSetting(key="KILL_SWITCH", value="true"))
        worker.tick()
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("[GLOBAL_BLOCKER] NO_ALERT_SYMBOLS: cleared") for m in messages)
        assert any(m.startswith("[GLOBAL_BLOCKER] KILL_SWITCH_ON: ") for m in messages)
        assert _active(sessions) >= {"KILL_SWITCH_ON"} and "NO_ALERT_SYMBOLS" not in _active(
            sessions
        )
    finally:
        worker.shutdown()
        worker.context.close()


def test_all_stale_market_data_is_a_global_blocker(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})  # candles of 2026-05-01: stale now
    worker = _worker(settings, "stale")
    try:
        worker.tick()
        assert "MARKET_DATA_STALE_ALL" in _active(sessions)
    finally:
        worker.shutdown()
        worker.context.close()


def test_pause_is_obeyed_next_tick_and_said_loudly(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})
    worker = _worker(settings, "p")
    caplog.set_level(logging.INFO)
    try:
        assert worker.tick() == "running"
        with sessions.begin() as s:
            set_paused(s, paused=True, source=ChangeSource.API, actor="test")
        with sessions() as s:
            before = s.scalar(select(WatchlistSignalState.evaluated_at_utc))
        assert worker.tick() == "paused"
        with sessions() as s:
            assert s.scalar(select(WatchlistSignalState.evaluated_at_utc)) == before  # idle
        assert "MONITOR_PAUSED" in _active(sessions)
        assert _beat(sessions, "p").details["state"] == "paused"
        assert any("state=paused" in r.getMessage() for r in caplog.records)
        with sessions.begin() as s:
            set_paused(s, paused=False, source=ChangeSource.API, actor="test")
        assert worker.tick() == "running"
        assert "MONITOR_PAUSED" not in _active(sessions)
    finally:
        worker.shutdown()
        worker.context.close()


def test_debug_disable_keeps_the_process_idle_and_says_so(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})
    worker = _worker(settings, "d", debug_disable_signal_monitor=True)
    try:
        assert worker.tick() == "disabled"
        assert "MONITOR_DISABLED" in _active(sessions)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(WatchlistSignalState)) == 0
    finally:
        worker.shutdown()
        worker.context.close()


def test_exchange_auth_failing_hook(sessions: sessionmaker[Session], settings: Settings) -> None:
    from atp.db.base import utcnow

    now = utcnow()
    with sessions.begin() as s:
        s.add(
            ServiceHeartbeat(
                service="ExchangeSyncService",
                instance_id="sync",
                role="leader",
                started_at=now,
                beat_at=now,
                cycle=1,
                errors=0,
                details={"exchange_auth": "failing", "exchange_auth_error": "40101 auth failure"},
            )
        )
    worker = _worker(settings, "auth")
    try:
        worker.tick()
        assert "EXCHANGE_AUTH_FAILING" in _active(sessions)
        with sessions.begin() as s:
            row = s.get(ServiceHeartbeat, ("ExchangeSyncService", "sync"))
            assert row is not None
            row.details = {"exchange_auth": "ok"}
        worker.tick()
        assert "EXCHANGE_AUTH_FAILING" not in _active(sessions)
    finally:
        worker.shutdown()
        worker.context.close()


def test_cli_once_runs_one_cycle_and_a_standby_does_nothing(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}})
    leader_lock = make_leader_lock(settings)
    assert leader_lock.try_acquire()  # another instance holds leadership
    try:
        result = CliRunner().invoke(main, ["monitor", "--once"], obj=AppContext(settings=settings))
        assert result.exit_code == 0, result.output
        assert "standby" in result.output
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(WatchlistSignalState)) == 0
    finally:
        leader_lock.release()
    result = CliRunner().invoke(main, ["monitor", "--once"], obj=AppContext(settings=settings))
    assert result.exit_code == 0, result.output
    assert "monitor: cycle 1 symbols=1" in result.output
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(WatchlistSignalState)) == 1


def test_alerts_nobody_delivers_become_a_global_blocker(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The legacy "alerts silently stopped": queued alerts that no sender drains are loud."""
    from datetime import timedelta

    from atp.alerts.outbox import MessageKind, enqueue_alert
    from atp.db.base import utcnow

    with sessions.begin() as s:
        message = enqueue_alert(
            s,
            idempotency_key="old-1",
            kind=MessageKind.ALERT,
            symbol="BTC_USDT",
            side="BUY",
            text="BUY BTC_USDT",
            chat_id="1",
            correlation_id="c1",
            context=None,
        )
        message.created_at = utcnow() - timedelta(seconds=400)
        enqueue_alert(  # recent: still inside the normal delivery delay, not a blocker yet
            s,
            idempotency_key="new-1",
            kind=MessageKind.ALERT,
            symbol="ETH_USDT",
            side="BUY",
            text="BUY ETH_USDT",
            chat_id="1",
            correlation_id="c2",
            context=None,
        )
    caplog.set_level(logging.WARNING, logger="atp.monitor.blockers")
    worker = _worker(settings, "undelivered")
    try:
        worker.tick()
        assert "ALERTS_UNDELIVERED" in _active(sessions)
        line = next(
            r.getMessage() for r in caplog.records if "ALERTS_UNDELIVERED" in r.getMessage()
        )
        assert line.startswith("[GLOBAL_BLOCKER] ALERTS_UNDELIVERED: 1 alert(s) queued")
        with sessions.begin() as s:  # a sender delivered it
            row = s.get(type(message), message.id)
            assert row is not None
            row.status = "SENT"
        worker.tick()
        assert "ALERTS_UNDELIVERED" not in _active(sessions)
    finally:
        worker.shutdown()
        worker.context.close()
