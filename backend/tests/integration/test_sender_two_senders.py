"""Two sender processes on one database: each row is claimed and sent by exactly one of them
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the conditional PENDING -> SENDING update), and the
order per chat still holds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import (
    enqueue,
    rows,
    run_until_drained,
    telegram_settings,
    telegram_worker,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_two_senders_never_send_one_row_twice(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    expected = {chat: [f"{chat}-{n:02d}" for n in range(15)] for chat in ("111", "222")}
    with FakeTelegram() as fake:
        for chat, texts in expected.items():
            enqueue(sessions, chat, texts)
        settings = telegram_settings(db_url, tmp_path, fake)
        first, second = telegram_worker(sessions, settings), telegram_worker(sessions, settings)
        await run_until_drained(sessions, first, second)
        for chat, texts in expected.items():
            assert fake.texts(chat) == texts
    assert {r.status for r in rows(sessions)} == {"SENT"}
    assert first.stats.sent + second.stats.sent == 30
    assert first.stats.sent > 0 and second.stats.sent > 0  # both really worked


async def test_only_one_sender_is_active_the_other_is_a_standby(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    """Pacing lives in the sender's memory, so `build_sender` makes senders single-instance."""
    with FakeTelegram() as fake:
        enqueue(sessions, "111", ["a", "b"])
        app = AppContext(settings=telegram_settings(db_url, tmp_path, fake))
        active, standby = build_sender(app), build_sender(app)
        assert active.elector is not None and standby.elector is not None
        assert await asyncio.to_thread(active.elector.ensure)  # holds the sender lock
        stats = await standby.run(asyncio.Event(), once=True)
        assert stats.standby and stats.sent == 0 and fake.texts("111") == []
        await asyncio.to_thread(active.elector.release)
        stats = await standby.run(asyncio.Event(), once=True)
        assert not stats.standby and stats.sent == 2 and fake.texts("111") == ["a", "b"]
        app.close()
