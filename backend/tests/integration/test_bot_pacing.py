"""Bot replies share the per-chat pacing with the alert sender, and alerts go first."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.pacing import PacingLimits
from atp.bot.pacing import SharedPacer
from tests.fakes.fake_telegram import FakeTelegram
from tests.fakes.telegram_rules import pacing_violations
from tests.integration.alerts_support import FAST_CONFIG, enqueue, telegram_worker
from tests.integration.bot_support import OPERATOR_CHAT, bot_settings, running_bot, wait_until
from tests.integration.test_bot_runtime import ping_handlers

# PTB itself reads RetryAfter.retry_after when it builds the 429 error (PTB >= 22.2 warns).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

INTERVAL = 0.25
LIMITS = PacingLimits(per_chat_interval=INTERVAL, group_max=1000, global_max=1000)


async def test_replies_are_paced_and_alerts_keep_priority(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings,
            sessions,
            fake,
            register=ping_handlers,
            commands=[],
            limits=LIMITS,
            max_yield=10.0,
        ) as bot:
            pacer = bot.app.bot.rate_limiter
            assert isinstance(pacer, SharedPacer)
            # a burst of commands: the replies leave one interval apart
            burst = [fake.push_text(OPERATOR_CHAT, "/ping") for _ in range(4)]
            for update_id in burst:
                await bot.wait_processed(update_id)
            # an alert is due for the chat and no sender runs: the reply waits for it
            enqueue(sessions, str(OPERATOR_CHAT), ["alert A"])
            waiting = fake.push_text(OPERATOR_CHAT, "/ping")
            await wait_until(lambda: pacer.yielded > 0)
            assert "pong 5" not in fake.texts(OPERATOR_CHAT)
            sender = telegram_worker(sessions, settings, replace(FAST_CONFIG, limits=LIMITS))
            stop = asyncio.Event()
            sending = asyncio.create_task(sender.run(stop))
            try:
                await bot.wait_processed(waiting)
                # a reply, then an alert at once: the sender keeps the interval after the reply
                replied = fake.push_text(OPERATOR_CHAT, "/ping")
                await bot.wait_processed(replied)
                enqueue(sessions, str(OPERATOR_CHAT), ["alert B"])
                await wait_until(lambda: "alert B" in fake.texts(OPERATOR_CHAT))
            finally:
                stop.set()
                await sending
    texts = fake.texts(OPERATOR_CHAT)
    assert texts == [
        "pong 1",
        "pong 2",
        "pong 3",
        "pong 4",
        "alert A",
        "pong 5",
        "pong 6",
        "alert B",
    ]
    violations = pacing_violations(
        fake.sends(),
        per_chat_interval=INTERVAL,
        group_max=1000,
        group_window=60.0,
        global_max=1000,
        global_window=1.0,
    )
    assert violations == []


async def test_a_429_holds_the_chat_and_the_reply_is_retried_once(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[]
        ) as bot:
            fake.fail_next(
                "sendMessage", 429, "Too Many Requests: retry after 1", {"retry_after": 1}
            )
            replies = await bot.command(OPERATOR_CHAT, "/ping")
        assert [r["text"] for r in replies] == ["pong 1"]
        first, second = fake.calls_of("sendMessage")
        assert (first.status, second.status) == (429, 200)
        assert second.t - first.t >= 1.0  # the hold Telegram asked for
