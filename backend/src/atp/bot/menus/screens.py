"""The inline menus as pure functions: data in, `Screen` (plain text + buttons) out.

Every button's data is built with `atp.bot.callbacks` (so a too-long one fails here, when the
screen is built, not at Telegram). Toggle buttons show the current state and carry the
opposite value as the desired one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from atp.bot import callbacks as cb
from atp.core.presets import DEFAULT_PRESET_KEY

Button = tuple[str, str]  # (label, callback_data)
Rows = tuple[tuple[Button, ...], ...]

PAGE_SIZE = 9
PER_ROW = 3
BACK_TO_MENU: Button = ("🏠 Main menu", cb.encode("menu"))


@dataclass(frozen=True)
class Screen:
    text: str
    buttons: Rows = ()


@dataclass(frozen=True)
class CoinView:
    """What the coin screen shows about one watchlist row (read from `WatchlistItem`)."""

    symbol: str
    alert: bool
    buy_alert: bool
    sell_alert: bool
    trade: bool
    amount_usd: Decimal | None
    min_price_change_pct: Decimal | None
    cooldown_minutes: Decimal | None
    sl_pct: Decimal | None
    tp_pct: Decimal | None
    preset: str | None


VALUE_LABELS: dict[str, str] = {
    "amount": "trade amount (USD)",
    "minpct": "min price change (%)",
    "cooldown": "alert cooldown (minutes)",
    "sl": "stop-loss (%)",
    "tp": "take-profit (%)",
}


def main_menu() -> Screen:
    return Screen(
        "ATP main menu",
        (
            (("📋 Watchlist", cb.encode("wl", 0)), ("📂 Open orders", cb.encode("orders"))),
            (("🔍 Monitoring", cb.encode("mon")), ("🛑 Kill switch", cb.encode("kill"))),
        ),
    )


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_of(symbols: Sequence[str], symbol: str) -> int:
    """The watchlist page that shows `symbol` (0 when it is not listed)."""
    return symbols.index(symbol) // PAGE_SIZE if symbol in symbols else 0


def watchlist_page(coins: Sequence[CoinView], page: int) -> Screen:
    """9 coins a page, 3 a row, sorted as given; `page` is clamped to the pages that exist."""
    pages = page_count(len(coins))
    page = min(max(page, 0), pages - 1)
    shown = coins[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    grid = tuple(
        tuple((_coin_label(c), cb.encode("coin", c.symbol)) for c in shown[i : i + PER_ROW])
        for i in range(0, len(shown), PER_ROW)
    )
    nav: list[Button] = []
    if page > 0:
        nav.append(("◀ Prev", cb.encode("wl", page - 1)))
    if page < pages - 1:
        nav.append(("Next ▶", cb.encode("wl", page + 1)))
    text = (
        f"Watchlist: {len(coins)} symbols, page {page + 1}/{pages}\n"
        "🔔 alerts on · 💰 trade on · tap a coin to change it"
        if coins
        else "The watchlist is empty. Add a symbol with /add BTC_USDT"
    )
    return Screen(text, (*grid, *((tuple(nav),) if nav else ()), (BACK_TO_MENU,)))


def _coin_label(coin: CoinView) -> str:
    marks = ("🔔" if coin.alert else "") + ("💰" if coin.trade else "")
    return f"{coin.symbol} {marks}".strip()


def coin_screen(coin: CoinView, *, page: int, note: str = "") -> Screen:
    s = coin.symbol
    text = "\n".join(
        [
            *([note, ""] if note else []),
            f"{s}",
            f"preset: {coin.preset or DEFAULT_PRESET_KEY + ' (default)'}",
            f"alerts: {_on(coin.alert)} (buy {_on(coin.buy_alert)}, sell {_on(coin.sell_alert)})",
            f"trade: {_on(coin.trade)}, amount {value_text(coin.amount_usd)} USD",
            f"min price change: {value_text(coin.min_price_change_pct)} %, "
            f"cooldown: {value_text(coin.cooldown_minutes)} min",
            f"SL: {value_text(coin.sl_pct)} %, TP: {value_text(coin.tp_pct)} %",
            "(- = the preset's value)",
        ]
    )
    rows: Rows = (
        (_toggle(s, "alert", "Alert", coin.alert), _toggle(s, "trade", "Trade", coin.trade)),
        (_toggle(s, "buy", "Buy", coin.buy_alert), _toggle(s, "sell", "Sell", coin.sell_alert)),
        (("💵 Amount", cb.ask(s, "amount")), ("📏 Min %", cb.ask(s, "minpct"))),
        (("⏱ Cooldown", cb.ask(s, "cooldown")), ("🛡 SL %", cb.ask(s, "sl"))),
        (("🎯 TP %", cb.ask(s, "tp")), ("🧩 Preset", cb.encode("presets", s))),
        (("🧪 Test alert", cb.encode("test", s)), ("🗑 Delete", cb.encode("del", s))),
        (("⬅ Watchlist", cb.encode("wl", page)), BACK_TO_MENU),
    )
    return Screen(text, rows)


def _toggle(symbol: str, code: str, label: str, on: bool) -> Button:
    return (f"{'✅' if on else '⬜'} {label}", cb.flag(symbol, code, not on))


def ask_value(symbol: str, code: str, current: Decimal | None) -> Screen:
    label = VALUE_LABELS[code]
    return Screen(
        f"{symbol}: send the new {label} as a reply (now {value_text(current)}).\n"
        "Send `none` to fall back to the preset's value.",
        ((("✖ Cancel", cb.encode("cancel")),),),
    )


def preset_picker(symbol: str, presets: Sequence[tuple[int, str]], current: str | None) -> Screen:
    rows = tuple(
        ((f"{'✅ ' if key == current else ''}{key}", cb.encode("preset", symbol, pid)),)
        for pid, key in presets
    )
    text = (
        f"{symbol}: choose a strategy preset (now {current or DEFAULT_PRESET_KEY + ' (default)'})"
    )
    return Screen(text, (*rows, (("⬅ Back", cb.encode("coin", symbol)),)))


def confirm_delete(symbol: str) -> Screen:
    return Screen(
        f"Delete {symbol} from the watchlist? Alerts and new trades for it stop. "
        "It can be restored later (atp watchlist restore).",
        ((("🗑 Yes, delete", cb.encode("delok", symbol)), ("✖ No", cb.encode("coin", symbol))),),
    )


def kill_screen(kill_on: bool, live_trading: bool, *, note: str = "") -> Screen:
    state = "ON: no new entry orders" if kill_on else "off"
    text = "\n".join(
        [
            *([note, ""] if note else []),
            f"Kill switch: {state}",
            f"Live trading: {_on(live_trading)}",
            "Protection orders (stop-loss / take-profit) are never blocked.",
        ]
    )
    button = (
        ("🟢 Turn kill switch OFF", cb.encode("killset", 0))
        if kill_on
        else ("🛑 Turn kill switch ON", cb.encode("killset", 1))
    )
    return Screen(text, ((button,), (BACK_TO_MENU,)))


def confirm_panic(trading_symbols: Sequence[str]) -> Screen:
    if not trading_symbols:
        return Screen("No symbol has trading on; nothing to do.", ((BACK_TO_MENU,),))
    shown = ", ".join(trading_symbols[:20]) + (" ..." if len(trading_symbols) > 20 else "")
    return Screen(
        f"PANIC: turn trading OFF for {len(trading_symbols)} symbol(s)? ({shown})\n"
        "Open positions and their protection stay as they are.",
        ((("🚨 Yes, trade off everywhere", cb.encode("panicok")), ("✖ No", cb.encode("cancel"))),),
    )


def text_screen(text: str, *, back: Button = BACK_TO_MENU) -> Screen:
    return Screen(text, ((back,),))


MUTE_MINUTES = 60  # the alert's "Mute 1 h" button


def alert_buttons(symbol: str) -> Rows:
    """The buttons under an alert message (built here so the 64-byte check applies)."""
    return (
        (
            ("❓ Why", cb.encode("why", symbol)),
            ("🔕 Mute 1 h", cb.encode("mute", symbol, MUTE_MINUTES)),
            ("⛔ Trade off", cb.encode("tradeoff", symbol)),
        ),
    )


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def value_text(value: Decimal | None) -> str:
    return "-" if value is None else format(value.normalize(), "f")
