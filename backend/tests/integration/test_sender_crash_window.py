"""The only duplicate window: the process dies after Telegram accepted a message and before the
database recorded it. Shown here by "killing" the sender at each point of one delivery:

- before the request: the lease expires, the message is sent once (no duplicate, no loss);
- after Telegram accepted, before the commit: the message is sent again (the documented duplicate);
- after the commit: nothing is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts import store
from atp.alerts.delivery import Outcome
from atp.alerts.sender import SenderWorker
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import (
    enqueue,
    rows,
    run_until_drained,
    telegram_settings,
    telegram_worker,
)

LEASE = timedelta(seconds=0.3)


class Crash(Exception):
    """Stands in for kill -9: the task dies and nothing after this point runs."""


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def _dies_before_commit(worker: SenderWorker) -> SenderWorker:
    def record(claimed: store.Claimed, outcome: Outcome) -> None:
        raise Crash

    worker.record = record  # type: ignore[method-assign]
    return worker


async def _crash_then_recover(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram, where: str
) -> None:
    settings = telegram_settings(db_url, tmp_path, fake)
    enqueue(sessions, "111", ["the alert"])
    dying = telegram_worker(sessions, settings, claim_lease=LEASE)
    if where == "before_send":  # claimed, then the process dies before any request is made
        head = (await asyncio.to_thread(dying._load_heads))[0]
        assert await asyncio.to_thread(dying._claim, head) is not None
    elif where == "after_accept":  # Telegram accepts; the process dies before recording it
        await _dies_before_commit(dying).tick()
    else:
        await dying.tick()
    await dying.notifier.close()
    status_after_crash = rows(sessions)[0].status
    await asyncio.sleep(LEASE.total_seconds() + 0.05)
    await run_until_drained(sessions, telegram_worker(sessions, settings, claim_lease=LEASE))
    assert status_after_crash == ("SENT" if where == "after_commit" else "SENDING")


async def test_death_before_the_request_loses_nothing_and_duplicates_nothing(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    await _crash_then_recover(sessions, db_url, tmp_path, fake, "before_send")
    assert fake.texts("111") == ["the alert"]
    (row,) = rows(sessions)
    assert row.status == "SENT" and row.attempts == 2


async def test_death_after_telegram_accepted_and_before_commit_is_the_one_duplicate(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    await _crash_then_recover(sessions, db_url, tmp_path, fake, "after_accept")
    assert fake.texts("111") == ["the alert", "the alert"]  # re-sent exactly once
    (row,) = rows(sessions)
    assert row.status == "SENT" and row.telegram_message_id == 2


async def test_death_after_the_commit_sends_nothing_again(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    await _crash_then_recover(sessions, db_url, tmp_path, fake, "after_commit")
    assert fake.texts("111") == ["the alert"]


async def test_a_live_claim_is_never_taken_over(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    """While a sender holds a lease (its request may be in flight), no other sender sends it."""
    settings = telegram_settings(db_url, tmp_path, fake)
    enqueue(sessions, "111", ["in flight"])
    holder = telegram_worker(sessions, settings, claim_lease=timedelta(seconds=30))
    assert await asyncio.to_thread(holder._claim, (await asyncio.to_thread(holder._load_heads))[0])
    other = telegram_worker(sessions, settings)
    assert await other.tick() == 0
    await other.notifier.close()
    await holder.notifier.close()
    assert fake.calls_of("sendMessage") == [] and rows(sessions)[0].status == "SENDING"
