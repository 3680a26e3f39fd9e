"""Telegram accepted the message and the database refused the write of SENT once: the sender
retries the write (bounded, within the claim lease) instead of leaving the row for a re-send."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
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


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def _fail_first_sent_write(engine: Engine) -> list[str]:
    """The first UPDATE that records a message as SENT fails like a dropped connection."""
    failed: list[str] = []

    def before_execute(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if (
            not failed
            and statement.startswith("UPDATE telegram_messages")
            and "sent_at" in statement
        ):
            failed.append(statement)
            raise OperationalError(
                statement, params, ConnectionError("server closed the connection")
            )

    event.listen(engine, "before_cursor_execute", before_execute)
    return failed


async def test_a_failed_outcome_write_is_retried_not_resent(
    engine: Engine,
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    fake: FakeTelegram,
) -> None:
    settings = telegram_settings(db_url, tmp_path, fake)
    enqueue(sessions, "111", ["accepted once"])
    failed = _fail_first_sent_write(engine)
    worker = telegram_worker(sessions, settings, claim_lease=timedelta(seconds=1))
    assert await worker.tick() == 1
    assert failed, "the injected failure did not fire"
    (row,) = rows(sessions)
    assert row.status == "SENT" and row.telegram_message_id == 1
    assert worker.stats.sent == 1
    # Later runs (e.g. after the lease) find nothing to send again.
    await run_until_drained(sessions, worker, timeout=3)
    await worker.notifier.close()
    assert fake.texts("111") == ["accepted once"]
