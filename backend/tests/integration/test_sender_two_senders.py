"""Two sender processes on one database: each row is claimed and sent by exactly one of them
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the conditional PENDING -> SENDING update), and the
order per chat still holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

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
