"""A deposed sender sends nothing: every claim checks the sender's fencing epoch
(atp.ops.leases, role "sender") in the claim transaction, so once another sender has taken the
lock and a new epoch, the old one's claims fail and it steps down."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.runtime.context import AppContext
from atp.runtime.sender import build_sender
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.alerts_support import FAST_CONFIG, enqueue, rows, telegram_settings

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_a_sender_that_lost_its_lock_claims_nothing_after_a_takeover(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        app = AppContext(settings=telegram_settings(db_url, tmp_path, fake))
        config = replace(FAST_CONFIG, poll_interval=0.02)
        old, new = build_sender(app, config), build_sender(app, config)
        assert old.elector is not None and new.elector is not None
        try:
            assert await asyncio.to_thread(old.elector.ensure)
            # The old sender's lock goes away (e.g. its lock connection was killed) while it
            # still believes it leads; the new one takes the lock and a newer epoch.
            await asyncio.to_thread(old.elector.lock.release)
            assert await asyncio.to_thread(new.elector.ensure)
            enqueue(sessions, "111", ["once"])

            assert await old.tick() == 1  # it tries, between its lock check and the claim...
            assert fake.calls_of("sendMessage") == []  # ...and the fenced claim sends nothing
            assert not old.elector.is_leader and rows(sessions)[0].status == "PENDING"

            assert await new.tick() == 1
        finally:
            await old.notifier.close()
            await new.notifier.close()
            await asyncio.to_thread(new.elector.release)
            app.close()
        assert fake.texts("111") == ["once"]
