"""Values typed as a reply after a coin screen's "Amount", "Min %", ... button.

The question is kept in PTB's `chat_data["pending"]` (symbol, field, who asked, when): it
lives as long as the bot process (with PTB persistence, across restarts too) and expires after
`PENDING_TTL`, so a stray number typed hours later changes nothing. A refused value keeps the
question open (the operator can send a corrected one) and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from atp.bot.handlers import data
from atp.bot.handlers.common import Context, actor_of, send, write
from atp.bot.menus.screens import Screen
from atp.watchlist import service as watchlist

PENDING_TTL = timedelta(minutes=10)


def pending_question(
    chat_data: dict[Any, Any] | None, user: str, now: datetime
) -> dict[str, Any] | None:
    """The open question for this user, or None (none, someone else's, or expired: dropped)."""
    if chat_data is None:
        return None
    pending = chat_data.get("pending")
    if not isinstance(pending, dict) or pending.get("user") != user:
        return None
    try:
        asked_at = datetime.fromisoformat(str(pending.get("at")))
    except ValueError:
        asked_at = None
    if asked_at is None or now - asked_at > PENDING_TTL:
        chat_data.pop("pending", None)
        return None
    return pending


async def on_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    actor = actor_of(update)
    pending = pending_question(context.chat_data, actor, datetime.now(UTC))
    if pending is None:
        await send(update, Screen("I was not expecting a value. Open /menu to change a coin."))
        return
    symbol, code, raw = pending["symbol"], pending["code"], message.text
    try:
        screen = await write(context, lambda s, _d: data.set_value(s, symbol, code, raw, actor))
    except watchlist.WatchlistNotFoundError as exc:
        _drop(context)
        await send(update, Screen(f"Not changed: {exc}"))
        return
    except watchlist.WatchlistError as exc:
        await send(update, Screen(f"❌ Not changed: {exc}\nSend another value, or /cancel."))
        return
    _drop(context)
    await send(update, screen)


def _drop(context: Context) -> None:
    if context.chat_data is not None:
        context.chat_data.pop("pending", None)
