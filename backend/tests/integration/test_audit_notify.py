"""`atp audit --notify-on-fail`: a FAIL queues one Telegram message in the outbox (delivered by
the real sender), a PASS queues none. What the daily timer in deploy/ runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from atp.settings import Settings
from tests.integration.audit_support import SCENARIOS, World
from tests.integration.test_audit import _live_world
from tests.integration.test_watchlist_cli import run


def _messages(sessions: sessionmaker[Session]) -> list[TelegramMessage]:
    with sessions() as session:
        return list(session.scalars(select(TelegramMessage).order_by(TelegramMessage.id)))


def test_a_failing_audit_queues_one_message_and_the_sender_delivers_it(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = str(tmp_path / "audit.md")
    code, out = run(settings, "audit", "--notify-on-fail", "--output", report)
    assert code == 1, out  # nothing is running: the monitor check fails
    assert "GLOBAL STATUS: FAIL" in out and "Telegram message" in out
    [message] = _messages(sessions)
    assert message.kind == "AUDIT_FAILED" and message.status == "PENDING"
    assert message.chat_id is None  # no ops chat configured: the alerts chat
    assert message.text.startswith("🔴 <b>Audit FAIL</b> (run ")
    assert "MONITOR_NOT_RUNNING" in message.text and "atp audit" in message.text
    assert message.context and "monitor" in message.context["failed_checks"]

    app = AppContext(settings=settings)
    try:
        asyncio.run(build_sender(app).run(asyncio.Event(), once=True))
    finally:
        app.close()
    assert [m.status for m in _messages(sessions)] == ["SENT"]

    ops = settings.model_copy(update={"telegram_chat_id_ops": "-100777"})
    assert run(ops, "audit", "--notify-on-fail", "--output", report)[0] == 1
    latest = _messages(sessions)[-1]
    assert len(_messages(sessions)) == 2 and latest.chat_id == "-100777"  # one per run


def test_without_the_flag_or_when_it_passes_nothing_is_queued(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = str(tmp_path / "audit.md")
    assert run(settings, "audit", "--output", report)[0] == 1  # FAIL, but no --notify-on-fail
    assert _messages(sessions) == []
    world: World = SCENARIOS["trade_disabled"][0](_live_world(sessions, settings))
    before = len(_messages(sessions))
    code, out = run(world.settings, "audit", "--notify-on-fail", "--output", report)
    assert code == 0, out
    assert "Telegram message" not in out
    assert [m.kind for m in _messages(sessions)[before:]] == []
