"""The callback_data codec: what a button says, and the 64-byte check made when it is built.

A button's data is `action` or `action:arg:arg...` (UTF-8, at most 64 bytes: Telegram refuses
more with BUTTON_DATA_INVALID, and python-telegram-bot does not check it, so `encode` raises
`CallbackDataError` the moment a too-long or malformed button is built, never at send time).

Toggles carry the DESIRED value (`t:BTC_USDT:alert:1`), never "toggle": a double tap or a
re-delivered callback sets the same state again instead of flipping it back.

`decode` never raises: data from an older format, an unknown action or the wrong number of
arguments gives None, and the handler answers politely ("this button is outdated").
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64  # Bot API InlineKeyboardButton.callback_data: 1-64 bytes
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """A button could not be built: too long, an unknown action or an argument with ':'."""


# action -> number of arguments. Short names on purpose: a symbol may take up to ~25 bytes.
ACTIONS: dict[str, int] = {
    "menu": 0,  # main menu
    "wl": 1,  # watchlist page <n>
    "coin": 1,  # coin screen <symbol>
    "t": 3,  # set a flag: <symbol> <flag code> <0|1>
    "ask": 2,  # ask for a value: <symbol> <value code>
    "presets": 1,  # preset picker <symbol>
    "preset": 2,  # set preset: <symbol> <preset id>
    "test": 1,  # queue a test alert for <symbol>
    "del": 1,  # ask to confirm deleting <symbol>
    "delok": 1,  # delete <symbol> (confirmed)
    "orders": 0,  # open orders and protection
    "mon": 0,  # monitoring: health and recently blocked alerts
    "kill": 0,  # kill switch screen
    "killset": 1,  # set the kill switch: <0|1>
    "panicok": 0,  # /panic confirmed: trade off on every symbol
    "why": 1,  # explain <symbol> now (alert button: answers with a new message)
    "tradeoff": 1,  # trade off for <symbol> (alert button: the alert itself is not edited)
    "mute": 2,  # mute <symbol> for <minutes> (alert button)
    "cancel": 0,  # drop a pending question / confirmation
}

# Watchlist switches a coin screen can set (flag code -> column).
FLAG_FIELDS: dict[str, str] = {
    "alert": "alert_enabled",
    "buy": "buy_alert_enabled",
    "sell": "sell_alert_enabled",
    "trade": "trade_enabled",
}

# Values set by replying with text (value code -> column).
VALUE_FIELDS: dict[str, str] = {
    "amount": "trade_amount_usd",
    "minpct": "min_price_change_pct",
    "cooldown": "alert_cooldown_minutes",
    "sl": "sl_percentage",
    "tp": "tp_percentage",
}


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int) -> str:
        return self.args[index]


def encode(action: str, *args: object) -> str:
    """Build callback data; raise CallbackDataError unless it is valid and fits 64 bytes."""
    expected = ACTIONS.get(action)
    if expected is None:
        raise CallbackDataError(f"unknown callback action {action!r}")
    if len(args) != expected:
        raise CallbackDataError(f"{action!r} takes {expected} argument(s), got {len(args)}")
    parts = [action]
    for arg in args:
        text = str(arg)
        if not text or SEPARATOR in text:
            raise CallbackDataError(f"callback argument {text!r} is empty or contains ':'")
        parts.append(text)
    data = SEPARATOR.join(parts)
    size = len(data.encode("utf-8"))
    if size > MAX_CALLBACK_BYTES:
        raise CallbackDataError(
            f"callback data {data!r} is {size} bytes; Telegram allows {MAX_CALLBACK_BYTES}"
        )
    return data


def decode(data: str | None) -> Callback | None:
    """The callback, or None for data this version does not understand (never raises)."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    action, *args = data.split(SEPARATOR)
    if ACTIONS.get(action) != len(args) or any(not a for a in args):
        return None
    if action == "t" and (args[1] not in FLAG_FIELDS or args[2] not in ("0", "1")):
        return None
    if action == "ask" and args[1] not in VALUE_FIELDS:
        return None
    if action in ("wl", "preset", "mute") and not args[-1].isdigit():
        return None
    if action == "killset" and args[0] not in ("0", "1"):
        return None
    return Callback(action, tuple(args))


# --- typed builders (every button in the bot is made by one of these) ---------------------------


def flag(symbol: str, code: str, on: bool) -> str:
    if code not in FLAG_FIELDS:
        raise CallbackDataError(f"unknown flag code {code!r}")
    return encode("t", symbol, code, "1" if on else "0")


def ask(symbol: str, code: str) -> str:
    if code not in VALUE_FIELDS:
        raise CallbackDataError(f"unknown value code {code!r}")
    return encode("ask", symbol, code)
