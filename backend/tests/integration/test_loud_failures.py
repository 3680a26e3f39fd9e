"""Failures are loud: failed / expired alerts and failing monitor cycles are global blockers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.monitor.blockers import FAILING_WINDOW_S, failing_alerts
from atp.monitor.heartbeat import SERVICE
from atp.monitor.service import monitor_status
from atp.monitor.worker import MonitorWorker
from atp.ops.models import GlobalBlocker, ServiceHeartbeat
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import (
    enqueue,
    run_until_drained,
    telegram_settings,
    telegram_worker,
)
from tests.integration.monitor_support import seed_world

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def _blocker(sessions: sessionmaker[Session], code: str) -> GlobalBlocker | None:
    with sessions() as s:
        return s.scalars(
            select(GlobalBlocker).where(GlobalBlocker.code == code, GlobalBlocker.active.is_(True))
        ).first()


def _tick(settings: Settings, **changes: Any) -> None:
    merged = settings.model_copy(update={"monitor_instance_id": "loud", **changes})
    worker = MonitorWorker(AppContext(settings=merged))
    try:
        worker.tick()
    finally:
        worker.shutdown()
        worker.context.close()


def _gb_lines(caplog: pytest.LogCaptureFixture, code: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith(f"[GLOBAL_BLOCKER] {code}:")
    ]


async def test_failed_and_expired_alerts_are_a_blocker_until_one_is_delivered(
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The bot is removed from the chat: Telegram refuses for good, and an old alert expires."""
    settings = telegram_settings(db_url, tmp_path, fake)
    caplog.set_level(logging.WARNING, logger="atp.monitor.blockers")
    stale_id, _ = enqueue(sessions, "111", ["stale", "refused"])
    with sessions.begin() as s:
        s.execute(
            update(TelegramMessage)
            .where(TelegramMessage.id == stale_id)
            .values(created_at=utcnow() - timedelta(minutes=11))
        )
    fake.fail_next("sendMessage", 403, "Forbidden: bot was kicked from the group chat")
    await run_until_drained(sessions, telegram_worker(sessions, settings))

    _tick(settings)
    row = _blocker(sessions, "ALERTS_FAILING")
    assert row is not None, "FAILED + EXPIRED alerts must raise ALERTS_FAILING"
    assert row.message.startswith("2 message(s) FAILED/EXPIRED")
    assert "bot was kicked from the group chat" in row.message  # the last error
    assert len(_gb_lines(caplog, "ALERTS_FAILING")) == 1

    enqueue(sessions, "111", ["delivered again"])  # the bot is back in the chat
    await run_until_drained(sessions, telegram_worker(sessions, settings))
    _tick(settings)
    assert _blocker(sessions, "ALERTS_FAILING") is None
    assert "cleared (was: 2 message(s)" in _gb_lines(caplog, "ALERTS_FAILING")[-1]


def _message(key: str, status: str, ended_s_ago: float, **fields: Any) -> TelegramMessage:
    at = utcnow() - timedelta(seconds=ended_s_ago)
    return TelegramMessage(
        idempotency_key=key,
        kind="ALERT",
        status=status,
        text=key,
        created_at=at,
        updated_at=at,
        **fields,
    )


def test_failing_alerts_counts_a_recent_window_after_the_last_delivery(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        # Refused by configuration: TELEGRAM_NOT_CONFIGURED's business, never counted here.
        s.add(_message("blocked", "BLOCKED", 10, reason_code="TELEGRAM_DISABLED:token_missing"))
        s.add(_message("ancient", "FAILED", FAILING_WINDOW_S + 60, reason_message="old"))
    with sessions() as s:
        assert failing_alerts(s, utcnow()) is None

    with sessions.begin() as s:
        s.add(_message("sent", "SENT", 120, sent_at=utcnow() - timedelta(seconds=120)))
        s.add(_message("before-sent", "FAILED", 200, reason_message="before the delivery"))
        s.add(_message("expired", "EXPIRED", 30, reason_message="not delivered within 600 s"))
        s.add(_message("failed", "FAILED", 5, reason_message="Unauthorized", last_error="401"))
    with sessions() as s:
        problem = failing_alerts(s, utcnow())
    assert problem is not None
    assert problem.startswith("2 message(s) FAILED/EXPIRED")  # only those after the last SENT
    assert "last: FAILED" in problem and "Unauthorized" in problem

    with sessions.begin() as s:
        s.add(_message("sent-again", "SENT", 1, sent_at=utcnow()))
    with sessions() as s:
        assert failing_alerts(s, utcnow()) is None


def _break_candles(sessions: sessionmaker[Session], broken: bool) -> None:
    """Make every cycle's read fail with a real database error (and repair it afterwards)."""
    old, new = ("market_candles", "market_candles_gone")[:: 1 if broken else -1]
    with sessions.begin() as s:
        s.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_monitor_whose_cycles_keep_failing_is_degraded_and_a_blocker(
    sessions: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:none"}}, now=utcnow())
    caplog.set_level(logging.INFO, logger="atp.monitor")
    caplog.set_level(logging.INFO, logger="atp.workers.runner")
    worker = MonitorWorker(
        AppContext(settings=settings.model_copy(update={"monitor_instance_id": "failing"}))
    )
    _break_candles(sessions, True)
    try:
        assert worker.tick() == "running"
        assert worker.tick() == "running"
        assert _blocker(sessions, "MONITOR_CYCLES_FAILING") is None  # 2 < 3 (the default)
        worker.tick()
        row = _blocker(sessions, "MONITOR_CYCLES_FAILING")
        assert row is not None and row.message.startswith("3 consecutive monitor cycle(s)")
        assert "[SQL" not in row.message and "market_candles" in row.message
        with sessions() as s:
            beat = s.get(ServiceHeartbeat, (SERVICE, "failing"))
            assert beat is not None and (beat.details or {}).get("state") == "degraded"
            status = monitor_status(s, settings)
        assert status["state"] == "degraded" and status["signal_monitor_running"] is False
        assert status["leader"]["failed_cycles"] == 3
        beats = [r for r in caplog.records if r.getMessage().startswith("[HEARTBEAT]")]
        assert (
            beats[-1]
            .getMessage()
            .startswith(
                "[HEARTBEAT] SignalMonitorService degraded cycle=0 symbols=0 failed_cycles=3"
            )
        )
        assert beats[-1].levelno == logging.WARNING
        assert not any(" alive " in r.getMessage() for r in beats[1:])
        # Three failed cycles, one traceback (not one per interval during an outage).
        tracebacks = [r for r in caplog.records if r.exc_info and "MONITOR cycle" in r.getMessage()]
        assert len(tracebacks) == 1

        _break_candles(sessions, False)
        assert worker.tick() == "running"
        assert _blocker(sessions, "MONITOR_CYCLES_FAILING") is None
        with sessions() as s:
            assert monitor_status(s, settings)["state"] == "running"
        last_beat = [r for r in caplog.records if r.getMessage().startswith("[HEARTBEAT]")][-1]
        assert last_beat.getMessage().startswith("[HEARTBEAT] SignalMonitorService alive cycle=1")
        assert any("[MONITOR cycle] recovered" in r.getMessage() for r in caplog.records)
    finally:
        with sessions() as s:
            names = set(inspect(s.connection()).get_table_names())
        if "market_candles_gone" in names:
            _break_candles(sessions, False)
        worker.shutdown()
        worker.context.close()
