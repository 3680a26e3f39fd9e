"""The read commands end to end (real poller, fake Bot API, real services): /why names the
throttle for a throttled symbol, and every command answers without an error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from atp.bot.handlers import COMMANDS
from atp.db.base import utcnow
from atp.signals.models import WatchlistSignalState
from tests.fakes.fake_telegram import FakeTelegram
from tests.integration.bot_support import OPERATOR_CHAT, bot_settings, running_bot
from tests.integration.monitor_support import cycle_at, seed_world, write_leader_beat
from tests.integration.test_bot_menus import no_handler_errors

__all__ = ["no_handler_errors"]  # fixture: a handler that raised fails the test


async def test_why_for_a_throttled_symbol_names_the_throttle(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = utcnow().replace(microsecond=0)
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=now)  # cooldown 10 min
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        cycle_at(sessions, settings, now)  # the first alert is queued: the throttle starts
        write_leader_beat(sessions)  # a live monitor, so no global cause hides the reason
        async with running_bot(settings, sessions, fake) as bot:
            why = await bot.command(OPERATOR_CHAT, "/why btc_usdt")
            analyze = await bot.command(OPERATOR_CHAT, "/analyze BTC_USDT")
            unknown = await bot.command(OPERATOR_CHAT, "/why NOPE_USDT")
            usage = await bot.command(OPERATOR_CHAT, "/why")
    with sessions() as session:
        state = session.get(WatchlistSignalState, "BTC_USDT")
        assert state is not None and state.alert_status == "QUEUED"
    text = why[0]["text"]
    assert "[BLOCK] THROTTLE" in text or "THROTTLED_TIME_GATE" in text
    assert "alert: none (THROTTLED_TIME_GATE)" in text
    assert "cooldown 10 min" in text
    assert "THROTTLED_TIME_GATE" in analyze[0]["text"] and "dry run" in analyze[0]["text"]
    assert "NOPE_USDT is not on the watchlist" in unknown[0]["text"]
    assert usage[0]["text"].startswith("Usage: /why SYMBOL")


async def test_every_command_answers(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = utcnow().replace(microsecond=0)
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}}, now=now - timedelta(seconds=5))
    with FakeTelegram() as fake:
        settings = bot_settings(db_url, tmp_path, fake)
        cycle_at(sessions, settings, now)
        answers = {}
        async with running_bot(settings, sessions, fake) as bot:
            for name, _description in COMMANDS:
                if name not in ("kill", "panic", "pause", "resume", "add"):  # writes: see below
                    replies = await bot.command(OPERATOR_CHAT, f"/{name}")
                    answers[name] = "\n".join(r["text"] for r in replies)
            for text in ("/add eth_usdt", "/add BAD", "/pause", "/resume", "/kill status"):
                replies = await bot.command(OPERATOR_CHAT, text)
                answers[text] = "\n".join(r["text"] for r in replies)
    assert "main menu" in answers["start"] and "/panic" in answers["help"]
    assert "System:" in answers["status"] and "kill switch: false" in answers["status"]
    assert "BTC_USDT: BUY" in answers["signals"] and "failing: SELL" in answers["signals"]
    assert "Watchlist: 1 symbols" in answers["watchlist"]
    assert "No open orders" in answers["orders"] and "No open position" in answers["portfolio"]
    assert "Balances (paper)" in answers["balance"]
    assert "Audit:" in answers["audit"]
    assert "Nothing to cancel" in answers["cancel"]
    assert "added ETH_USDT" in answers["/add eth_usdt"]
    assert "Not added: invalid symbol" in answers["/add BAD"]
    assert "Signal monitor paused" in answers["/pause"]
    assert "Signal monitor running" in answers["/resume"]
    assert "Kill switch: off" in answers["/kill status"]
