"""The real sender + PTB against the fake Telegram: order, 429 holds, retries, fallbacks, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.alerts.text import TRIM_MARKER
from atp.db.base import utcnow
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


def _worker(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram, **kw: object
):  # type: ignore[no-untyped-def]
    return telegram_worker(sessions, telegram_settings(db_url, tmp_path, fake), **kw)


async def test_in_order_per_chat_and_recorded_sent(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    enqueue(sessions, None, ["a1", "a2", "a3"])  # None = the alerts chat from settings (111)
    enqueue(sessions, "222", ["b1", "b2"])
    await run_until_drained(sessions, _worker(sessions, db_url, tmp_path, fake))
    assert fake.texts("111") == ["a1", "a2", "a3"]
    assert fake.texts("222") == ["b1", "b2"]
    ledger = rows(sessions)
    assert {r.status for r in ledger} == {"SENT"}
    assert [r.telegram_message_id for r in ledger] == [1, 2, 3, 1, 2]
    assert all(r.sent_at and r.channel == "telegram" and r.attempts == 1 for r in ledger)


async def test_429_holds_only_that_chat_for_retry_after(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    worker = _worker(sessions, db_url, tmp_path, fake)  # retry_after_scale 0.05: 8 s -> 0.4 s
    enqueue(sessions, "111", ["held-1", "held-2"])
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 8", {"retry_after": 8})
    await worker.tick()
    enqueue(sessions, "222", ["free-1", "free-2", "free-3"])
    await run_until_drained(sessions, worker)

    assert fake.texts("111") == ["held-1", "held-2"]
    assert fake.texts("222") == ["free-1", "free-2", "free-3"]
    sends = fake.calls_of("sendMessage")
    rejected = sends[0]
    assert rejected.status == 429
    held_retry = next(c for c in sends[1:] if c.chat_id == "111")
    assert held_retry.t - rejected.t >= 0.4  # waited retry_after (scaled) for that chat...
    other = [c.t for c in sends if c.chat_id == "222"]
    assert max(other) < held_retry.t  # ...while the other chat went on


async def test_5xx_and_timeouts_are_retried_with_backoff(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    enqueue(sessions, "111", ["survivor", "next"])
    fake.fail_next("sendMessage", 502, "Bad Gateway", count=2)
    fake.slow_next("sendMessage", 0.5)  # the client times out at 0.2 s; the fake drops it
    await run_until_drained(sessions, _worker(sessions, db_url, tmp_path, fake, timeout=0.2))
    assert fake.texts("111") == ["survivor", "next"]
    first = rows(sessions)[0]
    assert first.status == "SENT" and first.attempts == 4
    assert "TELEGRAM_TIMEOUT" in (first.last_error or "")


async def test_html_parse_failure_is_retried_once_as_plain_text(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    enqueue(sessions, "111", ["<b>BUY</b> <unknown>x & y", "after"])
    await run_until_drained(sessions, _worker(sessions, db_url, tmp_path, fake))
    assert fake.texts("111") == ["BUY x & y", "after"]
    assert [c.status for c in fake.calls_of("sendMessage")] == [400, 200, 200]
    first = rows(sessions)[0]
    assert first.status == "SENT" and first.parse_mode == "PLAIN"
    assert "plain text" in (first.reason_message or "")


async def test_over_long_text_is_trimmed_and_noted(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    long_text = "\n".join(f"<b>line {i}</b> " + "x" * 80 for i in range(60))
    enqueue(sessions, "111", [long_text])
    await run_until_drained(sessions, _worker(sessions, db_url, tmp_path, fake))
    (delivered,) = fake.texts("111")
    assert len(delivered) <= 4096 and delivered.endswith(TRIM_MARKER)
    (row,) = rows(sessions)
    assert row.status == "SENT" and row.text == long_text  # the ledger keeps the full text
    assert (row.reason_message or "").startswith("trimmed from")


async def test_permanent_refusal_is_failed_with_reason_and_the_chat_goes_on(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    enqueue(sessions, "111", ["refused", "fine"])
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await run_until_drained(sessions, _worker(sessions, db_url, tmp_path, fake))
    refused, fine = rows(sessions)
    assert (refused.status, refused.reason_code) == ("FAILED", "TELEGRAM_FORBIDDEN")
    assert fine.status == "SENT" and fake.texts("111") == ["fine"]


async def test_old_alerts_expire_instead_of_being_sent_late(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    stale_id, _fresh_id = enqueue(sessions, "111", ["stale", "fresh"])
    with sessions.begin() as session:
        session.execute(
            update(TelegramMessage)
            .where(TelegramMessage.id == stale_id)
            .values(created_at=utcnow() - timedelta(minutes=11))
        )
    worker = _worker(sessions, db_url, tmp_path, fake)
    await run_until_drained(sessions, worker)
    stale, fresh = rows(sessions)
    assert (stale.status, stale.reason_code) == ("EXPIRED", "EXPIRED_MAX_AGE")
    assert "600 s" in (stale.reason_message or "")
    assert fresh.status == "SENT" and fake.texts("111") == ["fresh"]
    assert worker.stats.expired == 1


async def test_a_head_that_ages_while_held_expires_at_claim(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    worker = _worker(sessions, db_url, tmp_path, fake, max_age=timedelta(seconds=0.3))
    enqueue(sessions, "111", ["slowpoke"])
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 10", {"retry_after": 10})
    await worker.tick()  # 429: held 0.5 s, longer than the 0.3 s max age
    await asyncio.sleep(0.5)
    await worker.tick()
    (row,) = rows(sessions)
    assert row.status == "EXPIRED" and fake.texts("111") == []
