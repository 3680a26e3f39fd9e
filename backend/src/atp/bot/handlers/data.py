"""What the handlers read and change, as functions of a session: each one calls the same
service function as the REST route and the CLI (and records source=telegram with the user id).

They return screens or plain values; the async handlers run them in a thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.alerts.outbox import MessageStatus
from atp.alerts.probe import queue_test_message
from atp.bot.callbacks import FLAG_FIELDS, VALUE_FIELDS
from atp.bot.deps import BotDeps
from atp.bot.menus import screens
from atp.bot.menus.screens import CoinView, Screen
from atp.monitor import service as monitor_service
from atp.monitor.switches import KILL_SWITCH, load_switches
from atp.ops.config_trail import ChangeSource
from atp.ops.message_pages import MessageFilter, MessageRow, message_page
from atp.ops.trading_settings import set_setting
from atp.signals.models import StrategyPreset
from atp.signals.presets import list_presets
from atp.watchlist import service as watchlist
from atp.watchlist.models import WatchlistItem

TELEGRAM = ChangeSource.TELEGRAM
BLOCKED_SHOWN = 8


def coin_view(item: WatchlistItem) -> CoinView:
    return CoinView(
        symbol=item.symbol,
        alert=item.alert_enabled,
        buy_alert=item.buy_alert_enabled,
        sell_alert=item.sell_alert_enabled,
        trade=item.trade_enabled,
        amount_usd=item.trade_amount_usd,
        min_price_change_pct=item.min_price_change_pct,
        cooldown_minutes=item.alert_cooldown_minutes,
        sl_pct=item.sl_percentage,
        tp_pct=item.tp_percentage,
        preset=item.preset,
    )


def watchlist_screen(session: Session, page: int) -> Screen:
    coins = [coin_view(item) for item in watchlist.list_items(session)]
    return screens.watchlist_page(coins, page)


def coin_screen(session: Session, symbol: str, note: str = "") -> Screen:
    """WatchlistNotFoundError when the symbol is gone (a stale button)."""
    item = watchlist.get_item(session, symbol=symbol)
    symbols = [i.symbol for i in watchlist.list_items(session)]
    return screens.coin_screen(
        coin_view(item), page=screens.page_of(symbols, item.symbol), note=note
    )


def set_flag(session: Session, symbol: str, code: str, on: bool, actor: str) -> Screen:
    """Set one switch to the DESIRED value (idempotent) and show the coin again."""
    field = FLAG_FIELDS[code]
    changed = watchlist.set_fields(
        session,
        symbol=symbol,
        values={field: "true" if on else "false"},
        source=TELEGRAM,
        actor=actor,
    )
    note = f"{field} set to {'on' if on else 'off'}" if changed else ""
    return coin_screen(session, symbol, note)


def mute(session: Session, symbol: str, minutes: int, now: datetime, actor: str) -> datetime:
    """Mute a symbol from an alert's button; a re-delivered tap never shortens a longer mute."""
    until = watchlist.mute_item(
        session, symbol=symbol, minutes=minutes, now=now, source=TELEGRAM, actor=actor
    )
    if until is None:  # minutes=0 is not a button the bot builds
        raise watchlist.WatchlistError("mute needs a positive number of minutes")
    return until


def set_value(session: Session, symbol: str, code: str, raw: str, actor: str) -> Screen:
    """Validate and set a value typed by the operator (WatchlistError: nothing changed)."""
    field = VALUE_FIELDS[code]
    changed = watchlist.set_fields(
        session, symbol=symbol, values={field: raw.strip()}, source=TELEGRAM, actor=actor
    )
    if field not in changed:
        return coin_screen(session, symbol, f"{field}: unchanged")
    old, new = changed[field]
    note = f"✅ {field}: {screens.value_text(old)} -> {screens.value_text(new)}"
    warning = watchlist.order_cap_warning(session, symbol.upper(), new)
    if field == "trade_amount_usd" and warning:
        note += f"\n⚠️ {warning}"
    return coin_screen(session, symbol, note)


def current_value(session: Session, symbol: str, code: str) -> Any:
    item = watchlist.get_item(session, symbol=symbol)
    return getattr(item, VALUE_FIELDS[code])


def preset_screen(session: Session, symbol: str) -> Screen:
    item = watchlist.get_item(session, symbol=symbol)
    presets = [(p.id, p.key) for p in list_presets(session)]
    return screens.preset_picker(item.symbol, presets, item.preset)


def set_preset(session: Session, symbol: str, preset_id: int, actor: str) -> Screen | None:
    """None when the preset no longer exists (a stale button)."""
    key = session.scalar(select(StrategyPreset.key).where(StrategyPreset.id == preset_id))
    if key is None:
        return None
    watchlist.set_fields(
        session, symbol=symbol, values={"preset": key}, source=TELEGRAM, actor=actor
    )
    return coin_screen(session, symbol, f"preset set to {key}")


def queue_test(session: Session, deps: BotDeps, symbol: str) -> int:
    item = watchlist.get_item(session, symbol=symbol)
    note = f"test alert for {item.symbol}, asked from Telegram"
    return queue_test_message(session, deps.settings, deps.now(), note=note, symbol=item.symbol)


def delete_coin(session: Session, symbol: str, actor: str) -> str:
    item = watchlist.remove_item(session, symbol=symbol, source=TELEGRAM, actor=actor)
    return item.symbol


def kill_state(session: Session) -> tuple[bool, bool]:
    switches = load_switches(session)
    return switches.kill_switch, switches.live_trading


def set_kill(session: Session, on: bool, actor: str) -> tuple[bool, bool, bool]:
    """(changed, kill switch now, live trading) through the settings registry (audited)."""
    changed = set_setting(
        session, key=KILL_SWITCH, raw="true" if on else "false", source=TELEGRAM, actor=actor
    )
    kill, live = kill_state(session)
    return changed is not None, kill, live


def set_pause(session: Session, deps: BotDeps, paused: bool, actor: str) -> dict[str, Any]:
    return monitor_service.pause_monitor(
        session, deps.settings, paused=paused, source=TELEGRAM, actor=actor
    )


def recently_blocked(session: Session, deps: BotDeps) -> list[MessageRow]:
    since = deps.now() - timedelta(days=1)
    filters = MessageFilter(status=MessageStatus.BLOCKED, since=since)
    rows, _ = message_page(session, filters, limit=BLOCKED_SHOWN, before_id=None)
    return rows
