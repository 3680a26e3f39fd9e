"""The bot's commands and menus end to end: the real `atp bot` poller (PTB Application) against
the fake Bot API, the real services and database, the trail and the REST API reading the result."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.monitor.switches import load_switches
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.signals.presets import seed_presets
from atp.watchlist import service as watchlist
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.api_read_support import client, context
from tests.integration.bot_support import (
    OPERATOR_CHAT,
    OPERATOR_USER,
    BotHarness,
    bot_settings,
    running_bot,
)

__all__ = ["client", "context"]  # fixtures
ACTOR = str(OPERATOR_USER)


@pytest.fixture(autouse=True)
def no_handler_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """PTB logs (and swallows) an exception raised in a handler: any such record fails the test."""
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


def _seed(sessions: sessionmaker[Session], symbols: list[str], **values: str) -> None:
    with sessions.begin() as session:
        seed_presets(session)
        for symbol in symbols:
            watchlist.add_item(
                session,
                symbol=symbol,
                source=ChangeSource.CLI,
                values=values,
                check_listing=False,
            )


def _item(sessions: sessionmaker[Session], symbol: str) -> Any:
    with sessions() as session:
        return watchlist.get_item(session, symbol=symbol, include_deleted=True)


def _trail(sessions: sessionmaker[Session], symbol: str) -> list[ConfigChange]:
    with sessions() as session:
        return list(
            session.scalars(
                select(ConfigChange)
                .where(ConfigChange.entity_key == symbol, ConfigChange.source == "telegram")
                .order_by(ConfigChange.id)
            )
        )


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def _current(bot: BotHarness, message_id: int) -> dict[str, Any]:
    return next(m for m in bot.messages(OPERATOR_CHAT) if m["message_id"] == message_id)


async def _menu(bot: BotHarness) -> int:
    replies = await bot.command(OPERATOR_CHAT, "/menu")
    assert "wl:0" in _buttons(replies[-1])
    return int(replies[-1]["message_id"])


async def test_menu_pages_the_watchlist_and_a_toggle_reaches_db_trail_and_api(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, client: httpx.AsyncClient
) -> None:
    symbols = [f"C{i:02d}_USDT" for i in range(20)]
    _seed(sessions, symbols)
    with FakeTelegram() as fake:
        async with running_bot(bot_settings(db_url, tmp_path, fake), sessions, fake) as bot:
            menu_id = await _menu(bot)
            pages = []
            for page in (0, 1, 2):
                await bot.press(OPERATOR_CHAT, menu_id, f"wl:{page}")
                pages.append(_current(bot, menu_id))
            await bot.press(OPERATOR_CHAT, menu_id, "wl:2")  # the same screen again: no error
            await bot.press(OPERATOR_CHAT, menu_id, "coin:C00_USDT")
            coin = _current(bot, menu_id)
            first = await bot.press(OPERATOR_CHAT, menu_id, "t:C00_USDT:alert:1")
            after_toggle = _current(bot, menu_id)
            again = await bot.press(OPERATOR_CHAT, menu_id, "t:C00_USDT:alert:1")  # double tap
            sent = len(bot.messages(OPERATOR_CHAT))
    assert sent == 1  # every screen was an edit of the one menu message
    assert ["page 1/3" in pages[0]["text"], "page 3/3" in pages[2]["text"]] == [True, True]
    assert [d for d in _buttons(pages[2]) if d.startswith("coin:")] == [
        "coin:C18_USDT",
        "coin:C19_USDT",
    ]
    assert "t:C00_USDT:alert:1" in _buttons(coin)
    assert "t:C00_USDT:alert:0" in _buttons(after_toggle)
    assert "alerts: on" in after_toggle["text"]
    assert first["text"] == again["text"] == "C00_USDT alert: on"
    assert _item(sessions, "C00_USDT").alert_enabled is True
    trail = _trail(sessions, "C00_USDT")
    assert [(t.field, t.old_value, t.new_value, t.actor) for t in trail] == [
        ("alert_enabled", False, True, ACTOR)
    ]  # the second tap changed nothing, so it left no second row
    listed = (await client.get("/api/watchlist", params={"alert_enabled": "true"})).json()
    assert [row["symbol"] for row in listed["items"]] == ["C00_USDT"]


async def test_amount_by_reply_refuses_a_bad_value_then_takes_a_good_one(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _seed(sessions, ["BTC_USDT"])
    with FakeTelegram() as fake:
        async with running_bot(bot_settings(db_url, tmp_path, fake), sessions, fake) as bot:
            menu_id = await _menu(bot)
            await bot.press(OPERATOR_CHAT, menu_id, "coin:BTC_USDT")
            await bot.press(OPERATOR_CHAT, menu_id, "ask:BTC_USDT:amount")
            question = _current(bot, menu_id)["text"]
            bad = await bot.command(OPERATOR_CHAT, "-5")
            unchanged = _item(sessions, "BTC_USDT").trade_amount_usd
            good = await bot.command(OPERATOR_CHAT, "50")
            stray = await bot.command(OPERATOR_CHAT, "70")  # the question is answered: ignored
    assert "trade amount" in question
    assert "Not changed" in bad[0]["text"] and "greater than 0" in bad[0]["text"]
    assert unchanged is None
    assert "trade_amount_usd: - -> 50" in good[0]["text"]
    assert "ask:BTC_USDT:amount" in _buttons(good[0])  # the coin screen again
    assert "not expecting" in stray[0]["text"]
    assert _item(sessions, "BTC_USDT").trade_amount_usd == Decimal(50)
    trail = _trail(sessions, "BTC_USDT")
    assert [(t.field, t.new_value, t.actor) for t in trail] == [("trade_amount_usd", "50", ACTOR)]


async def test_kill_on_and_panic_only_after_confirmation(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _seed(sessions, ["BTC_USDT", "ETH_USDT"], trade_enabled="true")
    with FakeTelegram() as fake:
        async with running_bot(bot_settings(db_url, tmp_path, fake), sessions, fake) as bot:
            kill = await bot.command(OPERATOR_CHAT, "/kill on")
            with sessions() as session:
                kill_on = load_switches(session).kill_switch
            asked = await bot.command(OPERATOR_CHAT, "/panic")
            still_trading = _item(sessions, "BTC_USDT").trade_enabled
            answer = await bot.press(OPERATOR_CHAT, asked[0]["message_id"], "panicok")
            done = _current(bot, asked[0]["message_id"])
    assert kill_on is True
    assert "Kill switch turned ON" in kill[0]["text"] and "killset:0" in _buttons(kill[0])
    assert "2 symbol(s)" in asked[0]["text"] and _buttons(asked[0]) == ["panicok", "cancel"]
    assert still_trading is True  # nothing happens before the confirmation
    assert "2 symbol(s)" in answer["text"]
    assert "Trading turned OFF for 2 symbol(s)" in done["text"]
    for symbol in ("BTC_USDT", "ETH_USDT"):
        assert _item(sessions, symbol).trade_enabled is False
        assert [(t.field, t.actor) for t in _trail(sessions, symbol)] == [("trade_enabled", ACTOR)]
    with sessions() as session:
        kill_rows = session.scalars(
            select(ConfigChange).where(ConfigChange.entity_key == "KILL_SWITCH")
        ).all()
    assert [(r.source, r.actor, r.new_value) for r in kill_rows] == [("telegram", ACTOR, "true")]


async def test_stale_and_unknown_callbacks_get_a_polite_answer(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _seed(sessions, ["BTC_USDT"])
    with FakeTelegram() as fake:
        async with running_bot(bot_settings(db_url, tmp_path, fake), sessions, fake) as bot:
            menu_id = await _menu(bot)
            legacy = await bot.press(OPERATOR_CHAT, menu_id, "wl:coin:BTC_USDT:toggle:alert")
            gone = await bot.press(OPERATOR_CHAT, menu_id, "t:GONE_USDT:alert:1")
            stale_preset = await bot.press(OPERATOR_CHAT, menu_id, "preset:BTC_USDT:99999")
            deleted = await bot.press(OPERATOR_CHAT, menu_id, "delok:BTC_USDT")
            twice = await bot.press(OPERATOR_CHAT, menu_id, "delok:BTC_USDT")
    assert "outdated" in legacy["text"]
    assert "no longer on the watchlist" in gone["text"]
    assert "no longer exists" in stale_preset["text"]
    assert deleted["text"] == "BTC_USDT deleted"
    assert "no longer on the watchlist" in twice["text"]
    assert _item(sessions, "BTC_USDT").is_deleted is True


async def test_alert_buttons_explain_and_turn_trading_off_without_touching_the_alert(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _seed(sessions, ["BTC_USDT"], trade_enabled="true")
    with FakeTelegram() as fake:
        async with running_bot(bot_settings(db_url, tmp_path, fake), sessions, fake) as bot:
            alert_id = await _menu(bot)  # stands in for an alert message in the chat
            alert_before = _current(bot, alert_id)
            answer = await bot.press(OPERATOR_CHAT, alert_id, "tradeoff:BTC_USDT")
            twice = await bot.press(OPERATOR_CHAT, alert_id, "tradeoff:BTC_USDT")
            muted = await bot.press(OPERATOR_CHAT, alert_id, "mute:BTC_USDT:60")
            before_why = len(bot.messages(OPERATOR_CHAT))
            await bot.press(OPERATOR_CHAT, alert_id, "why:BTC_USDT")
            messages = bot.messages(OPERATOR_CHAT)
    assert "BTC_USDT: trade off" in answer["text"] and answer["text"] == twice["text"]
    assert _item(sessions, "BTC_USDT").trade_enabled is False
    assert "BTC_USDT: muted until" in muted["text"]
    muted_until = _item(sessions, "BTC_USDT").muted_until
    assert muted_until is not None and muted_until > datetime.now(UTC) + timedelta(minutes=59)
    assert [(t.field, t.source, t.actor) for t in _trail(sessions, "BTC_USDT")] == [
        ("trade_enabled", "telegram", ACTOR),
        ("muted_until", "telegram", ACTOR),
    ]
    assert _current(bot, alert_id) == alert_before  # the alert message was not edited
    assert len(messages) == before_why + 1
    assert messages[-1]["text"].startswith("BTC_USDT") or "GLOBAL_BLOCKER" in messages[-1]["text"]
    assert "alert: none" in messages[-1]["text"]
