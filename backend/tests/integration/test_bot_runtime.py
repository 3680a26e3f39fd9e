"""The `atp bot` runtime end to end against the fake Bot API: start-up calls, authorization,
claims (a duplicate acts once, a restart replays nothing), 409 handling and the heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from atp.bot.application import BotApplication
from atp.bot.liveness import SERVICE
from atp.bot.models import BotUpdate
from atp.monitor.blockers import BlockerCode
from atp.monitor.causes import global_causes
from atp.monitor.service import monitor_status
from atp.ops.models import GlobalBlocker, ServiceHeartbeat
from atp.workers.locks import FileLock, LeaderElector
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.bot_support import (
    OPERATOR_CHAT,
    STRANGER_CHAT,
    bot_settings,
    running_bot,
    wait_until,
)

COMMANDS = [("ping", "answers pong"), ("menu", "the menu")]


def ping_handlers(app: BotApplication) -> None:
    """A tiny group-0 handler set: /ping replies and counts; a button answers and counts."""

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data["pings"] = context.bot_data.get("pings", 0) + 1
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"pong {context.bot_data['pings']}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data["presses"] = context.bot_data.get("presses", 0) + 1
        assert update.callback_query is not None
        await update.callback_query.answer("ok")

    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CallbackQueryHandler(button))


def _claims(sessions: sessionmaker[Session]) -> list[BotUpdate]:
    with sessions() as session:
        return list(session.scalars(select(BotUpdate).order_by(BotUpdate.update_id)))


async def test_start_up_calls_and_a_command_round_trip(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=COMMANDS
        ) as bot:
            replies = await bot.command(OPERATOR_CHAT, "/ping")
        methods = [c.method for c in fake.calls]
        assert methods[:4] == ["getMe", "deleteWebhook", "getMyCommands", "setMyCommands"]
        assert [(c["command"], c["description"]) for c in fake.commands] == COMMANDS
        assert [r["text"] for r in replies] == ["pong 1"]
        # a second start with the same list does not register it again
        async with running_bot(settings, sessions, fake, register=ping_handlers, commands=COMMANDS):
            pass
        assert len(fake.calls_of("setMyCommands")) == 1


async def test_an_unauthorized_chat_is_refused_and_nothing_runs(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[]
        ) as bot:
            replies = await bot.command(STRANGER_CHAT, "/ping")
            again = await bot.command(STRANGER_CHAT, "/ping")  # refusal replies are rate-limited
            answer = await bot.press(STRANGER_CHAT, 1, "menu:main")
            assert "pings" not in bot.app.bot_data and "presses" not in bot.app.bot_data
            ok = await bot.command(OPERATOR_CHAT, "/ping")
        assert [r["text"] for r in replies] == ["⛔ Not authorized."]
        assert again == []
        assert answer["text"] == "⛔ Not authorized."
        assert [r["text"] for r in ok] == ["pong 1"]


async def test_a_duplicate_update_acts_once_and_a_restart_replays_nothing(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[]
        ) as bot:
            await bot.command(OPERATOR_CHAT, "/ping")
            pressed = fake.push_callback(OPERATOR_CHAT, 1, "menu:main")
            await bot.wait_processed(pressed)
            fake.redeliver(pressed)  # the same callback delivered twice
            await wait_until(lambda: bot.poller.stats.duplicates == 1)
            assert bot.app.bot_data["presses"] == 1
            offset = bot.poller.stats.offset
        # a restart (new Application, new process state) resumes from the stored offset
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[]
        ) as bot:
            assert bot.poller.stats.offset == offset
            fake.redeliver(pressed)  # even a late redelivery of an old update is skipped
            await wait_until(lambda: bot.poller.stats.duplicates == 1)
            replies = await bot.command(OPERATOR_CHAT, "/ping")
            assert "presses" not in bot.app.bot_data
        assert [r["text"] for r in replies] == ["pong 1"]  # a fresh count: /ping ran once here
        polls = [c for c in fake.calls_of("getUpdates") if c.status == 200]
        assert all(int(c.params.get("offset") or 0) >= 1 for c in polls[1:])
        assert [c.status for c in _claims(sessions)] == ["done", "done", "done"]
        assert fake.texts(OPERATOR_CHAT) == ["pong 1", "pong 1"]


async def test_persistent_409_raises_the_blocker_and_recovery_clears_it(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[]
        ) as bot:
            conflict = "Conflict: terminated by other getUpdates request"
            fake.fail_next("getUpdates", 409, conflict, count=2)  # FAST_CONFIG: 2 raise it
            await wait_until(lambda: _blocker(sessions) is True, timeout=10)
            with sessions() as session:
                status = monitor_status(session, settings, datetime.now(UTC))
            causes = global_causes(status, telegram_open=True)
            conflict_cause = [c for c in causes if c.code == BlockerCode.TELEGRAM_POLL_CONFLICT]
            assert [c.blocks for c in conflict_cause] == [None]  # loud, but alerts still go out
            await wait_until(lambda: _blocker(sessions) is False, timeout=10)
            replies = await bot.command(OPERATOR_CHAT, "/ping")
        assert [r["text"] for r in replies] == ["pong 1"]
        assert bot.poller.stats.conflicts_total == 2
        with sessions() as session:
            beat = session.scalars(
                select(ServiceHeartbeat).where(ServiceHeartbeat.service == SERVICE)
            ).one()
        assert beat.details is not None and beat.details["conflicts_total"] == 2


def _blocker(sessions: sessionmaker[Session]) -> bool | None:
    with sessions() as session:
        row = session.get(GlobalBlocker, str(BlockerCode.TELEGRAM_POLL_CONFLICT))
        return None if row is None else row.active


async def test_a_leader_that_loses_its_lock_stops_polling_and_can_lead_again(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    lock_path = tmp_path / "bot.lock"
    elector = LeaderElector(
        FileLock(lock_path), "bot-x", role="bot", sessions=sessions, lease_role="bot"
    )
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        async with running_bot(
            settings, sessions, fake, register=ping_handlers, commands=[], elector=elector
        ) as bot:
            assert elector.epoch == 1
            await bot.command(OPERATOR_CHAT, "/ping")
            lock_path.unlink()  # someone removed the lock file: the lock no longer counts
            await wait_until(lambda: elector.epoch == 2, timeout=10)  # stepped down, led again
            await wait_until(lambda: bot.poller.state == "polling", timeout=10)
            replies = await bot.command(OPERATOR_CHAT, "/ping")
        assert [r["text"] for r in replies] == ["pong 2"]  # the same Application, re-initialized
        assert len(fake.calls_of("deleteWebhook")) == 2  # each term starts afresh
