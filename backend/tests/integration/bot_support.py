"""Harness for end-to-end bot tests: the real `atp bot` poller (python-telegram-bot Application,
long polling, claims, authorization, pacing) in-process against the fake Bot API server.

    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(settings, sessions, fake) as bot:
            replies = await bot.command(OPERATOR_CHAT, "/start")   # new messages in that chat
            await bot.press(OPERATOR_CHAT, replies[-1]["message_id"], "menu:main")
            fake.texts(OPERATOR_CHAT)                              # everything delivered there

`running_bot` uses the real handlers (atp.bot.handlers.register) unless `register=` is given.
Each helper returns once the poller has finished the update (its claim row is final), so the
handler's replies and database changes are visible then. Pacing is scaled down (FAST_LIMITS).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.pacing import PacingLimits
from atp.bot.application import BotApplication
from atp.bot.deps import BotDeps
from atp.bot.models import BotUpdate
from atp.bot.polling import BotPoller, PollerConfig
from atp.settings import Settings
from atp.workers.locks import LeaderElector
from tests.fakes.fake_telegram import FakeTelegram

OPERATOR_CHAT = 111  # TELEGRAM_CHAT_ID in bot_settings: allowed by default
OPERATOR_USER = 111  # a private chat: the user id is the chat id
STRANGER_CHAT = 999
FAST_LIMITS = PacingLimits(per_chat_interval=0.02, group_max=1000, global_max=1000)
FAST_CONFIG = PollerConfig(
    interval=0.5, poll_timeout=1, conflict_blocker_after=2, limits=FAST_LIMITS, max_yield=1.0
)
Json = dict[str, Any]


def bot_settings(db_url: str, data_dir: Path, fake: FakeTelegram, **extra: object) -> Settings:
    """Settings for a bot that polls `fake`, operator chat OPERATOR_CHAT (override via extra)."""
    values: dict[str, object] = {
        "database_url": db_url,
        "data_dir": data_dir,
        "environment": "production",
        "telegram_bot_token": fake.token,
        "telegram_chat_id": str(OPERATOR_CHAT),
        "telegram_api_base_url": fake.api_base_url,
        "telegram_daily_summary_time": "off",
        "display_timezone": "UTC",
        "bot_interval_seconds": 0.5,
        "bot_poll_timeout_seconds": 1,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class BotHarness:
    fake: FakeTelegram
    settings: Settings
    sessions: sessionmaker[Session]
    poller: BotPoller

    @property
    def app(self) -> BotApplication:
        assert self.poller.app is not None, "the bot is not polling"
        return self.poller.app

    def messages(self, chat_id: int) -> list[Json]:
        """Every message the bot delivered to `chat_id` (dicts: message_id, text, reply_markup)."""
        with self.fake._cond:
            return [dict(m) for m in self.fake.delivered.get(str(chat_id), [])]

    async def command(
        self, chat_id: int, text: str, user_id: int | None = None, timeout: float = 10.0
    ) -> list[Json]:
        """Send `text` (a command or a plain reply) and return the new messages in that chat."""
        before = len(self.messages(chat_id))
        update_id = self.fake.push_text(chat_id, text, user_id=user_id)
        await self.wait_processed(update_id, timeout)
        return self.messages(chat_id)[before:]

    async def press(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        user_id: int | None = None,
        timeout: float = 10.0,
    ) -> Json:
        """Press an inline button; returns the answerCallbackQuery parameters."""
        update_id = self.fake.push_callback(chat_id, message_id, data, user_id=user_id)
        await self.wait_processed(update_id, timeout)
        query_id = f"cb{update_id}"
        answers = [
            c.params
            for c in self.fake.calls_of("answerCallbackQuery")
            if c.params.get("callback_query_id") == query_id
        ]
        return answers[-1] if answers else {}

    async def wait_processed(self, update_id: int, timeout: float = 10.0) -> str:
        """Wait until the poller finished `update_id`; returns its status (done / failed)."""
        deadline = time.monotonic() + timeout
        while True:
            status = await asyncio.to_thread(self._status, update_id)
            if status not in (None, "claimed"):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"update {update_id} not processed after {timeout}s: {status}")
            await asyncio.sleep(0.02)

    async def wait_offset_past(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the poller has seen `update_id` (processed or skipped as a duplicate)."""
        await wait_until(lambda: self.poller.stats.offset > update_id, timeout)

    def _status(self, update_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(
                select(BotUpdate.status).where(
                    BotUpdate.bot_id == self.poller.bot_id, BotUpdate.update_id == update_id
                )
            )


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met after {timeout}s")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    sessions: sessionmaker[Session],
    fake: FakeTelegram,
    *,
    register: Callable[[BotApplication], None] | None = None,
    commands: list[tuple[str, str]] | None = None,
    config: PollerConfig = FAST_CONFIG,
    elector: LeaderElector | None = None,
    instance_id: str = "test-bot",
    **config_overrides: Any,
) -> AsyncIterator[BotHarness]:
    """Run the poller until the block ends; yields once it polls (getMe, webhook, commands done)."""
    deps = BotDeps(settings=settings, sessions=sessions)
    poller = BotPoller(
        deps,
        instance_id=instance_id,
        elector=elector,
        config=replace(config, **config_overrides),
        register=register,
        commands=commands,
    )
    stop = asyncio.Event()
    polls_before = fake.poll_generation
    task = asyncio.create_task(poller.run(stop), name="bot-under-test")
    try:
        # Yield only once this poller's first getUpdates reached the fake: a long poll left
        # over from an earlier bot on the same fake is then terminated (409) and cannot take
        # an update meant for this one.
        await wait_until(lambda: fake.poll_generation > polls_before or task.done(), timeout=10.0)
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("the bot stopped before polling")
        yield BotHarness(fake, settings, sessions, poller)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10.0)
