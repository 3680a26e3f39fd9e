"""Slash commands: thin, each one a service call plus a pure text or screen.

Authorization and duplicate-update filtering ran before these (groups -1/-2, `atp bot`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from telegram import Update

from atp.audit.service import run_audit
from atp.audit.types import DRY, AuditCannotRun
from atp.bot.deps import BotDeps
from atp.bot.handlers import data
from atp.bot.handlers.common import Context, actor_of, get_deps, read, send, write
from atp.bot.menus import screens, texts
from atp.bot.menus.screens import Screen
from atp.monitor import service as monitor_service
from atp.monitor.causes import global_causes
from atp.monitor.cycle import telegram_gate_state
from atp.ops.config_trail import ChangeSource
from atp.ops.health import system_health
from atp.ops.order_pages import balances_snapshot
from atp.ops.trading_settings import list_settings
from atp.orders.views import open_orders_view, positions_view
from atp.signals.views import page_signal_states
from atp.watchlist import service as watchlist
from atp.watchlist.fields import InvalidValueError

SIGNALS_SHOWN = 15
Render = Callable[[dict[str, Any]], str]


async def start(update: Update, context: Context) -> None:
    await send(update, screens.text_screen("Welcome to ATP. /help lists the commands."))
    await send(update, screens.main_menu())


async def menu(update: Update, context: Context) -> None:
    await send(update, screens.main_menu())


async def help_command(update: Update, context: Context) -> None:
    from atp.bot.handlers import COMMANDS  # the one list: also what setMyCommands registers

    await send(update, Screen(texts.help_text(COMMANDS)))


async def status(update: Update, context: Context) -> None:
    def collect(session: Session, deps: BotDeps) -> str:
        now = deps.now()
        health = system_health(session, deps.settings, now)
        monitor = monitor_service.monitor_status(session, deps.settings, now)
        causes = global_causes(
            monitor, telegram_open=telegram_gate_state(deps.settings, session).open
        )
        switches = {s.key: s.value for s in list_settings(session)}
        return texts.status_text(health, monitor, causes, switches)

    await send(update, Screen(await read(context, collect)))


async def watchlist_command(update: Update, context: Context) -> None:
    await send(update, await read(context, lambda s, _d: data.watchlist_screen(s, 0)))


async def signals(update: Update, context: Context) -> None:
    text = await read(
        context, lambda s, _d: texts.signals_text(page_signal_states(s, limit=SIGNALS_SHOWN))
    )
    await send(update, Screen(text))


async def why(update: Update, context: Context) -> None:
    await _evaluate(update, context, texts.why_text, "why")


async def analyze(update: Update, context: Context) -> None:
    await _evaluate(update, context, texts.analyze_text, "analyze")


async def _evaluate(update: Update, context: Context, render: Render, name: str) -> None:
    symbol = _one_arg(context)
    if symbol is None:
        await send(update, Screen(f"Usage: /{name} SYMBOL, e.g. /{name} BTC_USDT"))
        return
    await send(update, Screen(await explain(context, symbol, render)))


async def explain(context: Context, symbol: str, render: Render) -> str:
    """The dry evaluation (same function as POST /api/control/evaluate-signal), rendered."""

    def evaluate(session: Session, deps: BotDeps) -> str:
        try:
            result = monitor_service.evaluate_signal(session, deps.settings, symbol, deps.now())
        except (InvalidValueError, monitor_service.UnknownSymbolError) as exc:
            return str(exc)
        return render(result)

    return await read(context, evaluate)


async def orders(update: Update, context: Context) -> None:
    view = await read(context, lambda s, _d: open_orders_view(s))
    await send(update, Screen(texts.orders_text(view)))


async def portfolio(update: Update, context: Context) -> None:
    view = await read(context, lambda s, d: positions_view(s, d.now()))
    await send(update, Screen(texts.portfolio_text(view)))


async def balance(update: Update, context: Context) -> None:
    def collect(session: Session, deps: BotDeps) -> str:
        balances = balances_snapshot(session, deps.settings)
        return texts.balance_text(balances, positions_view(session, deps.now()))

    await send(update, Screen(await read(context, collect)))


async def add(update: Update, context: Context) -> None:
    symbol = _one_arg(context)
    if symbol is None:
        await send(update, Screen("Usage: /add SYMBOL, e.g. /add BTC_USDT"))
        return
    actor = actor_of(update)

    def add_and_show(session: Session, _deps: BotDeps) -> Screen:
        item = watchlist.add_item(session, symbol=symbol, source=ChangeSource.TELEGRAM, actor=actor)
        note = f"added {item.symbol} (alerts are off until you turn them on)"
        listing = watchlist.instrument_listing(session, item.symbol)
        if listing is watchlist.Listing.UNKNOWN:
            note += "\nwarning: instrument list not loaded yet; added unchecked"
        elif listing is watchlist.Listing.REPLAY:
            note += "\nnote: replay market data; not checked against the exchange's list"
        return data.coin_screen(session, item.symbol, note)

    try:
        screen = await write(context, add_and_show)
    except watchlist.WatchlistError as exc:
        screen = Screen(f"Not added: {exc}")
    await send(update, screen)


async def audit(update: Update, context: Context) -> None:
    deps = get_deps(context)
    try:
        # Read only (store=False), like GET /api/health/audit: a phone tap leaves no run behind.
        result = await asyncio.to_thread(
            lambda: run_audit(
                deps.sessions, deps.settings, mode=DRY, source="telegram", store=False
            )
        )
    except AuditCannotRun as exc:
        await send(update, Screen(f"Audit cannot run: {exc}"))
        return
    await send(update, Screen(texts.audit_text(result)))


async def kill(update: Update, context: Context) -> None:
    arg = (_one_arg(context) or "status").lower()
    if arg not in ("on", "off", "status"):
        await send(update, Screen("Usage: /kill on | off | status"))
        return
    if arg == "status":
        kill_on, live = await read(context, lambda s, _d: data.kill_state(s))
        await send(update, screens.kill_screen(kill_on, live))
        return
    actor = actor_of(update)
    changed, kill_on, live = await write(
        context, lambda s, _d: data.set_kill(s, arg == "on", actor)
    )
    note = f"Kill switch turned {arg.upper()}" if changed else f"Kill switch was already {arg}"
    await send(update, screens.kill_screen(kill_on, live, note=note))


async def pause(update: Update, context: Context) -> None:
    await _pause(update, context, paused=True)


async def resume(update: Update, context: Context) -> None:
    await _pause(update, context, paused=False)


async def _pause(update: Update, context: Context, *, paused: bool) -> None:
    actor = actor_of(update)
    result = await write(context, lambda s, d: data.set_pause(s, d, paused, actor))
    verb = "paused" if paused else "running"
    head = f"Signal monitor {verb}" if result["changed"] else f"Signal monitor was already {verb}"
    await send(
        update,
        Screen(f"{head}; the monitor obeys within {result['takes_effect_within_s']:.0f} s."),
    )


async def panic(update: Update, context: Context) -> None:
    symbols = await read(context, lambda s, _d: watchlist.trading_symbols(s))
    await send(update, screens.confirm_panic(symbols))


async def cancel(update: Update, context: Context) -> None:
    dropped = context.chat_data.pop("pending", None) if context.chat_data is not None else None
    await send(update, Screen("Cancelled." if dropped else "Nothing to cancel."))


def _one_arg(context: Context) -> str | None:
    args = context.args or []
    return args[0] if args else None
