"""Bot replies share the per-chat pacing with the alert sender, and alerts go first."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.pacing import PacingLimits
from atp.bot.pacing import SharedPacer
from tests.fakes.fake_telegram import FakeTelegram
from tests.fakes.telegram_rules import pacing_violations
from tests.integration.alerts_support import FAST_CONFIG, enqueue, telegram_worker
from tests.integration.bot_support import OPERATOR_CHAT, bot_settings, running_bot, wait_until
from tests.integration.test_bot_runtime import ping_handlers

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
    if violations:
        print("DEBUG", [(m["text"], round(m["t"], 4)) for m in fake.delivered[str(OPERATOR_CHAT)]])
        print("SENDS", [(round(c.t, 4), c.status, c.params.get("text")) for c in fake.calls_of("sendMessage")])
    assert violations == []
