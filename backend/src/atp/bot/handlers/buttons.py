"""Inline buttons: decode the callback data, call the service, edit the menu in place.

Every callback is answered exactly once (Telegram shows a spinner until then). Unknown or
outdated data and buttons for a symbol that was deleted get a polite answer, never an
exception. Toggles carry the desired value, so a double tap sets the same state twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from telegram import Update

from atp.bot import callbacks as cb
from atp.bot.deps import BotDeps
from atp.bot.handlers import data
from atp.bot.handlers.commands import explain
from atp.bot.handlers.common import Context, actor_of, edit, read, send, write
from atp.bot.menus import screens, texts
from atp.bot.menus.screens import Screen
from atp.ops.health import system_health
from atp.orders.views import open_orders_view
from atp.watchlist import service as watchlist

log = logging.getLogger(__name__)

STALE = "This button is outdated. Open /menu again."
Action = Callable[[Update, Context, cb.Callback], Awaitable[str | None]]


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    parsed = cb.decode(query.data)
    action = None if parsed is None else ACTIONS.get(parsed.action)
    if parsed is None or action is None:
        log.info("[bot] outdated or unknown callback data %r", (query.data or "")[:64])
        await query.answer(STALE)
        return
    try:
        answer = await action(update, context, parsed)
    except watchlist.WatchlistNotFoundError:
        await query.answer("That symbol is no longer on the watchlist.")
        await edit(update, await read(context, lambda s, _d: data.watchlist_screen(s, 0)))
        return
    except watchlist.WatchlistError as exc:  # a value the service refused: nothing changed
        await query.answer(str(exc)[:200], show_alert=True)
        return
    except Exception:  # logged with its traceback; the operator is told instead of a spinner
        log.exception("[bot] button %r failed", parsed.action)
        await query.answer("Sorry, that failed (logged). Check /status and try again.")
        return
    await query.answer(answer[:200] if answer else None)


async def _menu(update: Update, context: Context, c: cb.Callback) -> str | None:
    await edit(update, screens.main_menu())
    return None


async def _watchlist(update: Update, context: Context, c: cb.Callback) -> str | None:
    page = int(c.arg(0))
    await edit(update, await read(context, lambda s, _d: data.watchlist_screen(s, page)))
    return None


async def _coin(update: Update, context: Context, c: cb.Callback) -> str | None:
    await edit(update, await read(context, lambda s, _d: data.coin_screen(s, c.arg(0))))
    return None


async def _flag(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol, code, on = c.arg(0), c.arg(1), c.arg(2) == "1"
    actor = actor_of(update)
    await edit(
        update, await write(context, lambda s, _d: data.set_flag(s, symbol, code, on, actor))
    )
    return f"{symbol} {code}: {'on' if on else 'off'}"


async def _ask(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol, code = c.arg(0), c.arg(1)
    current = await read(context, lambda s, _d: data.current_value(s, symbol, code))
    if context.chat_data is not None:
        context.chat_data["pending"] = {
            "symbol": symbol,
            "code": code,
            "user": actor_of(update),
            "at": datetime.now(UTC).isoformat(),
        }
    await edit(update, screens.ask_value(symbol, code, current))
    return "Reply with the value"


async def _presets(update: Update, context: Context, c: cb.Callback) -> str | None:
    await edit(update, await read(context, lambda s, _d: data.preset_screen(s, c.arg(0))))
    return None


async def _preset(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol, preset_id, actor = c.arg(0), int(c.arg(1)), actor_of(update)
    screen = await write(context, lambda s, _d: data.set_preset(s, symbol, preset_id, actor))
    if screen is None:
        return "That preset no longer exists."
    await edit(update, screen)
    return None


async def _test(update: Update, context: Context, c: cb.Callback) -> str | None:
    message_id = await write(context, lambda s, d: data.queue_test(s, d, c.arg(0)))
    return f"Test alert queued (#{message_id}); the sender delivers it like any alert."


async def _delete_ask(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol = await read(context, lambda s, _d: watchlist.get_item(s, symbol=c.arg(0)).symbol)
    await edit(update, screens.confirm_delete(symbol))
    return None


async def _delete(update: Update, context: Context, c: cb.Callback) -> str | None:
    actor = actor_of(update)
    symbol = await write(context, lambda s, _d: data.delete_coin(s, c.arg(0), actor))
    await edit(update, await read(context, lambda s, _d: data.watchlist_screen(s, 0)))
    return f"{symbol} deleted"


async def _orders(update: Update, context: Context, c: cb.Callback) -> str | None:
    view = await read(context, lambda s, _d: open_orders_view(s))
    await edit(update, screens.text_screen(texts.orders_text(view)))
    return None


async def _monitoring(update: Update, context: Context, c: cb.Callback) -> str | None:
    def collect(session: Session, deps: BotDeps) -> str:
        health = system_health(session, deps.settings, deps.now())
        return texts.monitoring_text(health, data.recently_blocked(session, deps))

    await edit(update, screens.text_screen(await read(context, collect)))
    return None


async def _kill(update: Update, context: Context, c: cb.Callback) -> str | None:
    kill_on, live = await read(context, lambda s, _d: data.kill_state(s))
    await edit(update, screens.kill_screen(kill_on, live))
    return None


async def _kill_set(update: Update, context: Context, c: cb.Callback) -> str | None:
    on, actor = c.arg(0) == "1", actor_of(update)
    changed, kill_on, live = await write(context, lambda s, _d: data.set_kill(s, on, actor))
    word = "ON" if on else "OFF"
    note = f"Kill switch turned {word}" if changed else f"Kill switch was already {word}"
    await edit(update, screens.kill_screen(kill_on, live, note=note))
    return note


async def _panic(update: Update, context: Context, c: cb.Callback) -> str | None:
    actor = actor_of(update)
    symbols = await write(
        context,
        lambda s, _d: watchlist.disable_trading_everywhere(s, source=data.TELEGRAM, actor=actor),
    )
    text = (
        f"Trading turned OFF for {len(symbols)} symbol(s): {', '.join(symbols)}"
        if symbols
        else "No symbol had trading on; nothing changed."
    )
    await edit(update, screens.text_screen(texts.fit(text)))
    return f"Trade off on {len(symbols)} symbol(s)"


async def _why(update: Update, context: Context, c: cb.Callback) -> str | None:
    # A new message: the alert the button sits under stays as it was.
    await send(update, Screen(await explain(context, c.arg(0), texts.why_text)))
    return None


async def _mute(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol, minutes, actor = c.arg(0), int(c.arg(1)), actor_of(update)
    until = await write(context, lambda s, d: data.mute(s, symbol, minutes, d.now(), actor))
    return f"{symbol}: muted until {until:%H:%M} UTC (no alerts, so no orders, until then)"


async def _trade_off(update: Update, context: Context, c: cb.Callback) -> str | None:
    symbol, actor = c.arg(0), actor_of(update)
    await write(context, lambda s, _d: data.set_flag(s, symbol, "trade", False, actor))
    return f"{symbol}: trade off (the alert stays; open positions keep their protection)"


async def _cancel(update: Update, context: Context, c: cb.Callback) -> str | None:
    if context.chat_data is not None:
        context.chat_data.pop("pending", None)
    await edit(update, screens.text_screen("Cancelled."))
    return None


ACTIONS: dict[str, Action] = {
    "menu": _menu,
    "wl": _watchlist,
    "coin": _coin,
    "t": _flag,
    "ask": _ask,
    "presets": _presets,
    "preset": _preset,
    "test": _test,
    "del": _delete_ask,
    "delok": _delete,
    "orders": _orders,
    "mon": _monitoring,
    "kill": _kill,
    "killset": _kill_set,
    "panicok": _panic,
    "why": _why,
    "tradeoff": _trade_off,
    "mute": _mute,
    "cancel": _cancel,
}
