"""A sender killed during a send holds that chat only as long as the send timeout allows.

The claim lease is the send timeout plus a small margin for the record, and the sender enforces
the send timeout as a hard deadline on the whole request, so the lease never expires while the
request could still be in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.sender import SenderConfig
from atp.settings import Settings
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import (
    FAST_CONFIG,
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


def test_the_lease_is_the_send_timeout_plus_a_small_margin() -> None:
    for timeout, lease in [(10.0, 15.0), (0.4, 0.8), (30.0, 35.0)]:
        settings = Settings(_env_file=None, telegram_send_timeout_seconds=timeout)
        config = SenderConfig.from_settings(settings)
        assert config.send_timeout == timeout
        assert config.claim_lease.total_seconds() == pytest.approx(lease)


async def test_a_chat_held_by_a_sender_killed_mid_send_is_free_after_the_lease(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    settings = telegram_settings(db_url, tmp_path, fake, telegram_send_timeout_seconds=0.4)
    production = SenderConfig.from_settings(settings)  # the lease as `atp sender` computes it
    config = replace(FAST_CONFIG, send_timeout=production.send_timeout)
    config = replace(config, claim_lease=production.claim_lease)
    enqueue(sessions, "111", ["held by the dead sender", "next"])
    fake.slow_next("sendMessage", 3.0)  # the dying sender's request hangs (never delivered)
    dying = telegram_worker(sessions, settings, config, timeout=5.0)
    assert await dying.dispatch() == 1
    while not fake.calls_of("sendMessage"):
        await asyncio.sleep(0.005)
    for task in list(dying._tasks.values()):  # kill -9: the task dies, nothing is recorded
        task.cancel()
    killed_at = time.monotonic()
    assert rows(sessions)[0].status == "SENDING"

    await run_until_drained(sessions, telegram_worker(sessions, settings, config), timeout=5)
    recovered_after = time.monotonic() - killed_at
    assert fake.texts("111") == ["held by the dead sender", "next"]
    assert recovered_after < production.claim_lease.total_seconds() + 0.5


async def test_a_request_never_outlives_the_send_timeout(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, fake: FakeTelegram
) -> None:
    """The HTTP client's timeouts apply per phase; the sender's deadline bounds the whole call."""
    settings = telegram_settings(db_url, tmp_path, fake)
    enqueue(sessions, "111", ["slow"])
    fake.slow_next("sendMessage", 2.0)
    worker = telegram_worker(sessions, settings, FAST_CONFIG, timeout=5.0, send_timeout=0.3)
    started = time.monotonic()
    await worker.tick()
    await worker.notifier.close()
    assert time.monotonic() - started < 1.0
    (row,) = rows(sessions)
    assert row.status == "PENDING" and "TELEGRAM_TIMEOUT" in (row.last_error or "")
