"""The fake Bot API itself, driven by a real PTB Application (the menu-bot issue reuses it)."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.error import BadRequest, Conflict, InvalidToken
from telegram.ext import Application, CommandHandler, ContextTypes

from tests.fakes.fake_telegram import FakeTelegram


def _app(fake: FakeTelegram, token: str | None = None) -> Application:  # type: ignore[type-arg]
    return (
        Application.builder()
        .token(token or fake.token)
        .base_url(f"{fake.api_base_url}/bot")
        .base_file_url(f"{fake.api_base_url}/file/bot")
        .build()
    )


async def test_polling_round_trip_commands_and_callbacks() -> None:
    with FakeTelegram() as fake:
        app = _app(fake)

        async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_chat is not None
            await _context.bot.send_message(
                update.effective_chat.id, "<b>menu</b>", parse_mode="HTML"
            )

        app.add_handler(CommandHandler("start", start))
        async with app:
            await app.bot.set_my_commands([("start", "Open the menu")])
            await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
            await app.start()
            fake.push_text(777, "/start")
            await asyncio.to_thread(fake.wait_for, "sendMessage", 1, 5.0)
            cb = fake.push_callback(777, 1, "menu:status")
            await asyncio.to_thread(fake.wait_for, "getUpdates", 3, 5.0)
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
        assert cb > 1
        assert fake.texts(777) == ["menu"]
        assert fake.commands == [{"command": "start", "description": "Open the menu"}]
        methods = [c.method for c in fake.calls]
        assert methods[:2] == ["getMe", "deleteWebhook"] or "deleteWebhook" in methods


async def test_a_second_poller_terminates_the_first_with_409() -> None:
    with FakeTelegram() as fake:
        async with _app(fake) as older, _app(fake) as newer:  # two bot instances, one token
            first = asyncio.create_task(older.bot.get_updates(timeout=3))
            await asyncio.to_thread(fake.wait_for, "getMe", 2)
            await asyncio.sleep(0.1)
            assert await newer.bot.get_updates(timeout=0) == ()
            with pytest.raises(Conflict, match="terminated by other getUpdates request"):
                await first


async def test_strict_like_the_real_api() -> None:
    with FakeTelegram() as fake:
        async with _app(fake) as app:
            with pytest.raises(BadRequest, match="too long"):
                await app.bot.send_message(1, "x" * 4097)
            await app.bot.send_message(1, "x" * 4096)
            with pytest.raises(BadRequest, match="parse entities"):
                await app.bot.send_message(1, "<b>open", parse_mode="HTML")
            message = await app.bot.send_message(1, "v1")
            await app.bot.edit_message_text("v2", chat_id=1, message_id=message.message_id)
            with pytest.raises(BadRequest, match="not modified"):
                await app.bot.edit_message_text("v2", chat_id=1, message_id=message.message_id)
            assert await app.bot.answer_callback_query("cb1", text="ok")
        with pytest.raises(InvalidToken):
            async with _app(fake, token="999:WRONG"):
                pass
